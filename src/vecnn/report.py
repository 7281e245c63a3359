"""A training report: one self-contained HTML page and its PNG plots, written into a folder.

``write_report(out_dir, ...)`` writes ``report.html`` and, as the inputs allow:

- ``loss.png``: the training and validation cost per epoch (``loss``, ``val_loss``);
- ``metrics.png``: every other per-epoch series but ``lr`` and ``time`` (``accuracy`` with
  ``val_accuracy``, …), one panel per metric;
- ``confusion.png`` (``binary``, ``multiclass``): the confusion matrix of ``y_true`` against
  ``y_pred``, rows true and columns predicted, counts in the cells;
- ``predicted.png`` (``regression``): predicted against true values with the line
  ``y = x``, one panel per output;
- ``decision.png`` (given a ``DecisionRegions``): a grid over the two features, filled by
  the predicted label (or value, for regression), with the points coloured by their true
  label.

The page uses relative links to the PNGs, a little inline CSS and nothing else (no script,
no external resource), so it opens from disk. Every string from the caller is escaped.
Every file is written atomically (``vecnn.io.atomic_write_bytes``); the plots are rendered
in memory first and ``report.html`` is written last, so a failure leaves no page that
points at a missing plot.

The plots use Matplotlib's object-oriented interface (``Figure`` and ``FigureCanvasAgg``):
``pyplot`` is never imported and the backend and ``rcParams`` are never changed, so the
caller's Matplotlib state is as it was.
"""

from __future__ import annotations

import errno
import html
import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure

from vecnn.backend import Array, to_numpy, xp
from vecnn.errors import ShapeError
from vecnn.io import atomic_write_bytes
from vecnn.metrics import confusion_matrix, r2_score
from vecnn.train import History

__all__ = ["TASKS", "DecisionRegions", "write_report"]

TASKS = ("binary", "multiclass", "multilabel", "regression")
"""The values ``write_report``'s ``task`` takes."""

HISTORY_ROWS = 50
"""The most epochs the page's history table shows (the last ones)."""

GRID_POINTS = 200
"""The decision-region grid has at most this many points along each feature."""

MAX_SCATTER = 10_000
"""The most points one scatter plot draws; larger sets are thinned evenly."""

MAX_PANELS = 16
"""The most outputs ``predicted.png`` draws a panel for."""

_DPI = 100
_SKIPPED_SERIES = ("lr", "time")
_LOSS_SERIES = ("loss", "val_loss")
_TRAIN_COLOR, _VAL_COLOR = "#1f77b4", "#ff7f0e"
_CLASS_COLORS = tuple(colormaps["tab10"].colors) + tuple(colormaps["tab20"].colors[1::2])
"""Twenty distinct colours: tab10, then its lighter partners from tab20."""


@dataclass
class DecisionRegions:
    """What ``decision.png`` needs: two features, the points, and a predictor over the plane.

    ``X``: ``(2, m)`` points in the features' original units (examples are columns).
    ``labels``: their ``m`` true labels (any values: ints, strings, …; numbers for
    regression). ``predict``: ``(2, k)`` grid points to their ``k`` predicted labels.
    """

    feature_names: tuple[str, str]
    X: Array
    labels: Array
    predict: Callable[[Array], Array]


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
    that produced the report, shown on the page.

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
        if pair is None:
            notes["confusion"] = "No confusion matrix: y_true and y_pred were not given."
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
    for name, (data, _) in pngs.items():
        written[name] = _write(out / f"{name}.png", data)
    page = _html(
        title=title,
        command=command,
        metrics=metrics,
        summary=summary,
        plots={name: alt for name, (_, alt) in pngs.items()},
        notes=notes,
        series=series,
    )
    return {"report": _write(out / "report.html", page.encode("utf-8")), **written}


# --------------------------------------------------------------------------- inputs


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


def _prepare_directory(out_dir: Any) -> Path:
    out = Path(os.fspath(out_dir))
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "the report directory is a file, not a directory", str(out)
        )
    out.mkdir(parents=True, exist_ok=True)  # its OSError names the path
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "the report directory is not writable", str(out))
    return out


def _write(path: Path, data: bytes) -> Path:
    try:
        return atomic_write_bytes(path, data)
    except OSError as error:
        if error.filename == str(path):
            raise
        raise type(error)(
            error.errno, f"could not write the report file: {error.strerror}", str(path)
        ) from error


# --------------------------------------------------------------------------- plots


def _text(value: Any, limit: int = 40) -> str:
    """A caller's string for Matplotlib: ``$`` kept literal (no mathtext), long ones cut."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _render(figure: Figure) -> bytes:
    """The figure as PNG bytes, rendered in memory; the figure is cleared afterwards."""
    buffer = io.BytesIO()
    try:
        FigureCanvasAgg(figure).print_png(buffer)
    finally:
        figure.clear()
    return buffer.getvalue()


def _grid(count: int) -> tuple[int, int]:
    columns = min(count, 3)
    return math.ceil(count / columns), columns


def _finite_or_nan(values: list[float]) -> Array:
    array = xp.asarray(values, dtype=xp.float64)
    return xp.where(xp.isfinite(array), array, xp.nan)


def _plot_series(axes: Any, values: list[float], label: str, color: str) -> None:
    y = _finite_or_nan(values)
    x = xp.arange(1, y.shape[0] + 1)
    finite = xp.isfinite(y)
    if not bool(xp.any(finite)):
        label += " (no finite values)"
    # Markers on every point when there are few epochs (so that one epoch shows); otherwise
    # only on finite values with NaN on both sides, which a line alone would not draw.
    few = y.shape[0] <= 30
    axes.plot(x, y, label=_text(label), color=color, marker="o" if few else None, markersize=4)
    if not few:
        padded = xp.concatenate([[False], finite, [False]])
        isolated = finite & ~padded[:-2] & ~padded[2:]
        if bool(xp.any(isolated)):
            axes.plot(
                x[isolated], y[isolated], color=color, marker="o", markersize=4, linestyle="none"
            )


def _epoch_axes(axes: Any, title: str, length: int) -> None:
    axes.set_title(_text(title, 60))
    axes.set_xlabel("epoch")
    axes.grid(True, alpha=0.3)
    axes.xaxis.get_major_locator().set_params(integer=True)
    if length <= 1:
        axes.set_xlim(0.5, 1.5)
    axes.legend(loc="best", fontsize="small")


def _loss_png(loss: dict[str, list[float]]) -> bytes:
    figure = Figure(figsize=(6.4, 4.0), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    colors = {"loss": _TRAIN_COLOR, "val_loss": _VAL_COLOR}
    labels = {"loss": "training loss", "val_loss": "validation loss"}
    for key, values in loss.items():
        _plot_series(axes, values, labels[key], colors[key])
    axes.set_ylabel("loss")
    _epoch_axes(axes, "Loss per epoch", max(len(v) for v in loss.values()))
    return _render(figure)


def _metric_groups(series: dict[str, list[float]]) -> dict[str, dict[str, list[float]]]:
    """``{"accuracy": {"accuracy": [...], "val_accuracy": [...]}, ...}`` in first-seen order."""
    groups: dict[str, dict[str, list[float]]] = {}
    for key, values in series.items():
        base = key[4:] if key.startswith("val_") and len(key) > 4 else key
        groups.setdefault(base, {})[key] = values
    return groups


def _metrics_png(series: dict[str, list[float]]) -> bytes:
    groups = _metric_groups(series)
    rows, columns = _grid(len(groups))
    figure = Figure(figsize=(5.2 * columns, 3.6 * rows), dpi=_DPI, layout="constrained")
    for position, (base, members) in enumerate(groups.items(), start=1):
        axes = figure.add_subplot(rows, columns, position)
        for key, values in members.items():
            validation = key.startswith("val_") and key != base
            label = f"validation {base}" if validation else f"training {base}"
            _plot_series(axes, values, label, _VAL_COLOR if validation else _TRAIN_COLOR)
        axes.set_ylabel(_text(base))
        _epoch_axes(axes, f"{base} per epoch", max(len(v) for v in members.values()))
    return _render(figure)


def _class_list(classes: Sequence[Any] | None, *arrays: Array) -> list[Any]:
    """``classes`` (or the sorted labels found), then any other label found, in order."""
    found: list[Any] = []
    for array in arrays:
        found.extend(to_numpy(array).tolist())
    if classes is None:
        try:
            ordered = sorted(set(found))
        except TypeError:  # labels that cannot be ordered: first-seen order
            ordered = list(dict.fromkeys(found))
    else:
        ordered = list(to_numpy(xp.asarray(classes)).ravel().tolist())
        known = set(ordered)
        ordered += [label for label in dict.fromkeys(found) if label not in known]
    return ordered


def _confusion_png(true: Array, pred: Array, classes: Sequence[Any] | None) -> bytes:
    names = _class_list(classes, true, pred) if classes is None else list(classes)
    counts = to_numpy(confusion_matrix(true, pred, labels=xp.asarray(names)))
    k = len(names)
    side = min(max(4.8, 0.55 * k + 2.5), 20.0)
    figure = Figure(figsize=(side + 1.0, side), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues", interpolation="nearest", vmin=0)
    figure.colorbar(image, ax=axes, shrink=0.8, label="examples")
    ticks = list(range(k))
    labels = [_text(name, 24) for name in names]
    axes.set_xticks(ticks, labels, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title(f"Confusion matrix ({int(counts.sum())} examples)")
    if k <= 30:
        threshold = counts.max() / 2 if counts.size else 0
        size = "medium" if k <= 10 else "small" if k <= 20 else "x-small"
        for i in range(k):
            for j in range(k):
                color = "white" if counts[i, j] > threshold else "black"
                axes.text(
                    j,
                    i,
                    str(int(counts[i, j])),
                    ha="center",
                    va="center",
                    color=color,
                    fontsize=size,
                )
    return _render(figure)


def _thin(count: int) -> Array:
    """The indices of at most ``MAX_SCATTER`` of ``count`` points, evenly spread."""
    if count <= MAX_SCATTER:
        return xp.arange(count)
    return xp.unique(xp.linspace(0, count - 1, MAX_SCATTER).astype(xp.int64))


def _predicted_png(true: Array, pred: Array) -> tuple[bytes, int]:
    outputs = min(true.shape[0], MAX_PANELS)
    rows, columns = _grid(outputs)
    figure = Figure(figsize=(4.4 * columns, 4.2 * rows), dpi=_DPI, layout="constrained")
    for row in range(outputs):
        axes = figure.add_subplot(rows, columns, row + 1)
        t, p = true[row], pred[row]
        finite = xp.isfinite(t) & xp.isfinite(p)
        t, p = t[finite], p[finite]
        name = "" if true.shape[0] == 1 else f"output {row}: "
        if t.shape[0] == 0:
            axes.set_title(f"{name}no finite values")
            axes.text(
                0.5, 0.5, "no finite pairs", ha="center", va="center", transform=axes.transAxes
            )
            continue
        keep = _thin(t.shape[0])
        axes.scatter(t[keep], p[keep], s=12, alpha=0.6, color=_TRAIN_COLOR, edgecolors="none")
        low = float(min(t.min(), p.min()))
        high = float(max(t.max(), p.max()))
        pad = 0.05 * (high - low) if high > low else max(abs(high) * 0.05, 0.5)
        low, high = low - pad, high + pad
        axes.plot(
            [low, high], [low, high], color="#444444", linestyle="--", linewidth=1, label="y = x"
        )
        axes.set_xlim(low, high)
        axes.set_ylim(low, high)
        axes.set_aspect("equal", adjustable="box")
        r2 = r2_score(t, p) if t.shape[0] >= 2 else math.nan
        thinned = "" if keep.shape[0] == t.shape[0] else f", {keep.shape[0]} of {t.shape[0]} shown"
        axes.set_title(f"{name}R² = {r2:.4g}{thinned}", fontsize="medium")
        axes.set_xlabel("true")
        axes.set_ylabel("predicted")
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left", fontsize="small")
    return _render(figure), outputs


def _decision_grid(X: Array) -> tuple[Array, Array]:
    """The grid axes: the bounding box of ``X`` with a 10% margin, ``GRID_POINTS`` a side."""
    axes = []
    for row in range(2):
        low, high = float(X[row].min()), float(X[row].max())
        span = high - low
        pad = 0.1 * span if span > 0 else max(abs(low) * 0.1, 1.0)
        axes.append(xp.linspace(low - pad, high + pad, GRID_POINTS))
    return axes[0], axes[1]


def _predict_grid(regions: DecisionRegions, gx: Array, gy: Array) -> Array:
    mesh_x, mesh_y = xp.meshgrid(gx, gy)
    points = xp.stack([mesh_x.ravel(), mesh_y.ravel()])
    predicted = xp.asarray(regions.predict(points))
    row = predicted.ndim == 1 or (predicted.ndim == 2 and predicted.shape[0] == 1)
    if not row or predicted.size != points.shape[1]:
        raise ShapeError(
            f"decision.predict returned shape {predicted.shape} for {points.shape[1]} points; "
            f"expected ({points.shape[1]},)"
        )
    return predicted.reshape(-1)


def _fill(axes: Any, gx: Array, gy: Array, values: Array, **style: Any) -> Any:
    """``values[i, j]`` (at ``gy[i]``, ``gx[j]``) as one image of cells centred on the grid."""
    dx, dy = float(gx[1] - gx[0]) / 2, float(gy[1] - gy[0]) / 2
    extent = (float(gx[0]) - dx, float(gx[-1]) + dx, float(gy[0]) - dy, float(gy[-1]) + dy)
    return axes.imshow(
        values, origin="lower", extent=extent, aspect="auto", interpolation="nearest", **style
    )


def _decision_png(regions: DecisionRegions, task: str, classes: Sequence[Any] | None) -> bytes:
    gx, gy = _decision_grid(regions.X)
    predicted = _predict_grid(regions, gx, gy)
    figure = Figure(figsize=(7.2, 5.6), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    x0, x1 = regions.X[0], regions.X[1]
    keep = _thin(x0.shape[0])
    if task == "regression":
        if predicted.dtype.kind not in "biuf":
            raise TypeError(
                f"decision.predict must return numbers for regression; got {predicted.dtype}"
            )
        values = predicted.astype(xp.float64).reshape(gy.shape[0], gx.shape[0])
        labels = regions.labels.astype(xp.float64)
        both = xp.concatenate([values.ravel(), labels])
        both = both[xp.isfinite(both)]
        low, high = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        norm = Normalize(vmin=low, vmax=high if high > low else low + 1.0)
        mesh = _fill(axes, gx, gy, values, cmap="viridis", norm=norm, alpha=0.45)
        axes.scatter(
            x0[keep],
            x1[keep],
            c=labels[keep],
            cmap="viridis",
            norm=norm,
            s=18,
            edgecolors="black",
            linewidths=0.4,
        )
        figure.colorbar(mesh, ax=axes, label="predicted (fill) and true (points) value")
        axes.set_title("Predicted value over the two features")
    else:
        names = _class_list(classes, regions.labels, predicted)
        index = {name: position for position, name in enumerate(names)}
        k = len(names)
        colors = [_CLASS_COLORS[i % len(_CLASS_COLORS)] for i in range(k)]
        cmap = ListedColormap(colors)
        norm = BoundaryNorm([i - 0.5 for i in range(k + 1)], k)
        cells = xp.asarray([index[label] for label in to_numpy(predicted).tolist()])
        _fill(
            axes, gx, gy, cells.reshape(gy.shape[0], gx.shape[0]), cmap=cmap, norm=norm, alpha=0.3
        )
        true_index = xp.asarray([index[label] for label in to_numpy(regions.labels).tolist()])
        for position, name in enumerate(names):
            chosen = keep[true_index[keep] == position]
            if chosen.shape[0] == 0:
                continue
            axes.scatter(
                x0[chosen],
                x1[chosen],
                s=18,
                color=colors[position],
                edgecolors="black",
                linewidths=0.4,
                label=_text(name, 24),
            )
        axes.legend(title="true label", loc="best", fontsize="small")
        axes.set_title("Decision regions (fill: predicted label; points: true label)")
    axes.set_xlim(float(gx[0]), float(gx[-1]))
    axes.set_ylim(float(gy[0]), float(gy[-1]))
    axes.set_xlabel(_text(regions.feature_names[0], 60))
    axes.set_ylabel(_text(regions.feature_names[1], 60))
    return _render(figure)


def _decision_alt(regions: DecisionRegions) -> str:
    first, second = regions.feature_names
    return f"Predictions over the plane of {first} and {second}, with the points"


# --------------------------------------------------------------------------- the page

_CSS = """
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


def _format(value: Any) -> str:
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
    return f"{number:.6g}"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _history_table(series: dict[str, list[float]]) -> list[str]:
    if not series:
        return ['<p class="note">No per-epoch history was recorded.</p>']
    order = [key for key in ("loss", "val_loss", "accuracy", "val_accuracy") if key in series]
    order += [key for key in series if key not in order and key not in _SKIPPED_SERIES]
    order += [key for key in _SKIPPED_SERIES if key in series]
    epochs = max(len(values) for values in series.values())
    first = max(epochs - HISTORY_ROWS, 0)
    parts = []
    if first:
        parts.append(f'<p class="note">Showing the last {HISTORY_ROWS} of {epochs} epochs.</p>')
    parts.append("<table>")
    parts.append("<tr><th>epoch</th>" + "".join(f"<th>{_e(key)}</th>" for key in order) + "</tr>")
    for epoch in range(first, epochs):
        cells = "".join(
            f"<td>{_e(_format(series[key][epoch])) if epoch < len(series[key]) else ''}</td>"
            for key in order
        )
        parts.append(f"<tr><td>{epoch + 1}</td>{cells}</tr>")
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
) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if command:
        parts += ["<h2>Command</h2>", f"<pre><code>{_e(command)}</code></pre>"]
    parts.append("<h2>Metrics</h2>")
    if metrics:
        parts.append("<table>")
        parts.append("<tr><th>metric</th><th>value</th></tr>")
        for name, value in metrics.items():
            parts.append(f"<tr><td>{_e(name)}</td><td>{_e(_format(value))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="note">No metrics were given.</p>')
    parts.append("<h2>Network</h2>")
    if summary:
        parts.append(f"<pre>{_e(summary)}</pre>")
    else:
        parts.append('<p class="note">No summary was given.</p>')
    parts.append("<h2>Plots</h2>")
    for name in ("loss", "metrics", "confusion", "predicted", "decision"):
        if name in plots:
            parts.append(
                f'<figure><img src="{_e(name)}.png" alt="{_e(plots[name])}">'
                f"<figcaption>{_e(plots[name])}</figcaption></figure>"
            )
        if name in notes:
            parts.append(f'<p class="note">{_e(notes[name])}</p>')
    parts.append("<h2>History</h2>")
    parts += _history_table(series)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
