"""``vecnn.graph``: draw the computational graph (re-exported from ``vecnn.autodiff.graph``)."""

from vecnn.autodiff.graph import draw, to_dot

__all__ = ["draw", "to_dot"]
