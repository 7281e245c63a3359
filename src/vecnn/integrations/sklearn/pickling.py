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
    config = network.config()  # the layers, the task fit learned (or null), θ
    return {
        "config": config,
        "arrays": network.copy_weights(),
        "task": config["task"],  # also in the config; kept for the pickles' readers before
        "classes": network.classes_,  # the array itself: its dtype, which JSON would lose
        "rng": network.rng,
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "history": getattr(network, "history_", None),
    }


def thaw_network(frozen: dict[str, Any]) -> Network:
    """The network ``freeze_network`` made plain data of: built by ``Network.from_config``,
    as a model file is loaded (layers, task, θ), with its classes as they were."""
    network = Network.from_config({**frozen["config"], "classes": None})
    network.classes_ = frozen["classes"]
    network.load_state_dict(frozen["arrays"])
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
