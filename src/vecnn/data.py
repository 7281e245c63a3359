"""Data at the edge: checking ``X`` and ``Y``, encoding labels, and mini-batch indices.

Inside vecnn examples are columns (``X`` is ``(n[0], m)``). The checks follow
scikit-learn's ``check_array`` contract and wording (NaN, infinity, empty data, 1-D
input, complex and string data), said in the notation.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from vecnn.backend.host import Array, errstate, xp
from vecnn.errors import ShapeError

Task = Literal["binary", "multiclass", "multilabel", "regression"]
"""What a network learns: one sigmoid unit, one class of K, any labels of K, numbers."""

TASKS: tuple[Task, ...] = get_args(Task)
"""The tasks, each defined here once (``Network.task``, model files, reports, the CLI)."""


def _as_numeric(data: Any, name: str) -> Array:
    """``data`` as a real numeric array; a ValueError for complex, string or object data."""
    if _is_sparse(data):
        raise TypeError(
            f"{name} is a sparse matrix; vecnn needs dense input: convert it with {name}.toarray() "
            "(vecnn.sklearn's estimators take sparse X, examples as rows, and densify one "
            "mini-batch at a time)"
        )
    if isinstance(data, SparseColumns):
        raise TypeError(
            f"{name} is a SparseColumns, which only fit takes (it densifies one mini-batch at a "
            f"time); give dense input here: {name}.dense_rows().T"
        )
    try:
        array = xp.asarray(data)
    except ValueError as error:
        raise ValueError(
            f"{name} could not be read as an array ({error}); are rows ragged?"
        ) from None
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {array.dtype}")
    if array.dtype.kind in "Mm":
        raise ValueError(
            f"{name} has dtype {array.dtype} (dates or durations): vecnn does not turn them into "
            "numbers silently; convert them first, e.g. to days since an origin"
        )
    mask = getattr(data, "mask", None)
    if mask is not None and hasattr(data, "filled") and bool(xp.asarray(mask).any()):
        raise ValueError(
            f"{name} is a masked array with masked entries; vecnn would ignore the mask: fill "
            f"them ({name}.filled(value)) or drop those examples"
        )
    if array.dtype.kind in "OUSV":
        if any(isinstance(v, str) and "_" in v for v in array.ravel().tolist()):
            raise ValueError(
                f"{name} contains text with '_' (e.g. '1_000'), which is not read as a number; "
                "convert it first"
            )
        try:
            array = array.astype(xp.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} contains values that are not numbers (dtype {array.dtype}): convert or "
                "encode them first"
            ) from None
    return array


def check_finite(array: Array, name: str) -> None:
    """A ValueError naming the problem when ``array`` holds NaN or infinity."""
    if array.dtype.kind != "f":
        return
    # NaN and ±inf make the sum non-finite; a finite sum means every entry is finite. Only
    # when the sum is not (or overflowed) is the array searched, so no copy of its size
    # is made on good data.
    with errstate(over="ignore", invalid="ignore"):
        if xp.isfinite(array.sum()) or xp.isfinite(array).all():
            return
    if xp.isnan(array).any():
        raise ValueError(
            f"Input {name} contains NaN. vecnn does not accept missing values: impute them "
            "(e.g. with the column mean) or drop those examples first"
        )
    raise ValueError(
        f"Input {name} contains infinity or a value too large for dtype('{array.dtype}')."
    )


def _is_sparse(data: Any) -> bool:
    """A SciPy sparse matrix or array (recognized without importing SciPy)."""
    return hasattr(data, "toarray") and hasattr(data, "nnz")


class SparseColumns:
    """``X (n[0], m)`` whose examples are the rows of a SciPy sparse matrix ``(m, n[0])``.

    ``fit`` takes it where it takes ``X`` and densifies one mini-batch at a time, so memory
    is the sparse data's plus one dense batch: what vecnn.sklearn's estimators hand
    ``fit`` for sparse input (scikit-learn's layout, examples as rows). The rows are kept
    in CSR, so a mini-batch is a gather of rows.
    """

    ndim = 2

    def __init__(self, rows: Any) -> None:
        if not _is_sparse(rows) or len(rows.shape) != 2:
            raise TypeError(f"SparseColumns takes a 2-D SciPy sparse matrix; got {type(rows)}")
        self.rows = rows.tocsr()

    @property
    def shape(self) -> tuple[int, int]:
        """``X``'s shape, ``(n[0], m)``."""
        m, n0 = self.rows.shape
        return n0, m

    @property
    def dtype(self) -> Any:
        return self.rows.dtype

    def astype(self, dtype: Any, copy: bool = False) -> SparseColumns:
        return SparseColumns(self.rows.astype(dtype, copy=copy))

    def dense_rows(self, index: Array | None = None) -> Array:
        """The examples ``index`` (all when None) as C-ordered dense rows ``(m_b, n[0])``:
        their transpose is ``X_b (n[0], m_b)``."""
        return (self.rows if index is None else self.rows[index]).toarray()

    def subset(self, index: Array) -> SparseColumns:
        """The examples ``index``, still sparse."""
        return SparseColumns(self.rows[index])


def check_X(
    X: Any,
    n_features: int | None = None,
    dtype: Any = None,
    name: str = "X",
    sparse: bool = False,
) -> Array:
    """``X`` as a finite float array ``(n[0], m)``, examples as columns.

    ``dtype`` is the network's; float32 input stays float32 when it is None. With
    ``sparse`` (fit alone), a ``SparseColumns`` is accepted and checked, and stays sparse.
    """
    array = X if sparse and isinstance(X, SparseColumns) else _as_numeric(X, name)
    if array.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {array.ndim}D array instead: {name} must be (n[0], m) with "
            f"one example per column; got shape {array.shape}. Reshape your data with "
            "x.reshape(-1, 1) for a single example or x.reshape(1, -1) for a single feature"
        )
    n0, m = array.shape
    if m == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={array.shape}) while a minimum of 1 is required "
            f"({name} is (n[0], m): examples are columns)"
        )
    if n0 == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is required"
        )
    if n_features is not None and n0 != n_features:
        hint = ""
        if m == n_features:
            hint = f" It looks like the examples are rows: pass {name}.T (examples are columns)."
        raise ShapeError(
            f"{name} has {n0} features (rows), but the network is expecting n[0] = {n_features} "
            f"features as input: {name} must be (n[0], m) = ({n_features}, m); got "
            f"{array.shape}.{hint}"
        )
    if dtype is not None:
        with errstate(over="ignore"):  # a value too large for dtype: check_finite says so
            array = array.astype(dtype, copy=False)
    elif array.dtype not in (xp.dtype(xp.float32), xp.dtype(xp.float64)):
        array = array.astype(xp.float64)
    check_finite(array.rows.data if isinstance(array, SparseColumns) else array, name)
    return array


@dataclass
class Targets:
    """``Y`` encoded for training: ``matrix (n[L], m)``, the task and the classes."""

    matrix: Array
    task: Task
    classes: Array | None


def _check_label_type(labels: Array) -> Array:
    if labels.dtype.kind == "O":
        missing = [i for i, v in enumerate(labels.tolist()) if _is_missing_label(v)]
        if missing:
            raise ValueError(
                f"Input Y contains missing labels (NaN, None or pd.NA) at position(s) "
                f"{missing[:10]}: a classifier needs a label for every example; drop them"
            )
    if labels.dtype.kind == "f":
        check_finite(labels, "Y")
        if not (labels == xp.round(labels)).all():
            raise ValueError(
                "Unknown label type: continuous. A classifier needs class labels (ints, strings); "
                "for a continuous target use a regression loss ('mse') with a linear output"
            )
    try:
        return xp.unique(labels)
    except TypeError:
        raise ValueError(
            "Y mixes label types (e.g. strings and numbers); give all labels one type"
        ) from None


def _is_missing_label(value: Any) -> bool:
    """None, a float NaN, pandas' NA or NaT (recognized without importing pandas)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def _refuse_mixed_labels(Y: Any) -> None:
    """``[1, "1", 2]`` would become the strings "1", "1", "2": 1 and "1" merged."""
    kinds = {isinstance(v, str | bytes) for v in Y if not isinstance(v, list | tuple)}
    if len(kinds) > 1:
        raise ValueError("Y mixes label types (e.g. strings and numbers); give all labels one type")


def encode_targets(Y: Any, m: int, n_outputs: int, loss_name: str, classes: Any = None) -> Targets:
    """Check ``Y`` against ``X``'s ``m`` and the output layer's ``n[L]``, and encode it.

    Classification (``loss_name`` a cross-entropy): ``Y`` is labels of length ``m`` (any
    hashable values; ``classes_`` records them in sorted order, or in the order of
    ``classes`` when it is given) or an indicator matrix
    ``(n[L], m)`` of 0/1 (one-hot for multi-class, any number of ones for multi-label).
    Regression: ``Y`` is ``(n[L], m)``, or ``(m,)`` when ``n[L] = 1``.
    """
    if isinstance(Y, (list, tuple)):
        _refuse_mixed_labels(Y)
    if isinstance(Y, (list, tuple)) or not hasattr(Y, "dtype"):
        Y = xp.asarray(Y)
    if Y.ndim == 0 or Y.ndim > 2:
        raise ValueError(f"Y must be labels (m,) or a matrix (n[L], m); got shape {Y.shape}")
    found_m = Y.shape[-1]
    if found_m != m:
        hint = ""
        if Y.ndim == 2 and Y.shape == (m, 1):
            hint = (
                " Y is a column (m, 1): pass Y.ravel() for labels (or a single regression "
                "target), Y.T for a (1, m) target row."
            )
        elif Y.ndim == 2 and Y.shape[0] == m:
            hint = " Y looks like one row per example: pass Y.T (examples are columns)."
        raise ValueError(
            f"X and Y have different numbers of examples: X has m = {m} columns, Y has "
            f"{found_m} (shape {Y.shape}).{hint}"
        )
    if loss_name == "mse":
        return _encode_regression(Y, m, n_outputs)
    return _encode_classes(Y, m, n_outputs, loss_name, classes)


def _encode_regression(Y: Any, m: int, n_outputs: int) -> Targets:
    Y = _as_numeric(Y, "Y").astype(xp.float64, copy=False)
    if Y.ndim == 1:
        Y = Y.reshape(1, m)
    if Y.shape[0] != n_outputs:
        raise ShapeError(
            f"Y has {Y.shape[0]} target rows but the output layer has n[L] = {n_outputs} units"
        )
    check_finite(Y, "Y")
    return Targets(Y, "regression", None)


def _encode_classes(Y: Any, m: int, n_outputs: int, loss_name: str, classes: Any) -> Targets:
    if Y.ndim == 2:
        return _encode_indicator(_as_numeric(Y, "Y"), n_outputs, loss_name, classes)
    labels = Y
    found = _check_label_type(labels)
    if classes is None:
        classes = found
        index = xp.searchsorted(classes, labels)
    else:
        classes = xp.asarray(classes)
        if classes.ndim != 1 or len(set(classes.tolist())) != len(classes):
            raise ValueError("classes must be a list of distinct labels")
        position = {label: k for k, label in enumerate(classes.tolist())}
        unseen = [c for c in found.tolist() if c not in position]
        if unseen:
            raise ValueError(
                f"Y has labels not in classes: {unseen[:10]} (classes: {classes.tolist()[:20]})"
            )
        index = xp.array([position[label] for label in labels.tolist()], dtype=xp.intp)
    if len(classes) < 2:
        raise ValueError(
            f"a classifier needs at least 2 classes; got {len(classes)}: {classes.tolist()}"
        )
    K = len(classes)
    if n_outputs == 1:
        if K != 2:
            raise ValueError(
                f"the output layer has 1 unit (binary), but Y has {K} classes: use n[L] = {K} "
                "units (softmax, or sigmoid for one-vs-rest)"
            )
        return Targets(index.astype(xp.float64).reshape(1, m), "binary", classes)
    if n_outputs != K:
        raise ValueError(
            f"Y has {K} classes but the output layer has n[L] = {n_outputs} units; they must "
            "be equal (or 1 unit for two classes)"
        )
    one_hot = xp.zeros((K, m))
    one_hot[index, xp.arange(m)] = 1.0
    return Targets(one_hot, "multiclass", classes)


def _encode_indicator(Y: Array, n_outputs: int, loss_name: str, classes: Any = None) -> Targets:
    """An indicator ``Y (n[L], m)``; ``classes``, when given, names the classes of its rows
    (two for one row: the unit fires for the second)."""
    Y = Y.astype(xp.float64, copy=False)
    check_finite(Y, "Y")
    if Y.shape[0] != n_outputs:
        raise ShapeError(
            f"Y is an indicator matrix with {Y.shape[0]} rows but the output layer has "
            f"n[L] = {n_outputs} units: Y must be (n[L], m)"
        )
    if ((Y < 0) | (Y > 1)).any():
        raise ValueError("an indicator Y (n[L], m) must hold values in [0, 1]")
    if n_outputs == 1:
        task = "binary"
    else:
        single = bool(xp.allclose(Y.sum(axis=0), 1.0))
        if loss_name == "categorical_cross_entropy" and not single:
            raise ValueError("categorical cross-entropy needs one-hot Y: each column must sum to 1")
        task = "multiclass" if single else "multilabel"
    labels = xp.arange(max(n_outputs, 2))
    if classes is not None and task != "multilabel":
        labels = xp.asarray(classes)
        if labels.shape != (max(n_outputs, 2),):
            raise ValueError(
                f"classes names {labels.size} labels, but the indicator Y has {n_outputs} "
                f"rows: give {max(n_outputs, 2)} labels"
            )
    return Targets(Y, task, labels)


def check_sample_weight(sample_weight: Any, m: int, name: str = "sample_weight") -> Array | None:
    """``sample_weight`` as ``s (m,)`` float64, one non-negative weight per example, or None.

    A number gives every example that weight. None (and weights that are all 1, which
    change nothing) give None: the unweighted computation, exactly.
    """
    if sample_weight is None:
        return None
    s = _as_numeric(sample_weight, name).astype(xp.float64)
    if s.ndim == 0:
        s = xp.full(m, float(s))
    if s.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar; got shape {s.shape} instead.")
    if s.shape[0] != m:
        raise ValueError(f"{name}.shape == {s.shape}, expected ({m},): one weight per example.")
    check_finite(s, name)
    if (s < 0).any():
        raise ValueError(f"Negative values in data passed to {name}.")
    if not s.any():
        raise ValueError(f"{name} must contain at least one non-zero number.")
    if float(s.max()) * m > _HUGE_WEIGHT_SUM:
        raise ValueError(
            f"{name} is too large: its largest weight {float(s.max()):.3g} times {m} examples "
            f"overflows the sums of the cost (Σ sᵢ Lᵢ / Σ sᵢ); divide the weights by a "
            f"common factor (the cost depends on their ratios; with l2, Σ sᵢ is the m of "
            f"the penalty)"
        )
    return None if (s == 1).all() else s


_HUGE_WEIGHT_SUM = 1e300
"""Above this ``max(s)·m`` the sums of the weighted cost could overflow to inf."""


def minibatches(
    m: int, batch_size: int | None, rng: xp.random.Generator, shuffle: bool
) -> Iterator[Array]:
    """Index arrays of the examples in each mini-batch of one epoch.

    ``batch_size=None`` gives one batch of all ``m`` examples (full-batch gradient
    descent). With ``shuffle`` the order is a fresh permutation from ``rng``.
    """
    order = rng.permutation(m) if shuffle else xp.arange(m)
    size = m if batch_size is None else batch_size
    for start in range(0, m, size):
        yield order[start : start + size]


def split_validation(
    m: int, fraction: float, rng: xp.random.Generator, shuffle: bool = True, labels: Any = None
) -> tuple[Array, Array]:
    """Indices ``(train, validation)`` with a ``fraction`` of the ``m`` examples held out.

    As Keras's ``validation_split`` the hold-out is taken after an optional shuffle; at
    least one example stays on each side, else a ValueError says why. With ``labels``
    (``(m,)`` class labels) the split is stratified: see ``stratified_split``; a class too
    rare to be split stays in training with a warning naming it.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation_split must be in [0, 1); got {fraction!r}")
    train, val, rare = hold_out(m, fraction, rng, labels if shuffle else None, shuffle)
    if rare:
        warnings.warn(rare_classes_note(rare), UserWarning, stacklevel=3)
    return train, val


def hold_out(
    m: int,
    fraction: float,
    rng: xp.random.Generator,
    labels: Any = None,
    shuffle: bool = True,
    option: str = "validation_split",
    min_train: int = 1,
) -> tuple[Array, Array, list[Any]]:
    """Indices ``(train, validation, rare)``: ``round(m · fraction)`` examples held out
    (none for ``fraction`` 0), stratified by ``labels (m,)`` when given (``rare``: the
    classes that stay whole in training), else the last ones of a permutation (of
    ``arange(m)`` without ``shuffle``). A ValueError names ``option`` when a side would
    be too small: the validation part needs 1 example, the training part ``min_train``.
    """
    n_val = round(m * fraction)
    if fraction > 0 and (n_val < 1 or m - n_val < min_train):
        raise ValueError(
            f"{option} {fraction:g} of {m} examples leaves {n_val} for validation and "
            f"{m - n_val} for training; use more examples or {option} 0"
        )
    if labels is not None and n_val:
        train, val, rare = stratified_split(labels, n_val, rng)
        if not len(val):
            raise ValueError(
                f"no class has 2 examples, so none can be held out by {option} "
                f"{fraction:g}; use {option} 0 or more examples"
            )
        return train, val, rare
    order = rng.permutation(m) if shuffle else xp.arange(m)
    return order[: m - n_val], order[m - n_val :], []


def stratified_split(
    labels: Any, n_val: int, rng: xp.random.Generator
) -> tuple[Array, Array, list[Any]]:
    """Indices ``(train, validation, rare)``: about ``n_val`` examples held out, each class
    in the proportion it has in ``labels (m,)`` (as scikit-learn's ``stratify=``).

    Every class keeps at least one example in training, so training always sees every
    class; a class with fewer than 2 examples cannot be split: it stays in training, and
    ``rare`` lists such classes (sorted). The shares are rounded by largest remainder so
    that the validation part has about ``n_val`` examples.
    """
    labels = xp.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"stratified_split needs labels of shape (m,); got {labels.shape}")
    classes, index, counts = xp.unique(labels, return_inverse=True, return_counts=True)
    index = index.reshape(-1)
    room = xp.maximum(counts - 1, 0)  # each class keeps one example in training
    share = counts * (n_val / len(labels))
    take = xp.minimum(xp.floor(share).astype(xp.intp), room)
    # Largest remainders first, then (to reach n_val) any class with room left.
    for k in xp.argsort(-(share - take), kind="stable"):
        if take.sum() >= n_val:
            break
        if take[k] < room[k]:
            take[k] += 1
    train_parts, val_parts = [], []
    for k in range(len(classes)):
        members = rng.permutation(xp.flatnonzero(index == k))
        val_parts.append(members[: take[k]])
        train_parts.append(members[take[k] :])
    train = rng.permutation(xp.concatenate(train_parts))
    val = rng.permutation(xp.concatenate(val_parts))
    rare = [c for c, n in zip(classes.tolist(), counts.tolist(), strict=True) if n < 2]
    return train, val, rare


def rare_classes_note(rare: list[Any]) -> str:
    """The warning for classes with fewer than 2 examples (kept in training only)."""
    shown = ", ".join(repr(c) for c in rare[:10]) + (", …" if len(rare) > 10 else "")
    return (
        f"class {shown} has only 1 example: it stays in the training rows and none of it is "
        "validated (stratified split)"
        if len(rare) == 1
        else f"classes {shown} have only 1 example each: they stay in the training rows and "
        "none of them is validated (stratified split)"
    )
