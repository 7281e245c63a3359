"""The checks on ``write_report``'s arguments, run before any file is written."""

from __future__ import annotations

import math
from typing import Any

from vecnn.backend.host import Array, xp
from vecnn.errors import ShapeError
from vecnn.report.spec import DecisionRegions
from vecnn.train import History


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
