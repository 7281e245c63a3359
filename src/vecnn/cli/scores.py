"""The metrics the command line reports, computed on labels in the data's own values."""

from __future__ import annotations

from typing import Any

from vecnn import metrics
from vecnn.backend import Array, xp


def classification_scores(
    y_true: Array, y_pred: Array, proba: Array, classes: list[Any]
) -> dict[str, Any]:
    """``accuracy``, ``f1_macro`` and ``log_loss`` (on the examples of known classes).

    ``proba (K, m)`` is in the order of ``classes``. True labels that are not among the
    classes (seen at evaluation, never in training) count as errors and are listed under
    ``unseen_labels``; the log-loss, which needs a probability for the true class, leaves
    those examples out.
    """
    known = set(classes)
    mask = xp.array([label in known for label in y_true.tolist()], dtype=bool)
    scores: dict[str, Any] = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "f1_macro": metrics.f1_score(y_true, y_pred, average="macro"),
    }
    if mask.any():
        columns = proba[:, mask]
        columns = columns / columns.sum(axis=0, keepdims=True)  # one-vs-rest units: normalize
        scores["log_loss"] = metrics.log_loss(y_true[mask], columns, labels=list(classes))
    else:
        scores["log_loss"] = float("nan")
    unseen = sorted({label for label in y_true.tolist() if label not in known}, key=str)
    if unseen:
        scores["unseen_labels"] = unseen
        scores["unseen_examples"] = int((~mask).sum())
    return scores


def regression_scores(y_true: Array, y_pred: Array) -> dict[str, float]:
    """``r2``, ``mse`` and ``mae`` in the target's own units, for ``(n[L], m)`` values:
    taken per output (any ``m``, fewer rows than outputs too) and averaged."""
    functions = {
        "r2": metrics.r2_score,
        "mse": metrics.mean_squared_error,
        "mae": metrics.mean_absolute_error,
    }
    return {
        name: float(xp.mean([f(true, pred) for true, pred in zip(y_true, y_pred, strict=True)]))
        for name, f in functions.items()
    }


def multilabel_scores(Y_true: Array, Y_pred: Array, proba: Array | None = None) -> dict[str, float]:
    """Exact-match ``accuracy`` over examples, ``f1_macro`` over the labels and, given the
    probabilities ``proba (K, m)``, ``log_loss``: each label's binary cross-entropy,
    averaged over the labels."""
    exact = float((Y_true == Y_pred).all(axis=0).mean())
    f1 = [
        metrics.f1_score(Y_true[k].astype(int), Y_pred[k].astype(int), average="binary")
        for k in range(Y_true.shape[0])
    ]
    scores = {"accuracy": exact, "f1_macro": float(xp.mean(f1))}
    if proba is not None:
        scores["log_loss"] = float(
            xp.mean(
                [
                    metrics.log_loss(Y_true[k].astype(int), proba[k], labels=[0, 1])
                    for k in range(Y_true.shape[0])
                ]
            )
        )
    return scores
