"""``Network.threshold``, the tasks defined once, and the one metric set of a task."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Network, metrics


def _binary(m=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    y = np.where(X[0] + 0.5 * rng.normal(size=m) > 0, "yes", "no")
    return X, y


def _fitted(seed=0):
    X, y = _binary()
    net = Network.from_sizes([2, 1], output="sigmoid", seed=seed, dtype="float64")
    net.fit(X, y, lr=0.05, epochs=5, verbose=0)
    return net, X, y


def test_the_threshold_decides_where_predict_fires():
    net, X, _ = _fitted()
    a = net.predict_proba(X)[0]
    assert net.threshold == 0.5
    net.threshold = 0.8
    np.testing.assert_array_equal(net.predict(X), np.where(a >= 0.8, "yes", "no"))
    # a per-call threshold still wins
    np.testing.assert_array_equal(net.predict(X, threshold=0.2), np.where(a >= 0.2, "yes", "no"))


def test_the_threshold_is_saved_with_the_network(tmp_path):
    net, X, _ = _fitted()
    assert "threshold" not in net.config()  # the default is not written: files as before
    net.threshold = 0.7
    assert net.config()["threshold"] == 0.7
    vecnn.save(net, tmp_path / "net.vecnn")
    loaded = vecnn.load(tmp_path / "net.vecnn")
    assert loaded.threshold == 0.7
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_a_multilabel_network_takes_one_threshold_per_unit(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 120))
    Y = (X > 0).astype(int)
    net = Network.from_sizes([3, 3], output="sigmoid", seed=0, dtype="float64")
    net.fit(X, Y, lr=0.05, epochs=3, verbose=0)
    net.threshold = [0.2, 0.5, 0.9]
    A = net.predict_proba(X)
    expected = (A >= np.array([[0.2], [0.5], [0.9]])).astype(int)
    np.testing.assert_array_equal(net.predict(X), expected)
    vecnn.save(net, tmp_path / "net.vecnn")
    assert vecnn.load(tmp_path / "net.vecnn").threshold == [0.2, 0.5, 0.9]


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, -0.1, True, "0.5", [0.5, 0.5], []])
def test_a_bad_threshold_is_refused_naming_the_range(bad):
    net = Network.from_sizes([2, 1], output="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\)"):
        net.threshold = bad


@pytest.mark.parametrize("theta", [np.array(0.3), np.float32(0.3), np.float64(0.3)])
def test_a_numpy_scalar_or_0d_array_threshold_is_accepted(theta):
    net, _, _ = _fitted()
    net.threshold = theta
    assert net.threshold == pytest.approx(0.3) and isinstance(net.threshold, float)


def test_setting_a_threshold_on_a_softmax_network_is_refused_not_ignored():
    net = Network.from_sizes([2, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match="no meaning for a multiclass network"):
        net.threshold = 0.3
    net.threshold = 0.5  # the default stays settable (a loaded config sets it)
    reg = Network.from_sizes([2, 1], output="linear", seed=0)
    X = np.random.default_rng(0).normal(size=(2, 20))
    reg.fit(X, X[:1], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no meaning for a regression network"):
        reg.threshold = 0.3


def test_training_accuracy_uses_the_threshold():
    """One epoch at a negligible learning rate: the recorded accuracy is that of predict
    with the network's θ at the initial weights (θ taken as logit θ on the logits)."""
    X, y = _binary()
    for theta in (0.3, 0.5, 0.8):
        net = Network.from_sizes([2, 1], output="sigmoid", seed=0, dtype="float64")
        net.threshold = theta
        initial = net.predict(X, threshold=theta)  # before fit: classes 0/1
        history = net.fit(X, y == "yes", optimizer="sgd", lr=1e-12, epochs=1, verbose=0)
        expected = np.mean(initial == (y == "yes").astype(int))
        assert history["accuracy"][0] == pytest.approx(expected)
        assert net.evaluate(X, y == "yes")["accuracy"] == pytest.approx(expected)


def test_the_tasks_are_defined_once():
    from vecnn import data, preprocessing, report
    from vecnn.io import format as model_format

    assert data.TASKS == ("binary", "multiclass", "multilabel", "regression")
    assert report.TASKS is data.TASKS and model_format.TASKS is data.TASKS
    assert preprocessing.TASKS == ("auto", *data.TASKS)


def test_evaluate_reports_the_metric_set_of_the_command_line():
    """``Network.evaluate`` is the network's loss plus ``metrics.task_scores``, which
    ``vecnn train`` writes to metrics.json."""
    net, X, y = _fitted()
    scores = net.evaluate(X, y)
    predicted = net.predict(X)
    proba = net.predict_proba(X)
    assert scores == {"loss": scores["loss"], **metrics.task_scores("binary", y, predicted, proba)}
    assert set(scores) == {"loss", "accuracy", "precision", "recall", "f1", "f1_macro", "log_loss"}
    # the binary scores are those of the second class, checked against their definitions
    positive = predicted == "yes"
    tp = np.sum(positive & (y == "yes"))
    assert scores["precision"] == pytest.approx(tp / positive.sum())
    assert scores["recall"] == pytest.approx(tp / np.sum(y == "yes"))
    a = np.clip(proba[0], 1e-15, 1 - 1e-15)
    log_loss = -np.mean(np.where(y == "yes", np.log(a), np.log(1 - a)))
    assert scores["log_loss"] == pytest.approx(log_loss, rel=1e-9)
    assert scores["loss"] == pytest.approx(log_loss, rel=1e-6)


def test_task_scores_of_labels_never_seen_in_training():
    scores = metrics.task_scores(
        "multiclass",
        np.array(["a", "b", "c", "zebra"]),
        np.array(["a", "b", "b", "a"]),
        np.array([[0.8, 0.1, 0.1, 0.5], [0.1, 0.8, 0.8, 0.3], [0.1, 0.1, 0.1, 0.2]]),
        ["a", "b", "c"],
    )
    assert scores["accuracy"] == 0.5
    assert scores["unseen_labels"] == ["zebra"] and scores["unseen_examples"] == 1
    expected = -np.mean(np.log([0.8, 0.8, 0.1]))  # the unseen example is left out
    assert scores["log_loss"] == pytest.approx(expected)
