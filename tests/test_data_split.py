"""The validation split: stratified by class, a class of one example kept in training."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest

from vecnn import Network
from vecnn.data import split_validation, stratified_split


def _penguin_like_labels() -> np.ndarray:
    """Three species of 152, 124 and 68 rows (penguins' proportions) and one of a single row."""
    labels = ["Adelie"] * 152 + ["Gentoo"] * 124 + ["Chinstrap"] * 68 + ["Emperor"]
    return np.array(labels, dtype=object)


def test_every_seed_keeps_every_class_in_training_and_the_proportions():
    labels = _penguin_like_labels()
    m, n_val = len(labels), round(0.2 * len(labels))
    for seed in range(300):
        train, val, rare = stratified_split(labels, n_val, np.random.default_rng(seed))
        assert rare == ["Emperor"]
        assert sorted([*train, *val]) == list(range(m))  # a partition of the rows
        assert len(val) == n_val
        assert set(labels[train]) == set(labels)  # training sees every class
        held = Counter(labels[val])
        assert "Emperor" not in held
        for name, count in Counter(labels).items():
            if count > 1:  # each class held out in its share, to within one row
                assert abs(held[name] - count * n_val / m) <= 1


def test_a_class_of_two_keeps_one_in_training_and_the_total_is_kept():
    labels = np.array([0] * 4 + [1] * 2 + [2] * 2)
    train, val, rare = stratified_split(labels, 4, np.random.default_rng(0))
    assert rare == [] and len(val) == 4
    assert sorted(Counter(labels[train]).values()) == [1, 1, 2]


def test_split_validation_warns_naming_the_rare_class():
    labels = np.array(["a"] * 20 + ["b"])
    with pytest.warns(UserWarning, match="class 'b' has only 1 example"):
        train, val = split_validation(21, 0.2, np.random.default_rng(0), labels=labels)
    assert "b" in set(labels[train]) and len(val) == 4
    with pytest.raises(ValueError, match="no class has 2 examples"):
        split_validation(3, 0.4, np.random.default_rng(0), labels=np.array([1, 2, 3]))


def test_fit_validation_split_is_stratified_on_every_seed():
    # wine-shaped: 13 features, 3 classes, and a fourth class of one row.
    rng = np.random.default_rng(0)
    y = np.array([0] * 59 + [1] * 71 + [2] * 48 + [3])
    X = rng.normal(size=(13, len(y))) + y
    for seed in range(8):
        net = Network.from_sizes([13, 4], output="softmax", seed=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = net.fit(X, y, epochs=1, validation_split=0.25, verbose=0, seed=seed)
        assert any("class 3 has only 1 example" in str(w.message) for w in caught)
        assert np.isfinite(history["val_loss"][0])
        assert net.classes_.tolist() == [0, 1, 2, 3]


def test_fit_names_a_rare_class_by_its_label():
    rng = np.random.default_rng(0)
    y = np.array(["cat"] * 10 + ["dog"] * 10 + ["emu"])
    net = Network.from_sizes([3, 3], output="softmax", seed=0)
    with pytest.warns(UserWarning, match="class 'emu' has only 1 example"):
        net.fit(rng.normal(size=(3, 21)), y, epochs=1, validation_split=0.2, verbose=0)


def test_soft_binary_targets_split_by_the_class_they_lean_to():
    # Y (1, m) of probabilities: a valid target, and not 50 classes of one example each
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 50))
    Y = 1 / (1 + np.exp(-3 * X[:1]))
    net = Network.from_sizes([3, 1], output="sigmoid", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(X, Y, epochs=1, validation_split=0.2, verbose=0)
    assert np.isfinite(history["val_loss"][0])
