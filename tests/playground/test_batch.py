"""The recorded ``A[l]`` and ``dZ[l]`` against the equations, written out in NumPy.

A hidden dense layer is one ``dense+g`` node, so ``dZ[l]`` of a hidden layer is not a
node's gradient: the recorder forms ``dA[l] ⊙ g′`` with the node's derivative.
"""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn.losses import get_loss
from vecnn.nn import Dense
from vecnn.playground.batch import BatchRecorder


@pytest.mark.parametrize(("hidden", "output"), [("relu", "sigmoid"), ("tanh", "linear")])
def test_recorded_A_and_dZ_are_the_equations(hidden, output):
    rng = np.random.default_rng(0)
    layers = [
        Dense(2, 5, activation=hidden, seed=1, dtype="float64"),
        Dense(5, 4, activation="leaky_relu", seed=2, dtype="float64"),
        Dense(4, 1, activation=output, seed=3, dtype="float64"),
    ]
    network = vecnn.Network(layers)
    X = rng.standard_normal((2, 6))
    Y = (X[:1] * X[1:] > 0).astype(float)
    W = [layer.W.data.copy() for layer in layers]
    b = [layer.b.data.copy() for layer in layers]

    recorder = BatchRecorder(output, columns=4)
    loss = recorder.wrap(get_loss(None, output))
    out = network.logits(X) if loss.takes_logits else network.forward(X)
    loss(out, Y).backward()
    recorded = recorder.matrices()

    # the equations: forward, then dZ[L] of the loss, then dZ[l] = (W[l+1]ᵀ dZ[l+1]) ⊙ g′(Z[l])
    derivative = {
        "relu": lambda Z: (Z > 0).astype(float),
        "tanh": lambda Z: 1 - np.tanh(Z) ** 2,
        "leaky_relu": lambda Z: np.where(Z > 0, 1.0, 0.01),
    }
    g = {
        "relu": lambda Z: np.maximum(Z, 0),
        "tanh": np.tanh,
        "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
        "sigmoid": lambda Z: 1 / (1 + np.exp(-Z)),
        "linear": lambda Z: Z,
    }
    A, Zs, As = X, [], []
    for W_l, b_l, layer in zip(W, b, layers, strict=True):
        Zs.append(W_l @ A + b_l)
        A = g[layer.activation](Zs[-1])
        As.append(A)
    m = X.shape[1]
    # m ∂J/∂Z[L]: A − Y for sigmoid with the cross-entropy, 2(A − Y) for the squared error
    dZ = As[-1] - Y if output == "sigmoid" else 2 * (As[-1] - Y)
    dZs = [dZ]
    for l in (1, 0):
        dZ = (W[l + 1].T @ dZ) * derivative[layers[l].activation](Zs[l])
        dZs.insert(0, dZ)

    assert len(recorded) == 3 and recorder.m == m
    for (A_rec, dZ_rec), A_l, dZ_l in zip(recorded, As, dZs, strict=True):
        np.testing.assert_allclose(A_rec, A_l[:, :4], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(dZ_rec, dZ_l[:, :4], rtol=1e-10, atol=1e-14)
