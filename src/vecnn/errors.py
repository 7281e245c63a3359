"""The exceptions vecnn raises, in one place so that callers can catch them by type."""

from __future__ import annotations


class ShapeError(ValueError):
    """Operands whose shapes do not fit the operation; the message names both shapes."""


class NoDerivativeError(NotImplementedError):
    """``backward()`` reached an operation that has no derivative (raised, never zeros)."""


class GraphReleasedError(RuntimeError):
    """``backward()`` through a graph whose buffers an earlier ``backward()`` released."""
