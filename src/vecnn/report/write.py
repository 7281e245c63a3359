"""``write_report``: check the inputs, render the plots, then write them and the page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vecnn.backend.host import Array
from vecnn.report.files import _prepare_directory, _write
from vecnn.report.inputs import _check_decision, _history_series, _label_pair, _value_pair
from vecnn.report.page import _html
from vecnn.report.plots import (
    _confusion_png,
    _decision_alt,
    _decision_png,
    _loss_png,
    _metric_groups,
    _metrics_png,
    _predicted_png,
)
from vecnn.report.spec import _SKIPPED_SERIES, TASKS, DecisionRegions
from vecnn.train import History

_LOSS_SERIES = ("loss", "val_loss")


MAX_CONFUSION_CLASSES = 100
"""Above this many classes the report gives a note instead of the confusion matrix (its
K × K counts and K tick labels grow out of proportion: 10,000 classes crashed it)."""


def _class_count(pair: tuple[Any, Any], classes: Any) -> int:
    if classes is not None:
        return len(classes)
    return len(set(pair[0].tolist()) | set(pair[1].tolist()))


def write_report(
    out_dir: str | os.PathLike[str],
    *,
    title: str,
    summary: str,
    metrics: dict[str, float],
    history: dict[str, list[float]] | History,
    task: str,
    classes: list[Any] | None = None,
    y_true: Array | None = None,
    y_pred: Array | None = None,
    decision: DecisionRegions | None = None,
    command: str | None = None,
    training: list[str] | None = None,
    data: dict[str, Any] | None = None,
    metrics_source: str | None = None,
) -> dict[str, Path]:
    """Write ``report.html`` and its plots into ``out_dir``; return ``{name: path}``.

    ``title``: the page's title. ``summary``: the network's summary (shown verbatim).
    ``metrics``: final scores, name to value. ``history``: per-epoch series as
    ``History.history`` holds them, or the ``History`` itself (any subset of ``loss``,
    ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``time``, …; missing or empty
    series are left out, NaN is shown as a gap). ``task``: one of ``TASKS``. ``classes``:
    the class labels, in the order of the confusion matrix's rows (default: the sorted
    labels found). ``y_true``, ``y_pred``: labels ``(m,)`` for classification, values
    ``(m,)`` or ``(n_outputs, m)`` for regression; either may be None (then no confusion
    matrix or predicted plot).
    ``decision``: a ``DecisionRegions`` for two-feature data. ``command``: the command line
    that produced the report, shown on the page. ``training``: sentences about how
    training went (e.g. the best epoch kept by early stopping), shown under the metrics.
    ``data``: the Data section: ``notes`` (sentences: rows read, dropped and why),
    ``columns`` (rows of column, kind, inputs), ``classes`` ({label: rows}).
    ``metrics_source``: which rows the metrics come from, e.g. ``"validation rows (88)"``.

    The plots are embedded in ``report.html`` as data URIs (one self-contained file) and
    also written as PNG files beside it.

    The names returned are ``"report"`` (``report.html``) and the stem of each PNG written
    (``"loss"``, ``"metrics"``, ``"confusion"``, ``"predicted"``, ``"decision"``).
    ``out_dir`` is created (with its parents) when missing; one that cannot be created or
    written raises the ``OSError`` naming it. Bad arguments raise ``ValueError``,
    ``TypeError`` or ``ShapeError`` before any file is written.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a string; got {type(title).__name__}")
    if decision is not None and task == "multilabel":
        raise ValueError(
            "decision regions need one label per point; a multilabel task has several. "
            "Pass decision=None, or one label's DecisionRegions with task='binary'"
        )
    series = _history_series(history)
    classification = task in ("binary", "multiclass")
    pair = None
    if y_true is not None and y_pred is not None:
        pair = _label_pair(y_true, y_pred) if classification else _value_pair(y_true, y_pred)
    regions = _check_decision(decision, task) if decision is not None else None

    out = _prepare_directory(out_dir)

    pngs: dict[str, tuple[bytes, str]] = {}  # name -> (PNG bytes, alt text)
    notes: dict[str, str] = {}
    loss = {key: series[key] for key in _LOSS_SERIES if key in series}
    if loss:
        pngs["loss"] = (_loss_png(loss), "Training and validation loss per epoch")
    else:
        notes["loss"] = "No per-epoch loss was recorded."
    others = {
        key: values
        for key, values in series.items()
        if key not in _LOSS_SERIES and key not in _SKIPPED_SERIES
    }
    if others:
        names = ", ".join(_metric_groups(others))
        pngs["metrics"] = (_metrics_png(others), f"Per-epoch metrics: {names}")
    if classification:
        count = None if pair is None else _class_count(pair, classes)
        if pair is None:
            notes["confusion"] = "No confusion matrix: y_true and y_pred were not given."
        elif count is not None and count > MAX_CONFUSION_CLASSES:
            notes["confusion"] = (
                f"No confusion matrix: {count} classes are more than the "
                f"{MAX_CONFUSION_CLASSES} a readable matrix can show."
            )
        else:
            pngs["confusion"] = (_confusion_png(*pair, classes), "Confusion matrix")
    elif task == "multilabel":
        notes["confusion"] = (
            "No confusion matrix: in a multilabel task each label is its own yes/no "
            "decision, so there is no single matrix of true against predicted classes."
        )
    elif pair is None:
        notes["predicted"] = "No predicted-against-true plot: y_true and y_pred were not given."
    else:
        image, shown = _predicted_png(*pair)
        pngs["predicted"] = (image, "Predicted against true values, with the line y = x")
        if shown < pair[0].shape[0]:
            notes["predicted"] = (
                f"Plotted the first {shown} of {pair[0].shape[0]} outputs, one panel each."
            )
    if regions is not None:
        pngs["decision"] = (_decision_png(regions, task, classes), _decision_alt(regions))

    written: dict[str, Path] = {}
    for name, (image, _) in pngs.items():
        written[name] = _write(out / f"{name}.png", image)
    page = _html(
        title=title,
        command=command,
        metrics=metrics,
        summary=summary,
        plots={name: alt for name, (_, alt) in pngs.items()},
        notes=notes,
        series=series,
        training=training or [],
        images={name: image for name, (image, _) in pngs.items()},
        data=data,
        metrics_source=metrics_source,
    )
    return {"report": _write(out / "report.html", page.encode("utf-8")), **written}
