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

Modules (each imports only the public names of those above it): ``plots``, the figures
and what a report takes (``DecisionRegions``, the limits); ``page``, ``write_report`` and
the page; ``sweep``, ``vecnn tune``'s report in the same style.
"""

from __future__ import annotations

from vecnn.report.page import write_report
from vecnn.report.plots import GRID_POINTS as GRID_POINTS
from vecnn.report.plots import HISTORY_ROWS as HISTORY_ROWS
from vecnn.report.plots import MAX_PANELS as MAX_PANELS
from vecnn.report.plots import MAX_SCATTER as MAX_SCATTER
from vecnn.report.plots import TASKS, DecisionRegions

__all__ = ["TASKS", "DecisionRegions", "write_report"]
