"""The network and data the distributed tests train: the digits, Adam, dropout, batch norm."""

from __future__ import annotations

from typing import Any

import numpy as np

import vecnn
from vecnn.datasets import load_digits
from vecnn.nn import BatchNorm, Dense, Dropout


def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits()
    return X / 16, y


def network(dtype: str = "float64") -> vecnn.Network:
    """Dense → tanh → batch norm → dropout → softmax, every parameter with a real gradient.

    (A bias right before batch norm through a linear piece has a gradient of pure
    round-off, which Adam turns into steps of size lr: no two summation orders agree there.)
    """
    return vecnn.Network(
        [
            Dense(64, 32, activation="tanh", dtype=dtype),
            BatchNorm(32, dtype=dtype),
            Dropout(0.2),
            Dense(32, 10, activation="softmax", dtype=dtype),
        ],
        seed=0,
    )


def train(distributed: Any, dtype: str = "float64", epochs: int = 5, **options: Any) -> Any:
    """Fit ``network(dtype)`` on the digits; the network."""
    X, y = options.pop("data", None) or digits()
    net = network(dtype)
    settings = {"epochs": epochs, "batch_size": 32, "seed": 0, "verbose": 0, "lr": 1e-2}
    settings.update(options)
    net.fit(X, y, distributed=distributed, **settings)
    return net


def weights(net: vecnn.Network) -> list[np.ndarray]:
    return [p.data.copy() for p in net.parameters()]


def largest_difference(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(first, second, strict=True))
