"""ROBUSTNESS.md's catalogue, the entries no other test covers (docs/robustness.md maps all).

Each test is named after its entry: ``test_<number>_<what>``. Entries 1–29 (model files),
53–66 (CSV and command line), 67, 70, 71, 75, 76 and 78 have their tests elsewhere (see
docs/robustness.md); the ones here are mostly the core API (``vecnn.Network`` with
examples as columns: ``X`` is ``(n[0], m)``), the numerics, and the faults of training.
Entries from 81 on are further cases found while writing these.
"""

from __future__ import annotations

import copy
import os
import pickle
import random
import signal
import stat
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import vecnn
import vecnn.cli.predict
import vecnn.io.files
from vecnn import Network, Tensor, ops
from vecnn.cli import main
from vecnn.nn import Activation, BatchNorm, Dense


# ----------------------------------------------------------------------------- helpers
def _separable(m: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``X (2, m)``, examples as columns, and labels 0/1 that a line separates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    return X, (X[0] - 0.5 * X[1] > 0.1).astype(int)


def _same_weights(a: Network, b: Network) -> None:
    state = b.state_dict()
    for name, array in a.state_dict().items():
        np.testing.assert_array_equal(array, state[name], err_msg=name)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(value) for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _points(m: int, seed: int = 0) -> tuple[list[str], list[list[object]]]:
    """Two numeric features and a label a or b, for the command line."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for i in range(m):
        label = i % 2
        x1, x2 = rng.normal(size=2) + (1.5 if label else -1.5)
        rows.append([f"{x1:.4f}", f"{x2:.4f}", "ab"[label]])
    return ["x1", "x2", "label"], rows


def _cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """``vecnn.cli.main`` in-process: its exit status, stdout and stderr."""
    capsys.readouterr()
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ==================================================================== B. model files (save)
def test_28_an_unfitted_network_saves_and_loads_as_it_is(tmp_path, capsys):
    """A network has weights from its construction on, so saving one that was never fitted
    is allowed (no NotFittedError): it loads with no task or classes learned, and predicts
    as before. The command line refuses to predict with it (no preprocessing)."""
    X, _ = _separable()
    net = Network.from_sizes([2, 3, 1], seed=0)
    path = vecnn.save(net, tmp_path / "unfitted.vecnn")
    loaded = vecnn.load(path)
    assert loaded.classes_ is None and loaded.config()["task"] is None
    assert loaded.task == "binary"  # from the output layer, as before fit
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    header, rows = _points(4)
    data = _write_csv(tmp_path / "points.csv", header, rows)
    code, _, err = _cli(capsys, "predict", path, data)
    assert code == 1 and "vecnn train" in err


# ============================================================ C. arrays given to the API
def test_31_a_value_too_large_for_float32_is_refused_as_infinity():
    X, y = _separable()
    X[1, 7] = 1e308  # finite in float64, infinite once cast to the network's float32
    with pytest.raises(ValueError, match=r"infinity or a value too large for dtype\('float32'\)"):
        Network.from_sizes([2, 1], seed=0).fit(X, y, verbose=0)
    net64 = Network.from_sizes([2, 1], seed=0, dtype="float64")
    net64.predict_proba(X)  # a float64 network takes it


@pytest.mark.parametrize(("value", "message"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_32_nan_or_infinity_at_predict_after_a_clean_fit(value, message):
    X, y = _separable()
    net = Network.from_sizes([2, 3, 1], seed=0)
    net.fit(X, y, epochs=2, verbose=0)
    bad = X.copy()
    bad[0, 5] = value
    for method in (net.predict, net.predict_proba, lambda X: net.evaluate(X, y)):
        with pytest.raises(ValueError, match=f"Input X contains {message}"):
            method(bad)


def test_33_nan_or_infinity_in_y():
    X, y = _separable()
    labels = y.astype(float)
    labels[3] = np.nan
    with pytest.raises(ValueError, match="Input Y contains NaN"):
        Network.from_sizes([2, 1], seed=0).fit(X, labels, verbose=0)
    target = X[0].copy()
    target[4] = np.inf
    with pytest.raises(ValueError, match="Input Y contains infinity"):
        Network.from_sizes([2, 1], output="linear", seed=0).fit(X, target, verbose=0)
    one_hot = np.zeros((2, X.shape[1]))
    one_hot[0, 1] = np.nan
    with pytest.raises(ValueError, match="Input Y contains NaN"):
        Network.from_sizes([2, 2], output="softmax", seed=0).fit(X, one_hot, verbose=0)


def test_34_no_examples_at_predict():
    net = Network.from_sizes([2, 1], seed=0)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\) \(shape=\(2, 0\)\)"):
        net.predict(np.ones((2, 0)))


def test_35_zero_features_at_fit_and_predict():
    message = r"Found array with 0 feature\(s\) \(shape=\(0, 12\)\) while a minimum of 1"
    with pytest.raises(ValueError, match=message):
        Network.from_sizes([2, 1], seed=0).fit(np.ones((0, 12)), np.zeros(12), verbose=0)
    with pytest.raises(ValueError, match=message):
        Network.from_sizes([2, 1], seed=0).predict(np.ones((0, 12)))


def test_36_one_example():
    X, y = _separable()
    # a classifier needs two classes; one example has one ...
    with pytest.raises(ValueError, match="at least 2 classes; got 1"):
        Network.from_sizes([2, 1], seed=0).fit(X[:, :1], y[:1], verbose=0)
    # ... unless the classes are given
    net = Network.from_sizes([2, 1], seed=0)
    net.fit(X[:, :1], y[:1], classes=[0, 1], epochs=2, verbose=0)
    assert net.predict(X[:, :1]).shape == (1,)
    # regression on one example trains, and predicts one value
    reg = Network.from_sizes([2, 1], output="linear", seed=0)
    history = reg.fit(X[:, :1], np.array([3.0]), lr=0.1, epochs=20, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert reg.predict(X[:, :1]).shape == (1,)


def test_37_one_feature():
    X, y = _separable()
    net = Network.from_sizes([1, 4, 1], seed=0)
    history = net.fit(X[:1], y, lr=0.05, epochs=20, verbose=0)
    assert np.isfinite(history["loss"]).all()
    assert net.predict(X[:1]).shape == (X.shape[1],)
    assert net.evaluate(X[:1], y)["accuracy"] > 0.7


def test_38_one_dimensional_X_at_predict():
    net = Network.from_sizes([2, 1], seed=0)
    with pytest.raises(ValueError, match=r"Expected 2D array, got 1D array instead.*reshape"):
        net.predict(np.ones(2))


def test_39_wrong_number_of_features_at_predict():
    X, y = _separable()
    net = Network.from_sizes([2, 1], seed=0)
    net.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(vecnn.ShapeError, match=r"X has 3 features .* expecting n\[0\] = 2"):
        net.predict(np.ones((3, 5)))


def test_41_labels_of_any_one_type_come_back_mixed_types_are_refused():
    X, y = _separable()
    for labels in (np.where(y == 1, 7, -3), np.where(y == 1, 12, 10)):  # negative, not from 0
        net = Network.from_sizes([2, 1], seed=0)
        net.fit(X, labels, lr=0.05, epochs=30, verbose=0)
        assert list(net.classes_) == sorted(set(labels.tolist()))
        assert (net.predict(X) == labels).mean() > 0.9
    mixed = np.array([1, "a"] * 30, dtype=object)
    with pytest.raises(ValueError, match="mixes label types"):
        Network.from_sizes([2, 1], seed=0).fit(X, mixed, verbose=0)


def test_44_y_as_a_column_vector_is_refused_saying_ravel():
    X, y = _separable()
    with pytest.raises(ValueError, match=r"Y is a column \(m, 1\): pass Y\.ravel\(\)"):
        Network.from_sizes([2, 1], seed=0).fit(X, y.reshape(-1, 1), verbose=0)
    with pytest.raises(ValueError, match=r"Y\.ravel\(\)"):
        Network.from_sizes([2, 1], output="linear", seed=0).fit(X, X[0].reshape(-1, 1), verbose=0)
    # Y.ravel() gives the same training as 1-D labels; a (1, m) row of 0/1 is Y[1] itself
    a, b, c = (Network.from_sizes([2, 1], seed=0) for _ in range(3))
    a.fit(X, y, epochs=2, verbose=0)
    b.fit(X, y.reshape(-1, 1).ravel(), epochs=2, verbose=0)
    c.fit(X, y.reshape(1, -1), epochs=2, verbose=0)
    _same_weights(a, b)
    _same_weights(a, c)


def _memmap(X: np.ndarray, tmp_path: Path) -> np.ndarray:
    stored = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=X.dtype, shape=X.shape)
    stored[...] = X
    stored.flush()
    del stored
    return np.load(tmp_path / "X.npy", mmap_mode="r")


def _read_only(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X.setflags(write=False)
    return X


INPUTS = {
    "bool": lambda X, tmp: X > 0,
    "int32": lambda X, tmp: np.round(X * 10).astype(np.int32),
    "float32": lambda X, tmp: X.astype(np.float32),
    "float64": lambda X, tmp: X,
    "read-only": lambda X, tmp: _read_only(X),
    "read-only memmap": _memmap,
    "Fortran-ordered": lambda X, tmp: np.asfortranarray(X),
    "non-contiguous view": lambda X, tmp: np.repeat(X, 2, axis=1)[:, ::2],
    "list of lists": lambda X, tmp: X.tolist(),
    "object of numbers": lambda X, tmp: X.astype(object),
}


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_45_input_dtypes_and_layouts_train_as_their_float_values(kind, dtype, tmp_path):
    """Each kind of X trains and predicts exactly as ``np.asarray(X, float64)`` does, and
    is never written to."""
    X0, y = _separable()
    X = INPUTS[kind](X0, tmp_path)
    reference = np.array(X, dtype=np.float64)
    kept = reference.copy()
    a = Network.from_sizes([2, 3, 1], seed=0, dtype=dtype)
    b = Network.from_sizes([2, 3, 1], seed=0, dtype=dtype)
    a.fit(X, y, epochs=2, verbose=0)
    b.fit(reference, y, epochs=2, verbose=0)
    _same_weights(a, b)
    assert all(p.dtype == np.dtype(dtype) for p in a.parameters())
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(reference))
    assert a.predict_proba(X).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.array(X, dtype=np.float64), kept)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([["a", "b", "c"], ["d", "e", "f"]]), "not numbers"),
        (np.array([["1", "x", "3"], [4, 5, 6]], dtype=object), "not numbers"),
        (np.ones((2, 3)) + 1j, "Complex data not supported"),
        ([[1.0, 2.0, 3.0], [4.0, 5.0]], "ragged"),
    ],
)
def test_45_strings_complex_and_ragged_X_are_refused(X, message):
    with pytest.raises(ValueError, match=message):
        Network.from_sizes([2, 1], seed=0).fit(X, np.array([0, 1, 0]), verbose=0)


def test_45_numeric_strings_are_read_as_numbers():
    X, y = _separable()
    a, b = Network.from_sizes([2, 1], seed=0), Network.from_sizes([2, 1], seed=0)
    a.fit(X.astype(str), y, epochs=1, verbose=0)
    b.fit(X, y, epochs=1, verbose=0)
    _same_weights(a, b)


def test_46_sparse_input_is_refused_saying_toarray():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _separable()
    net = Network.from_sizes([2, 1], seed=0)
    for make in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix, sparse.csr_array):
        Xs = make(X)
        with pytest.raises(TypeError, match=r"X is a sparse matrix.*X\.toarray\(\)"):
            net.fit(Xs, y, verbose=0)
        for method in (net.predict, net.predict_proba, lambda X: net.evaluate(X, y)):
            with pytest.raises(TypeError, match=r"dense input.*toarray\(\)"):
                method(Xs)
    with pytest.raises(TypeError, match=r"Y is a sparse matrix.*Y\.toarray\(\)"):
        net.fit(X, sparse.csr_matrix(y.reshape(1, -1)), verbose=0)
    net.fit(sparse.csr_matrix(X).toarray(), y, epochs=1, verbose=0)  # the advice works


def test_47_sample_order_and_subset_invariance():
    """Permuted columns give permuted predictions, a subset the subset's, and one column
    at a time the batch's, to float32 precision: float32 matrix products may round the last
    bit differently for another number of columns m, so bit-identity is not asked."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 120))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, size=120)]
    net = Network.from_sizes([4, 16, 3], output="softmax", seed=0)
    net.fit(X, y, epochs=3, verbose=0)
    P, labels = net.predict_proba(X), net.predict(X)

    def close(got: np.ndarray, expected: np.ndarray) -> None:
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7)

    order = rng.permutation(120)
    close(net.predict_proba(X[:, order]), P[:, order])
    np.testing.assert_array_equal(net.predict(X[:, order]), labels[order])
    subset = rng.choice(120, size=17, replace=False)
    close(net.predict_proba(X[:, subset]), P[:, subset])
    one_by_one = np.concatenate([net.predict_proba(X[:, [i]]) for i in range(120)], axis=1)
    close(one_by_one, P)
    assert [net.predict(X[:, [i]])[0] for i in range(120)] == labels.tolist()


def test_48_same_seed_same_fit_copies_predict_the_same_and_refit_continues():
    X, y = _separable()
    a, b = Network.from_sizes([2, 4, 1], seed=3), Network.from_sizes([2, 4, 1], seed=3)
    a.fit(X, y, epochs=3, verbose=0)
    b.fit(X, y, epochs=3, verbose=0)
    _same_weights(a, b)
    P = a.predict_proba(X)
    for twin in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        np.testing.assert_array_equal(twin.predict_proba(X), P)
        np.testing.assert_array_equal(twin.classes_, a.classes_)
    rebuilt = Network.from_config(a.config())  # same architecture, task and classes
    rebuilt.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(rebuilt.predict_proba(X), P)
    # a second fit continues from the current weights (Keras-style), it does not restart
    before = a.copy_weights()
    a.fit(X, y, epochs=1, verbose=0)
    assert any(not np.array_equal(before[k], v) for k, v in a.state_dict().items())


def test_49_predict_and_evaluate_before_fit_use_the_output_layer():
    X, y = _separable()
    net = Network.from_sizes([2, 3], output="softmax", seed=0)
    assert net.classes_ is None and net.task == "multiclass"
    assert set(net.predict(X).tolist()) <= {0, 1, 2}
    scores = vecnn.Network.from_sizes([2, 1], seed=0).evaluate(X, y)
    assert 0 <= scores["accuracy"] <= 1


BAD_SETTINGS = {
    "lr negative": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, lr=-0.1), "lr"),
    "lr NaN": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, lr=float("nan")), "lr"),
    "lr infinite": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, lr=float("inf")), "lr"),
    "layer of 0 units": (lambda X, y: Network.from_sizes([2, 0, 1]), "n_out"),
    "layer of 2.5 units": (lambda X, y: Network.from_sizes([2, 2.5, 1]), "n_out"),
    "unknown activation": (lambda X, y: Network.from_sizes([2, 3, 1], hidden="swish"), "swish"),
    "unknown output": (lambda X, y: Network.from_sizes([2, 1], output="swish"), "activation"),
    "unknown init": (lambda X, y: Network.from_sizes([2, 1], init="bogus"), "initializer"),
    "float16": (lambda X, y: Network.from_sizes([2, 1], dtype="float16"), "dtype"),
    "batch_size 0": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, batch_size=0), "batch"),
    "batch_size 2.5": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, batch_size=2.5), "batch"),
    "epochs 0": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, epochs=0), "epochs"),
    "dropout 1.5": (lambda X, y: vecnn.nn.Dropout(1.5), "rate"),
    "patience -1": (
        lambda X, y: Network.from_sizes([2, 1]).fit(X, y, early_stopping=-1),
        "patience",
    ),
    "l2 negative": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, l2=-1.0), "l2"),
    "split 1.5": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, validation_split=1.5), "split"),
    "unknown loss": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, loss="hinge"), "loss"),
    "unknown optimizer": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, optimizer="x"), "x"),
    "unknown schedule": (lambda X, y: Network.from_sizes([2, 1]).fit(X, y, schedule="w"), "sched"),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_50_invalid_hyperparameters_name_the_parameter(case):
    X, y = _separable()
    make, name = BAD_SETTINGS[case]
    with pytest.raises(ValueError, match=name):
        make(X, y)


def test_51_a_later_fit_keeps_the_classes_and_the_features():
    X, _ = _separable()
    labels = np.array(["ant", "bee", "cat"])[np.arange(X.shape[1]) % 3]
    net = Network.from_sizes([2, 3], output="softmax", seed=0)
    net.fit(X, labels, epochs=1, verbose=0)
    some = labels != "cat"
    net.fit(X[:, some], labels[some], epochs=1, verbose=0)  # a class may be absent
    assert net.classes_.tolist() == ["ant", "bee", "cat"]
    with pytest.raises(ValueError, match=r"Y has labels not in classes: \['dog'\]"):
        net.fit(X, np.where(labels == "cat", "dog", labels), epochs=1, verbose=0)
    # two units, two classes: new labels would silently take over the old units' meaning
    binary = Network.from_sizes([2, 1], seed=0)
    binary.fit(X, np.where(X[0] > 0, "no", "yes"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="not in classes"):
        binary.fit(X, np.where(X[0] > 0, "yes", "zzz"), epochs=1, verbose=0)
    binary.fit(X, np.where(X[0] > 0, 1, 0), classes=[0, 1], epochs=1, verbose=0)  # relabel
    assert binary.classes_.tolist() == [0, 1]
    with pytest.raises(vecnn.ShapeError, match=r"X has 3 features"):
        binary.fit(np.ones((3, 6)), np.array([0, 1] * 3), verbose=0)


def test_52_a_square_transposed_X_cannot_be_told_apart_and_summary_says_so():
    net = Network.from_sizes([3, 1], seed=0)
    with pytest.raises(vecnn.ShapeError, match=r"pass X\.T"):
        net.predict(np.ones((5, 3)))  # m ≠ n[0]: caught, with the fix
    assert net.predict(np.ones((3, 3))).shape == (3,)  # m = n[0]: no shape can tell
    assert "a transposed X fits too" in net.summary()


# ============================================================ D. the command line (core)
def test_59_unseen_labels_at_evaluate_are_named_and_predict_works():
    X, _ = _separable()
    labels = np.array(["ant", "bee"])[(X[0] > 0).astype(int)]
    net = Network.from_sizes([2, 1], seed=0)
    net.fit(X, labels, epochs=2, verbose=0)
    unseen = labels.astype(object)
    unseen[:3] = "zebra"
    with pytest.raises(ValueError, match=r"Y has labels not in classes: \['zebra'\]"):
        net.evaluate(X, unseen)
    assert set(net.predict(X).tolist()) <= {"ant", "bee"}


def _peak_predict_memory(capsys, model: Path, rows: int, folder: Path) -> int:
    rng = np.random.default_rng(rows)
    data = folder / f"big{rows}.csv"
    with data.open("w", encoding="utf-8") as handle:
        handle.write("x1,x2\n")
        handle.writelines(f"{a:.4f},{b:.4f}\n" for a, b in rng.normal(size=(rows, 2)))
    tracemalloc.start()
    try:
        code, _, err = _cli(capsys, "predict", model, data, "-o", folder / f"p{rows}.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0, err
    assert sum(1 for _ in (folder / f"p{rows}.csv").open()) == rows + 1
    return peak


def test_63_predict_streams_a_large_file_in_bounded_memory(capsys, tmp_path, monkeypatch):
    header, rows = _points(40)
    data = _write_csv(tmp_path / "train.csv", header, rows)
    code, _, err = _cli(
        capsys, "train", data, "--target", "label", "--epochs", 1, "--out", tmp_path / "run", "-q"
    )
    assert code == 0, err
    model = tmp_path / "run" / "model.vecnn"
    monkeypatch.setattr(vecnn.cli.predict, "CHUNK_ROWS", 100)
    small = _peak_predict_memory(capsys, model, 2_000, tmp_path)
    large = _peak_predict_memory(capsys, model, 16_000, tmp_path)
    # eight times the rows, about the same memory: it depends on the chunk, not the file
    assert large < 1.5 * small + 200_000, (small, large)
    monkeypatch.setattr(vecnn.cli.predict, "CHUNK_ROWS", 10**9)  # the whole file at once
    assert _peak_predict_memory(capsys, model, 16_000, tmp_path) > 3 * large


# ==================================================================== E. numerics
def test_68_saturated_probabilities_give_finite_losses():
    """vecnn has no BCE on probabilities: its cross-entropies take logits, and
    ``metrics.log_loss`` clips probabilities to [eps, 1 − eps]."""
    on_probabilities = {name for name, loss in vecnn.losses.LOSSES.items() if not loss.takes_logits}
    assert on_probabilities == {"mse", "mean_squared_error"}  # no cross-entropy among them
    with pytest.raises(ValueError, match="unknown loss"):
        vecnn.losses.get_loss("bce_from_probabilities", "sigmoid")
    Z = np.array([[-1e4, 1e4, 1e4, -1e4]])  # sigmoid gives exactly 0 and 1
    Y = np.array([[0.0, 1.0, 0.0, 1.0]])  # right, right, wrong, wrong with certainty
    loss = ops.binary_cross_entropy_with_logits(Tensor(Z), Y).item()
    assert loss == pytest.approx(2 * 1e4 / 4)
    proba = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]])  # exact 0 and 1
    assert np.isfinite(vecnn.metrics.log_loss(np.array([0, 1, 0, 1]), proba))


def test_69_a_softmax_column_of_all_minus_infinity():
    """The column is NaN (0/0), the other columns are right; in the anomaly mode the
    backward pass names the operation."""
    Z = np.array([[1.0, -np.inf], [2.0, -np.inf], [0.5, -np.inf]])
    with np.errstate(invalid="ignore"):
        S = ops.softmax(Tensor(Z)).data
    assert np.isnan(S[:, 1]).all()
    np.testing.assert_allclose(S[:, 0], np.exp(Z[:, 0]) / np.exp(Z[:, 0]).sum())
    Y = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    cases = {
        "softmax": lambda z: ops.softmax(z).sum(),
        "log_softmax": lambda z: ops.log_softmax(z).sum(),
        "softmax_cross_entropy_with_logits": lambda z: ops.softmax_cross_entropy_with_logits(z, Y),
    }
    for name, cost in cases.items():
        z = Tensor(Z, requires_grad=True)
        with vecnn.detect_anomaly(), np.errstate(invalid="ignore"):
            J = cost(z)
            assert np.isnan(J.item())
            with pytest.raises(FloatingPointError, match=f"'{name}' produced NaN in its backward"):
                J.backward()
    # fit never gets there: an infinite X is refused at the edge
    X, y = _separable()
    X[0, 0] = -np.inf
    with pytest.raises(ValueError, match="infinity"):
        Network.from_sizes([2, 2], output="softmax", seed=0).fit(X, y, verbose=0)


def test_72_float32_and_float64_agree_on_the_same_weights_and_keep_their_dtype(tmp_path):
    X, y = _separable(m=64)
    n32 = Network.from_sizes([2, 8, 1], seed=0, dtype="float32")
    n64 = Network.from_sizes([2, 8, 1], seed=0, dtype="float64")
    n64.load_state_dict({k: v.astype(np.float64) for k, v in n32.state_dict().items()})
    p32, p64 = n32.predict_proba(X), n64.predict_proba(X)
    assert (p32.dtype, p64.dtype) == (np.float32, np.float64)
    np.testing.assert_allclose(p32, p64, rtol=1e-5, atol=1e-6)
    for net in (n32, n64):  # the same full-batch SGD steps
        net.fit(X, y, optimizer="sgd", lr=0.1, epochs=5, batch_size=None, shuffle=False, verbose=0)
    for name, array in n32.state_dict().items():
        assert array.dtype == np.float32
        np.testing.assert_allclose(array, n64.state_dict()[name], rtol=1e-4, atol=1e-5)
    for net, dtype in ((n32, np.float32), (n64, np.float64)):
        loaded = vecnn.load(vecnn.save(net, tmp_path / f"{np.dtype(dtype).name}.vecnn"))
        assert loaded.predict_proba(X).dtype == dtype
        np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_73_seeds_decide_the_weights_and_global_random_state_is_untouched(tmp_path):
    X, y = _separable()
    np.random.seed(1234)
    random.seed(1234)
    numpy_state, python_state = np.random.get_state(), random.getstate()

    def trained(seed: int) -> Network:
        net = Network(
            [Dense(2, 8, "relu"), vecnn.nn.Dropout(0.3), Dense(8, 1, "sigmoid")], seed=seed
        )
        net.fit(X, y, epochs=2, validation_split=0.2, verbose=0)
        return net

    a, b, c = trained(0), trained(0), trained(1)
    _same_weights(a, b)
    assert not np.array_equal(a.state_dict()["W[1]"], c.state_dict()["W[1]"])
    a.predict(X)
    a.evaluate(X, y)
    vecnn.load(vecnn.save(a, tmp_path / "a.vecnn")).predict(X)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and after[2:] == numpy_state[2:]
    np.testing.assert_array_equal(after[1], numpy_state[1])


# ================================================================= F. training faults
class _WeightsAfterEachStep(vecnn.Callback):
    def on_train_begin(self, network):
        self.last = network.copy_weights()
        self.steps = 0

    def on_batch_end(self, network, step, logs):
        self.last = network.copy_weights()
        self.steps += 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("scale", "lr", "dtype"), [(1e3, 1e3, "float32"), (1e150, 1e-3, "float64")]
)
def test_74_divergence_names_epoch_and_step_and_keeps_the_last_good_weights(scale, lr, dtype):
    X, y = _separable(m=100)
    net = Network.from_sizes([2, 32, 32, 1], seed=0, dtype=dtype)
    snapshot = _WeightsAfterEachStep()
    with pytest.raises(vecnn.TrainingDivergedError) as caught:
        net.fit(
            X * scale,
            y,
            optimizer="sgd",
            lr=lr,
            epochs=20,
            batch_size=10,
            callbacks=[snapshot],
            verbose=0,
        )
    message = str(caught.value)
    assert f"step {snapshot.steps + 1}:" in message and "epoch " in message
    assert "lower learning rate" in message and "scale the inputs" in message
    for name, array in net.state_dict().items():
        assert np.isfinite(array).all(), name
        np.testing.assert_array_equal(array, snapshot.last[name], err_msg=name)
    assert isinstance(caught.value, FloatingPointError)


def test_74_inputs_beyond_float32_are_refused_before_training():
    X, y = _separable()
    with pytest.raises(ValueError, match=r"too large for dtype\('float32'\)"):
        Network.from_sizes([2, 1], seed=0).fit(X * 1e150, y, verbose=0)


def _checkpoint_run(capsys, data: Path, out: Path, *extra: object) -> tuple[int, str, str]:
    return _cli(
        capsys,
        "train",
        data,
        "--target",
        "label",
        "--layers",
        "4",
        "--epochs",
        3,
        "--quiet",
        "--out",
        out,
        *extra,
    )


def test_77_an_interrupt_inside_a_checkpoint_save_leaves_the_previous_one(
    capsys, tmp_path, monkeypatch
):
    """Ctrl-C (a first or a second one) while the checkpoint of epoch 2 is being written:
    the checkpoint of epoch 1 stays byte for byte, no temporary file is left, exit 130,
    and --resume goes on from it."""
    header, rows = _points(40)
    data = _write_csv(tmp_path / "points.csv", header, rows)
    out = tmp_path / "run"
    checkpoint = out / "checkpoint.vecnn"
    real_fsync = os.fsync
    previous: list[bytes] = []

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode) and checkpoint.exists():
            previous.append(checkpoint.read_bytes())
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(vecnn.io.files.os, "fsync", fsync)
    code, _, err = _checkpoint_run(capsys, data, out)
    monkeypatch.undo()
    assert code == 130
    assert len(previous) == 1
    assert checkpoint.read_bytes() == previous[0]
    assert vecnn.io.read(checkpoint).training_state["epoch"] == 1
    assert f"after epoch 1 are saved in {checkpoint}" in err
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]
    code, _, err = _checkpoint_run(capsys, data, out, "--resume", checkpoint)
    assert code == 0, err
    assert vecnn.io.read(checkpoint).training_state["epoch"] == 3


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_77_after_sigkill_the_last_completed_checkpoint_loads(tmp_path):
    header, rows = _points(300)
    data = _write_csv(tmp_path / "points.csv", header, rows)
    out = tmp_path / "run"
    checkpoint = out / "checkpoint.vecnn"
    command = [sys.executable, "-m", "vecnn", "train", str(data), "--target", "label"]
    command += ["--layers", "64,64", "--epochs", "100000", "--quiet", "--out", str(out)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpoint.exists()
        time.sleep(0.5)  # a few more epochs: the kill may land inside a save
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    stored = vecnn.io.read(checkpoint)
    assert stored.training_state["epoch"] >= 1
    X = np.array([[0.5, -1.0], [1.5, -2.0]])
    assert np.isfinite(stored.network.predict_proba(X)).all()
    # a temporary file the kill interrupted may remain; it is never read as the checkpoint
    assert all(name.endswith(".tmp") for name in os.listdir(out) if name.startswith("."))


def test_79_fit_runs_its_epochs_without_a_convergence_warning():
    X, y = _separable()
    net = Network.from_sizes([2, 1], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(X, y, lr=1e-4, epochs=3, verbose=0)  # far from converged
    assert len(history) == 3 and history.stopped_epoch is None
    assert history["loss"][-1] < history["loss"][0]
    assert net.predict(X).shape == (X.shape[1],)  # usable


def test_80_a_validation_split_that_leaves_no_example(capsys, tmp_path):
    X, y = _separable()
    with pytest.raises(ValueError, match="leaves 0 for validation and 3 for training"):
        Network.from_sizes([2, 1], seed=0).fit(X[:, :3], y[:3], validation_split=0.1, verbose=0)
    with pytest.raises(ValueError, match="leaves 1 for validation and 0 for training"):
        Network.from_sizes([2, 1], output="linear", seed=0).fit(
            X[:, :1], np.array([1.0]), validation_split=0.9, verbose=0
        )
    # the classes are learned from all of Y before the split: a class absent from the
    # training part is no error
    labels = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    net = Network.from_sizes([2, 1], seed=0)
    net.fit(X[:, :8], labels, validation_split=0.25, shuffle=False, epochs=1, verbose=0)
    assert net.classes_.tolist() == [0, 1]
    # early stopping without validation data watches the training loss
    history = Network.from_sizes([2, 1], seed=0).fit(X, y, early_stopping=1, epochs=3, verbose=0)
    assert len(history) >= 2
    # the command line: exit 1 and one line that says what to do
    header, rows = _points(3)
    data = _write_csv(tmp_path / "three.csv", header, rows)
    code, out, err = _cli(
        capsys, "train", data, "--target", "label", "--val-split", 0.1, "--out", tmp_path / "r"
    )
    assert code == 1 and out == ""
    assert err.strip() == (
        "vecnn: error: --val-split 0.1 of 3 rows leaves 0 for validation and 3 for training; "
        "use more rows or --val-split 0"
    )


# ==================================================================== further cases
@pytest.mark.parametrize("seed", ["abc", -1, 1.5, True])
def test_81_a_bad_seed_is_a_value_error_naming_seed(seed):
    X, y = _separable()
    message = r"seed must be None, a non-negative integer or a numpy.random.Generator"
    for make in (
        lambda: Network.from_sizes([2, 1], seed=seed),
        lambda: Network([Dense(2, 1)], seed=seed),
        lambda: Dense(2, 1, seed=seed),
        lambda: vecnn.nn.Dropout(0.1, seed=seed),
        lambda: Network.from_sizes([2, 1], seed=0).fit(X, y, seed=seed, verbose=0),
    ):
        with pytest.raises(ValueError, match=message):
            make()


def test_82_bad_validation_data_is_named():
    X, y = _separable()
    net = Network.from_sizes([2, 1], seed=0)
    with pytest.raises(vecnn.ShapeError, match=r"X_val has 3 features"):
        net.fit(X, y, validation_data=(np.ones((3, 4)), y[:4]), verbose=0)
    with pytest.raises(ValueError, match="Input X_val contains NaN"):
        net.fit(X, y, validation_data=(np.full((2, 3), np.nan), y[:3]), verbose=0)
    with pytest.raises(ValueError, match="different numbers of examples"):
        net.fit(X, y, validation_data=(X, y[:4]), verbose=0)
    with pytest.raises(ValueError, match=r"Y has labels not in classes: \[2\]"):
        net.fit(X, y, validation_data=(X[:, :3], np.array([0, 1, 2])), verbose=0)
    with pytest.raises(ValueError, match="validation_data must be a pair"):
        net.fit(X, y, validation_data=(X, y, y, y), verbose=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_83_huge_regression_targets_stop_at_the_first_step_with_the_weights_unchanged():
    X, _ = _separable()
    for dtype, scale in (("float32", 1e30), ("float32", 1e39), ("float64", 1e200)):
        net = Network.from_sizes([2, 1], output="linear", seed=0, dtype=dtype)
        before = net.copy_weights()
        with pytest.raises(vecnn.TrainingDivergedError, match=r"cost became inf .*step 1:"):
            net.fit(X, X[0] * scale, verbose=0)
        for name, array in net.state_dict().items():
            np.testing.assert_array_equal(array, before[name])


def test_84_batch_norm_with_a_last_mini_batch_of_one_example():
    # 41 examples in batches of 20: the last one (1 example) joins the one before, since
    # batch norm needs 2 examples for a variance
    X, y = _separable(m=41)
    net = Network([Dense(2, 3), BatchNorm(3), Activation("relu"), Dense(3, 1, "sigmoid")], seed=0)
    steps = []

    class Count(vecnn.Callback):
        def on_batch_end(self, network, step, logs):
            steps.append(step)

    net.fit(X, y, batch_size=20, epochs=2, callbacks=[Count()], verbose=0)
    assert len(steps) == 4  # two batches (20 and 21) per epoch
    plain = Network.from_sizes([2, 3, 1], seed=0)
    steps.clear()
    plain.fit(X, y, batch_size=20, epochs=1, callbacks=[Count()], verbose=0)
    assert len(steps) == 3  # without batch norm the last batch of 1 stays
