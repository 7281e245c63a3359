"""Fused nodes: the dense layer (alone or with its activation) and the losses taken from
logits, each one graph node.

Each backward is the closed form of the design's equations, not a chain of elementary
nodes: fewer nodes, fewer temporaries and better numerics. The losses take the mean over
the ``m`` columns (the examples), so the ``1/m`` of ``dW[l] = (1/m) dZ[l] A[l-1]ᵀ`` is in
the ``dZ[L]`` they send back: ``dZ[L] = (A[L] − Y) / m``.

Per-example weights ``s (m,)`` (``sample_weight``) make that mean a weighted one,
``J = Σ_i s_i L_i / Σ_i s_i``: unit weights give the plain mean, and ``dZ[L]``'s column i
is ``s_i (A[L] − Y) / Σ s``.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, elementwise_into, matmul, sum_all, sum_along, xp
from vecnn.errors import ShapeError
from vecnn.ops.elementwise import (
    leaky_relu_slope,
    relu_derivative,
    sigmoid_derivative,
    stable_sigmoid,
    tanh_derivative,
)
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

    writes_grad_slots = True  # dW and db go straight into the flat gradient buffer

    def backward(self, dZ: Array) -> tuple[Array | None, ...]:
        need_W, need_A, need_b = self.needs_grad
        dW_slot, _, db_slot = self.grad_slots or (None, None, None)
        return (
            matmul(dZ, self.A_prev.T, out=dW_slot) if need_W else None,
            self.W.T @ dZ if need_A else None,
            sum_along(dZ, axis=1, out=db_slot) if need_b else None,
        )


class DenseActivation(Dense):
    """``A = g(W @ A_prev + b)`` as one node, for a ``g`` whose ``g′`` is a function of ``A``.

    Forward writes ``A`` over ``Z`` (``Z`` is the node's own new array), so the layer keeps
    one ``(n[l], m)`` array where ``dense`` then ``g`` keep two; backward forms
    ``dZ = dA ⊙ g′`` from ``A`` in a new array (it never writes into ``dA``), then ``dW``,
    ``db`` and ``dA_prev`` as ``Dense``. The numbers are those of the two nodes: the same
    element-wise functions and derivatives (``ops/elementwise.py``) on the same arrays.
    Subclasses set ``name`` and ``activate(Z)`` (in place) and ``derivative(dA)``.
    """

    def forward(self, W: Array, A_prev: Array, b: Array) -> Array:
        self.A = self.activate(super().forward(W, A_prev, b))
        return self.A

    def backward(self, dA: Array) -> tuple[Array | None, ...]:
        return super().backward(self.derivative(dA))

    def activate(self, Z: Array) -> Array:
        raise NotImplementedError

    def derivative(self, dA: Array) -> Array:
        raise NotImplementedError


class DenseRelu(DenseActivation):
    """``A = max(W A_prev + b, 0)``; ``dZ = dA ⊙ 1[A > 0]``."""

    name = "dense+relu"

    def activate(self, Z: Array) -> Array:
        return elementwise_into(xp.maximum, Z, 0, out=Z)

    def derivative(self, dA: Array) -> Array:
        return relu_derivative(self.A, dA)


class DenseLeakyRelu(DenseActivation):
    """``A = Z`` where ``Z > 0``, else ``α Z``, with ``Z = W A_prev + b``; ``dZ = dA ⊙ g′``
    with ``g′ = 1[A > 0] + α 1[A ≤ 0]`` (``α ≥ 0``)."""

    name = "dense+leaky_relu"

    def __init__(self, alpha: float) -> None:
        if not alpha >= 0:  # then A > 0 exactly where Z > 0
            raise ValueError(f"dense+leaky_relu: alpha must be non-negative; got {alpha!r}")
        self.alpha = alpha

    def activate(self, Z: Array) -> Array:
        Z *= leaky_relu_slope(Z, self.alpha)
        return Z

    def derivative(self, dA: Array) -> Array:
        return dA * leaky_relu_slope(self.A, self.alpha)


class DenseSigmoid(DenseActivation):
    """``A = σ(W A_prev + b)``; ``dZ = dA ⊙ A(1 − A)``."""

    name = "dense+sigmoid"

    def activate(self, Z: Array) -> Array:
        return stable_sigmoid(Z)  # a new array (its temporaries need Z): Z is dropped

    def derivative(self, dA: Array) -> Array:
        return sigmoid_derivative(self.A, dA)


class DenseTanh(DenseActivation):
    """``A = tanh(W A_prev + b)``; ``dZ = dA ⊙ (1 − A²)``."""

    name = "dense+tanh"

    def activate(self, Z: Array) -> Array:
        return elementwise_into(xp.tanh, Z, out=Z)

    def derivative(self, dA: Array) -> Array:
        return tanh_derivative(self.A, dA)


DENSE_ACTIVATIONS: dict[str, type[DenseActivation]] = {
    "relu": DenseRelu,
    "leaky_relu": DenseLeakyRelu,
    "sigmoid": DenseSigmoid,
    "tanh": DenseTanh,
}
"""The activations fused into the dense node; any other (softmax: its ``g′`` is a Jacobian,
linear: none) is its own node after ``dense``."""


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


def _example_weights(sample_weight: Any, Z: Array, name: str) -> Array | None:
    """``sample_weight`` as a row ``s (1, m)`` in ``Z``'s dtype, or None for unit weights.

    A ValueError when the weights are negative, not finite, or sum to zero.
    """
    if sample_weight is None:
        return None
    s = xp.asarray(sample_weight, dtype=Z.dtype)
    m = Z.shape[1]
    if s.shape not in ((m,), (1, m)):
        raise ShapeError(f"{name}: sample_weight must be (m,) = ({m},) or (1, m); got {s.shape}")
    s = xp.reshape(s, (1, m))
    total = float(xp.sum(s))
    if not bool(xp.all(xp.isfinite(s))) or bool(xp.any(s < 0)) or not total > 0:
        raise ValueError(
            f"{name}: sample_weight must be finite and non-negative with a positive sum"
        )
    return s


class _ExampleLoss(Function):
    """A loss ``J = Σ_i s_i L_i / Σ_i s_i`` over the columns ``i`` of ``Z (n[L], m)``.

    ``L_i`` is example i's loss; without weights ``s_i = 1`` and ``J`` is the mean over the
    ``m`` examples. Every gradient of ``J`` is ``s_i ∂L_i / Σ s``: ``scale(dout)`` is that
    factor, ``dout / m`` or the row ``s · dout / Σ s``.
    """

    def __init__(self, sample_weight: Any = None) -> None:
        self.sample_weight = sample_weight

    def weigh(self, Z: Array) -> None:
        self.s = _example_weights(self.sample_weight, Z, self.name)
        self.total = Z.shape[1] if self.s is None else xp.sum(self.s)

    def mean(self, losses: Array) -> Array:
        """``Σ_i s_i Σ_k losses[k, i] / Σ s``, a 0-d array in the dtype of ``losses``."""
        summed = sum_all(losses) if self.s is None else sum_all(losses * self.s)
        return xp.asarray(summed / self.total, dtype=losses.dtype)

    def scale(self, dout: Array) -> Array:
        return dout / self.total if self.s is None else self.s * (dout / self.total)


class BinaryCrossEntropyWithLogits(_ExampleLoss):
    """``L_i = Σ_k [max(z, 0) − z y + log(1 + e^(−|z|))]`` over the units of column i.

    The stable form of ``−[y log σ(z) + (1 − y) log(1 − σ(z))]``; with ``n[L] = K`` rows
    it is K independent logistic units. ``J = (1/m) Σ_i L_i`` (or ``Σ s_i L_i / Σ s``),
    ``dZ = (σ(Z) − Y) / m``, ``dY = −Z / m`` (each column times ``s_i m / Σ s``).
    """

    name = "binary_cross_entropy_with_logits"

    def forward(self, Z: Array, Y: Array) -> Array:
        _check_same_shape(self.name, Z, Y)
        self.weigh(Z)
        self.Z, self.Y = Z, Y
        self.e = xp.exp(-xp.abs(Z))  # e^(−|z|) ≤ 1: no overflow; σ(z) is built from it too
        return self.mean(xp.maximum(Z, 0) - Z * Y + xp.log1p(self.e))

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_Z, need_Y = self.needs_grad
        scale = self.scale(dout)
        return (
            (stable_sigmoid(self.Z, self.e) - self.Y) * scale if need_Z else None,
            -self.Z * scale if need_Y else None,
        )


class SoftmaxCrossEntropyWithLogits(_ExampleLoss):
    """``L_i = −Σ_k y_k log softmax(z)_k`` for column i, i.e. ``lse(z) − Σ_k y_k z_k``.

    Classes are rows: ``Z`` and ``Y`` are ``(K, m)``, each column of ``Y`` a distribution
    over the classes (one-hot, or soft labels: it sums to 1). With log-sum-exp no logit
    overflows. ``J = (1/m) Σ_i L_i`` (or ``Σ s_i L_i / Σ s``), ``dZ = (softmax(Z) − Y) / m``,
    ``dY = −log softmax(Z) / m`` (each column times ``s_i m / Σ s``).
    """

    name = "softmax_cross_entropy_with_logits"

    def forward(self, Z: Array, Y: Array) -> Array:
        _check_same_shape(self.name, Z, Y)
        self.weigh(Z)
        self.log_probs, self.probs = log_softmax_and_softmax(Z, axis=0)
        self.Y = Y
        return -self.mean(Y * self.log_probs)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_Z, need_Y = self.needs_grad
        scale = self.scale(dout)
        return (
            (self.probs - self.Y) * scale if need_Z else None,
            -self.log_probs * scale if need_Y else None,
        )


class MeanSquaredError(_ExampleLoss):
    """``L_i = (1/n[L]) Σ_k (a_k − y_k)²``; ``J = (1/m) Σ_i L_i``, the mean over all entries.

    With one output unit this is the mean over the ``m`` examples of ``(a − y)²``; with
    several, each example's squared error is averaged over the outputs too (as
    scikit-learn's ``mean_squared_error`` and PyTorch's ``MSELoss``).
    ``dA = 2 (A − Y) / (m n[L])``, ``dY = −dA`` (each column times ``s_i m / Σ s``).
    """

    name = "mean_squared_error"

    def forward(self, A: Array, Y: Array) -> Array:
        _check_same_shape(self.name, A, Y, z_name="A")
        self.weigh(A)
        self.diff = A - Y
        return self.mean(self.diff * self.diff) / A.shape[0]

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_A, need_Y = self.needs_grad
        dA = self.diff * (self.scale(dout) * (2 / self.diff.shape[0]))
        return (dA if need_A else None, -dA if need_Y else None)


def dense(W: Any, A_prev: Any, b: Any) -> Tensor:
    """``Z = W @ A_prev + b`` as one node (see ``Dense``)."""
    return Dense.apply(W, A_prev, b)


def dense_activation(W: Any, A_prev: Any, b: Any, activation: str, alpha: float = 0.01) -> Tensor:
    """``A = g(W @ A_prev + b)`` as one node, ``g`` one of ``DENSE_ACTIVATIONS`` (``relu``,
    ``leaky_relu`` with slope ``alpha``, ``sigmoid``, ``tanh``); the same numbers as
    ``dense`` followed by the activation's own node, with one array and one node fewer."""
    if activation not in DENSE_ACTIVATIONS:
        known = ", ".join(DENSE_ACTIVATIONS)
        raise ValueError(
            f"dense_activation: {activation!r} is not fused with dense; choose one of: {known} "
            "(or apply it to ops.dense(W, A_prev, b))"
        )
    params = {"alpha": float(alpha)} if activation == "leaky_relu" else {}
    return DENSE_ACTIVATIONS[activation].apply(W, A_prev, b, **params)


def binary_cross_entropy_with_logits(Z: Any, Y: Any, sample_weight: Any = None) -> Tensor:
    """The binary cross-entropy of sigmoid units, taken from their logits ``Z (n[L], m)``.

    ``sample_weight`` (``(m,)``, non-negative) weighs the examples: ``Σ s_i L_i / Σ s_i``.
    """
    return BinaryCrossEntropyWithLogits.apply(Z, Y, sample_weight=sample_weight)


def softmax_cross_entropy_with_logits(Z: Any, Y: Any, sample_weight: Any = None) -> Tensor:
    """The categorical cross-entropy of a softmax, from logits ``Z (K, m)`` and one-hot ``Y``.

    ``sample_weight`` (``(m,)``, non-negative) weighs the examples: ``Σ s_i L_i / Σ s_i``.
    """
    return SoftmaxCrossEntropyWithLogits.apply(Z, Y, sample_weight=sample_weight)


def mean_squared_error(A: Any, Y: Any, sample_weight: Any = None) -> Tensor:
    """The mean squared error between ``A (n[L], m)`` and ``Y``, averaged over all entries.

    ``sample_weight`` (``(m,)``, non-negative) weighs the examples: ``Σ s_i L_i / Σ s_i``.
    """
    return MeanSquaredError.apply(A, Y, sample_weight=sample_weight)
