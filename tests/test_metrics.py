"""vecnn.metrics against scikit-learn, on random labels, probabilities and targets."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from vecnn import metrics
from vecnn.errors import ShapeError

SEEDS = range(4)

# Label sets: ints from 0, ints not starting at 0, strings; binary and multi-class.
CLASS_SETS = {
    "binary01": [0, 1],
    "binary_str": ["ham", "spam"],
    "ints_from_0": [0, 1, 2, 3],
    "ints_offset": [3, 7, 11],
    "negative_ints": [-2, 5, 9, 40, 41],
    "strings": ["cat", "dog", "pig", "yak"],
}


def _sk(function, *args, **kwargs):
    """Call scikit-learn without its warnings (single-label matrices, undefined metrics)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _labels(seed: int, classes, m: int = 60, drop_from_pred=None):
    """Random y_true and a y_pred that is right about half the time; `drop_from_pred` is a
    class never predicted."""
    rng = np.random.default_rng(seed)
    classes = np.asarray(classes)
    y_true = classes[rng.integers(0, len(classes), m)]
    y_pred = np.where(rng.random(m) < 0.5, y_true, classes[rng.integers(0, len(classes), m)])
    if drop_from_pred is not None:
        others = classes[classes != drop_from_pred]
        y_pred = np.where(y_pred == drop_from_pred, others[0], y_pred)
    return y_true, y_pred


def _close(ours, theirs, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=rtol,
                               atol=1e-12, equal_nan=True)  # fmt: skip


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", CLASS_SETS)
def test_accuracy_and_confusion_matrix_match_sklearn(seed, name):
    classes = CLASS_SETS[name]
    y_true, y_pred = _labels(seed, classes, drop_from_pred=classes[-1])
    assert metrics.accuracy_score(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
    ours = metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(ours, _sk(skm.confusion_matrix, y_true, y_pred))
    assert ours.dtype == np.int64
    # the class never predicted has an empty column
    assert ours[:, -1].sum() == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_with_labels_reordered_subset_and_absent(seed):
    y_true, y_pred = _labels(seed, ["b", "c", "d", "e"])
    for labels in (["e", "d", "c", "b"], ["c", "b"], ["z", "d", "b", "a"]):
        np.testing.assert_array_equal(
            metrics.confusion_matrix(y_true, y_pred, labels=labels),
            _sk(skm.confusion_matrix, y_true, y_pred, labels=labels),
        )


def test_confusion_matrix_rows_are_true_columns_predicted():
    C = metrics.confusion_matrix([0, 0, 1], [1, 1, 1])
    np.testing.assert_array_equal(C, [[0, 2], [0, 1]])


@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("name", CLASS_SETS)
def test_precision_recall_f1_match_sklearn(name, average, zero_division):
    classes = CLASS_SETS[name]
    for seed in range(2):
        # a class absent from the predictions makes its precision 0/0
        y_true, y_pred = _labels(seed, classes, m=25, drop_from_pred=classes[0])
        kw = {"average": average, "zero_division": zero_division}
        for ours, theirs in (
            (metrics.precision_score, skm.precision_score),
            (metrics.recall_score, skm.recall_score),
            (metrics.f1_score, skm.f1_score),
        ):
            _close(ours(y_true, y_pred, **kw), _sk(theirs, y_true, y_pred, **kw))
        ours = metrics.precision_recall_fscore_support(y_true, y_pred, beta=0.5, **kw)
        theirs = _sk(skm.precision_recall_fscore_support, y_true, y_pred, beta=0.5, **kw)
        for a, b in zip(ours[:3], theirs[:3], strict=True):
            _close(a, b)
        if average is None:
            np.testing.assert_array_equal(ours[3], theirs[3])
        else:
            assert ours[3] is None and theirs[3] is None


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_scores_with_explicit_labels_match_sklearn(average):
    y_true, y_pred = _labels(0, [10, 20, 30, 40], m=40)
    for labels in ([40, 10, 20, 30], [20, 30], [10, 99]):
        for ours, theirs in (
            (metrics.precision_score, skm.precision_score),
            (metrics.recall_score, skm.recall_score),
            (metrics.f1_score, skm.f1_score),
        ):
            kw = {"labels": labels, "average": average, "zero_division": 0.0}
            _close(ours(y_true, y_pred, **kw), _sk(theirs, y_true, y_pred, **kw))


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0, math.inf])
def test_fbeta_matches_sklearn(beta):
    y_true, y_pred = _labels(1, ["a", "b", "c"])
    for average in (None, "macro"):
        _close(
            metrics.fbeta_score(y_true, y_pred, beta=beta, average=average),
            _sk(skm.fbeta_score, y_true, y_pred, beta=beta, average=average, zero_division=0),
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_average_matches_sklearn(seed):
    cases = [
        (_labels(seed, [0, 1]), 1),
        (_labels(seed, [0, 1]), 0),
        (_labels(seed, ["ham", "spam"]), "spam"),
        (_labels(seed, [2, 5]), 5),
        ((np.array([0, 0, 0]), np.array([0, 0, 0])), 1),  # pos_label absent: 0/0 → 0.0
        ((np.array([1, 1, 0]), np.array([0, 0, 0])), 1),  # nothing predicted positive
        ((np.array([3, 3]), np.array([3, 3])), 3),  # one class, present
    ]
    for (y_true, y_pred), pos_label in cases:
        for ours, theirs in (
            (metrics.precision_score, skm.precision_score),
            (metrics.recall_score, skm.recall_score),
            (metrics.f1_score, skm.f1_score),
        ):
            expected = _sk(theirs, y_true, y_pred, pos_label=pos_label, zero_division=0.0)
            assert ours(y_true, y_pred, pos_label=pos_label) == pytest.approx(expected)


def test_binary_average_errors_like_sklearn():
    with pytest.raises(ValueError, match="average='binary'"):
        metrics.f1_score([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        metrics.precision_score(["a", "b"], ["b", "b"])
    with pytest.raises(ValueError, match="average must be one of"):
        metrics.recall_score([0, 1], [0, 1], average="samples")


def test_zero_division_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.precision_score([1, 1, 0], [0, 0, 0]) == 0.0
        assert metrics.f1_score([0, 0], [0, 0]) == 0.0
        assert metrics.r2_score([1.0], [2.0]) != metrics.r2_score([1.0], [2.0])  # nan


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=1, max_size=30),
    st.sampled_from([None, "micro", "macro", "weighted"]),
)
def test_classification_metrics_match_sklearn_on_any_int_labels(pairs, average):
    y_true = np.array([t for t, _ in pairs])
    y_pred = np.array([p for _, p in pairs])
    assert metrics.accuracy_score(y_true, y_pred) == pytest.approx(
        skm.accuracy_score(y_true, y_pred)
    )
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred), _sk(skm.confusion_matrix, y_true, y_pred)
    )
    kw = {"average": average, "zero_division": 0.0}
    ours = metrics.precision_recall_fscore_support(y_true, y_pred, **kw)
    theirs = _sk(skm.precision_recall_fscore_support, y_true, y_pred, **kw)
    for a, b in zip(ours[:3], theirs[:3], strict=True):
        _close(a, b)


def test_row_of_labels_is_accepted():
    y = np.array([[0, 1, 1, 0]])  # (1, m): one output unit
    assert metrics.accuracy_score(y, y) == 1.0


# --------------------------------------------------------------------------- log loss


def _proba(seed: int, k: int, m: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(k), size=m).T.astype(dtype)  # (K, m)
    return P / P.sum(axis=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["ints_from_0", "ints_offset", "strings", "binary_str"])
def test_log_loss_multiclass_matches_sklearn(seed, name):
    classes = CLASS_SETS[name]
    y_true, _ = _labels(seed, classes, m=50)
    P = _proba(seed, len(classes), 50)
    assert metrics.log_loss(y_true, P, labels=classes) == pytest.approx(
        skm.log_loss(y_true, P.T, labels=classes), rel=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_binary_one_row_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.choice(["no", "yes"], 40)
    p = rng.random(40)
    expected = skm.log_loss(y_true, p)
    assert metrics.log_loss(y_true, p) == pytest.approx(expected, rel=1e-12)
    assert metrics.log_loss(y_true, p[None, :]) == pytest.approx(expected, rel=1e-12)


def test_log_loss_labels_give_the_row_order():
    y_true, _ = _labels(2, [3, 7, 11], m=30)
    P = _proba(2, 3, 30)
    order = [11, 3, 7]  # row 0 is class 11, …
    rows = [[3, 7, 11].index(c) for c in order]
    assert metrics.log_loss(y_true, P[rows], labels=order) == pytest.approx(
        skm.log_loss(y_true, P.T, labels=[3, 7, 11]), rel=1e-12
    )


def test_log_loss_class_absent_from_y_true():
    y_true = np.array(["a", "c", "a", "c"])
    P = _proba(3, 3, 4)
    assert metrics.log_loss(y_true, P, labels=["a", "b", "c"]) == pytest.approx(
        skm.log_loss(y_true, P.T, labels=["a", "b", "c"]), rel=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_loss_clips_with_the_dtype_epsilon(dtype):
    y_true = np.array([0, 1, 1, 0, 2])
    P = np.array([[0, 1, 0, 1, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 1]], dtype=dtype)
    ours = metrics.log_loss(y_true, P)
    assert math.isfinite(ours)
    assert ours == pytest.approx(skm.log_loss(y_true, P.T), rel=1e-6)
    assert ours == pytest.approx(-0.4 * math.log(np.finfo(dtype).eps), rel=1e-6)
    expected = -(2 * math.log(1e-3) + 3 * math.log(1 - 1e-3)) / 5  # 2 certain mistakes
    assert metrics.log_loss(y_true, P, eps=1e-3) == pytest.approx(expected, rel=1e-6)


def test_log_loss_float32_matches_sklearn():
    y_true, _ = _labels(5, [0, 1, 2, 3], m=64)
    P = _proba(5, 4, 64, dtype=np.float32)
    assert metrics.log_loss(y_true, P) == pytest.approx(skm.log_loss(y_true, P.T), rel=1e-5)


def test_log_loss_errors():
    P = _proba(0, 3, 4)
    with pytest.raises(ShapeError, match="transposed"):
        metrics.log_loss([0, 1, 2, 0], P.T)  # (m, K) instead of (K, m)
    with pytest.raises(ValueError, match=r"different lengths.*m = 4.*3 labels"):
        metrics.log_loss([0, 1, 2], P)
    with pytest.raises(ValueError, match="only one label"):
        metrics.log_loss([1, 1, 1, 1], np.full(4, 0.5))
    with pytest.raises(ValueError, match="not among labels"):
        metrics.log_loss([0, 1, 5, 0], P, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"3 rows .* K = 2"):
        metrics.log_loss([0, 1, 1, 0], P)
    with pytest.raises(ValueError, match="sum to 1"):
        metrics.log_loss([0, 1, 2, 0], P * 0.9)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.log_loss([0, 1, 2, 0], P * 2 - 0.5)
    with pytest.raises(ValueError, match="NaN"):
        metrics.log_loss([0, 1], [0.5, math.nan])
    with pytest.raises(ValueError, match="empty"):
        metrics.log_loss([], np.zeros((2, 0)))


# --------------------------------------------------------------------------- regression


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_outputs", [None, 1, 3])
def test_regression_metrics_match_sklearn(seed, n_outputs):
    rng = np.random.default_rng(seed)
    shape = (30,) if n_outputs is None else (n_outputs, 30)  # examples are columns
    y_true = rng.normal(size=shape) * rng.uniform(0.5, 5)
    y_pred = y_true + rng.normal(size=shape)
    for ours, theirs in (
        (metrics.mean_squared_error, skm.mean_squared_error),
        (metrics.mean_absolute_error, skm.mean_absolute_error),
        (metrics.r2_score, skm.r2_score),
    ):
        assert ours(y_true, y_pred) == pytest.approx(theirs(y_true.T, y_pred.T), rel=1e-12)


def test_multi_output_is_averaged_uniformly_over_rows():
    y_true = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])  # (n_outputs = 2, m = 3)
    y_pred = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    assert metrics.mean_squared_error(y_true, y_pred) == 0.5
    assert metrics.mean_absolute_error(y_true, y_pred) == 0.5
    # output 0 has a constant target, missed: 0.0; output 1 is exact: 1.0
    assert metrics.r2_score(y_true, y_pred) == 0.5
    assert skm.r2_score(y_true.T, y_pred.T) == 0.5


def test_r2_edge_cases_match_sklearn():
    cases = [([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]), ([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]), ([1.0], [3.0])]
    for y_true, y_pred in cases:
        _close(metrics.r2_score(y_true, y_pred), _sk(skm.r2_score, y_true, y_pred))


def test_regression_float32_and_int_inputs():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(2, 50)).astype(np.float32)
    y_pred = rng.normal(size=(2, 50)).astype(np.float32)
    assert metrics.mean_squared_error(y_true, y_pred) == pytest.approx(
        skm.mean_squared_error(y_true.T, y_pred.T), rel=1e-5
    )
    assert metrics.mean_absolute_error([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- errors


def test_lengths_differ():
    with pytest.raises(ValueError, match="y_true has 3 labels, y_pred has 2"):
        metrics.accuracy_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"y_true has m = 3 .* y_pred has m = 2"):
        metrics.mean_squared_error([0.0, 1.0, 1.0], [0.0, 1.0])
    with pytest.raises(ShapeError, match="n_outputs = 2 rows but y_pred has 3"):
        metrics.r2_score(np.zeros((2, 4)), np.zeros((3, 4)))


def test_transposed_targets_get_a_hint():
    with pytest.raises(ShapeError, match=r"pass y_pred\.T"):
        metrics.mean_squared_error(np.zeros((2, 5)), np.zeros((5, 2)))
    with pytest.raises(ShapeError, match="column"):
        metrics.accuracy_score(np.zeros((5, 1)), np.zeros(5))
    with pytest.raises(ShapeError, match="argmax over the rows"):
        metrics.f1_score(np.eye(3), np.eye(3))


@pytest.mark.parametrize(
    "function",
    [metrics.accuracy_score, metrics.confusion_matrix, metrics.f1_score, metrics.r2_score],
)
def test_empty_input(function):
    with pytest.raises(ValueError, match="empty"):
        function([], [])


@pytest.mark.parametrize(
    "function", [metrics.mean_squared_error, metrics.mean_absolute_error, metrics.r2_score]
)
def test_non_finite_regression_inputs(function):
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        function([1.0, 2.0, 3.0], [1.0, math.nan, 3.0])
    with pytest.raises(ValueError, match="y_true contains NaN"):
        function([1.0, math.nan, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="y_pred contains infinity"):
        function([1.0, 2.0, 3.0], [1.0, math.inf, 3.0])
    with pytest.raises(TypeError):
        function(["a", "b"], [1.0, 2.0])


def test_label_errors():
    with pytest.raises(ValueError, match="looks continuous"):
        metrics.accuracy_score([0, 1, 1], [0.2, 0.9, 0.7])
    with pytest.raises(ValueError, match="mix of string and number"):
        metrics.accuracy_score(["0", "1"], [0, 1])
    with pytest.raises(ValueError, match="at least one must"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[5, 6])
    with pytest.raises(ValueError, match="distinct"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[0, 1, 1])
    with pytest.raises(ValueError, match="zero_division"):
        metrics.f1_score([0, 1], [0, 1], zero_division=0.5)


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize(
    "function", [metrics.r2_score, metrics.mean_squared_error, metrics.mean_absolute_error]
)
def test_regression_metrics_refuse_scikit_learns_row_layout(function):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(40, 1))  # scikit-learn's (m, 1): used to give nan silently
    with pytest.raises(ShapeError, match=r"a column.*pass y_true\.T or y_true\.ravel\(\)"):
        function(y, y + 0.1)
    Y = rng.normal(size=(40, 3))  # (m, k): used to be read as 40 outputs of 3 examples
    with pytest.raises(ShapeError, match=r"\(m, n_outputs\) layout.*pass y_true\.T"):
        function(Y, Y + 0.1)
    # The transposes are what the notation takes, and agree with scikit-learn's numbers.
    reference = {
        metrics.r2_score: skm.r2_score,
        metrics.mean_squared_error: skm.mean_squared_error,
        metrics.mean_absolute_error: skm.mean_absolute_error,
    }[function]
    P = Y + rng.normal(size=Y.shape) * 0.3
    assert function(Y.T, P.T) == pytest.approx(reference(Y, P), rel=1e-12)
    assert function(y.ravel(), y.ravel() * 0.9) == pytest.approx(reference(y, y * 0.9), rel=1e-12)


def test_zero_division_warn_is_scikit_learns_default():
    y_true, y_pred = [0, 1, 1, 2], [0, 0, 0, 0]
    with pytest.warns(metrics.UndefinedMetricWarning, match="ill-defined"):
        ours = metrics.precision_score(y_true, y_pred, average="macro", zero_division="warn")
    with pytest.warns(UserWarning):  # scikit-learn's UndefinedMetricWarning
        theirs = skm.precision_score(y_true, y_pred, average="macro", zero_division="warn")
    assert ours == pytest.approx(theirs)
    for bad in ("zero", 0.5, None):
        with pytest.raises(ValueError, match=r'one of "warn", 0.0, 1.0, nan; got'):
            metrics.f1_score(y_true, y_pred, average="macro", zero_division=bad)
