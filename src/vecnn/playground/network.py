"""The network and the training data of one playground run, built from its ``Settings``.

The exported script builds them with the same calls, so both give the same weights.
"""

from __future__ import annotations

import itertools
from typing import Any

from vecnn.backend.host import Array, xp
from vecnn.nn import Dense, Dropout
from vecnn.playground.datasets import Split
from vecnn.playground.validation import RequestError, Settings
from vecnn.train.network import Network

OUTPUT_ACTIVATION = {"sigmoid": "sigmoid", "ovr": "sigmoid", "softmax": "softmax"}


def n_outputs(settings: Settings, K: int) -> int:
    """``n[L]``: one sigmoid unit for two classes, else one unit per class."""
    if settings.head == "sigmoid":
        if K != 2:
            raise RequestError(
                f"one sigmoid unit separates two classes; this data has K = {K}: choose the "
                "head 'K one-vs-rest logistic units' or 'softmax'"
            )
        return 1
    return K


def build_network(settings: Settings, K: int) -> Network:
    """Dense layers ``2 → hidden… → n[L]``, dropout after each hidden layer when asked."""
    rng = xp.random.default_rng(settings.seed)
    layers: list[Any] = []
    sizes = [2, *settings.hidden]
    for n_in, n_out in itertools.pairwise(sizes):
        layers.append(Dense(n_in, n_out, activation=settings.activation, seed=rng))
        if settings.dropout:
            layers.append(Dropout(settings.dropout))
    output = OUTPUT_ACTIVATION[settings.head]
    layers.append(Dense(sizes[-1], n_outputs(settings, K), activation=output, seed=rng))
    return Network(layers, seed=rng)


def loss_name(settings: Settings) -> str | None:
    """The ``loss`` given to ``fit``: None picks the cross-entropy that goes with the head."""
    return "mse" if settings.loss == "mse" else None


def targets(settings: Settings, y: Array, K: int) -> Array:
    """What ``fit`` gets as ``Y``: the labels (cross-entropy), or the 0/1 matrix (n[L], m)
    that the mean squared error compares ``A[L]`` with."""
    if settings.loss != "mse":
        return y
    if settings.head == "sigmoid":
        return y.reshape(1, -1).astype(xp.float64)
    one_hot = xp.zeros((K, y.shape[0]))
    one_hot[y, xp.arange(y.shape[0])] = 1.0
    return one_hot


def target_matrix(network: Network, y: Array) -> Array:
    """``Y (n[L], m)``: the labels as the output layer's 0/1 targets."""
    K = network.n_outputs
    if K == 1:
        return y.reshape(1, -1).astype(network.dtype)
    one_hot = xp.zeros((K, y.shape[0]), dtype=network.dtype)
    one_hot[y, xp.arange(y.shape[0])] = 1
    return one_hot


def fit_arguments(settings: Settings, data: Split) -> dict[str, Any]:
    """The keyword arguments of ``network.fit`` for this run (the data apart)."""
    K = len(data.classes)
    arguments: dict[str, Any] = {
        "loss": loss_name(settings),
        "optimizer": settings.optimizer,
        "lr": settings.lr,
        "batch_size": settings.batch_size,
        "l2": settings.l2,
        "verbose": 0,
    }
    if settings.loss != "mse":
        arguments["classes"] = list(range(K))
    if data.y_val.shape[0]:
        arguments["validation_data"] = (data.X_val, targets(settings, data.y_val, K))
    return arguments
