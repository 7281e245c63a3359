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
) -> tuple[list[tuple[str, ...]], int | None]:
    """The table's rows (the input, then each layer's ``summary_cells``) and the total
    number of trained values (None while a size is unknown: ``?`` in the table);
    ``numbered`` is ``Sequential.numbered_layers()``."""
    unknown = "?"
    rows = [("0", "input", "", "", f"({n_features or unknown}, m)", "", "")]
    total: int | None = 0
    width: int | None = n_features
    for position, (l, layer) in enumerate(numbered, start=1):
        count = sum(p.size for p in layer.params.values()) if layer.built else None
        total = None if total is None or count is None else total + count
        width = layer.n_out if layer.n_out is not None else width
        W_shape, b_shape, activation = layer.summary_cells()
        rows.append(
            (
                f"{position} [{l}]",
                layer.kind,
                W_shape,
                b_shape,
                f"({width or unknown}, m)",
                activation,
                unknown if count is None else f"{count:,}",
            )
        )
    return rows, total


def summary_text(
    numbered: list[tuple[int, Layer]], n_features: int | None, dtype: Any, layout_note: bool
) -> str:
    """``Sequential.summary``: the table, the total and (``layout_note``) the reminder that
    examples are columns; ``?`` where ``n[0]`` is not known yet."""
    rows, total = summary_rows(numbered, n_features)
    lines = render_table(HEADER, rows)
    if total is None:
        lines.append(
            f"total parameters: ? (n[0] is found at the first call or fit)   dtype: {dtype}"
        )
    else:
        lines.append(f"total parameters: {total:,}   dtype: {dtype}")
    if layout_note:
        n0 = n_features or "n[0]"
        lines.append(
            f"X is ({n0}, m): examples are columns (with m = {n0} "
            "a transposed X fits too, unseen by any shape check)"
        )
    return "\n".join(lines)
