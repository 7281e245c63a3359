"""Softmax and log-softmax along an axis (axis 0 by default: classes are rows).

Both subtract the maximum before exponentiating, so logits of any size give finite
results: ``softmax(z) = e^(z − max z) / Σ e^(z − max z)``,
``log_softmax(z) = z − lse(z)`` with ``lse(z) = max z + log Σ e^(z − max z)``.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, xp


def log_sum_exp(z: Array, axis: int) -> Array:
    """``lse(z) = log Σ e^z`` along ``axis`` (kept as a length-1 axis), without overflow."""
    top = z.max(axis=axis, keepdims=True)
    return top + xp.log(xp.exp(z - top).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """``S = softmax(z)``; ``dz = S ⊙ (dout − Σ (dout ⊙ S))`` along the axis."""

    name = "softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z: Array) -> Array:
        e = xp.exp(z - z.max(axis=self.axis, keepdims=True))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        s = self.out
        return (s * (dout - (dout * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """``log_softmax(z)``; ``dz = dout − softmax(z) ⊙ Σ dout`` along the axis."""

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z: Array) -> Array:
        self.out = z - log_sum_exp(z, self.axis)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout - xp.exp(self.out) * dout.sum(axis=self.axis, keepdims=True),)


def softmax(z: Any, axis: int = 0) -> Tensor:
    """The softmax along ``axis``: each column of ``Z (K, m)`` becomes a distribution."""
    return Softmax.apply(z, axis=axis)


def log_softmax(z: Any, axis: int = 0) -> Tensor:
    """The logarithm of the softmax along ``axis``, computed stably."""
    return LogSoftmax.apply(z, axis=axis)
