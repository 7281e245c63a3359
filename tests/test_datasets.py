"""The bundled digits: the numbers of the CSV inside the package, parsed once."""

from __future__ import annotations

import csv
import gzip
import io

import numpy as np
import pytest

from vecnn import csvfile
from vecnn.datasets import digits_path, load_digits


def _independently_parsed() -> tuple[np.ndarray, np.ndarray]:
    """The bundled file read with gzip, the csv module and NumPy alone: rows × 65 columns."""
    with digits_path() as path, gzip.open(path, "rt", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(io.StringIO(handle.read())))
    assert header[-1] == "digit" and header[:2] == ["pixel_0", "pixel_1"]
    values = np.array(rows, dtype=np.float64)
    return values[:, :-1], values[:, -1].astype(np.int64)


def test_load_digits_gives_the_files_numbers_as_columns():
    X, y = load_digits()
    rows, labels = _independently_parsed()
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((64, 1797), np.float64, (1797,), np.int64)
    assert X.flags.c_contiguous  # its own array, not a view of the table
    np.testing.assert_array_equal(X, rows.T)
    np.testing.assert_array_equal(y, labels)


def test_load_digits_is_scikit_learns_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = load_digits()
    theirs = datasets.load_digits()
    np.testing.assert_array_equal(X, theirs.data.T)
    np.testing.assert_array_equal(y, theirs.target)


def test_load_digits_parses_the_numbers_once(monkeypatch):
    """The reader parses each column of numbers into float64 as it reads; making the rows'
    text again (``Chunk.rows``) to parse it a second time is not needed."""

    def refused(chunk):
        raise AssertionError("load_digits turned the parsed numbers back into text")

    monkeypatch.setattr(csvfile.Chunk, "rows", property(refused))
    X, y = load_digits()
    assert X.shape == (64, 1797) and y.shape == (1797,)
