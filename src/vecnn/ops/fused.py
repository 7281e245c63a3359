"""Fused nodes: the dense layer and the losses taken from logits, each one graph node.

Each backward is the closed form of the design's equations, not a chain of elementary
nodes: fewer nodes, fewer temporaries and better numerics. The losses take the mean over
the ``m`` columns (the examples), so the ``1/m`` of ``dW[l] = (1/m) dZ[l] A[l-1]ᵀ`` is in
the ``dZ[L]`` they send back: ``dZ[L] = (A[L] − Y) / m``.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, xp
from vecnn.errors import ShapeError
from vecnn.ops.elementwise import stable_sigmoid
from vecnn.ops.softmax import log_softmax_and_softmax


class Dense(Function):
    """``Z = W @ A_prev + b``: ``W (n[l], n[l-1])``, ``A_prev (n[l-1], m)``, ``b (n[l], 1)``.

    Backward, from ``dZ (n[l], m)``: ``dW = dZ A_prevᵀ``, ``db = Σ_columns dZ``,
    ``dA_prev = Wᵀ dZ``; only the gradients that are needed are computed (none for the
    input ``X``).
    """

    name = "dense"

    def forward(self, W: Array, A_prev: Array, b: Array) -> Array:
        check_dense_shapes(W.shape, A_prev.shape, b.shape)
        self.W, self.A_prev = W, A_prev
        Z = W @ A_prev
        Z += b
        return Z

    def backward(self, dZ: Array) -> tuple[Array | None, ...]:
        need_W, need_A, need_b = self.needs_grad
        return (
            dZ @ self.A_prev.T if need_W else None,
            self.W.T @ dZ if need_A else None,
            dZ.sum(axis=1, keepdims=True) if need_b else None,
        )


def check_dense_shapes(W: tuple[int, ...], A_prev: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise a ``ShapeError`` in the notation when ``W``, ``A_prev`` and ``b`` do not fit."""
    if len(W) != 2:
        raise ShapeError(f"dense: W must be a matrix (n[l], n[l-1]); got shape {W}")
    n, n_prev = W
    if len(A_prev) != 2:
        raise ShapeError(
            f"dense: A_prev must be a matrix (n[l-1], m) = ({n_prev}, m) with one example per "
            f"column; got shape {A_prev}"
        )
    if A_prev[0] != n_prev:
        hint = ""
        if A_prev[1] == n_prev:
            hint = " It looks like the examples are rows: pass A_prev.T (examples are columns)."
        raise ShapeError(
            f"dense: W is (n[l], n[l-1]) = {W}, so A_prev must be (n[l-1], m) = ({n_prev}, m); "
            f"got {A_prev}.{hint}"
        )
    if b != (n, 1):
        raise ShapeError(f"dense: b must be (n[l], 1) = ({n}, 1); got shape {b}")


def _check_same_shape(name: str, Z: Array, Y: Array, z_name: str = "Z") -> None:
    if Z.shape != Y.shape:
        hint = ""
        if Y.ndim == 1 and Z.ndim == 2 and Z.shape[0] == 1 and Y.shape[0] == Z.shape[1]:
            hint = ": reshape it with Y.reshape(1, -1)"
        raise ShapeError(
            f"{name}: Y must have the shape of {z_name}, (n[L], m) = {Z.shape}; got {Y.shape}{hint}"
        )
    if Z.ndim != 2:
        raise ShapeError(f"{name}: {z_name} must be a matrix (n[L], m); got shape {Z.shape}")


class BinaryCrossEntropyWithLogits(Function):
    """``J = (1/m) Σ [max(z, 0) − z y + log(1 + e^(−|z|))]`` over all units and columns.

    The stable form of ``−[y log σ(z) + (1 − y) log(1 − σ(z))]``; with ``n[L] = K`` rows
    it is K independent logistic units. ``dZ = (σ(Z) − Y) / m``, ``dY = −Z / m``.
    """

    name = "binary_cross_entropy_with_logits"

    def forward(self, Z: Array, Y: Array) -> Array:
        _check_same_shape(self.name, Z, Y)
        self.Z, self.Y, self.m = Z, Y, Z.shape[1]
        self.e = xp.exp(-xp.abs(Z))  # e^(−|z|) ≤ 1: no overflow; σ(z) is built from it too
        losses = xp.maximum(Z, 0) - Z * Y + xp.log1p(self.e)
        return xp.asarray(losses.sum() / self.m, dtype=Z.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_Z, need_Y = self.needs_grad
        scale = dout / self.m
        return (
            (stable_sigmoid(self.Z, self.e) - self.Y) * scale if need_Z else None,
            -self.Z * scale if need_Y else None,
        )


class SoftmaxCrossEntropyWithLogits(Function):
    """``J = (1/m) Σ_columns [lse(z) Σ_k y_k − Σ_k y_k z_k]``, i.e. ``−(1/m) Σ Y ⊙ log softmax(Z)``.

    Classes are rows: ``Z`` and the one-hot ``Y`` are ``(K, m)``. With log-sum-exp no
    logit overflows. ``dZ = (softmax(Z) − Y) / m`` for one-hot (generally
    ``softmax(Z) Σ_k y_k − Y``), ``dY = −log softmax(Z) / m``.
    """

    name = "softmax_cross_entropy_with_logits"

    def forward(self, Z: Array, Y: Array) -> Array:
        _check_same_shape(self.name, Z, Y)
        self.log_probs, self.probs = log_softmax_and_softmax(Z, axis=0)
        self.Y, self.m = Y, Z.shape[1]
        return xp.asarray(-(Y * self.log_probs).sum() / self.m, dtype=Z.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_Z, need_Y = self.needs_grad
        scale = dout / self.m
        dZ = None
        if need_Z:
            dZ = (self.probs * self.Y.sum(axis=0, keepdims=True) - self.Y) * scale
        return (dZ, -self.log_probs * scale if need_Y else None)


class MeanSquaredError(Function):
    """``J = (1/(m n[L])) Σ (A − Y)²``, the mean over all ``n[L] × m`` entries.

    With one output unit this is the mean over the ``m`` examples of ``(a − y)²``; with
    several, each example's squared error is averaged over the outputs too (as
    scikit-learn's ``mean_squared_error`` and PyTorch's ``MSELoss``).
    ``dA = 2 (A − Y) / (m n[L])``, ``dY = −dA``.
    """

    name = "mean_squared_error"

    def forward(self, A: Array, Y: Array) -> Array:
        _check_same_shape(self.name, A, Y, z_name="A")
        self.diff = A - Y
        return xp.asarray((self.diff * self.diff).sum() / self.diff.size, dtype=A.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_A, need_Y = self.needs_grad
        dA = self.diff * (2 * dout / self.diff.size)
        return (dA if need_A else None, -dA if need_Y else None)


def dense(W: Any, A_prev: Any, b: Any) -> Tensor:
    """``Z = W @ A_prev + b`` as one node (see ``Dense``)."""
    return Dense.apply(W, A_prev, b)


def binary_cross_entropy_with_logits(Z: Any, Y: Any) -> Tensor:
    """The binary cross-entropy of sigmoid units, taken from their logits ``Z (n[L], m)``."""
    return BinaryCrossEntropyWithLogits.apply(Z, Y)


def softmax_cross_entropy_with_logits(Z: Any, Y: Any) -> Tensor:
    """The categorical cross-entropy of a softmax, from logits ``Z (K, m)`` and one-hot ``Y``."""
    return SoftmaxCrossEntropyWithLogits.apply(Z, Y)


def mean_squared_error(A: Any, Y: Any) -> Tensor:
    """The mean squared error between ``A (n[L], m)`` and ``Y``, averaged over all entries."""
    return MeanSquaredError.apply(A, Y)
