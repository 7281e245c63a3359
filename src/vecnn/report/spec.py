"""What a report takes and the limits it draws within: the tasks, the sizes, ``DecisionRegions``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vecnn.backend.host import Array
from vecnn.data import TASKS as TASKS  # the values ``write_report``'s ``task`` takes

HISTORY_ROWS = 50
"""The most epochs the page's history table shows (the last ones)."""

GRID_POINTS = 200
"""The decision-region grid has at most this many points along each feature."""

MAX_SCATTER = 10_000
"""The most points one scatter plot draws; larger sets are thinned evenly."""

MAX_PANELS = 16
"""The most outputs ``predicted.png`` draws a panel for."""

_SKIPPED_SERIES = ("lr", "time")


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
