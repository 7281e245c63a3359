"""The stack of layers: sizes, names in the notation, summary, shape errors, config, state."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import ShapeError, Tensor
from vecnn.nn import Activation, BatchNorm, Dense, Dropout, Sequential


def _mixed_stack(seed=0):
    return Sequential(
        [
            Dense(4, 6, seed=seed),
            BatchNorm(6),
            Activation("relu"),
            Dropout(0.5),
            Dense(6, 2, activation="softmax", seed=seed),
        ],
        seed=seed,
    )


def test_from_sizes_builds_the_notation():
    net = Sequential.from_sizes([3, 5, 4, 1], hidden="tanh", output="sigmoid")
    assert net.sizes == [3, 5, 4, 1] and net.n_features == 3 and net.n_outputs == 1
    assert [layer.activation for layer in net.layers] == ["tanh", "tanh", "sigmoid"]
    shapes = {name: p.shape for name, p in net.named_parameters().items()}
    assert shapes == {
        "W[1]": (5, 3),
        "b[1]": (5, 1),
        "W[2]": (4, 5),
        "b[2]": (4, 1),
        "W[3]": (1, 4),
        "b[3]": (1, 1),
    }
    assert net.forward(np.ones((3, 9))).shape == (1, 9)


def test_batchnorm_parameters_belong_to_the_dense_layer_before_them():
    names = list(_mixed_stack().state_dict())
    assert names == [
        "W[1]",
        "b[1]",
        "gamma[1]",
        "beta[1]",
        "W[2]",
        "b[2]",
        "running_mean[1]",
        "running_var[1]",
    ]


def test_summary_shows_shapes_activations_and_counts():
    net = Sequential.from_sizes([64, 64, 10], output="softmax")
    text = net.summary()
    for expected in ["(64, 64)", "(64, 1)", "(10, 64)", "(10, 1)", "(64, m)", "(10, m)"]:
        assert expected in text
    assert "relu" in text and "softmax" in text
    assert f"{64 * 64 + 64 + 10 * 64 + 10:,}" in text
    assert "examples are columns" in text and "transposed X fits too" in text
    assert repr(net) == text


def test_sizes_that_do_not_chain_are_refused():
    with pytest.raises(ShapeError, match="layer 2"):
        Sequential([Dense(3, 4), Dense(5, 1)])
    with pytest.raises(TypeError, match="not a vecnn layer"):
        Sequential([Dense(3, 4), "relu"])


def test_examples_given_as_rows_are_explained():
    net = Sequential.from_sizes([4, 3, 1])
    with pytest.raises(ShapeError, match=r"layer 1.*\(4, m\).*pass X.T"):
        net.forward(np.ones((10, 4)))
    with pytest.raises(ShapeError, match=r"n\[0\] = 4"):
        net.forward(np.ones((3, 10)))
    with pytest.raises(ShapeError, match="reshape"):
        net.forward(np.ones(4))


def test_logits_stop_before_the_output_activation():
    net = Sequential.from_sizes([3, 4, 2], output="softmax", dtype="float64")
    X = np.random.default_rng(0).normal(size=(3, 5))
    Z = net.logits(X).data
    A = net.forward(X).data
    np.testing.assert_allclose(A, np.exp(Z) / np.exp(Z).sum(axis=0), rtol=1e-12)


def test_train_and_eval_modes_reach_every_layer():
    net = _mixed_stack()
    net.eval()
    assert not any(layer.training for layer in net.layers)
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(net(X).data, net(X).data)  # no dropout noise in inference
    net.train()
    assert all(layer.training for layer in net.layers)


def test_config_round_trip_and_closed_registry():
    net = _mixed_stack()
    rebuilt = Sequential.from_config(net.config())
    assert rebuilt.config() == net.config()
    with pytest.raises(ValueError, match="unknown layer type 'Lambda'"):
        Sequential.from_config({"layers": [{"type": "Lambda", "config": {}}]})
    with pytest.raises(ValueError, match="bad config"):
        Sequential.from_config({"layers": [{"type": "Dense", "config": {"units": 3}}]})


@pytest.mark.parametrize(
    ("layer", "cause"),
    [
        ({"type": "Dense", "config": {"n_in": 3}}, "n_out"),  # TypeError
        ({"type": "Dense", "config": {"n_in": "3", "n_out": 2}}, "n_in must be"),  # ValueError
        ({"type": "BatchNorm", "config": {"n": 2, "eps": 10**400}}, "too large"),  # OverflowError
    ],
)
def test_a_layer_refusing_its_config_is_one_value_error_naming_the_layer(layer, cause):
    config = {"layers": [{"type": "Dense", "config": {"n_in": 4, "n_out": 3}}, layer]}
    with pytest.raises(ValueError, match=rf"^layer 2 \({layer['type']}\): bad config: ") as caught:
        Sequential.from_config(config)
    assert cause in str(caught.value)
    assert type(caught.value) is ValueError and caught.value.__cause__ is None


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    net = Sequential.from_sizes([3, 4, 2])
    before = {k: v.copy() for k, v in net.state_dict().items()}
    bad = {k: v.copy() for k, v in before.items()}
    bad["W[2]"] = bad["W[2]"].T
    del bad["b[1]"]
    bad["extra"] = np.zeros(1)
    with pytest.raises(ValueError) as caught:
        net.load_state_dict(bad)
    message = str(caught.value)
    assert "missing: b[1]" in message and "unexpected: extra" in message
    assert "W[2]: expected shape (2, 4), found (4, 2)" in message
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
    good = {k: v + 1 for k, v in before.items()}
    net.load_state_dict(good)
    np.testing.assert_array_equal(net.state_dict()["W[1]"], before["W[1]"] + 1)


def test_parameters_are_the_tensors_the_layers_use():
    net = Sequential.from_sizes([2, 3, 1])
    params = net.parameters()
    assert all(isinstance(p, Tensor) and p.requires_grad for p in params)
    assert params[0] is net.layers[0].W


def test_a_tensor_input_is_computed_in_the_networks_dtype():
    net = Sequential.from_sizes([2, 1], seed=0)  # float32
    assert net.forward(Tensor(np.ones((2, 3)))).dtype == np.float32


def test_dropout_after_a_nonlinear_output_is_refused():
    with pytest.raises(ValueError, match="after the output activation 'sigmoid'"):
        Sequential([Dense(2, 1, "sigmoid"), Dropout(0.5)])
    Sequential([Dense(2, 1), Dropout(0.5)])  # a linear output: dropout of Z is consistent


def test_named_parameters_only_reads_the_names():
    """The names are given once, when the network is made; asking for them renames nothing."""
    net = vecnn.Network.from_sizes([2, 3, 1], seed=0)
    W1 = net.parameters()[0]
    assert W1.name == "W[1]"
    W1.name = "first weights"
    assert "W[1]" in net.named_parameters() and W1.name == "first weights"
