"""The report's figures as PNG bytes, drawn with Matplotlib's object API (no ``pyplot``),
and what a report takes and the limits it draws within: the tasks, the sizes,
``DecisionRegions``."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure

from vecnn.backend import to_numpy
from vecnn.backend.host import Array, xp
from vecnn.data import TASKS as TASKS  # the values ``write_report``'s ``task`` takes
from vecnn.errors import ShapeError
from vecnn.metrics import confusion_matrix, r2_score

# ----------------------------------------------------------------------------
# What a report takes and the limits it draws within: the tasks, the sizes, ``DecisionRegions``.

HISTORY_ROWS = 50
"""The most epochs the page's history table shows (the last ones)."""

GRID_POINTS = 200
"""The decision-region grid has at most this many points along each feature."""

MAX_SCATTER = 10_000
"""The most points one scatter plot draws; larger sets are thinned evenly."""

MAX_PANELS = 16
"""The most outputs ``predicted.png`` draws a panel for."""

SKIPPED_SERIES = ("lr", "time")
"""History series that are no metric: not plotted, and last in the history table."""


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


# ----------------------------------------------------------------------------
# The report's figures as PNG bytes, drawn with Matplotlib's object API (no ``pyplot``).

DPI = 100
"""Dots per inch of every figure."""
_TRAIN_COLOR, _VAL_COLOR = "#1f77b4", "#ff7f0e"
CLASS_COLORS = tuple(colormaps["tab10"].colors) + tuple(colormaps["tab20"].colors[1::2])
"""Twenty distinct colours: tab10, then its lighter partners from tab20."""


def short_text(value: Any, limit: int = 40) -> str:
    """A caller's string for Matplotlib: ``$`` kept literal (no mathtext), long ones cut."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes, rendered in memory; the figure is cleared afterwards."""
    buffer = io.BytesIO()
    try:
        FigureCanvasAgg(figure).print_png(buffer)
    finally:
        figure.clear()
    return buffer.getvalue()


def panel_grid(count: int) -> tuple[int, int]:
    """``(rows, columns)`` for ``count`` panels, at most 3 a row."""
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
    axes.plot(x, y, label=short_text(label), color=color, marker="o" if few else None, markersize=4)
    if not few:
        padded = xp.concatenate([[False], finite, [False]])
        isolated = finite & ~padded[:-2] & ~padded[2:]
        if bool(xp.any(isolated)):
            axes.plot(
                x[isolated], y[isolated], color=color, marker="o", markersize=4, linestyle="none"
            )


def _epoch_axes(axes: Any, title: str, length: int) -> None:
    axes.set_title(short_text(title, 60))
    axes.set_xlabel("epoch")
    axes.grid(True, alpha=0.3)
    axes.xaxis.get_major_locator().set_params(integer=True)
    if length <= 1:
        axes.set_xlim(0.5, 1.5)
    axes.legend(loc="best", fontsize="small")


def loss_png(loss: dict[str, list[float]]) -> bytes:
    """``loss.png``: the training and validation loss per epoch."""
    figure = Figure(figsize=(6.4, 4.0), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    colors = {"loss": _TRAIN_COLOR, "val_loss": _VAL_COLOR}
    labels = {"loss": "training loss", "val_loss": "validation loss"}
    for key, values in loss.items():
        _plot_series(axes, values, labels[key], colors[key])
    axes.set_ylabel("loss")
    _epoch_axes(axes, "Loss per epoch", max(len(v) for v in loss.values()))
    return render_png(figure)


def metric_groups(series: dict[str, list[float]]) -> dict[str, dict[str, list[float]]]:
    """``{"accuracy": {"accuracy": [...], "val_accuracy": [...]}, ...}`` in first-seen order."""
    groups: dict[str, dict[str, list[float]]] = {}
    for key, values in series.items():
        base = key[4:] if key.startswith("val_") and len(key) > 4 else key
        groups.setdefault(base, {})[key] = values
    return groups


def metrics_png(series: dict[str, list[float]]) -> bytes:
    """``metrics.png``: one panel per metric, training and validation together."""
    groups = metric_groups(series)
    rows, columns = panel_grid(len(groups))
    figure = Figure(figsize=(5.2 * columns, 3.6 * rows), dpi=DPI, layout="constrained")
    for position, (base, members) in enumerate(groups.items(), start=1):
        axes = figure.add_subplot(rows, columns, position)
        for key, values in members.items():
            validation = key.startswith("val_") and key != base
            label = f"validation {base}" if validation else f"training {base}"
            _plot_series(axes, values, label, _VAL_COLOR if validation else _TRAIN_COLOR)
        axes.set_ylabel(short_text(base))
        _epoch_axes(axes, f"{base} per epoch", max(len(v) for v in members.values()))
    return render_png(figure)


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


def confusion_png(true: Array, pred: Array, classes: Sequence[Any] | None) -> bytes:
    """``confusion.png``: counts of true (rows) against predicted (columns) labels."""
    names = _class_list(classes, true, pred) if classes is None else list(classes)
    counts = to_numpy(confusion_matrix(true, pred, labels=xp.asarray(names)))
    k = len(names)
    side = min(max(4.8, 0.55 * k + 2.5), 20.0)
    figure = Figure(figsize=(side + 1.0, side), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues", interpolation="nearest", vmin=0)
    figure.colorbar(image, ax=axes, shrink=0.8, label="examples")
    ticks = list(range(k))
    labels = [short_text(name, 24) for name in names]
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
    return render_png(figure)


def _thin(count: int) -> Array:
    """The indices of at most ``MAX_SCATTER`` of ``count`` points, evenly spread."""
    if count <= MAX_SCATTER:
        return xp.arange(count)
    return xp.unique(xp.linspace(0, count - 1, MAX_SCATTER).astype(xp.int64))


def predicted_png(true: Array, pred: Array) -> tuple[bytes, int]:
    """``predicted.png`` for ``(n[L], m)`` values, one panel per output; and the panels drawn."""
    outputs = min(true.shape[0], MAX_PANELS)
    rows, columns = panel_grid(outputs)
    figure = Figure(figsize=(4.4 * columns, 4.2 * rows), dpi=DPI, layout="constrained")
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
    return render_png(figure), outputs


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


def decision_png(regions: DecisionRegions, task: str, classes: Sequence[Any] | None) -> bytes:
    """``decision.png``: the prediction over a grid of the two features, the points on it."""
    gx, gy = _decision_grid(regions.X)
    predicted = _predict_grid(regions, gx, gy)
    figure = Figure(figsize=(7.2, 5.6), dpi=DPI, layout="constrained")
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
        colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)]
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
                label=short_text(name, 24),
            )
        axes.legend(title="true label", loc="best", fontsize="small")
        axes.set_title("Decision regions (fill: predicted label; points: true label)")
    axes.set_xlim(float(gx[0]), float(gx[-1]))
    axes.set_ylim(float(gy[0]), float(gy[-1]))
    axes.set_xlabel(short_text(regions.feature_names[0], 60))
    axes.set_ylabel(short_text(regions.feature_names[1], 60))
    return render_png(figure)


def decision_alt(regions: DecisionRegions) -> str:
    """The alt text of ``decision.png``."""
    first, second = regions.feature_names
    return f"Predictions over the plane of {first} and {second}, with the points"
