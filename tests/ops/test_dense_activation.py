"""``dense_activation``: ``A = g(W A_prev + b)`` as one node, the numbers of two nodes.

The finite-difference checks are in test_gradients.py; here the fused node is held to the
two-node graph ``g(dense(W, A_prev, b))`` bit for bit (the same element-wise functions on
the same arrays), to the contract of a ``Function`` (``dout`` untouched, one saved
``(n[l], m)`` array, a second backward with ``retain_graph``), and to the layer that uses it.
"""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Tensor, ops
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.nn.activation import ACTIVATIONS
from vecnn.ops.fused import DENSE_ACTIVATIONS

FUSED = sorted(DENSE_ACTIVATIONS)


def _draw(dtype, n=5, n_prev=4, m=7, seed=0):
    rng = np.random.default_rng(seed)
    W, A_prev, b, dA = (
        rng.standard_normal(shape).astype(dtype)
        for shape in ((n, n_prev), (n_prev, m), (n, 1), (n, m))
    )
    return W, A_prev, b, dA


def _forward_backward(g, fused, W, A_prev, b, dA):
    """``A`` and ``(dW, dA_prev, db)`` of one node or of ``dense`` then ``g``."""
    tensors = [Tensor(x, requires_grad=True) for x in (W, A_prev, b)]
    if fused:
        A = ops.dense_activation(*tensors, activation=g)
    else:
        A = ACTIVATIONS[g](ops.dense(*tensors))
    A.backward(dA)
    return A, [t.grad for t in tensors]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("g", FUSED)
def test_the_same_bits_as_dense_then_the_activation(g, dtype):
    arrays = _draw(dtype)
    A_two, grads_two = _forward_backward(g, False, *arrays)
    A_one, grads_one = _forward_backward(g, True, *arrays)
    assert A_one.op == f"dense+{g}" and A_one.dtype == dtype
    np.testing.assert_array_equal(A_one.data, A_two.data, strict=True)
    for one, two in zip(grads_one, grads_two, strict=True):
        np.testing.assert_array_equal(one, two, strict=True)


@pytest.mark.parametrize("g", FUSED)
def test_non_finite_pre_activations_give_the_same_bits_too(g):
    """``g′`` is read off ``A``: at ±∞ and NaN it must still be the derivative at ``Z``."""
    W, A_prev, b, dA = _draw(np.float64)
    b[:4, 0] = [np.inf, -np.inf, np.nan, 0.0]  # rows of Z: +∞, −∞, NaN, finite
    with np.errstate(invalid="ignore"):
        A_two, grads_two = _forward_backward(g, False, W, A_prev, b, dA)
        A_one, grads_one = _forward_backward(g, True, W, A_prev, b, dA)
    np.testing.assert_array_equal(A_one.data, A_two.data)  # NaN where NaN
    for one, two in zip(grads_one, grads_two, strict=True):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("g", FUSED)
def test_backward_leaves_dout_alone_and_runs_twice_with_retain_graph(g):
    W, A_prev, b, dA = _draw(np.float64)
    tensors = [Tensor(x, requires_grad=True) for x in (W, A_prev, b)]
    A = ops.dense_activation(*tensors, activation=g)
    seed = dA.copy()
    A.backward(seed, retain_graph=True)
    first = [t.grad.copy() for t in tensors]
    A.backward(seed)
    np.testing.assert_array_equal(seed, dA)
    for t, once in zip(tensors, first, strict=True):
        np.testing.assert_allclose(t.grad, 2 * once, rtol=1e-15)


def test_the_node_keeps_one_array_of_the_layers_shape():
    """``A`` is written over ``Z``: the node saves ``A`` (its result) and nothing else
    ``(n[l], m)``, where ``dense`` then ``relu`` keep ``Z`` and ``A``."""
    W, A_prev, b, _ = _draw(np.float64)
    A = ops.dense_activation(Tensor(W, requires_grad=True), A_prev, b, activation="relu")
    saved = [
        value
        for value in vars(A._fn).values()
        if isinstance(value, np.ndarray) and value.shape == A.shape
    ]
    assert len(saved) == 1 and saved[0] is A.data


def test_without_a_graph_it_computes_the_same_activation():
    W, A_prev, b, _ = _draw(np.float32)
    with vecnn.no_grad():
        A = ops.dense_activation(W, A_prev, b, activation="tanh")
    assert A._fn is None
    np.testing.assert_array_equal(A.data, np.tanh(W @ A_prev + b))


def test_unknown_activations_and_negative_slopes_are_refused():
    W, A_prev, b, _ = _draw(np.float64)
    with pytest.raises(ValueError, match=r"softmax.*choose one of: relu"):
        ops.dense_activation(W, A_prev, b, activation="softmax")
    with pytest.raises(ValueError, match="alpha must be non-negative"):
        ops.dense_activation(W, A_prev, b, activation="leaky_relu", alpha=-0.1)


# ------------------------------------------------------------------- the dense layer
@pytest.mark.parametrize("g", [*FUSED, "linear", "softmax"])
def test_a_dense_layer_is_one_node_when_its_activation_fuses(g):
    layer = Dense(4, 3, activation=g, seed=0, dtype="float64")
    X = np.random.default_rng(1).standard_normal((4, 6))
    A = layer(Tensor(X, requires_grad=True))
    expected = ACTIVATIONS[g](ops.dense(layer.W, X, layer.b))
    np.testing.assert_array_equal(A.data, expected.data)
    if g in DENSE_ACTIVATIONS:
        assert A.op == f"dense+{g}"
    else:  # linear is dense alone; softmax (a Jacobian for g′) is its own node
        assert A.op == ("dense" if g == "linear" else "softmax")
    assert layer.logits(X).op == "dense"


def _two_node_gradients(network, X, Y):
    """The gradients of the same cost with every hidden layer as ``dense`` then ``g``."""
    A = Tensor(X)
    params = []
    for layer in network.layers[:-1]:
        W, b = Tensor(layer.W.data, requires_grad=True), Tensor(layer.b.data, requires_grad=True)
        A = ACTIVATIONS[layer.activation](ops.dense(W, A, b))
        params += [W, b]
    last = network.layers[-1]
    W, b = Tensor(last.W.data, requires_grad=True), Tensor(last.b.data, requires_grad=True)
    ops.softmax_cross_entropy_with_logits(ops.dense(W, A, b), Y).backward()
    return [p.grad for p in (*params, W, b)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_network_step_gives_the_two_node_gradients_in_its_flat_buffer(dtype):
    network = vecnn.Network(
        [
            Dense(6, 8, activation="tanh", seed=1, dtype=dtype),
            Dense(8, 5, activation="relu", seed=2, dtype=dtype),
            Dense(5, 3, activation="softmax", seed=3, dtype=dtype),
        ]
    )
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 9)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[:, rng.integers(0, 3, size=9)]
    expected = _two_node_gradients(network, X, Y)
    output = network.logits(X)
    assert [n for n in vecnn.graph.to_dot(output).split('"') if n.startswith("dense")] == [
        f"dense\\n3×9 {dtype}",
        f"dense+relu\\n5×9 {dtype}",
        f"dense+tanh\\n8×9 {dtype}",
    ]
    ops.softmax_cross_entropy_with_logits(output, Y).backward()
    got = [p.grad for layer in network.layers for p in (layer.W, layer.b)]
    for one, two in zip(got, expected, strict=True):
        np.testing.assert_array_equal(one, two, strict=True)
    assert network.layers[0].W.grad.base is not None  # written in the flat buffer's slot


def test_batch_norm_and_dropout_between_dense_layers_keep_their_own_nodes():
    network = vecnn.Network(
        [
            Dense(4, 6, seed=0, dtype="float64"),
            BatchNorm(6, dtype="float64"),
            Activation("relu"),
            Dense(6, 5, activation="tanh", seed=1, dtype="float64"),
            Dropout(0.5, seed=2),
            Dense(5, 1, activation="sigmoid", seed=3, dtype="float64"),
        ]
    )
    X = np.random.default_rng(3).standard_normal((4, 8))
    Y = (X[:1] > 0).astype(float)
    network.train()
    dot = vecnn.graph.to_dot(ops.binary_cross_entropy_with_logits(network.logits(X), Y))
    for op in ("dense\\n6×8", "batch_norm", "relu", "dense+tanh", "mul", "dense\\n1×8"):
        assert op in dot

    def cost():
        return ops.binary_cross_entropy_with_logits(network.logits(X), Y)

    network.eval()  # dropout off and batch norm's running statistics: a fixed function
    cost().backward()
    for param in network.parameters():  # central differences, entry by entry
        numeric = np.zeros_like(param.data)
        for k in np.ndindex(param.shape):
            values = []
            for step in (1e-6, -1e-6):
                param.data[k] += step
                with vecnn.no_grad():
                    values.append(cost().item())
                param.data[k] -= step
            numeric[k] = (values[0] - values[1]) / 2e-6
        np.testing.assert_allclose(param.grad, numeric, rtol=1e-6, atol=1e-9)
