"""``write_report`` and ``report.html``: the arguments checked before any file is written,
the plots rendered, then the folder's files written atomically, the page (inline CSS, no
script, every string escaped) last."""

from __future__ import annotations

import base64
import errno
import html
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vecnn._version import __version__
from vecnn.backend.host import Array, xp
from vecnn.errors import ShapeError
from vecnn.io import atomic_write_bytes
from vecnn.report.plots import (
    HISTORY_ROWS,
    SKIPPED_SERIES,
    TASKS,
    DecisionRegions,
    confusion_png,
    decision_alt,
    decision_png,
    loss_png,
    metric_groups,
    metrics_png,
    predicted_png,
)
from vecnn.train import History

# ----------------------------------------------------------------------------
# The report's folder and its files: created, checked, written atomically.


def prepare_directory(out_dir: Any) -> Path:
    """``out_dir`` as a ``Path``, created if needed; an OSError if a file or not writable."""
    out = Path(os.fspath(out_dir))
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "the report directory is a file, not a directory", str(out)
        )
    out.mkdir(parents=True, exist_ok=True)  # its OSError names the path
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "the report directory is not writable", str(out))
    return out


def write_file(path: Path, data: bytes) -> Path:
    """``data`` written atomically to ``path``; an OSError names ``path``, never the temporary."""
    try:
        return atomic_write_bytes(path, data)
    except OSError as error:
        if error.filename == str(path):
            raise
        raise type(error)(
            error.errno, f"could not write the report file: {error.strerror}", str(path)
        ) from error


# ----------------------------------------------------------------------------
# The checks on ``write_report``'s arguments, run before any file is written.


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _history_series(history: Any) -> dict[str, list[float]]:
    """The non-empty series of ``history``, as lists of floats (non-numbers become NaN)."""
    if history is None:
        return {}
    if isinstance(history, History):
        history = history.history
    if not isinstance(history, dict):
        raise TypeError(
            f"history must be a dict of per-epoch lists (History.history); got "
            f"{type(history).__name__}"
        )
    series: dict[str, list[float]] = {}
    for key, values in history.items():
        if values is None:
            continue
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            values = [values]
        values = [_as_float(v) for v in values]
        if values:
            series[str(key)] = values
    return series


def _labels_1d(y: Any, name: str) -> Array:
    array = xp.asarray(y)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ShapeError(
            f"{name} has shape {array.shape}; for a classification report it holds m labels, "
            "shape (m,)"
        )
    return array


def _label_pair(y_true: Any, y_pred: Any) -> tuple[Array, Array]:
    true, pred = _labels_1d(y_true, "y_true"), _labels_1d(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ShapeError(f"y_true has {true.shape[0]} labels but y_pred has {pred.shape[0]}")
    if true.shape[0] == 0:
        raise ValueError("y_true and y_pred hold no labels (m = 0)")
    return true, pred


def _values_2d(y: Any, name: str) -> Array:
    array = xp.asarray(y)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers for a regression report; got {array.dtype}")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ShapeError(f"{name} has shape {array.shape}; expected (m,) or (n_outputs, m)")
    return array.astype(xp.float64)


def _value_pair(y_true: Any, y_pred: Any) -> tuple[Array, Array]:
    true, pred = _values_2d(y_true, "y_true"), _values_2d(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ShapeError(
            f"y_true has shape {true.shape} and y_pred {pred.shape}; they must match "
            "((m,) or (n_outputs, m))"
        )
    if true.shape[1] == 0:
        raise ValueError("y_true and y_pred hold no examples (m = 0)")
    return true, pred


def _check_decision(decision: Any, task: str) -> DecisionRegions:
    if not isinstance(decision, DecisionRegions):
        raise TypeError(f"decision must be a DecisionRegions; got {type(decision).__name__}")
    names = tuple(decision.feature_names)
    if len(names) != 2:
        raise ValueError(f"decision regions take exactly 2 feature names; got {len(names)}")
    X = xp.asarray(decision.X)
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] == 0:
        raise ShapeError(
            f"decision.X has shape {X.shape}; expected (2, m) with m >= 1 (examples are columns)"
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"decision.X must hold numbers; got {X.dtype}")
    X = X.astype(xp.float64)
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError("decision.X holds NaN or infinite values; drop those points first")
    labels = _labels_1d(decision.labels, "decision.labels")
    if labels.shape[0] != X.shape[1]:
        raise ShapeError(f"decision.X has {X.shape[1]} points but labels has {labels.shape[0]}")
    if task == "regression" and labels.dtype.kind not in "biuf":
        raise TypeError(f"decision.labels must hold numbers for regression; got {labels.dtype}")
    if not callable(decision.predict):
        raise TypeError("decision.predict must be callable: (2, k) points -> (k,) labels")
    return DecisionRegions((str(names[0]), str(names[1])), X, labels, decision.predict)


# ----------------------------------------------------------------------------
# ``report.html``: one self-contained page (inline CSS, no script, every string escaped).

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
pre { background: #f6f8fa; border: 1px solid #ddd; padding: 0.75rem; overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-style: italic; }
"""
"""The page's inline style sheet (the sweep report adds its own rules to it)."""


def format_value(value: Any) -> str:
    """A number as the page shows it (4 significant digits; ints and bools as they are)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "nan"
    return f"{number:.4g}"


def escape(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _history_table(series: dict[str, list[float]]) -> list[str]:
    if not series:
        return ['<p class="note">No per-epoch history was recorded.</p>']
    order = [key for key in ("loss", "val_loss", "accuracy", "val_accuracy") if key in series]
    order += [key for key in series if key not in order and key not in SKIPPED_SERIES]
    order += [key for key in SKIPPED_SERIES if key in series]
    epochs = max(len(values) for values in series.values())
    first = max(epochs - HISTORY_ROWS, 0)
    parts = []
    if first:
        parts.append(f'<p class="note">Showing the last {HISTORY_ROWS} of {epochs} epochs.</p>')
    parts.append("<table>")
    parts.append(
        "<tr><th>epoch</th>" + "".join(f"<th>{escape(key)}</th>" for key in order) + "</tr>"
    )
    for epoch in range(first, epochs):
        cells = "".join(
            "<td>"
            + (escape(format_value(series[key][epoch])) if epoch < len(series[key]) else "")
            + "</td>"
            for key in order
        )
        parts.append(f"<tr><td>{epoch + 1}</td>{cells}</tr>")
    parts.append("</table>")
    return parts


def page_start(title: str, css: str = CSS) -> list[str]:
    """The page's head, and its title as the first heading."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
    ]


GROUPED_RUN = 4  # this many neighbouring columns of one kind and encoding share a row


def _grouped_columns(columns: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Rows of (column, kind, inputs), where a run of at least ``GROUPED_RUN`` neighbours
    with the same kind and inputs (64 pixels, all numeric and standardized) becomes one row
    "first … last (k columns)", so that the page's metrics are not pushed off the screen."""
    rows: list[tuple[str, str, str]] = []
    start = 0
    while start < len(columns):
        end = start + 1
        while end < len(columns) and columns[end][1:] == columns[start][1:]:
            end += 1
        run = columns[start:end]
        if len(run) >= GROUPED_RUN:
            name = f"{run[0][0]} … {run[-1][0]} ({len(run)} columns)"
            rows.append((name, run[0][1], f"{run[0][2]} each"))
        else:
            rows.extend(run)
        start = end
    return rows


def _data_section(data: dict[str, Any]) -> list[str]:
    """Rows read and dropped, each column's kind and inputs, and the class balance."""
    parts = ["<h2>Data</h2>"]
    parts += [f"<p>{escape(note)}</p>" for note in data.get("notes", [])]
    columns = data.get("columns", [])
    if columns:
        parts.append("<table>")
        parts.append("<tr><th>column</th><th>kind</th><th>inputs</th></tr>")
        for name, kind, inputs in _grouped_columns(columns):
            parts.append(
                f"<tr><td>{escape(name)}</td><td>{escape(kind)}</td><td>{escape(inputs)}</td></tr>"
            )
        parts.append("</table>")
    classes = data.get("classes")
    if classes:
        total = sum(classes.values())
        parts.append("<h3>Class balance</h3>")
        parts.append("<table>")
        parts.append("<tr><th>class</th><th>rows</th><th>share</th></tr>")
        for label, count in classes.items():
            share = f"{100 * count / total:.1f}%"
            parts.append(f"<tr><td>{escape(label)}</td><td>{count}</td><td>{share}</td></tr>")
        parts.append("</table>")
    return parts


def _html(
    *,
    title: str,
    command: str | None,
    metrics: dict[str, Any] | None,
    summary: str | None,
    plots: dict[str, str],
    notes: dict[str, str],
    series: dict[str, list[float]],
    training: list[str] = (),
    images: dict[str, bytes] | None = None,
    data: dict[str, Any] | None = None,
    metrics_source: str | None = None,
) -> str:
    """The page. ``images``: PNG bytes by plot name, embedded as data URIs (the page is
    then one self-contained file); without them the page links ``<name>.png``.
    ``data``: the Data section (``notes``, ``columns`` rows of (column, kind, inputs),
    ``classes`` {label: count}); ``metrics_source``: which rows the metrics come from."""
    parts = page_start(title)
    if command:
        parts += ["<h2>Command</h2>", f"<pre><code>{escape(command)}</code></pre>"]
    if data:
        parts += _data_section(data)
    parts.append("<h2>Metrics</h2>")
    if metrics_source:
        parts.append(f"<p>On the {escape(metrics_source)}.</p>")
    if metrics:
        parts.append("<table>")
        parts.append("<tr><th>metric</th><th>value</th></tr>")
        for name, value in metrics.items():
            parts.append(f"<tr><td>{escape(name)}</td><td>{escape(format_value(value))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="note">No metrics were given.</p>')
    if training:
        parts.append("<h2>Training</h2>")
        parts += [f"<p>{escape(sentence)}</p>" for sentence in training]
    parts.append("<h2>Network</h2>")
    if summary:
        parts.append(f"<pre>{escape(summary)}</pre>")
    else:
        parts.append('<p class="note">No summary was given.</p>')
    parts.append("<h2>Plots</h2>")
    for name in ("loss", "metrics", "confusion", "predicted", "decision"):
        if name in plots:
            source = f"{name}.png"
            if images and name in images:
                source = "data:image/png;base64," + base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f'<figure><img src="{escape(source)}" alt="{escape(plots[name])}">'
                f"<figcaption>{escape(plots[name])}</figcaption></figure>"
            )
        if name in notes:
            parts.append(f'<p class="note">{escape(notes[name])}</p>')
    parts.append("<h2>History</h2>")
    parts += _history_table(series)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f'<p class="note">vecnn {escape(__version__)}, {escape(made)}</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# ----------------------------------------------------------------------------
# ``write_report``: check the inputs, render the plots, then write them and the page.

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

    out = prepare_directory(out_dir)

    pngs: dict[str, tuple[bytes, str]] = {}  # name -> (PNG bytes, alt text)
    notes: dict[str, str] = {}
    loss = {key: series[key] for key in _LOSS_SERIES if key in series}
    if loss:
        pngs["loss"] = (loss_png(loss), "Training and validation loss per epoch")
    else:
        notes["loss"] = "No per-epoch loss was recorded."
    others = {
        key: values
        for key, values in series.items()
        if key not in _LOSS_SERIES and key not in SKIPPED_SERIES
    }
    if others:
        names = ", ".join(metric_groups(others))
        pngs["metrics"] = (metrics_png(others), f"Per-epoch metrics: {names}")
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
            pngs["confusion"] = (confusion_png(*pair, classes), "Confusion matrix")
    elif task == "multilabel":
        notes["confusion"] = (
            "No confusion matrix: in a multilabel task each label is its own yes/no "
            "decision, so there is no single matrix of true against predicted classes."
        )
    elif pair is None:
        notes["predicted"] = "No predicted-against-true plot: y_true and y_pred were not given."
    else:
        image, shown = predicted_png(*pair)
        pngs["predicted"] = (image, "Predicted against true values, with the line y = x")
        if shown < pair[0].shape[0]:
            notes["predicted"] = (
                f"Plotted the first {shown} of {pair[0].shape[0]} outputs, one panel each."
            )
    if regions is not None:
        pngs["decision"] = (decision_png(regions, task, classes), decision_alt(regions))

    written: dict[str, Path] = {}
    for name, (image, _) in pngs.items():
        written[name] = write_file(out / f"{name}.png", image)
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
    return {"report": write_file(out / "report.html", page.encode("utf-8")), **written}
