"""The computations the backends must agree on, run under whatever ``VECNN_BACKEND`` says.

``python tests/backend/conformance.py OUT.npz`` writes every result as a NumPy array:
each operation's forward and backward, the final weights (and histories) of ``fit`` on
the bundled digits for each layer kind, head, optimizer and dtype, and what ``predict``,
``evaluate``, ``save`` and ``load`` give on that backend. ``test_conformance.py`` runs it
under NumPy and under array-api-strict's ``device1`` and compares bitwise;
``benchmarks/gpu.py`` runs it under CuPy and compares within a tolerance.
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

import vecnn
from vecnn import backend, ops
from vecnn.autodiff import Tensor
from vecnn.datasets import load_digits
from vecnn.nn import BatchNorm, Dense, Dropout

DTYPES = ("float32", "float64")
OPTIMIZERS = {
    "sgd": ("sgd", {}),
    "momentum": (vecnn.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "rmsprop": ("rmsprop", {}),
    "adam": ("adam", {}),
    "adamw": (vecnn.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
}


def _operations(rng: np.random.Generator) -> dict[str, tuple]:
    """Each op with its operands (host arrays; positive where the op needs it)."""
    a, b = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    positive = rng.uniform(0.5, 2.0, (4, 6))
    Y = np.eye(4)[:, rng.integers(0, 4, 6)]
    running = (np.zeros((4, 1)), np.ones((4, 1)))  # updated in place: fresh per run
    return {
        "add": (ops.add, a, rng.standard_normal((4, 1))),
        "sub": (ops.sub, a, b),
        "mul": (ops.mul, a, b),
        "div": (ops.div, a, positive),
        "neg": (ops.neg, a),
        "pow": (lambda x: ops.pow(x, 3.0), a),
        "matmul": (ops.matmul, a, rng.standard_normal((6, 3))),
        "exp": (ops.exp, a),
        "log": (ops.log, positive),
        "sqrt": (ops.sqrt, positive),
        "relu": (ops.relu, a),
        "leaky_relu": (lambda x: ops.leaky_relu(x, 0.1), a),
        "sigmoid": (ops.sigmoid, a * 10),
        "tanh": (ops.tanh, a),
        "cast": (lambda x: ops.cast(x, "float32"), a),
        "sum": (lambda x: ops.sum(x, axis=1, keepdims=False), a),
        "mean": (lambda x: ops.mean(x, axis=0), a),
        "max": (lambda x: ops.max(x, axis=1), np.round(a)),
        "reshape": (lambda x: ops.reshape(x, (3, 8)), a),
        "transpose": (ops.transpose, a),
        "getitem": (lambda x: ops.getitem(x, (slice(1, 3), slice(None, None, 2))), a),
        "softmax": (ops.softmax, a),
        "log_softmax": (ops.log_softmax, a),
        "dense": (ops.dense, a, rng.standard_normal((6, 5)), rng.standard_normal((4, 1))),
        **{
            f"dense_{g}": (
                partial(ops.dense_activation, activation=g),
                a,
                rng.standard_normal((6, 5)),
                rng.standard_normal((4, 1)),
            )
            for g in ("relu", "leaky_relu", "sigmoid", "tanh")
        },
        "bce": (ops.binary_cross_entropy_with_logits, a * 5, (b > 0).astype(float)),
        "softmax_ce": (ops.softmax_cross_entropy_with_logits, a, Y),
        "mse": (ops.mean_squared_error, a, b),
        "batch_norm": (
            lambda z, g, be: ops.batch_norm(
                z, g, be, *(backend.to_device(r.copy()) for r in running)
            ),
            a,
            rng.uniform(0.5, 1.5, (4, 1)),
            rng.standard_normal((4, 1)),
        ),
    }


def operations(results: dict[str, np.ndarray]) -> None:
    """Forward and backward of every op, in float64, seeded with a random upstream gradient."""
    rng = np.random.default_rng(0)
    for name, (op, *operands) in _operations(rng).items():
        if name.startswith("dense"):  # W (n, k) @ A (k, m) + b: operands drawn as (A, W, b)
            operands = [operands[1].T, operands[0].T, rng.standard_normal((5, 1))]
        tensors = [Tensor(x, requires_grad=True) for x in operands]
        out = op(*tensors)
        upstream = rng.standard_normal(out.shape)
        out.backward(upstream if out.shape else None)
        results[f"op.{name}.out"] = out.numpy()
        for k, t in enumerate(tensors):
            results[f"op.{name}.grad{k}"] = Tensor(t.grad).numpy()


def _digits(n: int = 360) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits()
    return X[:, :n] / 16.0, y[:n]


def _network(head: str, dtype: str, seed: int) -> vecnn.Network:
    units = 10 if head == "softmax" else 1
    return vecnn.Network(
        [
            Dense(64, 24, activation="relu", dtype=dtype),
            BatchNorm(24, dtype=dtype),
            Dropout(0.2),
            Dense(24, 16, activation="tanh", dtype=dtype),
            Dense(16, units, activation=head, dtype=dtype),
        ],
        seed=seed,
    )


def fits(results: dict[str, np.ndarray]) -> None:
    """``fit`` for each optimizer, head and dtype; then predict, evaluate, save and load."""
    X, y = _digits()
    for dtype in DTYPES:
        for head in ("softmax", "sigmoid"):
            labels = y if head == "softmax" else (y >= 5).astype(int)
            for name, (optimizer, options) in OPTIMIZERS.items():
                network = _network(head, dtype, seed=1)
                if not isinstance(optimizer, str):
                    optimizer = optimizer(network.parameters(), **options)
                history = network.fit(
                    X,
                    labels,
                    optimizer=optimizer,
                    lr=0.05,
                    epochs=2,
                    batch_size=64,
                    l2=0.01,
                    validation_split=0.2,
                    verbose=0,
                )
                key = f"fit.{dtype}.{head}.{name}"
                for param, array in network.state_dict().items():
                    results[f"{key}.{param}"] = np.array(array)
                for log, values in history.history.items():
                    if log != "time":
                        results[f"{key}.history.{log}"] = np.array(values)
            results[f"{key}.predict"] = np.asarray(network.predict(X))
            results[f"{key}.predict_proba"] = network.predict_proba(X)
            scores = network.evaluate(X, labels)
            results[f"{key}.evaluate"] = np.array([scores[k] for k in sorted(scores)])
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "model.vecnn"
                vecnn.io.save(network, path)
                loaded = vecnn.io.load(path)
            results[f"{key}.loaded.predict_proba"] = loaded.predict_proba(X)


def main(out: str) -> None:
    results: dict[str, np.ndarray] = {}
    operations(results)
    fits(results)
    for key, value in results.items():
        assert isinstance(value, np.ndarray), f"{key} came back as {type(value).__name__}"
    np.savez(out, backend=np.array(backend.name), **results)


if __name__ == "__main__":
    main(sys.argv[1])
