"""The 2-D datasets of the playground: ``X (2, m)`` and integer labels ``y (m,)``.

Each generator draws from ``numpy.random.default_rng(seed)`` alone, so the exported
script that calls ``make_dataset`` with the same arguments gets the same points.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from vecnn.backend.host import Array, xp

DATASETS = ("xor", "circles", "moons", "spirals", "blobs")


@dataclass(frozen=True)
class Split:
    """Training and validation columns: ``X (2, m)``, ``y (m,)`` integer labels 0…K−1."""

    X: Array
    y: Array
    X_val: Array
    y_val: Array
    classes: list[str]


def _xor(m: int, rng: xp.random.Generator, noise: float, classes: int) -> tuple[Array, Array]:
    X = rng.uniform(-1, 1, size=(2, m))
    X = X + xp.sign(X) * 0.1  # a margin around the axes, before the noise
    y = ((X[0] > 0) != (X[1] > 0)).astype(xp.intp)
    return X + noise * rng.standard_normal((2, m)), y


def _circles(m: int, rng: xp.random.Generator, noise: float, classes: int) -> tuple[Array, Array]:
    y = rng.integers(0, 2, size=m)
    radius = xp.where(y == 0, rng.uniform(0, 0.5, size=m), rng.uniform(0.7, 1.0, size=m))
    angle = rng.uniform(0, 2 * math.pi, size=m)
    X = xp.stack([radius * xp.cos(angle), radius * xp.sin(angle)])
    return X + noise * rng.standard_normal((2, m)), y


def _moons(m: int, rng: xp.random.Generator, noise: float, classes: int) -> tuple[Array, Array]:
    y = rng.integers(0, 2, size=m)
    t = rng.uniform(0, math.pi, size=m)
    upper = xp.stack([xp.cos(t), xp.sin(t)])
    lower = xp.stack([1 - xp.cos(t), 0.5 - xp.sin(t)])
    X = xp.where(y == 0, upper, lower) - xp.array([[0.5], [0.25]])
    return X + noise * rng.standard_normal((2, m)), y


def _spirals(m: int, rng: xp.random.Generator, noise: float, classes: int) -> tuple[Array, Array]:
    y = rng.integers(0, classes, size=m)
    r = rng.uniform(0.05, 1.0, size=m)
    angle = 2 * math.pi * (r + y / classes)  # one turn per arm
    X = xp.stack([r * xp.cos(angle), r * xp.sin(angle)])
    return X + noise * rng.standard_normal((2, m)), y


def _blobs(m: int, rng: xp.random.Generator, noise: float, classes: int) -> tuple[Array, Array]:
    y = rng.integers(0, classes, size=m)
    angle = 2 * math.pi * xp.arange(classes) / classes
    centres = 0.7 * xp.stack([xp.cos(angle), xp.sin(angle)])
    spread = 0.15 + noise
    return centres[:, y] + spread * rng.standard_normal((2, m)), y


GENERATORS = {
    "xor": _xor,
    "circles": _circles,
    "moons": _moons,
    "spirals": _spirals,
    "blobs": _blobs,
}


def make_dataset(
    name: str, m: int, noise: float = 0.1, classes: int = 2, seed: int = 0
) -> tuple[Array, Array]:
    """``m`` points of the dataset ``name``: ``X (2, m)`` and labels ``y (m,)`` in 0…K−1.

    ``classes`` (K) counts for ``spirals`` and ``blobs``; the others have two classes.
    """
    if name not in GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    rng = xp.random.default_rng(seed)
    X, y = GENERATORS[name](m, rng, noise, classes)
    return X.astype(xp.float64), y.astype(xp.intp)


def split(X: Array, y: Array, validation: float, seed: int, classes: list[str]) -> Split:
    """The last ``validation`` fraction of a seeded permutation is held out."""
    m = X.shape[1]
    order = xp.random.default_rng(seed + 1).permutation(m)
    n_val = round(validation * m)
    train, val = order[: m - n_val], order[m - n_val :]
    return Split(X[:, train], y[train], X[:, val], y[val], classes)


def read_csv_points(text: str, target: str | None) -> tuple[Array, Array, list[str], list[str]]:
    """Two numeric feature columns and a target column from CSV ``text`` with a header.

    Returns ``X (2, m)`` standardized (each row to mean 0, standard deviation 1), labels
    ``y (m,)`` as indices into the sorted class names, the class names and the two
    feature names. Problems are ValueErrors naming the line and column.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise ValueError("the CSV needs a header row and at least one data row")
    header = [name.strip() for name in rows[0]]
    target = target or header[-1]
    if target not in header:
        raise ValueError(f"no column {target!r} in the header; columns: {', '.join(header)}")
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    if len(features) != 2:
        raise ValueError(
            f"the CSV needs exactly two feature columns besides the target {target!r}; "
            f"it has {len(features)}: {', '.join(header[i] for i in features)}"
        )
    points, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ValueError(f"line {line}: {len(row)} fields; the header has {len(header)}")
        values = []
        for i in features:
            try:
                value = float(row[i])
            except ValueError:
                raise ValueError(
                    f"line {line}, column {header[i]!r}: {row[i]!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise ValueError(f"line {line}, column {header[i]!r}: {row[i]!r} is not finite")
            values.append(value)
        points.append(values)
        labels.append(row[t].strip())
    names = sorted(set(labels))
    if len(names) < 2:
        raise ValueError(f"the target {target!r} needs at least two classes; it has {names}")
    X = xp.asarray(points, dtype=xp.float64).T
    scale = X.std(axis=1, keepdims=True)
    X = (X - X.mean(axis=1, keepdims=True)) / xp.where(scale > 0, scale, 1.0)
    index = {name: k for k, name in enumerate(names)}
    y = xp.asarray([index[label] for label in labels], dtype=xp.intp)
    return X, y, names, [header[i] for i in features]
