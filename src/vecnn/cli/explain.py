"""``vecnn explain`` (the equations with the model's shapes) and ``vecnn gradcheck``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

from vecnn import io as model_io
from vecnn import losses
from vecnn.autodiff.gradcheck import grad_check
from vecnn.autodiff.graph import draw
from vecnn.autodiff.tensor import Tensor
from vecnn.backend.host import Array, xp
from vecnn.cli.common import UsageError, check_network_size
from vecnn.cli.train import parse_layers
from vecnn.equations import DERIVATIVES, equations, training_step_graph
from vecnn.losses import Loss
from vecnn.train.network import Network

__all__ = ["DERIVATIVES", "equations", "explain", "gradcheck", "training_step_graph"]


def explain(model_path: str, graph: str | None) -> int:
    network = model_io.load(model_path)
    print(f"{Path(model_path).name}: examples are columns, A[0] = X is ({network.n_features}×m)\n")
    print("\n".join(equations(network)))
    if graph is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = draw(training_step_graph(network), graph, write=model_io.write_output)
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
        # float32 weights, their float64 copy and gradients; 5 examples
        check_network_size(sizes, 5, 8, 4)
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


def _bind(network: Network, loss: Loss, X: Array, Y: Array) -> Callable[..., Tensor]:
    """``f(*params)``: the cost with the network's parameters replaced by ``params``."""
    slots = []
    for layer in network.layers:
        for key in layer.params:
            slots.append((layer, key))

    def cost(*params: Tensor) -> Tensor:
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
