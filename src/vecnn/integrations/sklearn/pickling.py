"""Pickling: the fitted network travels as plain data (config, arrays, generator, optimizer
state), and is rebuilt from it."""

from __future__ import annotations

from typing import Any

from vecnn.optim import SGD, Adam, AdamW, Optimizer, RMSProp
from vecnn.train import Network

_OPTIMIZER_TYPES: dict[str, type[Optimizer]] = {
    "SGD": SGD,
    "RMSProp": RMSProp,
    "Adam": Adam,
    "AdamW": AdamW,
}


def freeze_network(network: Network) -> dict[str, Any]:
    """The network as plain data: its config, a copy of its arrays, generator, optimizer.

    (Pickling the optimizer object itself would break the link between its flat buffers
    and the parameters' data, so it travels as its ``state_dict()``.)
    """
    optimizer = getattr(network, "optimizer_", None)
    return {
        "config": network.config(),
        "arrays": network.copy_weights(),
        "task": network._task,
        "classes": network.classes_,
        "rng": network.rng,
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "history": getattr(network, "history_", None),
    }


def thaw_network(frozen: dict[str, Any]) -> Network:
    network = Network(Network.layers_from_config(frozen["config"]))
    network.load_state_dict(frozen["arrays"])
    network._task, network.classes_ = frozen["task"], frozen["classes"]
    network.set_rng(frozen["rng"])
    network.eval()
    network.history_ = frozen["history"]
    network.optimizer_ = None
    state = frozen["optimizer"]
    if state is not None:
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in state["hyper"].items()}
        optimizer = _OPTIMIZER_TYPES[state["type"]](network.parameters(), **hyper)
        optimizer.load_state_dict(state)
        network.optimizer_ = optimizer
    return network
