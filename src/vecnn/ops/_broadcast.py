"""The one helper that undoes NumPy broadcasting in a backward pass."""

from __future__ import annotations

from vecnn.backend import Array, xp


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` back down to ``shape``, the shape of an input that was broadcast.

    Broadcasting copies an input along new leading axes and along its axes of length 1
    (the bias ``b[l]`` of shape ``(n[l], 1)`` over the ``m`` columns); each copy received
    its own gradient, so the input's gradient is their sum.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    return xp.reshape(xp.sum(grad, axis=axes, keepdims=True), shape)
