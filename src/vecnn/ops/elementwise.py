"""Element-wise functions and activations, each with its derivative ``g′``.

Each backward multiplies ``dout`` by the local derivative: ``dZ = dA ⊙ g′(Z)``.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, float_dtype, xp
from vecnn.errors import NoDerivativeError


class Exp(Function):
    """``exp(a)``; ``g′ = exp(a)``, the output itself."""

    name = "exp"

    def forward(self, a: Array) -> Array:
        self.out = xp.exp(a)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout * self.out,)


class Log(Function):
    """``log(a)``, the natural logarithm; ``g′ = 1 / a``."""

    name = "log"

    def forward(self, a: Array) -> Array:
        self.a = a
        return xp.log(a)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout / self.a,)


class Sqrt(Function):
    """``√a``; ``g′ = 1 / (2√a)`` (infinite at 0, as the derivative is)."""

    name = "sqrt"

    def forward(self, a: Array) -> Array:
        self.out = xp.sqrt(a)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout / (2 * self.out),)


class Relu(Function):
    """``max(z, 0)``; ``g′ = 1`` where ``z > 0``, else 0 (0 at ``z = 0``, as PyTorch)."""

    name = "relu"

    def forward(self, z: Array) -> Array:
        if self.needs_grad[0]:  # the mask is only kept when there will be a backward
            self.positive = z > 0
        return xp.maximum(z, 0)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        # a product with the mask cast to dout's dtype: ten times faster than where() on NumPy
        return (dout * xp.astype(self.positive, dout.dtype),)


class LeakyRelu(Function):
    """``z`` where ``z > 0``, else ``α z``; ``g′ = 1`` or ``α``."""

    name = "leaky_relu"

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, z: Array) -> Array:
        self.slope = xp.where(z > 0, xp.ones_like(z), self.alpha)
        return z * self.slope

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout * self.slope,)


def stable_sigmoid(z: Array, e: Array | None = None) -> Array:
    """σ(z) = 1 / (1 + e^(−z)) without overflow: ``e = e^(−|z|)`` is at most 1.

    ``e`` may be passed in when the caller has it already.
    """
    if e is None:
        e = xp.exp(-xp.abs(z))
    r = 1 / (1 + e)
    return xp.where(z >= 0, r, e * r)


class Sigmoid(Function):
    """``σ(z)``; ``g′ = σ(z)(1 − σ(z))``."""

    name = "sigmoid"

    def forward(self, z: Array) -> Array:
        self.out = stable_sigmoid(z)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout * self.out * (1 - self.out),)


class Tanh(Function):
    """``tanh(z)``; ``g′ = 1 − tanh²(z)``."""

    name = "tanh"

    def forward(self, z: Array) -> Array:
        self.out = xp.tanh(z)
        return self.out

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (dout * (1 - self.out * self.out),)


class Step(Function):
    """The neuron's firing rule: 1 where ``a ≥ θ``, else 0.

    It has no derivative (0 almost everywhere, undefined at θ), so ``backward`` raises:
    train on the loss of the sigmoid output and apply the threshold only to predict.
    """

    name = "step"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def forward(self, a: Array) -> Array:
        return xp.astype(a >= self.threshold, a.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        raise NoDerivativeError(
            "the neuron's firing rule 'step' (a ≥ θ) has no derivative (0 almost everywhere, "
            "undefined at θ): train on the loss of the sigmoid output a, and apply the "
            "threshold only to predict"
        )


class Cast(Function):
    """``a`` in another float dtype; the gradient comes back in ``a``'s own dtype."""

    name = "cast"

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, a: Array) -> Array:
        self.input_dtype = a.dtype
        return xp.astype(a, self.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (xp.astype(dout, self.input_dtype),)


def cast(a: Any, dtype: Any) -> Tensor:
    """``a`` converted to ``dtype`` (float32 or float64), differentiably."""
    return Cast.apply(a, dtype=float_dtype(dtype))


def exp(a: Any) -> Tensor:
    """``e^a``, element-wise."""
    return Exp.apply(a)


def log(a: Any) -> Tensor:
    """The natural logarithm, element-wise."""
    return Log.apply(a)


def sqrt(a: Any) -> Tensor:
    """The square root, element-wise."""
    return Sqrt.apply(a)


def relu(z: Any) -> Tensor:
    """The rectified linear unit ``max(z, 0)``."""
    return Relu.apply(z)


def leaky_relu(z: Any, alpha: float = 0.01) -> Tensor:
    """``z`` for ``z > 0`` and ``α z`` otherwise."""
    return LeakyRelu.apply(z, alpha=float(alpha))


def sigmoid(z: Any) -> Tensor:
    """The logistic function ``σ(z) = 1 / (1 + e^(−z))``, computed without overflow."""
    return Sigmoid.apply(z)


def tanh(z: Any) -> Tensor:
    """The hyperbolic tangent."""
    return Tanh.apply(z)


def step(a: Any, threshold: float = 0.5) -> Tensor:
    """1 where ``a ≥ threshold`` (the neuron fires), else 0; not differentiable."""
    return Step.apply(a, threshold=float(threshold))
