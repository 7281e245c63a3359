"""Reductions over axes: sum, mean and max; backward spreads ``dout`` back over the axes."""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, xp


def _normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    normalized = set()
    for one in axes:
        if not isinstance(one, int) or not -ndim <= one < ndim:
            raise ValueError(f"axis {axis!r} is out of range for a tensor with {ndim} axes")
        normalized.add(one % ndim)
    if len(normalized) != len(axes):
        raise ValueError(f"axis {axis!r} names an axis twice")
    return tuple(sorted(normalized))


def _expand(dout: Array, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Array:
    """``dout`` with the reduced axes of ``shape`` put back as length-1 axes, to broadcast."""
    if keepdims:
        return dout
    return xp.reshape(dout, tuple(1 if axis in axes else n for axis, n in enumerate(shape)))


class Sum(Function):
    """``Σ a`` over ``axis``; every summed entry receives ``dout``."""

    name = "sum"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a: Array) -> Array:
        self.axes = _normalize_axes(self.axis, a.ndim)
        self.shape = a.shape
        return xp.sum(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (xp.broadcast_to(_expand(dout, self.shape, self.axes, self.keepdims), self.shape),)


class Mean(Function):
    """The mean over ``axis``; each of the ``N`` averaged entries receives ``dout / N``."""

    name = "mean"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a: Array) -> Array:
        self.axes = _normalize_axes(self.axis, a.ndim)
        self.shape = a.shape
        self.count = 1
        for axis in self.axes:
            self.count *= a.shape[axis]
        return xp.mean(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        spread = _expand(dout, self.shape, self.axes, self.keepdims) / self.count
        return (xp.broadcast_to(spread, self.shape),)


class Max(Function):
    """The maximum over ``axis``.

    The gradient goes to the entries equal to the maximum; when several tie, they share
    it equally (each receives ``dout / k`` for ``k`` tied entries), as PyTorch's ``amax``.
    """

    name = "max"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a: Array) -> Array:
        if a.size == 0:
            raise ValueError(f"max of an empty tensor (shape {a.shape}) is undefined")
        self.axes = _normalize_axes(self.axis, a.ndim)
        self.shape = a.shape
        top = xp.max(a, axis=self.axes, keepdims=True)
        self.winners = xp.astype(a == top, a.dtype)
        return top if self.keepdims else xp.squeeze(top, axis=self.axes)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        ties = xp.sum(self.winners, axis=self.axes, keepdims=True)
        share = _expand(dout, self.shape, self.axes, self.keepdims) / ties
        return (self.winners * share,)


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The sum over ``axis`` (all axes when None)."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The mean over ``axis`` (all axes when None)."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The maximum over ``axis`` (all axes when None); ties share the gradient equally."""
    return Max.apply(a, axis=axis, keepdims=keepdims)
