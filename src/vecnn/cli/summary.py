"""What ``vecnn train`` says about its data and its run, in words: the report's Data
section, a rising validation loss, and the plots a previous run left behind."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from vecnn.preprocessing import CategoricalFeature, DateFeature, NumericFeature

PLOTS = ("loss", "metrics", "confusion", "predicted", "decision")
"""The plots ``write_report`` may write, as ``<name>.png``."""


def data_section(data: Any, settings: Any) -> dict[str, Any]:
    """The Data section of the report for a ``Prepared`` run: rows read, dropped and why,
    each column's kind and inputs, and the class balance (classification)."""
    preprocessing, target = data.preprocessing, data.preprocessing.target
    n_train = len(data.train_rows)
    n_val = 0 if data.val_rows is None else len(data.val_rows)
    notes = [f"{data.rows_read} rows read from {Path(settings.data).name}.", *data.notes]
    notes += data.warnings
    held = f"{n_val} held out for {settings.held_out}" if n_val else "none held out"
    notes.append(f"{n_train} rows for training, {held}.")
    columns = [(name, "target", _target_kind(target)) for name in target.names]
    columns += [
        _column(feature, data.missing.get(feature.name, 0)) for feature in preprocessing.features
    ]
    section: dict[str, Any] = {"notes": notes, "columns": columns}
    if target.classes is not None:
        rows = [data.train_rows, *([data.val_rows] if data.val_rows is not None else [])]
        counts = Counter(label for chunk in rows for label in target.labels(chunk).tolist())
        section["classes"] = {label: counts.get(label, 0) for label in target.classes}
    return section


def _target_kind(target: Any) -> str:
    if target.classes is not None:
        return f"{target.task}, {len(target.classes)} classes"
    if target.task == "regression":
        return "regression, standardized (predictions in its own units)"
    return target.task


def _column(feature: Any, missing: int) -> tuple[str, str, str]:
    fill = feature.fill
    shown = f"{fill:.4g}" if isinstance(fill, float) else repr(fill)
    filled = f"; {missing} missing filled with {shown}" if missing else ""
    if isinstance(feature, NumericFeature):
        return (feature.name, "numeric", f"1, standardized{filled}")
    if isinstance(feature, DateFeature):
        parts = ", ".join(feature.parts)
        return (feature.name, "date", f"{len(feature.parts)}: {parts}, standardized{filled}")
    assert isinstance(feature, CategoricalFeature)
    k = len(feature.categories)
    return (feature.name, "text", f"{k}, one-hot of {k} categories{filled}")


def rising_loss(history: dict[str, list[float]]) -> list[str]:
    """A sentence when the validation loss ended well above its lowest value (overfitting)."""
    values = history.get("val_loss", [])
    if len(values) < 3:
        return []
    best = min(range(len(values)), key=values.__getitem__)
    last = values[-1]
    if best == len(values) - 1 or not last > values[best] * 1.05:
        return []
    return [
        f"the validation loss rose from {values[best]:.4g} at epoch {best + 1} to {last:.4g} at "
        f"epoch {len(values)}: the network fits the training rows better than new ones "
        "(overfitting) after its best epoch"
    ]


def remove_stale_plots(out: Path, written: dict[str, Path]) -> None:
    """Remove the plots of an earlier run in ``out`` that this run did not write (e.g. a
    confusion matrix left by a classification run), so that none is mistaken for this one's."""
    for name in PLOTS:
        path = out / f"{name}.png"
        if name not in written and path.exists():
            path.unlink()
