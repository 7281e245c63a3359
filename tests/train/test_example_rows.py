"""A repeated ``fit`` on the same ``X`` reuses its example-contiguous rows, unless ``X``
changed; the kept rows go when ``X`` does."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import vecnn
from vecnn.data import check_X
from vecnn.train import example_rows


def _columns(X, n_features=6):
    return example_rows.checked_columns(
        X, lambda X: check_X(X, n_features, dtype="float32"), n_features, "float32"
    )


@pytest.fixture(autouse=True)
def _nothing_kept():
    example_rows.forget_kept_rows()
    yield
    example_rows.forget_kept_rows()


def _X(m: int = 50, n0: int = 6) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n0, m)).astype(np.float32)  # C-ordered


def test_the_same_unchanged_X_gets_the_same_rows_back():
    X = _X()
    first = _columns(X)
    again = _columns(X)
    np.testing.assert_array_equal(first, X)
    assert first.T.flags.c_contiguous and not np.shares_memory(first, X)
    assert np.shares_memory(first, again)  # no second copy


def test_an_X_changed_in_place_is_copied_again():
    X = _X()
    first = _columns(X)
    X[2, 7] += 1.0
    again = _columns(X)
    assert not np.shares_memory(first, again)
    np.testing.assert_array_equal(again, X)


def test_a_nan_written_into_a_kept_X_is_still_refused():
    X = _X()
    _columns(X)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _columns(X)


def test_the_wrong_number_of_features_is_still_refused_for_a_kept_X():
    X = _X()
    _columns(X)
    with pytest.raises(vecnn.errors.ShapeError):
        _columns(X, 5)


def test_the_rows_go_when_X_does():
    X = _X()
    _columns(X)
    assert example_rows._kept is not None
    del X
    gc.collect()
    assert example_rows._kept is None


def test_rows_that_are_a_view_of_X_are_not_kept():
    rows = _X().T.copy()  # X = rows.T is already example-contiguous: nothing to copy
    columns = _columns(rows.T)
    assert np.shares_memory(columns, rows) and example_rows._kept is None


def test_fit_in_a_loop_on_one_X_equals_one_fit_of_several_epochs():
    X = _X(m=64)
    y = (X[0] + X[1] > 0).astype(int)
    looped = vecnn.Network.from_sizes([6, 5, 1], output="sigmoid", seed=1, dtype="float32")
    once = vecnn.Network.from_sizes([6, 5, 1], output="sigmoid", seed=1, dtype="float32")
    optimizer = vecnn.optim.Adam(looped.parameters(), lr=0.01)
    for _ in range(3):
        looped.fit(X, y, optimizer=optimizer, epochs=1, batch_size=16, verbose=0)
    once.fit(X, y, lr=0.01, epochs=3, batch_size=16, verbose=0)
    for a, b in zip(looped.parameters(), once.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
