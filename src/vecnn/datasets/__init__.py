"""Datasets shipped inside the package: read with no download and no other library.

``digits``: the 1,797 handwritten digits (8×8 images, 16 grey levels) of the UCI "Optical
Recognition of Handwritten Digits" data set (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), the
same set that scikit-learn bundles as ``load_digits``: 64 pixel columns ``pixel_0`` …
``pixel_63`` (0–16) and the label column ``digit``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

from vecnn.backend.host import Array, xp
from vecnn.csvfile import read_csv

DIGITS = "digits.csv.gz"


def digits_path() -> AbstractContextManager[Path]:
    """A context giving the path of the bundled digits CSV (gzip-compressed)."""
    return resources.as_file(resources.files(__name__) / DIGITS)


def load_digits() -> tuple[Array, Array]:
    """``(X, y)``: ``X (64, 1797)`` pixel values 0–16, examples as columns; ``y (1797,)``."""
    with digits_path() as path:
        table = read_csv(path)
    values = xp.array(table.rows, dtype=xp.float64)
    return values[:, :-1].T.copy(), values[:, -1].astype(xp.int64)
