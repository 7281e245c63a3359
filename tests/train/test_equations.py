"""The graph reproduces the design's closed-form backpropagation on a 3-layer network."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("head", ["sigmoid", "softmax"])
def test_three_layer_gradients_equal_the_textbook_equations(head):
    rng = np.random.default_rng(0)
    sizes = [5, 4, 3, 3]
    net = vecnn.Network.from_sizes(sizes, hidden="tanh", output=head, seed=1, dtype="float64")
    m = 7
    X = rng.normal(size=(sizes[0], m))
    Y = np.eye(3)[:, rng.integers(0, 3, size=m)]
    loss = vecnn.losses.get_loss(None, head)
    J = loss(net.logits(X), Y)
    J.backward()

    # Independent NumPy: forward, then dZ[L] = A[L] − Y, dW[l] = (1/m) dZ[l] A[l-1]ᵀ,
    # db[l] = (1/m) Σ_columns dZ[l], dA[l-1] = W[l]ᵀ dZ[l], dZ[l] = dA[l] ⊙ g′(Z[l]).
    Ws = [layer.W.data for layer in net.layers]
    bs = [layer.b.data for layer in net.layers]
    A, Zs, As = X, [], [X]
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        Z = W @ A + b
        if l < 3:
            A = np.tanh(Z)
        elif head == "sigmoid":
            A = _sigmoid(Z)
        else:
            A = np.exp(Z - Z.max(0)) / np.exp(Z - Z.max(0)).sum(0)
        Zs.append(Z)
        As.append(A)
    dZ = As[-1] - Y
    for l in range(3, 0, -1):
        dW = dZ @ As[l - 1].T / m
        db = dZ.sum(axis=1, keepdims=True) / m
        np.testing.assert_allclose(net.layers[l - 1].W.grad, dW, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(net.layers[l - 1].b.grad, db, rtol=1e-10, atol=1e-13)
        if l > 1:
            dA = Ws[l - 1].T @ dZ
            dZ = dA * (1 - np.tanh(Zs[l - 2]) ** 2)


@pytest.mark.parametrize(
    ("output", "loss", "targets"),
    [
        ("sigmoid", "binary_cross_entropy", "binary"),
        ("sigmoid", "binary_cross_entropy", "multilabel"),
        ("softmax", "categorical_cross_entropy", "onehot"),
        ("linear", "mse", "regression"),
        ("tanh", "mse", "regression"),
    ],
)
def test_every_head_and_loss_matches_finite_differences(output, loss, targets):
    rng = np.random.default_rng(3)
    n_out = 1 if targets == "binary" else 3
    net = vecnn.Network.from_sizes([4, 5, n_out], output=output, seed=0, dtype="float64")
    X = rng.normal(size=(4, 6))
    Y = {
        "binary": rng.integers(0, 2, size=(1, 6)).astype(float),
        "multilabel": rng.integers(0, 2, size=(3, 6)).astype(float),
        "onehot": np.eye(3)[:, rng.integers(0, 3, size=6)],
        "regression": rng.normal(size=(3, 6)),
    }[targets]
    loss_fn = vecnn.losses.get_loss(loss, output)
    params = net.parameters()

    def cost(*tensors):
        for layer, (W, b) in zip(
            net.layers, zip(tensors[::2], tensors[1::2], strict=True), strict=True
        ):
            layer.params["W"], layer.params["b"] = W, b
        out = net.logits(X) if loss_fn.takes_logits else net.forward(X)
        penalty = vecnn.losses.l2_penalty(tensors[::2], 0.7, 6)
        return loss_fn(out, Y) + penalty

    assert vecnn.grad_check(cost, *params) < 1e-7


def test_l2_penalty_adds_lambda_over_m_times_W_to_dW():
    W = vecnn.Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    vecnn.losses.l2_penalty([W], lam=0.4, m=8).backward()
    np.testing.assert_allclose(W.grad, 0.4 / 8 * W.data)
    assert vecnn.losses.l2_penalty([W], lam=0.0, m=8) is None
