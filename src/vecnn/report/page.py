"""``report.html``: one self-contained page (inline CSS, no script, every string escaped)."""

from __future__ import annotations

import base64
import html
import math
from datetime import datetime, timezone
from typing import Any

from vecnn._version import __version__
from vecnn.report.spec import _SKIPPED_SERIES, HISTORY_ROWS

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
    return f"{number:.4g}"


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


def _page_start(title: str, css: str = _CSS) -> list[str]:
    """The page's head, and its title as the first heading."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
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
    parts += [f"<p>{_e(note)}</p>" for note in data.get("notes", [])]
    columns = data.get("columns", [])
    if columns:
        parts.append("<table>")
        parts.append("<tr><th>column</th><th>kind</th><th>inputs</th></tr>")
        for name, kind, inputs in _grouped_columns(columns):
            parts.append(f"<tr><td>{_e(name)}</td><td>{_e(kind)}</td><td>{_e(inputs)}</td></tr>")
        parts.append("</table>")
    classes = data.get("classes")
    if classes:
        total = sum(classes.values())
        parts.append("<h3>Class balance</h3>")
        parts.append("<table>")
        parts.append("<tr><th>class</th><th>rows</th><th>share</th></tr>")
        for label, count in classes.items():
            share = f"{100 * count / total:.1f}%"
            parts.append(f"<tr><td>{_e(label)}</td><td>{count}</td><td>{share}</td></tr>")
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
    parts = _page_start(title)
    if command:
        parts += ["<h2>Command</h2>", f"<pre><code>{_e(command)}</code></pre>"]
    if data:
        parts += _data_section(data)
    parts.append("<h2>Metrics</h2>")
    if metrics_source:
        parts.append(f"<p>On the {_e(metrics_source)}.</p>")
    if metrics:
        parts.append("<table>")
        parts.append("<tr><th>metric</th><th>value</th></tr>")
        for name, value in metrics.items():
            parts.append(f"<tr><td>{_e(name)}</td><td>{_e(_format(value))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="note">No metrics were given.</p>')
    if training:
        parts.append("<h2>Training</h2>")
        parts += [f"<p>{_e(sentence)}</p>" for sentence in training]
    parts.append("<h2>Network</h2>")
    if summary:
        parts.append(f"<pre>{_e(summary)}</pre>")
    else:
        parts.append('<p class="note">No summary was given.</p>')
    parts.append("<h2>Plots</h2>")
    for name in ("loss", "metrics", "confusion", "predicted", "decision"):
        if name in plots:
            source = f"{name}.png"
            if images and name in images:
                source = "data:image/png;base64," + base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f'<figure><img src="{_e(source)}" alt="{_e(plots[name])}">'
                f"<figcaption>{_e(plots[name])}</figcaption></figure>"
            )
        if name in notes:
            parts.append(f'<p class="note">{_e(notes[name])}</p>')
    parts.append("<h2>History</h2>")
    parts += _history_table(series)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f'<p class="note">vecnn {_e(__version__)}, {_e(made)}</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
