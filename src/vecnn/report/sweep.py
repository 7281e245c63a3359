"""The report of a hyper-parameter sweep (``vecnn tune``): one page, two kinds of plot.

``write_sweep_report(out_dir, …)`` writes, in the training report's style (same CSS, same
Matplotlib object API, atomic files, the page last):

- ``curves.png``: the metric per epoch of every trial in one plot, the best trial bold;
- ``settings.png``: the best value of the metric each trial reached against each searched
  setting, one panel per setting (a log axis for log-uniform ranges);
- ``report.html``: the facts of the sweep, the best trial and the ``vecnn train`` command
  with its settings, the plots, and the trials sorted by the metric.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from vecnn.report.page import CSS, escape, format_value, page_start, prepare_directory, write_file
from vecnn.report.plots import CLASS_COLORS, DPI, panel_grid, render_png, short_text

_STATE_COLORS = {"finished": "#2ca02c", "stopped early": "#ff7f0e", "failed": "#d62728"}
_OTHER_COLOR = "#7f7f7f"
_LEGEND_LIMIT = 12
_SWEEP_CSS = """
.wide { overflow-x: auto; }
table.trials td, table.trials th { white-space: nowrap; font-size: 0.9rem; }
table.trials tr.best td { font-weight: bold; background: #eef6ee; }
"""


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _curves_png(curves: dict[str, list[float]], metric: str, best: str | None) -> bytes:
    figure = Figure(figsize=(7.2, 4.2), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    longest = 1
    for index, (trial, values) in enumerate(curves.items()):
        y = [v if math.isfinite(v) else math.nan for v in values]
        if not y:
            continue
        longest = max(longest, len(y))
        x = list(range(1, len(y) + 1))
        is_best = trial == best
        label = f"{trial} (best)" if is_best else trial
        axes.plot(
            x,
            y,
            color="#111111" if is_best else CLASS_COLORS[index % len(CLASS_COLORS)],
            linewidth=2.6 if is_best else 1.1,
            alpha=1.0 if is_best else 0.75,
            marker="o" if len(y) <= 30 else None,
            markersize=3,
            label=short_text(label) if index < _LEGEND_LIMIT or is_best else None,
            zorder=3 if is_best else 2,
        )
    axes.set_title(short_text(f"{metric} per epoch, every trial", 60))
    axes.set_xlabel("epoch")
    axes.set_ylabel(short_text(metric))
    axes.grid(True, alpha=0.3)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlim(0.5, longest + 0.5)
    if "loss" in metric:
        finite = [v for values in curves.values() for v in values if math.isfinite(v) and v > 0]
        if finite and max(finite) / min(finite) > 50:
            axes.set_yscale("log")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize="x-small", ncol=2)
    return render_png(figure)


def _settings_png(
    searched: Sequence[tuple[str, str, bool]],
    points: list[tuple[dict[str, Any], float, str]],
    metric: str,
) -> bytes:
    """One panel per setting: each trial's best metric against its value, coloured by state."""
    rows, columns = panel_grid(len(searched))
    figure = Figure(figsize=(4.6 * columns, 3.5 * rows), dpi=DPI, layout="constrained")
    for position, (key, name, log) in enumerate(searched, start=1):
        axes = figure.add_subplot(rows, columns, position)
        values = [config.get(key) for config, _, _ in points]
        numeric = all(_finite(v) for v in values) and values
        if numeric:
            x: list[Any] = [float(v) for v in values]  # type: ignore[arg-type]
        else:
            labels = list(dict.fromkeys(str(v) for v in values))
            x = [labels.index(str(v)) for v in values]
            axes.set_xticks(range(len(labels)), [short_text(label, 14) for label in labels])
            axes.set_xlim(-0.5, len(labels) - 0.5)
        for state in dict.fromkeys(state for _, _, state in points):
            chosen = [i for i, (_, _, s) in enumerate(points) if s == state]
            axes.scatter(
                [x[i] for i in chosen],
                [points[i][1] for i in chosen],
                color=_STATE_COLORS.get(state, _OTHER_COLOR),
                label=short_text(state),
                s=28,
                edgecolors="white",
                linewidths=0.5,
            )
        if log and numeric:
            axes.set_xscale("log")
            axes.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))  # 2, 5: labels apart
        axes.set_title(short_text(f"best {metric} by {name}", 60))
        axes.set_xlabel(short_text(name))
        axes.set_ylabel(short_text(f"best {metric}"))
        axes.grid(True, alpha=0.3)
        if position == 1 and points:
            axes.legend(loc="best", fontsize="x-small")
    return render_png(figure)


def _table(header: Sequence[str], table: Sequence[Sequence[Any]], best: str | None) -> list[str]:
    """The trials as an HTML table; columns empty in every row (no restart, no failure)
    are left out."""
    shown = [i for i in range(len(header)) if any(row[i] != "" for row in table)] or list(
        range(len(header))
    )
    parts = ['<table class="trials">']
    parts.append("<tr>" + "".join(f"<th>{escape(header[i])}</th>" for i in shown) + "</tr>")
    for row in table:
        style = ' class="best"' if best is not None and row[0] == best else ""
        cells = "".join(
            f"<td>{escape(format_value(row[i]) if row[i] != '' else '')}</td>" for i in shown
        )
        parts.append(f"<tr{style}>{cells}</tr>")
    parts.append("</table>")
    return parts


def write_sweep_report(
    out_dir: str | os.PathLike[str],
    *,
    title: str,
    command: str | None,
    header: Sequence[str],
    table: Sequence[Sequence[Any]],
    metric: str,
    curves: dict[str, list[float]],
    searched: Sequence[tuple[str, str, bool]],
    best: str | None,
    train_command: str | None,
    facts: dict[str, Any],
) -> Path:
    """Write ``report.html``, ``curves.png`` and ``settings.png`` into ``out_dir``.

    ``header``/``table``: results.csv's rows, best first (the first column is the trial's
    id, then the searched settings by ``searched``' keys, then the best metric, …, a column
    ``state``). ``curves``: the metric per epoch of each trial, by id. ``searched``: for
    each searched setting, its key in ``header``'s spelling with "_", its name, and
    whether its axis is logarithmic. ``best``: the best trial's id. Returns the page's path.
    """
    out = prepare_directory(out_dir)
    columns = list(header)
    state_at = columns.index("state")
    value_at = columns.index(f"best_{metric}")
    setting_at = {key: columns.index(key.replace("_", "-")) for key, _, _ in searched}
    points = [
        ({key: row[i] for key, i in setting_at.items()}, float(row[value_at]), row[state_at])
        for row in table
        if _finite(row[value_at])
    ]
    plots: dict[str, str] = {}
    images = {"curves": _curves_png(curves, metric, best)}
    plots["curves"] = f"{metric} per epoch for every trial (the best trial in bold black)"
    varied = [
        (key, name, log)
        for key, name, log in searched
        if len({str(config.get(key)) for config, _, _ in points}) > 1
    ]
    if varied and points:
        images["settings"] = _settings_png(varied, points, metric)
        plots["settings"] = (
            f"the best {metric} of each trial against each searched setting, "
            "coloured by how the trial ended"
        )
    for name, png in images.items():
        write_file(out / f"{name}.png", png)
    parts = page_start(title, CSS + _SWEEP_CSS)
    if command:
        parts += ["<h2>Command</h2>", f"<pre><code>{escape(command)}</code></pre>"]
    parts += ["<h2>Sweep</h2>", "<table>"]
    parts += [
        f"<tr><td>{escape(k)}</td><td>{escape(format_value(v))}</td></tr>" for k, v in facts.items()
    ]
    parts.append("</table>")
    parts.append("<h2>Best trial</h2>")
    if best is not None:
        parts.append(
            f"<p>Trial <b>{escape(best)}</b>; its model, metrics and training report are in "
            '<a href="best/report.html">best/</a>. The same settings with '
            "<code>vecnn train</code>:</p>"
        )
        parts.append(f"<pre><code>{escape(train_command or '')}</code></pre>")
    else:
        parts.append('<p class="note">No trial reported a value of the metric.</p>')
    parts.append("<h2>Plots</h2>")
    for name, caption in plots.items():
        parts.append(
            f'<figure><img src="{escape(name)}.png" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    parts.append(f"<h2>Trials, best {escape(metric)} first</h2>")
    parts.append('<div class="wide">')
    parts += _table(header, table, best)
    parts += ["</div>", "</body>", "</html>", ""]
    return write_file(out / "report.html", "\n".join(parts).encode("utf-8"))
