"""The activation functions ``g[l]`` by name, and a layer that applies one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.nn.layer import Layer

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": lambda Z: Z,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
    "leaky_relu": lambda Z: ops.leaky_relu(Z, 0.01),
    "softmax": lambda Z: ops.softmax(Z, axis=0),
}


def check_activation(name: Any) -> str:
    """``name`` itself when it is a known activation (None means linear), else a ValueError."""
    if name is None:
        return "linear"
    if name not in ACTIVATIONS:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of: {known}")
    return name


class Activation(Layer):
    """``A = g(Z)`` on its own, e.g. after ``BatchNorm``; no parameters."""

    kind = "Activation"

    def __init__(self, activation: str) -> None:
        super().__init__()
        self.activation = check_activation(activation)

    def forward(self, A_prev: Tensor) -> Tensor:
        return ACTIVATIONS[self.activation](A_prev)

    def config(self) -> dict[str, Any]:
        return {"activation": self.activation}
