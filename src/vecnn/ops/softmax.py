"""Softmax and log-softmax along an axis (axis 0 by default: classes are rows).

Both subtract the maximum before exponentiating, so logits of any size give finite and
precise results: with ``s = z − max z``, ``softmax(z) = e^s / Σ e^s`` and
``log_softmax(z) = s − log Σ e^s`` (subtracting ``lse(z) = max z + log Σ e^s`` from ``z``
instead would lose the O(1) part against a large ``max z``).
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, sum_along, xp


def log_softmax_and_softmax(z: Array, axis: int) -> tuple[Array, Array]:
    """``(log softmax(z), softmax(z))`` along ``axis``, from the shifted ``s = z − max z``."""
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    total = sum_along(e, axis=axis)
    return shifted - xp.log(total), e / total


class Softmax(Function):
    """``S = softmax(z)``; ``dz = S ⊙ (dout − Σ (dout ⊙ S))`` along the axis."""

    name = "softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z: Array) -> Array:
        e = xp.exp(z - xp.max(z, axis=self.axis, keepdims=True))
        self.out = e / xp.sum(e, axis=self.axis, keepdims=True)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        s = self.out
        return (s * (dout - xp.sum(dout * s, axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """``log_softmax(z)``; ``dz = dout − softmax(z) ⊙ Σ dout`` along the axis."""

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z: Array) -> Array:
        out, self.probs = log_softmax_and_softmax(z, self.axis)
        return out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout - self.probs * xp.sum(dout, axis=self.axis, keepdims=True),)


def softmax(z: Any, axis: int = 0) -> Tensor:
    """The softmax along ``axis``: each column of ``Z (K, m)`` becomes a distribution."""
    return Softmax.apply(z, axis=axis)


def log_softmax(z: Any, axis: int = 0) -> Tensor:
    """The logarithm of the softmax along ``axis``, computed stably."""
    return LogSoftmax.apply(z, axis=axis)
