"""The API's share of the second robustness round (issue 11): NumPy scalars welcome,
thresholds checked (items 26, 27)."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Network
from vecnn.nn import BatchNorm, Dense, Dropout
from vecnn.optim import Adam
from vecnn.train.callbacks import EarlyStopping


def _binary(m: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, m))
    return X, (X[0] > 0).astype(int)


def test_numpy_scalars_are_accepted_where_python_numbers_are(tmp_path):
    """Item 26: batch_size=np.int64(8), lr=np.float32(0.01), Dense(np.int64(3), 4) were
    refused."""
    net = Network(
        [
            Dense(np.int64(3), np.int32(4), "relu", seed=0),
            BatchNorm(np.int64(4)),
            Dropout(np.float32(0.1)),
            Dense(4, 1, "sigmoid", seed=1),
        ],
        seed=0,
    )
    X, y = _binary()
    history = net.fit(
        X,
        y,
        epochs=np.int64(2),
        batch_size=np.int64(8),
        lr=np.float32(0.01),
        l2=np.float64(0.0),
        callbacks=[EarlyStopping(patience=np.int64(3), monitor="loss")],
        verbose=0,
    )
    assert len(history.history["loss"]) == 2
    path = vecnn.save(net, tmp_path / "m.vecnn")  # the sizes are JSON ints
    assert vecnn.load(path).layers[0].n_in == 3


def test_an_int_beyond_float_range_is_a_value_error():
    """Item 26: a bare OverflowError before."""
    net = Network([Dense(3, 1, "sigmoid", seed=0)])
    with pytest.raises(ValueError, match="lr must be finite"):
        Adam(net.parameters(), lr=10**400)
    X, y = _binary()
    with pytest.raises(ValueError, match="finite"):
        net.fit(X, y, epochs=1, lr=10**400, verbose=0)


@pytest.mark.parametrize("threshold", [2, -0.1, 0, 1.0, float("nan"), "0.5", True])
def test_a_binary_threshold_outside_0_1_is_refused(threshold):
    """Item 27: 2 or nan gave all-negative predictions, a string a NumPy error."""
    net = Network([Dense(3, 1, "sigmoid", seed=0)])
    X, y = _binary()
    net.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\)"):
        net.predict(X, threshold=threshold)
    assert net.predict(X, threshold=np.float32(0.3)).shape == (40,)


def test_a_threshold_is_refused_where_it_has_no_meaning():
    """Item 27: a softmax network ignored it silently."""
    net = Network([Dense(3, 3, "softmax", seed=0)])
    X = np.random.default_rng(1).normal(size=(3, 30))
    net.fit(X, np.arange(30) % 3, epochs=1, verbose=0)
    assert net.predict(X).shape == (30,)
    with pytest.raises(ValueError, match="no meaning for a multiclass network"):
        net.predict(X, threshold=0.7)
    reg = Network([Dense(3, 1, "linear", seed=0)])
    reg.fit(X, X[0], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no meaning for a regression network"):
        reg.predict(X, threshold=0.2)


def test_multilabel_thresholds_are_checked_per_unit():
    net = Network([Dense(3, 2, "sigmoid", seed=0)])
    X = np.random.default_rng(2).normal(size=(3, 30))
    Y = np.vstack([X[0] > 0, X[1] > 0]).astype(float)
    net.fit(X, Y, epochs=1, verbose=0)
    assert net.predict(X, threshold=[0.2, 0.8]).shape == (2, 30)
    with pytest.raises(ValueError, match="a list of 2"):
        net.predict(X, threshold=[0.2, 0.5, 0.8])
    with pytest.raises(ValueError, match=r"a number in \(0, 1\)"):
        net.predict(X, threshold=[0.2, 1.5])


@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 1, None, 1, 0, 1] * 5, dtype=object),
        np.array(["a", "b", float("nan"), "a", "b", "a"] * 5, dtype=object),
    ],
)
def test_missing_labels_in_an_object_y_are_refused(labels):
    """Item 13: NaN, None (or pd.NA, a pandas nullable Int64 column) became a class."""
    X = np.random.default_rng(3).normal(size=(2, 30))
    net = Network([Dense(2, 1, "sigmoid", seed=0)])
    with pytest.raises(ValueError, match=r"missing labels \(NaN, None or pd.NA\) at position"):
        net.fit(X, labels, epochs=1, verbose=0)


def test_pandas_na_labels_are_refused():
    pd = pytest.importorskip("pandas")
    y = pd.Series([0, 1, None, 1] * 5, dtype="Int64").to_numpy(dtype=object)
    X = np.random.default_rng(3).normal(size=(2, 20))
    with pytest.raises(ValueError, match="missing labels"):
        Network([Dense(2, 1, "sigmoid", seed=0)]).fit(X, y, epochs=1, verbose=0)


def test_questionable_inputs_are_refused_with_a_message():
    """Item 17: each of these was accepted silently."""
    X = np.random.default_rng(4).normal(size=(2, 6))
    net = Network([Dense(2, 3, "softmax", seed=0)])
    with pytest.raises(ValueError, match="mixes label types"):
        net.fit(X, [1, "1", 2, 1, "1", 2], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="'_'"):
        net.predict(np.array([["1_000", "2"], ["3", "4"]]))
    dates = np.array([["2020-01-01", "2020-01-02"], ["2021-01-01", "2021-01-02"]], "M8[D]")
    with pytest.raises(ValueError, match="dates or durations"):
        net.predict(dates)
    with pytest.raises(ValueError, match="dates or durations"):
        net.predict(np.ones((2, 3), dtype="m8[s]"))
    masked = np.ma.masked_array(X, mask=np.eye(2, 6, dtype=bool))
    with pytest.raises(ValueError, match="masked array with masked entries"):
        net.predict(masked)
    assert net.predict(np.ma.masked_array(X)).shape == (6,)  # nothing masked: fine
