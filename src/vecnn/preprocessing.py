"""From CSV columns of text to ``X (n[0], m)`` and ``Y``, learned once and applied alike.

``Preprocessor.fit`` learns, from the training rows: which feature columns are numeric
(standardized: ``(x − mean) / std``) and which are text (one-hot encoded, one row of
``X`` per category seen), how to fill missing values when asked, and how the target maps
to classes (any label values) or, for regression, its mean and standard deviation.
``config()`` is plain JSON stored in the model file, so that evaluate and predict apply
exactly the same steps; columns are matched by name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from vecnn.backend.host import Array, errstate, xp
from vecnn.csvfile import Chunk, plain_text
from vecnn.data import TASKS as NETWORK_TASKS
from vecnn.dates import DATE_PARTS, TIME_PARTS, date_parts, has_time, parse_iso
from vecnn.errors import DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
"""Tokens read as a missing value (compared in lower case)."""

IMPUTE = ("mean", "median", "most_frequent")
MAX_CATEGORIES = 100
"""A text column with more distinct values than this is refused (``--max-categories``)."""
IDENTIFIER_SHARE = 0.9
"""A text column with at least this share of distinct values (in 10 rows or more) is an ID."""
TASKS = ("auto", *NETWORK_TASKS)
"""``--task``: a network's task, or ``auto`` (found from the target column)."""
MAX_CLASSES_AUTO = 20
"""An integer target with more distinct values than this is taken as regression."""
EPSILON = 2.0**-52


def is_missing(token: str) -> bool:
    return token.strip().lower() in MISSING


def parse_number(token: str) -> float | None:
    """``float(token)`` when it is a finite number, else None (``1_000`` is not one:
    Python reads it as 1000, a CSV reader should not)."""
    if "_" in token:
        return None
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _loose_number(token: str) -> float | None:
    """The number a token seems meant to be: with a decimal comma, thousands separators,
    a currency or percent sign (only to recognise a numeric column, never to convert)."""
    bare = token.strip().strip("$€£%").strip()
    for candidate in (token, bare, bare.replace(",", "."), bare.replace(",", "")):
        number = parse_number(candidate)
        if number is not None:
            return number
    return None


def _numbers(chunk: Chunk, name: str, path: Any) -> Array:
    """Column ``name`` as float64 ``(m,)``, NaN where a value is missing; a DataError at the
    first value that is no finite number."""
    numbers = chunk.numbers(name)
    if numbers is not None:  # parsed as the file was read
        return numbers
    values = chunk.column(name)
    out = xp.empty(len(values))
    for i, value in enumerate(values):
        number = math.nan if is_missing(value) else parse_number(value)
        if number is None:
            raise DataError(_not_a_number(value), path, chunk.lines[i], name)
        out[i] = number
    return out


def _first_missing(chunk: Chunk, name: str, missing: Array, path: Any) -> DataError:
    """The missing-value error at the first ``True`` of ``missing (m,)``."""
    first = int(xp.argmax(missing))
    return _missing_error(name, chunk.lines[first], chunk.column(name)[first], path)


_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")
FLOAT32_MAX = 3.4028234663852886e38


def _not_a_number(value: str) -> str:
    """Why ``value`` is not a finite number, in words."""
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None and math.isinf(number):
        if value.strip().lstrip("+-").lower().startswith("inf"):
            return f"{value!r} is infinite; vecnn needs finite numbers"
        return f"{value!r} is beyond the largest number a float holds (about 1.8e308)"
    if _THOUSANDS.fullmatch(value.strip()):
        return f"{value!r} has a thousands separator; write {value.replace(',', '')}"
    hint = " (a decimal comma? write 1.5, not 1,5)" if "," in value else ""
    return f"could not convert {value!r} to a number{hint}"


def _looks_numeric(values: list[str]) -> bool:
    """True when most present values look like numbers: a column of numbers with a typo in
    it, or written with decimal commas (refused later, naming the value)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return True
    numeric = sum(_loose_number(v) is not None for v in present)
    return numeric * 2 >= len(present)


def _numeric_column(chunk: Chunk, name: str) -> bool:
    """True when column ``name`` is numbers (``_looks_numeric``)."""
    return chunk.numbers(name) is not None or _looks_numeric(chunk.column(name))


TINY_SCALE = 1e-100
"""Columns whose largest magnitude is below this are rescaled before the standard
deviation is computed (their squares would underflow to 0)."""


def _mean_std(numbers: list[float] | Array) -> tuple[float, float]:
    """The mean and standard deviation (NumPy's, ddof 0); std 1 for a constant column, also
    one that is constant only up to rounding, and no overflow for values near ±1e308."""
    values = xp.asarray(numbers, dtype=xp.float64)
    low, high = float(values.min()), float(values.max())
    if low == high:
        return low, 1.0
    with errstate(over="ignore", invalid="ignore"):
        mean, std = float(values.mean()), float(values.std())
    scale = max(abs(low), abs(high))
    if not (math.isfinite(mean) and math.isfinite(std)) or scale < TINY_SCALE:
        # Squares overflow near ±1e308 and underflow below ~1e-154: rescale first.
        scaled = values / scale
        mean, std = float(scaled.mean()) * scale, float(scaled.std()) * scale
    if std <= len(numbers) * EPSILON * abs(mean) or std == 0.0:
        std = 1.0
    return mean, std


def _missing_error(name: str, line: int, token: str, path: Any) -> DataError:
    return DataError(
        f"missing value {token!r}; fill missing values with --impute mean|median|most_frequent "
        "(or remove the row)",
        path,
        line,
        name,
    )


@dataclass
class NumericFeature:
    """A numeric column: standardized with the training mean and standard deviation."""

    name: str
    mean: float
    std: float
    fill: float | None = None

    def encode(self, chunk: Chunk, path: Any) -> Array:
        """The column standardized, ``(1, m)``; missing values filled with ``fill``."""
        numbers = _numbers(chunk, self.name, path)
        missing = xp.isnan(numbers)
        if missing.any():
            if self.fill is None:
                raise _first_missing(chunk, self.name, missing, path)
            numbers = xp.where(missing, self.fill, numbers)
        scaled = (numbers - self.mean) / self.std
        beyond = xp.flatnonzero(xp.abs(scaled) > FLOAT32_MAX)
        if len(beyond):
            i = int(beyond[0])
            raise DataError(
                f"{chunk.column(self.name)[i]!r} is too large: standardized with the training "
                f"mean {self.mean:.4g} and standard deviation {self.std:.4g} it is "
                f"{scaled[i]:.3g}, beyond the ±3.4e38 of the network's float32",
                path,
                chunk.lines[i],
                self.name,
            )
        return scaled.reshape(1, -1)

    @property
    def outputs(self) -> list[str]:
        return [self.name]


@dataclass
class CategoricalFeature:
    """A text column: one row per training category (1 where the value is that category).

    A category not seen in training gets a row of zeros (it matches no known category).
    """

    name: str
    categories: list[str]
    fill: str | None = None

    def encode(self, chunk: Chunk, path: Any) -> Array:
        """One row per category, ``(K, m)``."""
        values, lines = chunk.column(self.name), chunk.lines
        index = {category: k for k, category in enumerate(self.categories)}
        out = xp.zeros((len(self.categories), len(values)))
        for i, value in enumerate(values):
            if is_missing(value):
                if self.fill is None:
                    raise _missing_error(self.name, lines[i], value, path)
                value = self.fill
            k = index.get(value)
            if k is not None:
                out[k, i] = 1.0
        return out

    @property
    def outputs(self) -> list[str]:
        return [f"{self.name}={category}" for category in self.categories]


@dataclass
class DateFeature:
    """A column of ISO dates: its ``parts`` (year, month, day, weekday; hour for times),
    each standardized with the training mean and standard deviation."""

    name: str
    parts: list[str]
    mean: list[float]
    std: list[float]
    fill: str | None = None

    def encode(self, chunk: Chunk, path: Any) -> Array:
        """The date parts standardized, ``(len(parts), m)``."""
        values, lines = chunk.column(self.name), chunk.lines
        out = xp.empty((len(self.parts), len(values)))
        for i, value in enumerate(values):
            if is_missing(value):
                if self.fill is None:
                    raise _missing_error(self.name, lines[i], value, path)
                value = self.fill
            out[:, i] = date_parts(_parse_date(value, lines[i], self.name, path), self.parts)
        mean = xp.array(self.mean).reshape(-1, 1)
        return (out - mean) / xp.array(self.std).reshape(-1, 1)

    @property
    def outputs(self) -> list[str]:
        return [f"{self.name}.{part}" for part in self.parts]


def _parse_date(value: str, line: int, name: str, path: Any) -> Any:
    moment = parse_iso(value)
    if moment is None:
        raise DataError(
            f"{value!r} is not an ISO date (YYYY-MM-DD, optionally with a time)", path, line, name
        )
    return moment


def _is_date_column(values: list[str]) -> bool:
    present = [v for v in values if not is_missing(v)]
    return bool(present) and all(parse_iso(v) is not None for v in present)


def _fit_date(name: str, values: list[str], lines: list[int], impute: str | None) -> DateFeature:
    present = [v for v in values if not is_missing(v)]
    parts = list(DATE_PARTS) + (list(TIME_PARTS) if any(map(has_time, present)) else [])
    table = [date_parts(parse_iso(v), parts) for v in present]
    stats = [_mean_std(list(column)) for column in zip(*table, strict=True)]
    fill = None if impute is None else Counter(present).most_common(1)[0][0]
    return DateFeature(name, parts, [m for m, _ in stats], [s for _, s in stats], fill)


YEARS = (1000, 2100)
"""Unique increasing integers in this range read as years (the 1565-1821 of vega's wheat
included), a feature, not an identifier."""


def _refuse_identifier(
    name: str, values: list[str] | None, numbers: Array | None, path: Any
) -> None:
    """A DataError for an identifier: integers unique and increasing (``numbers (m,)``, NaN
    where missing), or text ``values`` with a distinct value in nearly every row (in 10
    rows or more)."""
    m = len(numbers) if numbers is not None else len(values)
    if m < 10:
        return
    if numbers is not None:
        increasing = bool((xp.diff(numbers) > 0).all())  # False at a NaN
        # a time series, one row a year
        years = bool(((numbers >= YEARS[0]) & (numbers <= YEARS[1])).all())
        if increasing and not years and bool((numbers == xp.floor(numbers)).all()):
            raise DataError(
                f"looks like an identifier (integers, unique and increasing: a row number "
                f"tells nothing about a new row); drop it with --drop {name}",
                path,
                column=name,
            )
        return
    distinct = len({v for v in values if not is_missing(v)})
    if distinct >= IDENTIFIER_SHARE * m:
        raise DataError(
            f"looks like an identifier ({distinct} distinct values in {m} rows: one-hot "
            f"encoding it would only memorize the rows); drop it with --drop {name}",
            path,
            column=name,
        )


def _refuse_many_categories(
    name: str, values: list[str], max_categories: int | None, path: Any
) -> None:
    """A DataError for text with more than ``max_categories`` distinct values."""
    distinct = len({v for v in values if not is_missing(v)})
    if max_categories is not None and distinct > max_categories:
        raise DataError(
            f"has {distinct} distinct text values, more than --max-categories {max_categories} "
            f"to one-hot encode; drop it with --drop {name} or raise --max-categories",
            path,
            column=name,
        )


def _fill_value(numbers: Array, how: str | None) -> float | None:
    """What ``--impute how`` fills a numeric column with, from its ``numbers`` present."""
    if how is None or not len(numbers):
        return None
    if how == "mean":
        return _mean_std(numbers)[0]
    if how == "median":
        return float(xp.median(numbers))
    return float(Counter(numbers.tolist()).most_common(1)[0][0])


def _fit_feature(
    name: str,
    chunk: Chunk,
    impute: str | None,
    path: Any,
    max_categories: int | None = None,
    refuse_identifiers: bool = False,
) -> Any:
    values = None if chunk.numbers(name) is not None else chunk.column(name)
    if values is not None and _is_date_column(values):
        return _fit_date(name, values, chunk.lines, impute)
    if values is None or _looks_numeric(values):
        numbers = _numbers(chunk, name, path)
        if refuse_identifiers:
            _refuse_identifier(name, None, numbers, path)
        missing = xp.isnan(numbers)
        present = numbers[~missing]
        if not len(present):
            raise DataError("every value of this column is missing", path, column=name)
        if impute is None and len(present) < len(numbers):
            raise _first_missing(chunk, name, missing, path)
        mean, std = _mean_std(present)
        return NumericFeature(name, mean, std, _fill_value(present, impute))
    present = [v for v in values if not is_missing(v)]
    if impute is None and len(present) < len(values):
        first = next(i for i, v in enumerate(values) if is_missing(v))
        raise _missing_error(name, chunk.lines[first], values[first], path)
    if refuse_identifiers:
        _refuse_identifier(name, values, None, path)
    _refuse_many_categories(name, values, max_categories, path)
    # Text has no mean or median: every --impute fills it with the most frequent category.
    fill = None if impute is None else Counter(present).most_common(1)[0][0]
    return CategoricalFeature(name, sorted(set(present)), fill)


def missing_counts(chunk: Chunk, names: list[str]) -> dict[str, int]:
    """The number of missing values in each of the columns ``names`` that has any."""
    counts = {
        name: 0 if chunk.numbers(name) is not None else sum(map(is_missing, chunk.column(name)))
        for name in names
    }
    return {name: count for name, count in counts.items() if count}


def _refuse_missing_features(chunk: Chunk, names: list[str], path: Any) -> None:
    """A DataError listing every feature column with missing values and its count, at the
    line of the first one."""
    counts = missing_counts(chunk, names)
    if not counts:
        return
    line, _, name, token = min(  # the first line, and on it the leftmost column
        (chunk.lines[i], position, name, value)
        for position, name in enumerate(counts)
        for i, value in enumerate(chunk.column(name))
        if is_missing(value)
    )
    fix = (
        "fill them with --impute mean|median|most_frequent (numbers get the mean or median, "
        "text the most frequent value) or remove those rows"
    )
    m = len(chunk)
    if len(counts) == 1:
        reason = f"missing value {token!r}: {counts[name]} of {m} rows miss this column; {fix}"
        raise DataError(reason, path, line, name)
    listed = ", ".join(f"{column!r} ({count})" for column, count in counts.items())
    raise DataError(
        f"missing values in {len(counts)} columns of {m} rows: {listed}; the first is "
        f"{token!r} in column {name!r}; {fix}",
        path,
        line,
    )


def imputation_notes(features: list[Any], impute: str, counts: dict[str, int]) -> list[str]:
    """What ``--impute`` fills, per column with ``counts[name]`` missing values:
    ``'bill': 2 missing values filled with the mean 43.92``."""
    notes = []
    for feature in features:
        count = counts.get(feature.name, 0)
        if not count or feature.fill is None:
            continue
        if isinstance(feature, NumericFeature) and impute != "most_frequent":
            how = f"the {impute} {feature.fill:.6g}"
        else:
            how = f"the most frequent value {feature.fill!r}"
        plural = "s" if count > 1 else ""
        notes.append(f"{feature.name!r}: {count} missing value{plural} filled with {how}")
    return notes


def _label_key(label: str) -> tuple[int, float, str]:
    number = parse_number(label)
    return (0, number, "") if number is not None else (1, 0.0, label)


_PLAIN_DECIMAL = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]*)?|[+-]?\.[0-9]+")
"""A number written plainly: no leading zeros (``007``), exponent (``1e20``) or spaces."""


def _canonical_label(token: str) -> str:
    """``"1.0"`` and ``"1"`` (or ``"0.5"`` and ``".50"``) are the same class; any other
    label stays as written (``00501``, ``1e20``, and ``007`` apart from ``7``)."""
    number = parse_number(token) if _PLAIN_DECIMAL.fullmatch(token) else None
    return token if number is None else plain_text(number)


def _labels(chunk: Chunk, name: str) -> Array:
    """The class label of each row of column ``name``, ``(m,)`` objects (``_canonical_label``)."""
    numbers = chunk.numbers(name)
    if numbers is None:
        return xp.array([_canonical_label(v) for v in chunk.column(name)], dtype=object)
    distinct, inverse = xp.unique(numbers, return_inverse=True)
    return xp.array([plain_text(v) for v in distinct.tolist()], dtype=object)[inverse]


def _refuse_missing(names: list[str], chunk: Chunk, path: Any) -> None:
    """A DataError naming the first target column absent or the first missing value."""
    for name in names:
        if name not in chunk.columns:
            raise DataError(
                f"target column {name!r} not found; available columns: {', '.join(chunk.columns)}",
                path,
            )
    for name in names:
        if chunk.numbers(name) is not None:
            continue  # numbers, none missing
        for value, line in zip(chunk.column(name), chunk.lines, strict=True):
            if is_missing(value):
                raise DataError(f"missing target value {value!r}; remove the row", path, line, name)


@dataclass
class Target:
    """How the target column(s) map to ``Y``: classes for classification, scaling otherwise."""

    names: list[str]
    task: str
    classes: list[str] | None = None
    mean: list[float] | None = None
    std: list[float] | None = None
    reason: str = ""
    """Why ``task`` was chosen, in words (not stored in the model file)."""
    hint: str = ""
    """How to take the target as another task ("" for text labels: classes only)."""

    def encode(self, chunk: Chunk, path: Any) -> Array:
        """``Y``: labels ``(m,)`` (classification), an indicator ``(K, m)`` (multi-label), or
        the standardized ``(n[L], m)`` (regression)."""
        _refuse_missing(self.names, chunk, path)
        if self.task == "regression":
            Y = xp.stack([_numbers(chunk, name, path) for name in self.names])
            return (Y - xp.array(self.mean).reshape(-1, 1)) / xp.array(self.std).reshape(-1, 1)
        if self.task == "multilabel":
            Y = xp.zeros((len(self.names), len(chunk)))
            for k, name in enumerate(self.names):
                labels = _labels(chunk, name)
                ones, zeros = labels == "1", labels == "0"
                wrong = ~(ones | zeros)
                if wrong.any():
                    i = int(xp.argmax(wrong))
                    raise DataError(
                        f"a multi-label target must be 0 or 1; found {chunk.column(name)[i]!r}",
                        path,
                        chunk.lines[i],
                        name,
                    )
                Y[k] = ones
            return Y
        return self.labels(chunk)

    def labels(self, chunk: Chunk) -> Array:
        """The class label of each row, ``(m,)``, as the classes name them (``"1.0"`` → ``"1"``)."""
        return _labels(chunk, self.names[0])

    def decode(self, A: Array) -> Array:
        """Regression outputs back in the target's own units."""
        if self.task != "regression":
            raise ValueError(f"decode undoes the scaling of a regression target; not {self.task}")
        return A * xp.array(self.std).reshape(-1, 1) + xp.array(self.mean).reshape(-1, 1)


def detect_task(names: list[str], chunk: Chunk) -> tuple[str, str]:
    """The task the values of the target column(s) suggest, and why, in words.

    One column: text labels are classes; numbers with a fraction are regression; integers
    are classes unless there are more than ``MAX_CLASSES_AUTO`` distinct values or more
    than half the rows are distinct (fewer than 2 rows per class: a count or a measure,
    not a label). Several columns are multi-label (0/1 each; a value that is not is
    refused with the hint to use ``--task regression``).
    """
    if len(names) > 1:
        return "multilabel", f"{len(names)} target columns"
    k, m = len(set(_labels(chunk, names[0]).tolist())), len(chunk)
    classes = "binary" if k == 2 else "multiclass"
    numbers = chunk.numbers(names[0])
    if numbers is None:
        values = chunk.column(names[0])
        if not _looks_numeric(values):
            return classes, f"{k} distinct text labels"
        loose = [n for n in map(_loose_number, values) if n is not None]
        numbers = xp.array(loose, dtype=xp.float64)
    if not bool((numbers == xp.floor(numbers)).all()):
        return "regression", "numbers with fractions"
    every_value_a_number = len(numbers) == m
    if k > 2 and (k > MAX_CLASSES_AUTO or (k * 2 > m and every_value_a_number)):
        return "regression", f"{k} distinct integers in {m} rows: too many to be classes"
    return classes, f"{k} distinct integers in {m} rows"


def task_hint(task: str, several: bool = False) -> str:
    """How to take the target as another task than ``task``."""
    if task == "regression":
        if several:
            return "use --task multilabel for columns of 0/1"
        return "use --task multiclass to treat the values as classes"
    if task == "multilabel":
        return "use --task regression for numeric targets"
    return "use --task regression for a numeric target"


def _fit_target(names: list[str], chunk: Chunk, task: str, path: Any) -> Target:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    _refuse_missing(names, chunk, path)
    if task == "auto":
        task, reason = detect_task(names, chunk)
    else:
        reason = f"--task {task} was given"
    numeric = all(_numeric_column(chunk, name) for name in names)
    hint = task_hint(task, len(names) > 1) if numeric or task == "regression" else ""
    try:
        target = _target_for(names, chunk, task, path)
    except DataError as error:
        raise DataError(
            f"{error.reason} (the target was taken as {task}: {reason}"
            f"{'; ' + hint if hint else ''})",
            error.path,
            error.line,
            error.column,
        ) from None
    target.reason, target.hint = reason, hint
    return target


def _target_for(names: list[str], chunk: Chunk, task: str, path: Any) -> Target:
    """The target of ``task`` learned from ``chunk``; a DataError if the values do not fit."""
    if task == "multilabel":
        target = Target(names, "multilabel")
        target.encode(chunk, path)
        return target
    if len(names) > 1 and task != "regression":
        raise DataError(
            f"several target columns need --task multilabel or regression; got {task}", path
        )
    if task == "regression":
        columns = [_numbers(chunk, name, path) for name in names]
        stats = [_mean_std(numbers[~xp.isnan(numbers)]) for numbers in columns]
        return Target(names, "regression", mean=[m for m, _ in stats], std=[s for _, s in stats])
    labels = Target(names, task).encode(chunk, path)
    classes = sorted(set(labels.tolist()), key=_label_key)
    if len(classes) < 2:
        raise DataError(
            f"the target has one class ({classes[0]!r}); a classifier needs at least 2",
            path,
            column=names[0],
        )
    if task == "binary" and len(classes) != 2:
        raise DataError(
            f"--task binary needs 2 classes; the target has {len(classes)}", path, column=names[0]
        )
    return Target(names, task, classes=classes)


class Preprocessor:
    """Feature encoders and the target mapping learned from training rows."""

    def __init__(self, features: list[Any], target: Target | None) -> None:
        self.features = features
        self.target = target

    @classmethod
    def fit(
        cls,
        chunk: Chunk,
        target: list[str],
        task: str = "auto",
        impute: str | None = None,
        path: Any = None,
        max_categories: int | None = None,
        refuse_identifiers: bool = False,
    ) -> Preprocessor:
        """Learn the encoders from ``chunk``: every column but the target is a feature.

        Refused with a DataError naming the column: missing values without ``impute`` (all
        columns listed with their counts); with ``refuse_identifiers``, an identifier (text
        with a distinct value in nearly every row, or integers unique and increasing); a
        text column with more than ``max_categories`` distinct values (None: no limit; the
        command line passes ``MAX_CATEGORIES`` and refuses identifiers). ISO dates become
        date parts.
        """
        if impute is not None and impute not in IMPUTE:
            raise DataError(f"unknown --impute {impute!r}; choose one of: {', '.join(IMPUTE)}")
        target = [target] if isinstance(target, str) else list(target)
        if not target:
            raise DataError("no target column given", path)
        if len(set(target)) < len(target):
            raise DataError(f"a target column is named twice: {', '.join(target)}", path)
        if not len(chunk):
            raise DataError("no data rows to learn from", path)
        encoded_target = _fit_target(target, chunk, task, path)
        names = [name for name in chunk.columns if name not in target]
        if not names:
            raise DataError("no feature columns: every column is a target", path)
        if impute is None:
            _refuse_missing_features(chunk, names, path)
        features = [
            _fit_feature(name, chunk, impute, path, max_categories, refuse_identifiers)
            for name in names
        ]
        return cls(features, encoded_target)

    @property
    def feature_columns(self) -> list[str]:
        return [feature.name for feature in self.features]

    @property
    def feature_names(self) -> list[str]:
        """The name of each row of ``X``: the column, or ``column=category``."""
        return [name for feature in self.features for name in feature.outputs]

    def check_columns(self, columns: list[str], path: Any, allow: list[str] = ()) -> None:
        """A DataError listing missing and unexpected columns (order does not matter)."""
        expected, present, allowed = set(self.feature_columns), set(columns), set(allow)
        missing = [name for name in self.feature_columns if name not in present]
        unexpected = [name for name in columns if name not in expected and name not in allowed]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing columns: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected columns: {', '.join(unexpected)}")
            raise DataError("the columns do not match the model's (" + "; ".join(parts) + ")", path)

    def transform(self, chunk: Chunk, path: Any = None) -> Array:
        """``X (n[0], m)`` for the rows of ``chunk``, columns taken by name (others ignored)."""
        self.check_columns(chunk.columns, path, allow=chunk.columns)
        blocks = [feature.encode(chunk, path) for feature in self.features]
        return xp.concatenate(blocks, axis=0)

    # ------------------------------------------------------------------- config
    def config(self) -> dict[str, Any]:
        """Plain JSON values: what the model file stores."""
        features = []
        for feature in self.features:
            if isinstance(feature, NumericFeature):
                features.append(
                    {
                        "name": feature.name,
                        "kind": "numeric",
                        "mean": feature.mean,
                        "std": feature.std,
                        "fill": feature.fill,
                    }
                )
            elif isinstance(feature, DateFeature):
                features.append(
                    {
                        "name": feature.name,
                        "kind": "date",
                        "parts": feature.parts,
                        "mean": feature.mean,
                        "std": feature.std,
                        "fill": feature.fill,
                    }
                )
            else:
                features.append(
                    {
                        "name": feature.name,
                        "kind": "categorical",
                        "categories": feature.categories,
                        "fill": feature.fill,
                    }
                )
        target = None
        if self.target is not None:
            target = {
                "names": self.target.names,
                "task": self.target.task,
                "classes": self.target.classes,
                "mean": self.target.mean,
                "std": self.target.std,
            }
        return {"features": features, "target": target}

    @classmethod
    def from_config(cls, config: Any) -> Preprocessor:
        """Rebuild from ``config()``; a ValueError for anything that is not that shape."""
        _require(isinstance(config, dict) and set(config) == {"features", "target"}, "keys")
        entries = config["features"]
        _require(isinstance(entries, list) and len(entries) > 0, "features")
        features = [_feature_from_config(entry) for entry in entries]
        names = [feature.name for feature in features]
        _require(len(set(names)) == len(names), "features (a column named twice)")
        target = config["target"]
        return cls(features, None if target is None else _target_from_config(target))


def _feature_from_config(entry: Any) -> NumericFeature | CategoricalFeature | DateFeature:
    _require(isinstance(entry, dict) and isinstance(entry.get("name"), str), "feature")
    kind = entry.get("kind")
    if kind == "numeric":
        _require(set(entry) == {"name", "kind", "mean", "std", "fill"}, "numeric keys")
        _require(all(_is_number(entry[k]) for k in ("mean", "std")), "numeric values")
        _require(
            entry["std"] > 0 and (entry["fill"] is None or _is_number(entry["fill"])),
            "numeric values",
        )
        return NumericFeature(
            entry["name"],
            float(entry["mean"]),
            float(entry["std"]),
            None if entry["fill"] is None else float(entry["fill"]),
        )
    if kind == "categorical":
        _require(set(entry) == {"name", "kind", "categories", "fill"}, "category keys")
        categories = entry["categories"]
        _require(
            isinstance(categories, list)
            and len(categories) > 0
            and all(isinstance(c, str) for c in categories)
            and len(set(categories)) == len(categories),
            "categories",
        )
        _require(entry["fill"] is None or isinstance(entry["fill"], str), "fill")
        return CategoricalFeature(entry["name"], list(categories), entry["fill"])
    if kind == "date":
        _require(set(entry) == {"name", "kind", "parts", "mean", "std", "fill"}, "date keys")
        parts, mean, std = entry["parts"], entry["mean"], entry["std"]
        known = (*DATE_PARTS, *TIME_PARTS)
        _require(
            isinstance(parts, list)
            and len(parts) > 0
            and all(part in known for part in parts)
            and len(set(parts)) == len(parts),
            "date parts",
        )
        _require_scaling(mean, std, len(parts), "date")
        _require(entry["fill"] is None or isinstance(entry["fill"], str), "fill")
        return DateFeature(
            entry["name"],
            list(parts),
            [float(v) for v in mean],
            [float(v) for v in std],
            entry["fill"],
        )
    raise ValueError(f"preprocessing config: unknown feature kind {kind!r}")


def _target_from_config(target: Any) -> Target:
    _require(
        isinstance(target, dict) and set(target) == {"names", "task", "classes", "mean", "std"},
        "target keys",
    )
    task, names = target["task"], target["names"]
    _require(isinstance(task, str) and task in TASKS[1:], "target task")
    _require(
        isinstance(names, list)
        and len(names) > 0
        and all(isinstance(n, str) for n in names)
        and len(set(names)) == len(names),
        "target names",
    )
    classes, mean, std = target["classes"], target["mean"], target["std"]
    if task == "regression":
        _require(classes is None, "target classes (none for regression)")
        _require_scaling(mean, std, len(names), "target")
        return Target(list(names), task, mean=[float(m) for m in mean], std=[float(s) for s in std])
    _require(mean is None and std is None, "target mean/std (only for regression)")
    if task == "multilabel":
        _require(classes is None, "target classes (none for multilabel)")
        return Target(list(names), task)
    _require(len(names) == 1, "target names (one column for classes)")
    _require(
        isinstance(classes, list)
        and all(isinstance(c, str) for c in classes)
        and len(classes) == len(set(classes)) >= 2
        and (task != "binary" or len(classes) == 2),
        "target classes",
    )
    return Target(list(names), task, classes=list(classes))


def _require_scaling(mean: Any, std: Any, n: int, what: str) -> None:
    """``mean`` and ``std`` are lists of ``n`` finite numbers, every ``std`` positive."""
    for values in (mean, std):
        _require(
            isinstance(values, list) and len(values) == n and all(_is_number(v) for v in values),
            f"{what} mean/std",
        )
    _require(all(v > 0 for v in std), f"{what} std")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(f"preprocessing config: bad {what}")
