"""Layers: shapes in the notation, initializers, dropout, batch norm, and their gradients."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Tensor
from vecnn.nn import ACTIVATIONS, Activation, BatchNorm, Dense, Dropout, Sequential, init


def test_dense_shapes_follow_the_notation():
    layer = Dense(5, 3, activation="tanh", seed=0)
    assert layer.W.shape == (3, 5) and layer.b.shape == (3, 1)
    assert layer.W.requires_grad and layer.b.requires_grad
    assert layer.W.dtype == np.float32
    np.testing.assert_array_equal(layer.b.data, 0)
    A = layer(np.ones((5, 7)))
    assert A.shape == (3, 7)


@pytest.mark.parametrize(
    ("activation", "expected_var"),
    [("relu", 2 / 400), ("leaky_relu", 2 / 400), ("tanh", 2 / 600), ("sigmoid", 2 / 600)],
)
def test_auto_init_is_he_for_relu_and_xavier_otherwise(activation, expected_var):
    W = Dense(400, 200, activation=activation, seed=1, dtype="float64").W.data
    assert W.var() == pytest.approx(expected_var, rel=0.05)
    assert abs(W.mean()) < 0.01


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_initializers_by_name(name):
    W = Dense(50, 40, init=name, seed=0).W.data
    if name == "zeros":
        assert not W.any()
    else:
        assert W.std() > 0


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="he_normal"):
        Dense(2, 2, init="lecun")
    with pytest.raises(ValueError, match="relu"):
        Dense(2, 2, activation="swish")
    with pytest.raises(ValueError, match="positive integer"):
        Dense(0, 2)


def test_same_seed_gives_bit_identical_weights_and_leaves_global_state_alone():
    state = np.random.get_state()[1].copy()
    a = Sequential.from_sizes([4, 8, 3], seed=7)
    b = Sequential.from_sizes([4, 8, 3], seed=7)
    c = Sequential.from_sizes([4, 8, 3], seed=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dropout_is_inverted_and_off_in_inference():
    layer = Dropout(0.25, seed=0)
    A = Tensor(np.ones((200, 500)))
    out = layer(A).data
    kept = out != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    layer.eval()
    assert layer(A) is A
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)


def test_dropout_gradient_flows_through_the_kept_units_only():
    layer = Dropout(0.5, seed=3)
    A = Tensor(np.ones((4, 6)), requires_grad=True)
    out = layer(A)
    out.sum().backward()
    np.testing.assert_array_equal(A.grad, out.data)  # d(sum A ⊙ D/(1−p))/dA = D/(1−p)


def test_batchnorm_normalizes_each_unit_across_the_columns():
    rng = np.random.default_rng(0)
    layer = BatchNorm(3, dtype="float64")
    Z = rng.normal(loc=[[5.0], [-2.0], [0.0]], scale=[[3.0], [0.5], [1.0]], size=(3, 400))
    out = layer(Tensor(Z)).data
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1, rtol=1e-4)
    # running statistics moved 10 % of the way from (0, 1) to the batch's (unbiased variance)
    np.testing.assert_allclose(layer.buffer_arrays["running_mean"], 0.1 * Z.mean(1, keepdims=True))
    expected_var = 0.9 + 0.1 * Z.var(1, ddof=1, keepdims=True)
    np.testing.assert_allclose(layer.buffer_arrays["running_var"], expected_var)


def test_batchnorm_in_inference_uses_running_statistics():
    layer = BatchNorm(2, dtype="float64")
    layer.buffer_arrays["running_mean"][:] = [[1.0], [2.0]]
    layer.buffer_arrays["running_var"][:] = [[4.0], [9.0]]
    layer.eval()
    x = np.array([[3.0], [8.0]])  # a single example works in inference
    out = layer(Tensor(x)).data
    np.testing.assert_allclose(out, [[2 / np.sqrt(4 + 1e-5)], [6 / np.sqrt(9 + 1e-5)]])
    layer.train()
    with pytest.raises(ValueError, match="at least 2 examples"):
        layer(Tensor(x))


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_match_finite_differences(training):
    rng = np.random.default_rng(5)
    Z = Tensor(rng.normal(size=(3, 6)), requires_grad=True)
    gamma = Tensor(rng.normal(size=(3, 1)), requires_grad=True)
    beta = Tensor(rng.normal(size=(3, 1)), requires_grad=True)
    weights = rng.normal(size=(3, 6))

    def f(Z, gamma, beta):
        mean, var = np.zeros((3, 1)) + 0.3, np.ones((3, 1)) * 2.0
        out = vecnn.ops.batch_norm(Z, gamma, beta, mean, var, training=training)
        return (out * weights).sum()

    assert vecnn.grad_check(f, Z, gamma, beta) < 1e-7


def test_batchnorm_equals_its_elementary_composition():
    rng = np.random.default_rng(6)
    Z_data, gamma_data = rng.normal(size=(4, 5)), rng.normal(size=(4, 1))
    fused_Z = Tensor(Z_data, requires_grad=True)
    plain_Z = Tensor(Z_data, requires_grad=True)
    gamma, beta = Tensor(gamma_data), Tensor(np.zeros((4, 1)))
    fused = vecnn.ops.batch_norm(fused_Z, gamma, beta, np.zeros((4, 1)), np.ones((4, 1)))
    mu = plain_Z.mean(axis=1, keepdims=True)
    var = ((plain_Z - mu) ** 2).mean(axis=1, keepdims=True)
    plain = (plain_Z - mu) / (var + 1e-5).sqrt() * gamma + beta
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-12)
    (fused * Z_data).sum().backward()
    (plain * Z_data).sum().backward()
    np.testing.assert_allclose(fused_Z.grad, plain_Z.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_dense_layer_gradients_for_every_activation(activation):
    rng = np.random.default_rng(2)
    layer = Dense(4, 3, activation=activation, seed=0, dtype="float64")
    X = rng.normal(size=(4, 5))
    weights = rng.normal(size=(3, 5))

    def f(W, b):
        layer.params["W"], layer.params["b"] = W, b
        return (layer(X) * weights).sum()

    assert vecnn.grad_check(f, layer.W, layer.b) < 1e-7


def test_activation_layer_applies_its_function():
    Z = Tensor(np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(Activation("relu")(Z).data, [[0.0, 2.0]])
    np.testing.assert_allclose(Activation("softmax")(Z).data.sum(axis=0), 1.0)
