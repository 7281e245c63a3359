"""The equations of a network with its shapes, and the graph of one training step.

``vecnn explain`` prints ``equations(network)`` and draws ``training_step_graph(network)``;
the playground shows the same lines and graph for the network it trains.
"""

from __future__ import annotations

from vecnn import losses
from vecnn.autodiff.tensor import Tensor
from vecnn.backend.host import xp
from vecnn.nn.activation import DERIVATIVES
from vecnn.train.network import Network

__all__ = ["DERIVATIVES", "equations", "training_step_graph"]


def equations(network: Network) -> list[str]:
    """The forward and backward equations of every layer, with the network's shapes: each
    layer writes its own (``Layer.equations``); then the totals and the update."""
    lines: list[str] = []
    n_prev = network.n_features
    loss = losses.get_loss(None, network.output_activation).name
    last = network.layers[-1]
    total_flops = 0
    for l, layer in network.numbered_layers():
        lines += layer.equations(l, n_prev, loss if layer is last else None)
        lines.append("")
        total_flops += layer.flops(n_prev)
        n_prev = layer.n_out if layer.n_out is not None else n_prev
    params = sum(p.size for p in network.parameters())
    lines.append(
        f"total: {params:,} parameters; {total_flops:,} FLOPs per example forward, about "
        f"{3 * total_flops:,} per example for a training step (forward and backward)"
    )
    lines.append("update: W[l] ← W[l] − α dW[l], b[l] ← b[l] − α db[l] (or the optimizer's rule)")
    return lines


def training_step_graph(network: Network, m: int = 4) -> Tensor:
    """The cost ``J`` of one training step on ``m`` random examples, its graph recorded."""
    rng = xp.random.default_rng(0)
    X = rng.standard_normal((network.n_features, m)).astype(network.dtype)
    loss = losses.get_loss(None, network.output_activation)
    n_out = network.n_outputs
    if network.output_activation == "softmax":
        Y = xp.eye(n_out)[:, rng.integers(0, n_out, size=m)]
    else:
        Y = rng.integers(0, 2, size=(n_out, m)).astype(float)
    network.train()
    output = network.logits(X) if loss.takes_logits else network.forward(X)
    return loss(output, Y)
