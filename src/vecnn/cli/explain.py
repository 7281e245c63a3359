"""``vecnn explain`` (the equations with the model's shapes) and ``vecnn gradcheck``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn import losses
from vecnn.autodiff.gradcheck import grad_check
from vecnn.backend import xp
from vecnn.cli.common import UsageError
from vecnn.cli.train import parse_layers
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


def explain(model_path: str, graph: str | None) -> int:
    network = model_io.load(model_path)
    print(f"{Path(model_path).name}: examples are columns, A[0] = X is ({network.n_features}×m)\n")
    print("\n".join(equations(network)))
    if graph is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = training_step_graph(network).draw(graph)
        print(f"\ngraph of one training step written to {written}")
        for warning in caught:
            print(f"note: {warning.message}")
    return 0


def gradcheck(model_path: str | None, layers: str | None, seed: int = 0) -> int:
    """Compare each parameter's gradient with finite differences, in float64."""
    if model_path is not None:
        source = model_io.load(model_path)
        config = source.config()
        state = source.state_dict()
    else:
        sizes = parse_layers(layers or "")
        if len(sizes) < 2:
            raise UsageError(f"--layers needs at least two sizes, e.g. 4,8,3; got {layers!r}")
        source = Network.from_sizes(
            sizes, output="softmax" if sizes[-1] > 1 else "sigmoid", seed=seed
        )
        config, state = source.config(), source.state_dict()
    for entry in config["layers"]:
        if "dtype" in entry["config"]:
            entry["config"]["dtype"] = "float64"
    network = Network.from_config(config)
    network.load_state_dict({k: v.astype(xp.float64) for k, v in state.items()})
    network.eval()  # no dropout noise: the cost must be a function of the weights alone
    rng = xp.random.default_rng(seed)
    m = 5
    X = rng.standard_normal((network.n_features, m))
    loss = losses.get_loss(None, network.output_activation)
    n_out = network.n_outputs
    if loss.name == "categorical_cross_entropy":
        Y = xp.eye(n_out)[:, rng.integers(0, n_out, size=m)]
    elif loss.name == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n_out, m)).astype(float)
    else:
        Y = rng.standard_normal((n_out, m))
    named = network.named_parameters()
    names, tensors = list(named), list(named.values())

    checks = grad_check(_bind(network, loss, X, Y), *tensors, report=True)
    worst = 0.0
    print(f"{'parameter':<12} {'shape':<12} relative error")
    for name, check in zip(names, checks, strict=True):
        worst = max(worst, check.relative_error)
        mark = "ok" if check.relative_error < 1e-6 else "MISMATCH"
        shape = "×".join(str(n) for n in check.shape)
        print(f"{name:<12} {shape:<12} {check.relative_error:.2e}  {mark}")
    print(f"largest relative error {worst:.2e} (float64, central differences, eps 1e-6)")
    return 0 if worst < 1e-6 else 1


def _bind(network: Network, loss: Any, X: Any, Y: Any) -> Any:
    """``f(*params)``: the cost with the network's parameters replaced by ``params``."""
    slots = []
    for layer in network.layers:
        for key in layer.params:
            slots.append((layer, key))

    def cost(*params: Any) -> Any:
        originals = [layer.params[key] for layer, key in slots]
        for (layer, key), tensor in zip(slots, params, strict=True):
            layer.params[key] = tensor
        try:
            output = network.logits(X) if loss.takes_logits else network.forward(X)
            return loss(output, Y)
        finally:
            for (layer, key), tensor in zip(slots, originals, strict=True):
                layer.params[key] = tensor

    return cost
