"""``Dense(n_out)``: ``n_in`` found at the first call or fit, as Keras's ``build``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import vecnn
from vecnn import ShapeError
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.optim import Adam


def _data(m=40, n0=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n0, m))
    y = (X[0] + X[1] > 0).astype(int) + (X[2] > 1)
    return X, y


def _deferred(seed=0, dtype="float32"):
    layers = [Dense(8, activation="relu", dtype=dtype), Dropout(0.25)]
    layers.append(Dense(3, activation="softmax", dtype=dtype))
    return vecnn.Network(layers, seed=seed)


def _explicit(seed=0, dtype="float32"):
    layers = [Dense(5, 8, activation="relu", dtype=dtype), Dropout(0.25)]
    layers.append(Dense(8, 3, activation="softmax", dtype=dtype))
    return vecnn.Network(layers, seed=seed)


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_first_call_draws_the_weights_of_the_explicit_network(dtype):
    X, _ = _data()
    deferred, explicit = _deferred(dtype=dtype), _explicit(dtype=dtype)
    assert not deferred.built and deferred.sizes == [None, 8, 3]
    out = deferred(X)
    assert deferred.built and deferred.sizes == [5, 8, 3] and out.shape == (3, 40)
    assert deferred.dtype == explicit.dtype
    _same_state(deferred, explicit)
    assert [p.name for p in deferred.parameters()] == ["W[1]", "b[1]", "W[2]", "b[2]"]
    assert deferred.flat.owns(deferred.parameters())


def test_fit_builds_it_and_trains_as_the_explicit_network():
    X, y = _data()
    deferred, explicit = _deferred(), _explicit()
    for network in (deferred, explicit):
        network.fit(X, y, epochs=3, batch_size=8, optimizer="adam", verbose=0)
    _same_state(deferred, explicit)
    np.testing.assert_array_equal(deferred.predict(X), explicit.predict(X))
    assert deferred.optimizer_.flat is deferred.flat


def test_a_layer_with_its_own_seed_alone():
    X, _ = _data()
    alone, explicit = Dense(8, activation="tanh", seed=3), Dense(5, 8, "tanh", seed=3)
    assert alone.n_in is None and not alone.built
    np.testing.assert_array_equal(alone(vecnn.Tensor(X)).data, explicit(vecnn.Tensor(X)).data)
    assert alone.config() == explicit.config()


def test_a_later_deferred_layer_is_sized_at_construction():
    network = vecnn.Network([Dense(4, 6, "relu"), Dense(2)], seed=1)
    assert network.built and network.sizes == [4, 6, 2]
    _same_state(network, vecnn.Network([Dense(4, 6, "relu"), Dense(6, 2)], seed=1))


def test_what_needs_the_sizes_before_they_are_known_says_how_to_give_them(tmp_path):
    network = _deferred()
    text = network.summary()
    assert "(8, ?)" in text and "(?, m)" in text and "total parameters: ?" in text
    for needs in (
        network.parameters,
        network.state_dict,
        lambda: network.n_features,
        lambda: Adam(network.parameters()),
        lambda: vecnn.save(network, tmp_path / "early.vecnn"),
        lambda: network.layers[0].W,
    ):
        with pytest.raises(ValueError, match=r"first call|fit it first") as caught:
            needs()
        assert "Dense(n_in, n_out)" in str(caught.value)
    assert not (tmp_path / "early.vecnn").exists()


def test_the_config_round_trips_before_and_after_and_the_file_keeps_n_in(tmp_path):
    network = _deferred()
    assert network.config()["layers"][0]["config"]["n_in"] is None
    again = vecnn.Network.from_config(network.config())
    assert not again.built
    X, y = _data()
    network.fit(X, y, epochs=1, verbose=0)
    vecnn.save(network, tmp_path / "m.vecnn")
    loaded = vecnn.load(tmp_path / "m.vecnn")
    assert loaded.config()["layers"][0]["config"]["n_in"] == 5
    np.testing.assert_array_equal(loaded.predict_proba(X), network.predict_proba(X))


def test_another_n0_after_the_build_and_a_misplaced_activation_are_refused():
    network = _deferred()
    network(np.ones((5, 2)))
    with pytest.raises(ShapeError, match=r"\(5, m\)"):
        network(np.ones((4, 2)))
    keras_like = Dense(8, "relu")  # Dense(units, activation)
    assert (keras_like.n_in, keras_like.n_out, keras_like.activation) == (None, 8, "relu")
    with pytest.raises(ValueError, match=r"Dense\(n_in, n_out, activation\)"):
        Dense(8, "relu", "he")
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        Dense(None)


def test_batch_norm_takes_its_size_from_the_layer_before_or_the_first_x():
    X, y = _data()
    stacked = vecnn.Network(
        [Dense(8), BatchNorm(), Activation("relu"), Dense(3, "softmax")], seed=2
    )
    explicit = vecnn.Network(
        [Dense(5, 8), BatchNorm(8), Activation("relu"), Dense(8, 3, "softmax")], seed=2
    )
    assert "γ (?, 1)" in stacked.summary()
    for network in (stacked, explicit):
        network.fit(X, y, epochs=2, batch_size=10, verbose=0)
    _same_state(stacked, explicit)
    first = vecnn.Network([BatchNorm(), Dense(2, "sigmoid")], seed=0)
    assert first.sizes == [None, 2]
    first(X)
    assert first.sizes == [5, 2] and first.layers[0].config()["n"] == 5


@pytest.mark.parametrize(
    "keywords", [{"n_in": 3}, {"n_in": 3, "activation": "relu"}, {"n_in": 3, "n_out": "relu"}]
)
def test_n_in_by_keyword_without_n_out_is_refused_naming_the_fix(keywords):
    with pytest.raises(TypeError, match=r"gives the input size but no n_out.*Dense\(3, n_out\)"):
        Dense(**keywords)


def test_one_size_by_position_is_still_the_units_and_both_sizes_by_keyword_still_work():
    for layer, sizes in [
        (Dense(16), (None, 16)),
        (Dense(16, "relu"), (None, 16)),
        (Dense(None, 16), (None, 16)),
        (Dense(n_in=None, n_out=16), (None, 16)),
        (Dense(3, 4), (3, 4)),
        (Dense(n_in=3, n_out=4), (3, 4)),
        (Dense(3, n_out=4), (3, 4)),
    ]:
        assert (layer.n_in, layer.n_out) == sizes
    explicit = Dense(3, 4, "tanh", seed=0)
    again = Dense.from_config(explicit.config())
    assert (again.n_in, again.n_out, again.activation) == (3, 4, "tanh")
    deferred = Dense.from_config(Dense(4, "tanh").config())
    assert (deferred.n_in, deferred.n_out) == (None, 4)
    assert list(inspect.signature(Dense).parameters)[:2] == ["n_in", "n_out"]
