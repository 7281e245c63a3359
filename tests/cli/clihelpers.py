"""Helpers for the command-line tests: small CSV data sets and a PNG header reader."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """The (width, height) of a PNG file, read from its IHDR chunk; fails if not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path.name}: no IHDR chunk first"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _f(x: float) -> str:
    return f"{x:.4f}"


def binary_rows(m: int = 80, seed: int = 0) -> tuple[list[str], list[list[object]]]:
    """Two numeric features (so the report draws decision regions), labels 0/1."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        label = i % 2
        x1, x2 = rng.normal(size=2) + (1.5 if label else -1.5)
        rows.append([_f(x1), _f(x2), label])
    return ["x1", "x2", "label"], rows


SPECIES = ["setosa", "versicolor", "virginica"]


def species_rows(m: int = 90, seed: int = 1) -> tuple[list[str], list[list[object]]]:
    """Three classes with string labels; three numeric features and a text one."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        k = i % 3
        a, b, c = rng.normal(size=3) + 2.0 * k
        rows.append([_f(a), _f(b), _f(c), ("red", "blue")[i % 2], SPECIES[k]])
    return ["sepal", "petal", "width", "color", "species"], rows


def multilabel_rows(m: int = 80, seed: int = 2) -> tuple[list[str], list[list[object]]]:
    """Two 0/1 target columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(m):
        a, b, c = rng.normal(size=3)
        rows.append([_f(a), _f(b), _f(c), int(a > 0), int(b + c > 0)])
    return ["f1", "f2", "f3", "tag_a", "tag_b"], rows


def regression_rows(m: int = 80, seed: int = 3) -> tuple[list[str], list[list[object]]]:
    """A real-valued target, numeric features and a text one."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        size, rooms = rng.uniform(20, 200), int(rng.integers(1, 6))
        city = ("paris", "lyon", "nice")[i % 3]
        price = 3.0 * size + 10.0 * rooms + 40.0 * (i % 3) + rng.normal()
        rows.append([f"{size:.1f}", rooms, city, f"{price:.2f}"])
    return ["size", "rooms", "city", "price"], rows


DATASETS = {
    "binary": (binary_rows, "label"),
    "multiclass": (species_rows, "species"),
    "multilabel": (multilabel_rows, "tag_a,tag_b"),
    "regression": (regression_rows, "price"),
}
EPOCHS = 8


def interrupt_after_epoch(monkeypatch, after_epoch: int):
    """Make ``vecnn train`` raise Ctrl-C right after epoch ``after_epoch`` (0-based)'s
    checkpoint is written; returns the original ``on_epoch_end``, to put back."""
    from vecnn.cli.resume import EpochCheckpoint

    original = EpochCheckpoint.on_epoch_end

    def interrupt(self, network, epoch, logs):
        original(self, network, epoch, logs)
        if epoch == after_epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", interrupt)
    return original
