"""The equations of a network with its shapes, and the graph of one training step.

``vecnn explain`` prints ``equations(network)`` and draws ``training_step_graph(network)``;
the playground shows the same lines and graph for the network it trains.
"""

from __future__ import annotations

from typing import Any

from vecnn import losses
from vecnn.backend.host import xp
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.train.network import Network

DERIVATIVES = {
    "linear": "1",
    "sigmoid": "σ(Z)(1 − σ(Z))",
    "tanh": "1 − tanh²(Z)",
    "relu": "1[Z > 0]",
    "leaky_relu": "1 if Z > 0 else 0.01",
    "softmax": "(with the cross-entropy: folded into dZ)",
}


def _shape(rows: int, cols: str | int) -> str:
    return f"({rows}×{cols})"


def equations(network: Network) -> list[str]:
    """The forward and backward equations of every layer, with the network's shapes."""
    lines: list[str] = []
    n_prev = network.n_features
    loss = losses.get_loss(None, network.output_activation)
    last = len(network.layers) - 1
    total_flops = 0
    l = 0
    for position, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            l += 1
            n = layer.n_out
            count = n * n_prev + n
            flops = 2 * n * n_prev + n
            total_flops += flops
            g = layer.activation
            lines.append(
                f"layer {l}: dense, {g}  W[{l}] {_shape(n, n_prev)}, b[{l}] {_shape(n, 1)}: "
                f"{count:,} parameters, {flops:,} FLOPs per example forward"
            )
            lines.append(
                f"  forward   Z[{l}] = W[{l}] {_shape(n, n_prev)} · A[{l - 1}] "
                f"{_shape(n_prev, 'm')} + b[{l}] {_shape(n, 1)}   → {_shape(n, 'm')}"
            )
            lines.append(f"            A[{l}] = {g}(Z[{l}])   → {_shape(n, 'm')}")
            if position == last and g in ("sigmoid", "softmax"):
                lines.append(
                    f"  backward  dZ[{l}] = A[{l}] − Y   {_shape(n, 'm')}   "
                    f"({loss.name} taken from the logits Z[{l}])"
                )
            elif position == last:
                lines.append(
                    f"  backward  dA[{l}] = (2/n[{l}]) (A[{l}] − Y)   {_shape(n, 'm')}   "
                    f"({loss.name})"
                )
                lines.append(f"            dZ[{l}] = dA[{l}] ⊙ g′(Z[{l}]),  g′ = {DERIVATIVES[g]}")
            else:
                lines.append(
                    f"  backward  dZ[{l}] = dA[{l}] ⊙ g′(Z[{l}])   {_shape(n, 'm')},  "
                    f"g′ = {DERIVATIVES[g]}"
                )
            lines.append(f"            dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]ᵀ   {_shape(n, n_prev)}")
            lines.append(f"            db[{l}] = (1/m) Σ_columns dZ[{l}]   {_shape(n, 1)}")
            if l > 1:
                lines.append(f"            dA[{l - 1}] = W[{l}]ᵀ dZ[{l}]   {_shape(n_prev, 'm')}")
            else:
                lines.append("            (no dA[0]: the inputs X are not trained)")
            n_prev = n
        elif isinstance(layer, BatchNorm):
            lines.append(
                f"  batch norm on layer {l}: Ẑ = (Z − μ) / √(σ² + ε), A = γ ⊙ Ẑ + β, with μ, σ² "
                f"over the m columns; γ[{l}], β[{l}] {_shape(layer.n_in, 1)}"
            )
        elif isinstance(layer, Activation):
            lines.append(f"  activation: A = {layer.activation}(Z)")
        elif isinstance(layer, Dropout):
            lines.append(
                f"  dropout: A = A ⊙ D / (1 − {layer.rate:g}) in training, D a random 0/1 mask"
            )
        lines.append("")
    params = sum(p.size for p in network.parameters())
    lines.append(
        f"total: {params:,} parameters; {total_flops:,} FLOPs per example forward, about "
        f"{3 * total_flops:,} per example for a training step (forward and backward)"
    )
    lines.append("update: W[l] ← W[l] − α dW[l], b[l] ← b[l] − α db[l] (or the optimizer's rule)")
    return lines


def training_step_graph(network: Network, m: int = 4) -> Any:
    """The cost ``J`` of one training step on ``m`` random examples, its graph recorded."""
    rng = xp.random.default_rng(0)
    X = rng.standard_normal((network.n_features, m)).astype(network.dtype)
    loss = losses.get_loss(None, network.output_activation)
    n_out = network.n_outputs
    if network.output_activation == "softmax":
        Y = xp.eye(n_out)[:, rng.integers(0, n_out, size=m)]
    else:
        Y = rng.integers(0, 2, size=(n_out, m)).astype(float)
    network.named_parameters()  # names the parameters W[1], b[1], … for the drawing
    network.train()
    output = network.logits(X) if loss.takes_logits else network.forward(X)
    return loss(output, Y)
