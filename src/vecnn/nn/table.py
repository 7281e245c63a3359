"""The summary of a stack of layers as a text table: one row per layer, in the notation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vecnn.nn.layer import Layer

HEADER = ("layer", "type", "W[l]", "b[l]", "A[l]", "activation", "params")


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns as wide as their widest cell, a rule under the header."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines


def summary_rows(
    numbered: list[tuple[int, Layer]], n_features: int | None
) -> tuple[list[tuple[str, ...]], int]:
    """The table's rows (the input, then each layer's ``summary_cells``) and the total
    number of trained values; ``numbered`` is ``Sequential.numbered_layers()``."""
    rows = [("0", "input", "", "", f"({n_features}, m)", "", "")]
    total = 0
    width: int | None = n_features
    for position, (l, layer) in enumerate(numbered, start=1):
        count = sum(p.size for p in layer.params.values())
        total += count
        width = layer.n_out if layer.n_out is not None else width
        W_shape, b_shape, activation = layer.summary_cells()
        rows.append(
            (
                f"{position} [{l}]",
                layer.kind,
                W_shape,
                b_shape,
                f"({width}, m)",
                activation,
                f"{count:,}",
            )
        )
    return rows, total


def summary_text(
    numbered: list[tuple[int, Layer]], n_features: int, dtype: Any, layout_note: bool
) -> str:
    """``Sequential.summary``: the table, the total and (``layout_note``) the reminder that
    examples are columns."""
    rows, total = summary_rows(numbered, n_features)
    lines = render_table(HEADER, rows)
    lines.append(f"total parameters: {total:,}   dtype: {dtype}")
    if layout_note:
        lines.append(
            f"X is ({n_features}, m): examples are columns (with m = {n_features} "
            "a transposed X fits too, unseen by any shape check)"
        )
    return "\n".join(lines)
