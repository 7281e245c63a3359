"""The activation functions ``g[l]`` by name, and a layer that applies one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.nn.layer import GraphBuilder, Layer

LEAKY_RELU_ALPHA = 0.01
"""The slope of ``leaky_relu`` for ``Z ≤ 0``."""

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": lambda Z: Z,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
    "leaky_relu": lambda Z: ops.leaky_relu(Z, LEAKY_RELU_ALPHA),
    "softmax": lambda Z: ops.softmax(Z, axis=0),
}

DERIVATIVES: dict[str, str] = {
    "linear": "1",
    "sigmoid": "σ(Z)(1 − σ(Z))",
    "tanh": "1 − tanh²(Z)",
    "relu": "1[Z > 0]",
    "leaky_relu": "1 if Z > 0 else 0.01",
    "softmax": "(with the cross-entropy: folded into dZ)",
}
"""``g′(Z)`` of each activation, as ``vecnn explain`` writes it."""


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
    replayable = True

    def __init__(self, activation: str) -> None:
        super().__init__()
        self.activation = check_activation(activation)

    def forward(self, A_prev: Tensor) -> Tensor:
        return ACTIVATIONS[self.activation](A_prev)

    def logits(self, A_prev: Tensor) -> Tensor:
        return A_prev

    @property
    def final_activation(self) -> str:
        return self.activation

    def config(self) -> dict[str, Any]:
        return {"activation": self.activation}

    def summary_cells(self) -> tuple[str, str, str]:
        return "", "", self.activation

    def equations(self, l: int, n_prev: int, loss: str | None = None) -> list[str]:
        return [f"  activation: A = {self.activation}(Z)"]

    def onnx_nodes(self, graph: GraphBuilder, A_prev: str, l: int) -> str:
        return graph.activation(self.activation, A_prev, f"A_{l}")
