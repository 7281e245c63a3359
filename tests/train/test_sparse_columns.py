"""``fit`` on a ``SparseColumns``: one dense mini-batch at a time, the dense data's weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse  # the dev extra has scikit-learn, which needs SciPy

from vecnn import Network
from vecnn.data import SparseColumns
from vecnn.distributed import run_in_process


def _data(m: int = 150, n: int = 12, seed: int = 0):
    """Rows ``(m, n)`` mostly zero, three classes that depend on them, weights."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(m, n)) * (rng.random((m, n)) < 0.3)
    labels = np.array(["ant", "bee", "cat"])[(rows @ rng.normal(size=(n, 3))).argmax(axis=1)]
    return rows, labels, rng.uniform(0.5, 2.0, m)


def _train(X, labels, weights, **options):
    net = Network.from_sizes([12, 6, 3], output="softmax", seed=0, dtype="float64")
    history = net.fit(X, labels, epochs=4, verbose=0, sample_weight=weights, **options)
    return net, history


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 16, "validation_split": 0.2},
        {"batch_size": None, "shuffle": False},  # full batch: the whole X densified once
        {"batch_size": 32, "early_stopping": 2, "validation_split": 0.3},
    ],
)
def test_sparse_columns_train_as_the_dense_columns_do(options):
    rows, labels, weights = _data()
    dense, dense_history = _train(rows.T, labels, weights, **options)
    for make in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array):
        net, history = _train(SparseColumns(make(rows)), labels, weights, **options)
        for name, array in dense.state_dict().items():
            np.testing.assert_array_equal(net.state_dict()[name], array, err_msg=name)
        assert history["loss"] == dense_history["loss"]
        if "val_loss" in dense_history.history:  # summed over the batches: round-off
            np.testing.assert_allclose(history["val_loss"], dense_history["val_loss"], rtol=1e-12)
            assert history["val_accuracy"] == dense_history["val_accuracy"]


def test_sparse_validation_data_is_evaluated_one_batch_at_a_time():
    rows, labels, _ = _data()
    val_rows, val_labels, val_weights = _data(m=70, seed=1)
    for given in ((val_rows.T, val_labels), (val_rows.T, val_labels, val_weights)):
        dense = _train(rows.T, labels, None, batch_size=16, validation_data=given)[1]
        sparse_val = (SparseColumns(sparse.csr_matrix(given[0].T)), *given[1:])
        _, history = _train(rows.T, labels, None, batch_size=16, validation_data=sparse_val)
        np.testing.assert_allclose(history["val_loss"], dense["val_loss"], rtol=1e-12)
        assert history["val_accuracy"] == dense["val_accuracy"]


def test_sparse_columns_are_checked_as_x_is_and_only_fit_takes_them():
    rows, labels, _ = _data()
    net = Network.from_sizes([12, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match="n\\[0\\] = 12"):
        net.fit(SparseColumns(sparse.csr_matrix(rows[:, :5])), labels, verbose=0)
    bad = sparse.csr_matrix(rows)
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        net.fit(SparseColumns(bad), labels, verbose=0)
    with pytest.raises(TypeError, match="SciPy sparse matrix"):
        SparseColumns(rows)
    net.fit(SparseColumns(sparse.csr_matrix(rows)), labels, epochs=1, verbose=0)
    for method in (net.predict, net.predict_proba, lambda X: net.evaluate(X, labels)):
        with pytest.raises(TypeError, match=r"only fit takes.*dense_rows\(\)\.T"):
            method(SparseColumns(sparse.csr_matrix(rows)))
    with pytest.raises(TypeError, match=r"vecnn\.sklearn's estimators take sparse X"):
        net.fit(sparse.csr_matrix(rows.T), labels, verbose=0)


def test_distributed_training_refuses_sparse_columns():
    rows, labels, _ = _data()

    def train(distributed):
        net = Network.from_sizes([12, 3], output="softmax", seed=0)
        net.fit(SparseColumns(sparse.csr_matrix(rows)), labels, verbose=0, distributed=distributed)

    with pytest.raises(ValueError, match="distributed training takes dense X"):
        run_in_process(2, train)
