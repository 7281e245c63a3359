"""Metrics: pure array functions with scikit-learn's names, signatures and results.

Orientation (the project's notation, examples are columns):

- Labels (``y_true``, ``y_pred`` of the classification metrics) are 1-D arrays of ``m``
  labels of any sortable kind (ints, strings, …). A ``(1, m)`` row, what a single output
  unit gives, is accepted as the same thing. An ``(m, 1)`` column is refused: transpose it.
- Class probabilities (``log_loss``) are ``(K, m)``: row ``k`` is the probability of class
  ``labels[k]`` for each of the ``m`` examples, as a softmax output ``A[L]`` is. A 1-D
  ``(m,)`` or ``(1, m)`` array is the binary case: the probability of the second class
  (the larger label), as a sigmoid output is.
- Regression targets are ``(m,)`` or ``(n_outputs, m)``; with several outputs the metric
  is taken per output (per row) and averaged uniformly over the outputs (scikit-learn's
  ``multioutput="uniform_average"``). Data in scikit-learn's ``(m, n_outputs)`` layout
  goes in as its transpose ``.T``; an ``(m, 1)`` column, or an array with more rows
  (outputs) than columns (examples), is refused with that hint rather than misread.

Where scikit-learn would warn, these functions stay silent and return what scikit-learn
returns in that case: an undefined precision, recall or F-score (zero denominator) is
``zero_division`` (0.0 by default, as scikit-learn's default ``"warn"``, which is accepted
too: 0.0 with a warning), and ``r2_score``
of fewer than two examples is ``nan``. Deliberate differences from scikit-learn: the
``labels`` of ``log_loss`` give the order of the rows of ``proba`` (scikit-learn sorts them
and warns); ``log_loss`` raises ``ValueError`` when a column of ``proba`` does not sum to 1
(scikit-learn warns); duplicated ``labels`` and ``(m, 1)`` label columns raise; regression
metrics compute in float64 whatever the input dtype. There is no ``sample_weight``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

from vecnn.backend.host import DEFAULT_FLOAT, Array, as_float_array, errstate, xp
from vecnn.errors import ShapeError


class UndefinedMetricWarning(UserWarning):
    """A score is undefined (a zero denominator) and ``zero_division="warn"`` was given."""


__all__ = [
    "UndefinedMetricWarning",
    "accuracy_score",
    "confusion_matrix",
    "f1_score",
    "fbeta_score",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_recall_fscore_support",
    "precision_score",
    "r2_score",
    "recall_score",
]

ArrayLike = Any
"""Anything ``xp.asarray`` turns into an array: a list, a tuple, an array."""

Average = Literal["binary", "micro", "macro", "weighted"] | None

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


# --------------------------------------------------------------------------- labels


def _labels_1d(y: ArrayLike, name: str) -> Array:
    """``y`` as a 1-D array of labels; a ``(1, m)`` row is flattened, anything else refused."""
    array = xp.asarray(y)
    if array.ndim == 2 and array.shape[0] == 1:
        return array[0]
    if array.ndim == 1:
        return array
    if array.ndim == 2 and array.shape[1] == 1:
        raise ShapeError(
            f"{name} has shape {array.shape}, a column; labels are a 1-D array of m labels "
            f"(examples are columns): pass {name}.T or {name}.ravel()"
        )
    if array.ndim == 2:
        raise ShapeError(
            f"{name} has shape {array.shape}; labels are a 1-D array of m labels. For a "
            f"one-hot or probability matrix (K, m), take the argmax over the rows (classes) "
            f"first"
        )
    raise ShapeError(f"{name} has shape {array.shape}; labels are a 1-D array of m labels")


def _kind(array: Array) -> str:
    if array.dtype.kind in "US":
        return "string"
    if array.dtype.kind in "biuf":
        return "number"
    return "object"


def _check_same_kind(*named: tuple[str, Array]) -> None:
    kinds = {_kind(array) for _, array in named}
    if {"string", "number"} <= kinds:
        described = ", ".join(f"{name} holds {_kind(array)}s" for name, array in named)
        raise ValueError(f"mix of string and number labels ({described}); use one kind")


def _check_not_continuous(array: Array, name: str) -> None:
    if array.dtype.kind == "f" and not bool(xp.all(array == xp.floor(array))):
        bad = array[array != xp.floor(array)][0]
        raise ValueError(
            f"{name} looks continuous (it holds {bad!r}, not a whole number); classification "
            f"metrics take labels: threshold the probabilities or take the argmax over the "
            f"rows first"
        )


def _unique(array: Array) -> Array:
    """The sorted distinct labels; labels that cannot be ordered raise ``ValueError``."""
    try:
        return xp.unique(array)
    except TypeError as error:
        raise ValueError(f"labels must be mutually comparable to be sorted: {error}") from None


def _label_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Array, Array]:
    """Validated 1-D ``y_true`` and ``y_pred`` of one length ``m ≥ 1``."""
    true = _labels_1d(y_true, "y_true")
    pred = _labels_1d(y_pred, "y_pred")
    if true.shape[0] != pred.shape[0]:
        raise ShapeError(
            f"y_true and y_pred have different lengths: y_true has {true.shape[0]} labels, "
            f"y_pred has {pred.shape[0]}"
        )
    if true.shape[0] == 0:
        raise ValueError("empty input: y_true and y_pred hold no labels (m = 0)")
    _check_same_kind(("y_true", true), ("y_pred", pred))
    _check_not_continuous(true, "y_true")
    _check_not_continuous(pred, "y_pred")
    return true, pred


def _check_labels(labels: ArrayLike, true: Array) -> Array:
    """The user's ``labels`` as a 1-D array of distinct labels of the same kind as ``y_true``."""
    array = xp.asarray(labels)
    if array.ndim != 1:
        raise ShapeError(f"labels must be a 1-D array of class labels; got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError("labels must contain at least one label")
    _check_same_kind(("y_true", true), ("labels", array))
    if _unique(array).shape[0] != array.shape[0]:
        raise ValueError(f"labels must be distinct; got {array.tolist()}")
    return array


def _encode(y: Array, labels: Array) -> Array:
    """The index of each entry of ``y`` in ``labels``, or -1 where it is not there."""
    order = xp.argsort(labels, kind="stable")
    ordered = labels[order]
    position = xp.minimum(xp.searchsorted(ordered, y), labels.shape[0] - 1)
    found = ordered[position] == y
    return xp.where(found, order[position], -1)


# --------------------------------------------------------------------------- classification


def accuracy_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """The fraction of correct labels: ``(1/m) Σᵢ [y_pred⁽ⁱ⁾ = y_true⁽ⁱ⁾]``.

    ``y_true``, ``y_pred``: ``(m,)`` labels.
    """
    true, pred = _label_pair(y_true, y_pred)
    return float(xp.mean(true == pred))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike = None) -> Array:
    """The ``(K, K)`` matrix ``C`` whose ``C[i, j]`` counts examples of true class
    ``labels[i]`` predicted as ``labels[j]`` (rows true, columns predicted).

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``labels``: the ``K`` classes in the order of
    the rows and columns; default the sorted union of ``y_true`` and ``y_pred``. Examples
    whose true or predicted label is not in ``labels`` are not counted; at least one of
    ``labels`` must occur in ``y_true``. Returns int64 counts.
    """
    true, pred = _label_pair(y_true, y_pred)
    if labels is None:
        classes = _unique(xp.concatenate([true, pred]))
    else:
        classes = _check_labels(labels, true)
        _check_same_kind(("y_pred", pred), ("labels", classes))
    true_index = _encode(true, classes)
    pred_index = _encode(pred, classes)
    if labels is not None and not bool(xp.any(true_index >= 0)):
        raise ValueError(f"none of labels {classes.tolist()} occurs in y_true; at least one must")
    k = classes.shape[0]
    counted = (true_index >= 0) & (pred_index >= 0)
    flat = true_index[counted] * k + pred_index[counted]
    return xp.bincount(flat, minlength=k * k).reshape(k, k).astype(xp.int64)


def _class_counts(
    true: Array, pred: Array, labels: ArrayLike, pos_label: Any, average: Average
) -> tuple[Array, Array, Array]:
    """Per class: true positives, predicted counts and true counts (the support)."""
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {list(_AVERAGES)}; got {average!r}")
    present = _unique(xp.concatenate([true, pred]))
    if average == "binary":
        if present.shape[0] > 2:
            raise ValueError(
                f"average='binary' needs at most two classes but y_true and y_pred hold "
                f"{present.shape[0]}: {present.tolist()}; choose average=None, 'micro', "
                f"'macro' or 'weighted'"
            )
        present_list = present.tolist()
        if pos_label not in present_list:
            if present.shape[0] == 2:
                raise ValueError(
                    f"pos_label={pos_label!r} is not a valid label; it should be one of "
                    f"{present_list}"
                )
            zeros = xp.zeros(1, dtype=xp.int64)
            return zeros, zeros, zeros
        classes = present[[present_list.index(pos_label)]]
    elif labels is None:
        classes = present
    else:
        classes = _check_labels(labels, true)
        _check_same_kind(("y_pred", pred), ("labels", classes))
    k = classes.shape[0]
    true_index = _encode(true, classes)
    pred_index = _encode(pred, classes)
    true_sum = xp.bincount(true_index[true_index >= 0], minlength=k)
    pred_sum = xp.bincount(pred_index[pred_index >= 0], minlength=k)
    hit = (true_index == pred_index) & (true_index >= 0)
    tp_sum = xp.bincount(true_index[hit], minlength=k)
    return tp_sum, pred_sum, true_sum


def _divide(numerator: Array, denominator: Array, zero_division: float) -> Array:
    """``numerator / denominator``, ``zero_division`` where the denominator is 0."""
    result = xp.full(numerator.shape, zero_division, dtype=DEFAULT_FLOAT)
    defined = denominator != 0
    result[defined] = numerator[defined] / denominator[defined]
    return result


ZERO_DIVISION = ('"warn"', "0.0", "1.0", "nan")


def _check_zero_division(zero_division: Any) -> bool:
    """True for ``"warn"``; a ValueError listing the choices for anything else unknown."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return True
    elif (
        isinstance(zero_division, (int, float))
        and not isinstance(zero_division, bool)
        and (zero_division in (0, 1) or math.isnan(zero_division))
    ):
        return False
    raise ValueError(
        f"zero_division must be one of {', '.join(ZERO_DIVISION)}; got {zero_division!r}"
    )


def _warn_undefined(denominator: Array, metric: str, which: str) -> None:
    """scikit-learn's warning for ``zero_division="warn"`` when a score is undefined."""
    if bool(xp.any(denominator == 0)):
        warnings.warn(
            f"{metric} is ill-defined and set to 0.0 for labels with no {which} samples; "
            "use zero_division to control this",
            UndefinedMetricWarning,
            stacklevel=4,
        )


def _mean_over_classes(values: Array, weights: Array | None) -> float:
    """The (weighted) mean ignoring nan; nan if all are nan; unweighted if the weights sum to 0."""
    kept = ~xp.isnan(values)
    if not bool(xp.any(kept)):
        return math.nan
    values = values[kept]
    if weights is None or weights[kept].sum() == 0:
        return float(xp.mean(values))
    weights = weights[kept].astype(DEFAULT_FLOAT)
    return float(xp.sum(values * weights) / xp.sum(weights))


def precision_recall_fscore_support(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    labels: ArrayLike = None,
    pos_label: Any = 1,
    average: Average = None,
    zero_division: float | str = 0.0,
) -> tuple[Any, Any, Any, Array | None]:
    """Per class ``k`` with ``tp`` true positives, ``fp`` false positives, ``fn`` false negatives:
    precision ``tp/(tp+fp)``, recall ``tp/(tp+fn)``,
    ``F_β = (1+β²) tp / ((1+β²) tp + β² fn + fp)`` and support ``tp+fn``.

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``labels``: the classes reported, in order
    (default the sorted union; ignored for ``average="binary"``). ``average``:
    ``None`` gives ``(K,)`` arrays; ``"binary"`` the scores of ``pos_label`` alone (at most
    two classes); ``"micro"`` pools the counts over the classes; ``"macro"`` is the plain
    mean of the per-class scores, ``"weighted"`` their mean weighted by the support.
    A zero denominator gives ``zero_division`` (0.0, 1.0 or nan; nan scores are left out
    of the averages) silently, or 0.0 with an ``UndefinedMetricWarning`` for ``"warn"``.
    The support is ``None`` unless ``average`` is ``None``.
    """
    if not (beta >= 0):
        raise ValueError(f"beta must be ≥ 0; got {beta}")
    warn = _check_zero_division(zero_division)
    if warn:
        zero_division = 0.0
    true, pred = _label_pair(y_true, y_pred)
    tp_sum, pred_sum, true_sum = _class_counts(true, pred, labels, pos_label, average)
    if average == "micro":
        tp_sum, pred_sum, true_sum = (
            xp.sum(s, keepdims=True) for s in (tp_sum, pred_sum, true_sum)
        )

    precision = _divide(tp_sum, pred_sum, zero_division)
    recall = _divide(tp_sum, true_sum, zero_division)
    if warn:
        _warn_undefined(pred_sum, "precision", "predicted")
        _warn_undefined(true_sum, "recall", "true")
    if math.isinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        beta2 = beta * beta
        f_score = _divide(
            (1 + beta2) * tp_sum.astype(DEFAULT_FLOAT),
            beta2 * true_sum.astype(DEFAULT_FLOAT) + pred_sum,
            zero_division,
        )

    if average is None:
        return precision, recall, f_score, true_sum.astype(xp.int64)
    weights = true_sum if average == "weighted" else None
    return (
        _mean_over_classes(precision, weights),
        _mean_over_classes(recall, weights),
        _mean_over_classes(f_score, weights),
        None,
    )


def precision_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike = None,
    pos_label: Any = 1,
    average: Average = "binary",
    zero_division: float | str = 0.0,
) -> float | Array:
    """Precision ``tp / (tp + fp)``: of the examples predicted as a class, the fraction that is.

    Shapes, ``average`` and ``zero_division`` as in ``precision_recall_fscore_support``:
    a float, or a ``(K,)`` array for ``average=None``.
    """
    return precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )[0]


def recall_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike = None,
    pos_label: Any = 1,
    average: Average = "binary",
    zero_division: float | str = 0.0,
) -> float | Array:
    """Recall ``tp / (tp + fn)``: of the examples of a class, the fraction predicted as it.

    Shapes, ``average`` and ``zero_division`` as in ``precision_recall_fscore_support``:
    a float, or a ``(K,)`` array for ``average=None``.
    """
    return precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )[1]


def fbeta_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float,
    labels: ArrayLike = None,
    pos_label: Any = 1,
    average: Average = "binary",
    zero_division: float | str = 0.0,
) -> float | Array:
    """``F_β = (1+β²) tp / ((1+β²) tp + β² fn + fp)``, recall weighted β times precision.

    Shapes, ``average`` and ``zero_division`` as in ``precision_recall_fscore_support``:
    a float, or a ``(K,)`` array for ``average=None``.
    """
    return precision_recall_fscore_support(
        y_true,
        y_pred,
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )[2]


def f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike = None,
    pos_label: Any = 1,
    average: Average = "binary",
    zero_division: float | str = 0.0,
) -> float | Array:
    """``F1 = 2 tp / (2 tp + fp + fn)``, the harmonic mean of precision and recall.

    Shapes, ``average`` and ``zero_division`` as in ``precision_recall_fscore_support``:
    a float, or a ``(K,)`` array for ``average=None``.
    """
    return fbeta_score(
        y_true,
        y_pred,
        beta=1.0,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )


def log_loss(
    y_true: ArrayLike, proba: ArrayLike, labels: ArrayLike = None, eps: float | None = None
) -> float:
    """Cross-entropy ``J = −(1/m) Σᵢ log P[k(i), i]``, ``k(i)`` the row of example i's class.

    ``y_true``: ``(m,)`` labels. ``proba``: ``(K, m)``, classes as rows, each column summing
    to 1 (a softmax output); or ``(m,)`` / ``(1, m)`` for two classes, the probability of the
    second (a sigmoid output), read as the rows ``[1 − p, p]``. ``labels``: the class of
    each row, in order; default the sorted distinct labels of ``y_true``. Probabilities
    are clipped to ``[eps, 1 − eps]`` first, ``eps`` defaulting to the machine epsilon of
    ``proba``'s dtype (as scikit-learn does), so a confident mistake costs a finite loss.
    """
    true = _labels_1d(y_true, "y_true")
    P = as_float_array(proba)
    if P.ndim == 1:
        P = P[None, :]
    if P.ndim != 2:
        raise ShapeError(f"proba must be (K, m) or (m,); got shape {P.shape}")
    m = true.shape[0]
    if P.shape[1] != m:
        hint = " (it looks transposed: pass proba.T)" if P.shape[0] == m else ""
        raise ShapeError(
            f"proba and y_true have different lengths: proba has shape {P.shape}, m = "
            f"{P.shape[1]} columns (examples), y_true has {m} labels; proba is (K, m) with "
            f"classes as rows{hint}"
        )
    if m == 0:
        raise ValueError("empty input: y_true and proba hold no examples (m = 0)")
    if not bool(xp.all(xp.isfinite(P))):
        raise ValueError("proba contains NaN or infinity")
    if bool(xp.any(P < 0)) or bool(xp.any(P > 1)):
        raise ValueError(
            f"proba must lie in [0, 1]; got values in [{P.min()}, {P.max()}] "
            f"(logits? apply the softmax or sigmoid first)"
        )
    _check_not_continuous(true, "y_true")
    if labels is None:
        classes = _unique(true)
        if classes.shape[0] < 2:
            raise ValueError(
                f"y_true contains only one label ({classes[0]!r}); pass all the classes "
                f"through labels"
            )
    else:
        classes = _check_labels(labels, true)
        if classes.shape[0] < 2:
            raise ValueError(f"labels must contain at least two labels; got {classes.tolist()}")
    k = classes.shape[0]
    index = _encode(true, classes)
    if not bool(xp.all(index >= 0)):
        missing = _unique(true[index < 0]).tolist()
        raise ValueError(f"y_true contains labels {missing} not among labels {classes.tolist()}")
    if P.shape[0] == 1:
        if k != 2:
            raise ShapeError(
                f"a single row of probabilities stands for two classes, but there are "
                f"K = {k}: {classes.tolist()}; pass proba of shape (K, m)"
            )
        P = xp.concatenate([1 - P, P])
    if P.shape[0] != k:
        raise ShapeError(
            f"proba has {P.shape[0]} rows (classes) but there are K = {k} classes "
            f"{classes.tolist()}; pass labels to name the classes of the rows"
        )
    dtype_eps = float(xp.finfo(P.dtype).eps)
    column_sums = P.sum(axis=0)
    if not bool(xp.all(xp.isclose(column_sums, 1, rtol=math.sqrt(dtype_eps)))):
        worst = column_sums[xp.argmax(xp.abs(column_sums - 1))]
        raise ValueError(
            f"the columns of proba (one per example) must sum to 1; one sums to {worst}. "
            f"Pass probabilities (a softmax over the rows), not independent sigmoids or logits"
        )
    eps = dtype_eps if eps is None else eps
    if not (0 <= eps < 0.5):
        raise ValueError(f"eps must be in [0, 0.5); got {eps}")
    picked = xp.clip(P[index, xp.arange(m)], eps, 1 - eps)
    with errstate(divide="ignore"):
        return float(-xp.mean(xp.log(picked)))


# --------------------------------------------------------------------------- regression


def _regression_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Array, Array]:
    """Validated float64 ``(n_outputs, m)`` targets; a 1-D ``(m,)`` becomes ``(1, m)``."""
    arrays = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        array = as_float_array(y).astype(DEFAULT_FLOAT, copy=False)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2:
            raise ShapeError(
                f"{name} must be (m,) or (n_outputs, m) (examples are columns); got shape "
                f"{array.shape}"
            )
        _refuse_rows_layout(array, name)
        arrays.append(array)
    true, pred = arrays
    if true.shape[1] != pred.shape[1]:
        hint = (
            " (the shapes are each other's transpose: examples are columns, pass .T)"
            if true.shape == pred.shape[::-1]
            else ""
        )
        raise ShapeError(
            f"y_true and y_pred have different lengths: y_true has m = {true.shape[1]} "
            f"examples (shape {true.shape}), y_pred has m = {pred.shape[1]} "
            f"(shape {pred.shape}){hint}"
        )
    if true.shape[0] != pred.shape[0]:
        raise ShapeError(
            f"y_true has n_outputs = {true.shape[0]} rows but y_pred has {pred.shape[0]}; "
            f"targets are (n_outputs, m) (examples are columns)"
        )
    if true.size == 0:
        raise ValueError(f"empty input: y_true and y_pred have shape {true.shape}")
    for name, array in (("y_pred", pred), ("y_true", true)):
        if bool(xp.any(xp.isnan(array))):
            count = int(xp.sum(xp.isnan(array)))
            raise ValueError(f"{name} contains NaN ({count} of {array.size} entries)")
        if bool(xp.any(xp.isinf(array))):
            raise ValueError(f"{name} contains infinity")
    return true, pred


def _refuse_rows_layout(array: Array, name: str) -> None:
    """A ShapeError for scikit-learn's one-row-per-example layout: an ``(m, 1)`` column, or
    ``(m, n_outputs)`` with more rows than columns (more outputs than examples)."""
    rows, columns = array.shape
    if columns == 1 and rows > 1:
        raise ShapeError(
            f"{name} has shape {array.shape}, a column; targets are (m,) or (n_outputs, m) "
            f"(examples are columns): pass {name}.T or {name}.ravel()"
        )
    if rows > columns > 0:
        raise ShapeError(
            f"{name} has shape {array.shape}: more outputs (rows) than examples (columns), "
            f"which looks like scikit-learn's (m, n_outputs) layout; targets are (n_outputs, m) "
            f"(examples are columns): pass {name}.T"
        )


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``MSE = (1/m) Σᵢ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾)²``, averaged uniformly over the outputs.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(n_outputs, m)`` (examples are columns; pass the
    transpose of scikit-learn's ``(m, n_outputs)``).
    """
    true, pred = _regression_pair(y_true, y_pred)
    return float(xp.mean(xp.mean((pred - true) ** 2, axis=1)))


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``MAE = (1/m) Σᵢ |ŷ⁽ⁱ⁾ − y⁽ⁱ⁾|``, averaged uniformly over the outputs.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(n_outputs, m)`` (examples are columns; pass the
    transpose of scikit-learn's ``(m, n_outputs)``).
    """
    true, pred = _regression_pair(y_true, y_pred)
    return float(xp.mean(xp.mean(xp.abs(pred - true), axis=1)))


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``R² = 1 − Σᵢ (y⁽ⁱ⁾ − ŷ⁽ⁱ⁾)² / Σᵢ (y⁽ⁱ⁾ − ȳ)²`` per output, averaged uniformly.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(n_outputs, m)`` (examples are columns; pass the
    transpose of scikit-learn's ``(m, n_outputs)``). An output whose ``y_true`` is constant
    scores 1.0 if predicted exactly, else 0.0; fewer than two examples give nan (both as
    scikit-learn, which also warns).
    """
    true, pred = _regression_pair(y_true, y_pred)
    if true.shape[1] < 2:
        return math.nan
    residual = xp.sum((true - pred) ** 2, axis=1)
    total = xp.sum((true - xp.mean(true, axis=1, keepdims=True)) ** 2, axis=1)
    scores = xp.where(residual == 0, 1.0, 0.0)  # a constant target: 1.0 if matched exactly
    varied = total != 0
    scores[varied] = 1 - residual[varied] / total[varied]
    return float(xp.mean(scores))


# ------------------------------------------------------------------ the metric set of a task
def task_scores(
    task: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    proba: ArrayLike = None,
    classes: ArrayLike = None,
) -> dict[str, Any]:
    """The metrics reported for a task, by ``Network.evaluate`` and ``vecnn train``.

    - ``regression`` (``(n[L], m)`` targets or ``(m,)``): ``r2``, ``mse``, ``mae`` of each
      output, averaged over the outputs;
    - ``multilabel`` (0/1 ``(K, m)``): exact-match ``accuracy``, ``f1_macro`` over the
      labels and, given ``proba (K, m)``, ``log_loss``: each label's binary cross-entropy,
      averaged over the labels;
    - ``binary``, ``multiclass`` (labels ``(m,)``): ``accuracy``, ``precision``, ``recall``,
      ``f1`` (binary: of the second class of ``classes``; multi-class: macro-averaged),
      ``f1_macro`` and, given ``proba`` (``(K, m)`` in the order of ``classes``, or
      ``(1, m)`` for two), ``log_loss``. True labels that are not among ``classes``
      count as errors and are listed under ``unseen_labels`` (the log-loss, which needs a
      probability for the true class, leaves those examples out).
    """
    if task == "regression":  # per output (any m, fewer examples than outputs too), averaged
        rows = [as_float_array(y).reshape(-1, xp.shape(y)[-1]) for y in (y_true, y_pred)]
        functions = {"r2": r2_score, "mse": mean_squared_error, "mae": mean_absolute_error}
        return {
            name: float(xp.mean([f(true, pred) for true, pred in zip(*rows, strict=True)]))
            for name, f in functions.items()
        }
    if task == "multilabel":
        return _multilabel_scores(as_float_array(y_true), as_float_array(y_pred), proba)
    y_true, y_pred = xp.asarray(y_true), xp.asarray(y_pred)
    classes = list(_unique(y_true) if classes is None else xp.asarray(classes).tolist())
    if task == "binary":
        options: dict[str, Any] = {"labels": [classes[-1]], "average": "macro"}
    else:
        options = {"average": "macro"}
    scores: dict[str, Any] = {
        "accuracy": accuracy_score(y_true, y_pred),
        "precision": precision_score(y_true, y_pred, **options),
        "recall": recall_score(y_true, y_pred, **options),
        "f1": f1_score(y_true, y_pred, **options),
        "f1_macro": f1_score(y_true, y_pred, average="macro"),
    }
    known = set(classes)
    seen = xp.array([label in known for label in y_true.tolist()], dtype=bool)
    if proba is not None:
        P = as_float_array(proba)
        if P.shape[0] == 1:  # one sigmoid unit: P of the second class
            P = xp.concatenate([1 - P, P])
        columns = P[:, seen]
        if seen.any():
            columns = columns / columns.sum(axis=0, keepdims=True)  # one-vs-rest units
            scores["log_loss"] = log_loss(y_true[seen], columns, labels=classes)
        else:
            scores["log_loss"] = math.nan
    if not seen.all():
        scores["unseen_labels"] = sorted({y for y in y_true[~seen].tolist()}, key=str)
        scores["unseen_examples"] = int((~seen).sum())
    return scores


def _multilabel_scores(Y_true: Array, Y_pred: Array, proba: ArrayLike) -> dict[str, float]:
    labels = range(Y_true.shape[0])
    scores = {
        "accuracy": float((Y_true == Y_pred).all(axis=0).mean()),
        "f1_macro": float(
            xp.mean([f1_score(Y_true[k].astype(int), Y_pred[k].astype(int)) for k in labels])
        ),
    }
    if proba is not None:
        P = as_float_array(proba)
        scores["log_loss"] = float(
            xp.mean([log_loss(Y_true[k].astype(int), P[k], labels=[0, 1]) for k in labels])
        )
    return scores
