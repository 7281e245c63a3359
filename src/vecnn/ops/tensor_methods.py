"""Tensor's operators and methods, which are the operations: attached to ``Tensor`` here.

``autodiff`` (level 1) defines the node and ``backward``; the operations (level 2) build
on it. Rather than have ``Tensor`` import the operations back (a loop in the layout), the
operations install themselves as its operators and methods when ``vecnn.ops`` is
imported, as Chainer's ``install_variable_arithmetics`` does. ``import vecnn`` imports
``vecnn.ops``, so every ``Tensor`` has them.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.tensor import Tensor
from vecnn.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from vecnn.ops.elementwise import exp, leaky_relu, log, relu, sigmoid, sqrt, step, tanh
from vecnn.ops.reduction import max, mean, sum
from vecnn.ops.shape import getitem, reshape, transpose
from vecnn.ops.softmax import log_softmax, softmax


def _flat(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike, as NumPy's ``reshape`` and ``transpose``."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _reshape(self: Tensor, *shape: Any) -> Tensor:
    return reshape(self, _flat(shape))


def _transpose(self: Tensor, *axes: int) -> Tensor:
    return transpose(self, _flat(axes) or None)


def _sum(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return sum(self, axis=axis, keepdims=keepdims)


def _mean(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return mean(self, axis=axis, keepdims=keepdims)


def _max(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return max(self, axis=axis, keepdims=keepdims)


def _softmax(self: Tensor, axis: int = 0) -> Tensor:
    return softmax(self, axis=axis)


def _log_softmax(self: Tensor, axis: int = 0) -> Tensor:
    return log_softmax(self, axis=axis)


METHODS: dict[str, Any] = {
    "__add__": add,
    "__radd__": lambda self, other: add(other, self),
    "__sub__": sub,
    "__rsub__": lambda self, other: sub(other, self),
    "__mul__": mul,
    "__rmul__": lambda self, other: mul(other, self),
    "__truediv__": div,
    "__rtruediv__": lambda self, other: div(other, self),
    "__neg__": neg,
    "__pow__": pow,
    "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(other, self),
    "__getitem__": getitem,
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "sum": _sum,
    "mean": _mean,
    "max": _max,
    "reshape": _reshape,
    "transpose": _transpose,
    "T": property(lambda self: transpose(self, None)),
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "step": step,
}


def install_tensor_methods(tensor_class: type = Tensor) -> None:
    """Give ``tensor_class`` the operators ``+ − * / ** @ []`` and the methods above."""
    for name, method in METHODS.items():
        setattr(tensor_class, name, method)
