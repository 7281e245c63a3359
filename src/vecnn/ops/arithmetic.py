"""The arithmetic operators: + - * / unary -, ** (scalar exponent) and @ (2-D)."""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array
from vecnn.errors import ShapeError
from vecnn.ops._broadcast import unbroadcast


def _broadcast_error(op: str, a: Array, b: Array) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {a.shape} and {b.shape} do not broadcast: each axis, aligned from the "
        "right, must have equal lengths or length 1"
    )


class Add(Function):
    """``a + b``; ``da = dout``, ``db = dout``, each summed back to its own shape."""

    name = "add"

    def forward(self, a: Array, b: Array) -> Array:
        self.shapes = a.shape, b.shape
        try:
            return a + b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_a, need_b = self.needs_grad
        shape_a, shape_b = self.shapes
        return (
            unbroadcast(dout, shape_a) if need_a else None,
            unbroadcast(dout, shape_b) if need_b else None,
        )


class Sub(Function):
    """``a - b``; ``da = dout``, ``db = -dout``."""

    name = "sub"

    def forward(self, a: Array, b: Array) -> Array:
        self.shapes = a.shape, b.shape
        try:
            return a - b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_a, need_b = self.needs_grad
        shape_a, shape_b = self.shapes
        return (
            unbroadcast(dout, shape_a) if need_a else None,
            unbroadcast(-dout, shape_b) if need_b else None,
        )


class Mul(Function):
    """``a ⊙ b`` (element-wise); ``da = dout ⊙ b``, ``db = dout ⊙ a``."""

    name = "mul"

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_a, need_b = self.needs_grad
        return (
            unbroadcast(dout * self.b, self.a.shape) if need_a else None,
            unbroadcast(dout * self.a, self.b.shape) if need_b else None,
        )


class Div(Function):
    """``a / b``; ``da = dout / b``, ``db = -dout ⊙ a / b²``."""

    name = "div"

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        try:
            return a / b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_a, need_b = self.needs_grad
        da = dout / self.b
        return (
            unbroadcast(da, self.a.shape) if need_a else None,
            unbroadcast(-da * self.a / self.b, self.b.shape) if need_b else None,
        )


class Neg(Function):
    """``-a``; ``da = -dout``."""

    name = "neg"

    def forward(self, a: Array) -> Array:
        return -a

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (-dout,)


class Pow(Function):
    """``a ** p`` for a scalar ``p``; ``da = dout ⊙ p a^(p-1)``."""

    name = "pow"

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, a: Array) -> Array:
        self.a = a
        return a**self.exponent

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        p = self.exponent
        return (dout * (p * self.a ** (p - 1)),)


class MatMul(Function):
    """``A @ B`` for 2-D ``A (n, k)`` and ``B (k, m)``; ``dA = dout Bᵀ``, ``dB = Aᵀ dout``."""

    name = "matmul"

    def forward(self, a: Array, b: Array) -> Array:
        if a.ndim != 2 or b.ndim != 2:
            raise ShapeError(
                f"matmul (@) takes two 2-D operands; got shapes {a.shape} and {b.shape}: "
                "reshape a vector to a column (n, 1) or a row (1, n)"
            )
        if a.shape[1] != b.shape[0]:
            raise ShapeError(
                f"matmul (@): {a.shape} @ {b.shape}: the inner dimensions differ "
                f"({a.shape[1]} vs {b.shape[0]})"
            )
        self.a, self.b = a, b
        return a @ b

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_a, need_b = self.needs_grad
        return (
            dout @ self.b.T if need_a else None,
            self.a.T @ dout if need_b else None,
        )


def add(a: Any, b: Any) -> Tensor:
    """``a + b`` with NumPy broadcasting."""
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """``a - b`` with NumPy broadcasting."""
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """``a ⊙ b``, the element-wise product, with NumPy broadcasting."""
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    """``a / b``, element-wise, with NumPy broadcasting."""
    return Div.apply(a, b)


def neg(a: Any) -> Tensor:
    """``-a``."""
    return Neg.apply(a)


def pow(a: Any, exponent: float) -> Tensor:
    """``a ** exponent`` for a scalar (Python number) exponent."""
    if isinstance(exponent, Tensor):
        raise TypeError(
            "** takes a scalar exponent; for a tensor exponent y write (y * x.log()).exp()"
        )
    return Pow.apply(a, exponent=float(exponent))


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b``, the matrix product of two 2-D operands."""
    return MatMul.apply(a, b)
