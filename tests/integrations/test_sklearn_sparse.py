"""vecnn.sklearn on sparse X: one dense mini-batch at a time, the numbers of the dense data."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import sparse
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from vecnn.sklearn import MLPClassifier, MLPRegressor, NeuronClassifier


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    with threadpool_limits(1):
        yield


def quiet(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


# Palmer penguins' shape: 344 rows of three species (152, 124, 68), the island (Gentoo on
# Biscoe alone, Chinstrap on Dream alone), sex, year, and four measurements whose means
# are the species' own.
SPECIES = {
    # count, islands, bill length, bill depth, flipper length, body mass
    "Adelie": (152, ("Biscoe", "Dream", "Torgersen"), 38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (68, ("Dream",), 48.8, 18.4, 196.0, 3733.0),
    "Gentoo": (124, ("Biscoe",), 47.5, 15.0, 217.0, 5076.0),
}
TEXT = [0, 1, 2]  # island, sex, year
NUMBERS = [3, 4, 5, 6]


@pytest.fixture(scope="module")
def penguins():
    rng = np.random.default_rng(0)
    rows, species = [], []
    for name, (count, islands, bill, depth, flipper, mass) in SPECIES.items():
        for _ in range(count):
            rows.append(
                [
                    islands[rng.integers(len(islands))],
                    ("male", "female")[rng.integers(2)],
                    str(2007 + rng.integers(3)),
                    bill + rng.normal() * 3.0,
                    depth + rng.normal() * 1.1,
                    flipper + rng.normal() * 6.5,
                    mass + rng.normal() * 450.0,
                ]
            )
            species.append(name)
    return np.array(rows, dtype=object), np.array(species)


def columns(sparse_output: bool):
    """One-hot text and standardized numbers, as a sparse matrix or a dense array."""
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), TEXT),
        (StandardScaler(), NUMBERS),
        sparse_threshold=1.0 if sparse_output else 0.0,
    )


def test_a_one_hot_pipeline_on_penguins_equals_the_densified_data(penguins):
    X, y = penguins
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    assert sparse.issparse(columns(True).fit_transform(X_train))
    fitted = {}
    for sparse_output in (True, False):
        pipeline = make_pipeline(
            columns(sparse_output), MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
        )
        fitted[sparse_output] = quiet(pipeline, X_train, y_train)
    on_sparse, on_dense = fitted[True], fitted[False]
    assert on_sparse.score(X_test, y_test) > 0.95
    np.testing.assert_allclose(
        on_sparse.predict_proba(X_test), on_dense.predict_proba(X_test), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(on_sparse[-1].loss_curve_, on_dense[-1].loss_curve_, rtol=1e-10)

    # The words: make_pipeline(OneHotEncoder(), MLPClassifier()), text columns alone
    text = make_pipeline(OneHotEncoder(), MLPClassifier(max_iter=30, random_state=0))
    quiet(text, X_train[:, TEXT], y_train)
    dense = make_pipeline(
        OneHotEncoder(sparse_output=False), MLPClassifier(max_iter=30, random_state=0)
    )
    quiet(dense, X_train[:, TEXT], y_train)
    np.testing.assert_allclose(
        text.predict_proba(X_test[:, TEXT]), dense.predict_proba(X_test[:, TEXT]), rtol=1e-10
    )
    assert text.score(X_test[:, TEXT], y_test) > 0.6  # the island tells much of the species


FORMATS = [sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix, sparse.csr_array]


def _sparse_rows(seed: int = 0, m: int = 120, n: int = 30):
    """A mostly-zero X (m, n) and a binary label and a target that depend on it."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)) * (rng.random((m, n)) < 0.15)
    score = X @ rng.normal(size=n)
    return X, (score > 0).astype(int), score


@pytest.mark.parametrize("make", FORMATS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier(hidden_layer_sizes=(8,), batch_size=32, max_iter=5, random_state=0),
        MLPRegressor(hidden_layer_sizes=(8,), batch_size=32, max_iter=5, random_state=0),
        NeuronClassifier(batch_size=32, max_iter=5, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_method_on_sparse_x_gives_the_dense_numbers(make, estimator):
    X, label, score = _sparse_rows()
    y = score if isinstance(estimator, MLPRegressor) else label
    methods = ["predict", "predict_proba", "decision_function", "predict_log_proba"]
    results = {}
    for given, first in ((X, X[:50]), (make(X), make(X[:50]))):
        est = quiet(estimator.__class__(**estimator.get_params()), given, y)
        est.partial_fit(first, y[:50])
        outputs = [getattr(est, name)(given) for name in methods if hasattr(est, name)]
        results[sparse.issparse(given)] = (est.loss_curve_, est.score(given, y), outputs)
    (dense_curve, dense_score, dense_out), (curve, score_, out) = results[False], results[True]
    np.testing.assert_allclose(curve, dense_curve, rtol=1e-12)
    assert score_ == pytest.approx(dense_score, rel=1e-12)
    for mine, reference in zip(out, dense_out, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_early_stopping_and_validation_data_on_sparse_x():
    X, y, _ = _sparse_rows(seed=1, m=400)
    X_val, y_val, _ = _sparse_rows(seed=1, m=400)  # the same rule on other rows
    X_val, y_val = X_val[300:], y_val[300:]
    settings = dict(hidden_layer_sizes=(8,), batch_size=50, max_iter=60, random_state=0)
    fitted = {}
    for name, given, held in (
        ("dense", X, X_val),
        ("sparse", sparse.csr_matrix(X), sparse.csc_matrix(X_val)),
    ):
        split = quiet(MLPClassifier(early_stopping=True, n_iter_no_change=3, **settings), given, y)
        data = quiet(MLPClassifier(**settings), given, y, validation_data=(held, y_val))
        fitted[name] = (split, data)
    (split, data), (dense_split, dense_data) = fitted["sparse"], fitted["dense"]
    assert split.n_iter_ == dense_split.n_iter_ < 60  # the same epochs, stopped early
    assert split.validation_scores_ == pytest.approx(dense_split.validation_scores_, rel=1e-12)
    assert split.best_validation_score_ == max(split.validation_scores_)
    np.testing.assert_allclose(
        data.validation_loss_curve_, dense_data.validation_loss_curve_, rtol=1e-10
    )
    assert len(data.validation_loss_curve_) == data.n_iter_


def test_memory_is_the_sparse_data_and_a_dense_batch_or_two():
    """20,000 × 5,000 at density 1e-4: dense it would be 800 MB of float64. Training (with
    a validation split) and predicting allocate a dense batch of 200 rows (8 MB) at a time,
    two while the next one is made."""
    m, n, nnz = 20_000, 5_000, 10_000
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, m, nnz), rng.integers(0, n, nnz)
    X = sparse.csr_matrix((rng.random(nnz), (rows, cols)), shape=(m, n))
    y = np.asarray(X.sum(axis=1)).ravel()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=1, early_stopping=True, random_state=0)
    quiet(est, X[:1000], y[:1000])  # what the first fit imports is not the data's
    tracemalloc.start()
    try:
        quiet(est, X, y).predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense, batch = m * n * 8, 200 * n * 8
    assert peak < 3 * batch < dense / 30, (peak, batch, dense)
