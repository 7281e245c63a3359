"""The version of vecnn (level 0: imports nothing from vecnn)."""

__version__ = "0.1.0"
