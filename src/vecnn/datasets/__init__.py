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
from vecnn.csvfile import Chunk, read_csv

DIGITS = "digits.csv.gz"


def digits_path() -> AbstractContextManager[Path]:
    """A context giving the path of the bundled digits CSV (gzip-compressed)."""
    return resources.as_file(resources.files(__name__) / DIGITS)


def load_digits() -> tuple[Array, Array]:
    """``(X, y)``: ``X (64, 1797)`` pixel values 0–16, examples as columns; ``y (1797,)``."""
    with digits_path() as path:
        table = read_csv(path, keep_text=False)  # every column plain numbers, float64
    columns = [_numbers(table, name) for name in table.columns]
    return xp.stack(columns[:-1]), columns[-1].astype(xp.int64)


def _numbers(table: Chunk, name: str) -> Array:
    """Column ``name`` as the reader parsed it, ``(m,)`` float64."""
    values = table.numbers(name)
    if values is None:  # only if the bundled file were damaged
        raise ValueError(f"the bundled {DIGITS} has a value that is no number in {name!r}")
    return values
