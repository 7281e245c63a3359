"""Validation of hyperparameters, shared by the optimizers and the schedules.

Each check returns the value as a Python ``float`` (or ``int``): a NumPy float64 scalar
kept as a hyperparameter would promote float32 arithmetic, a Python float never does.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any


def real(owner: str, name: str, value: Any) -> float:
    """``value`` as a finite Python float; TypeError for a non-number, ValueError for nan/inf."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    try:
        result = float(value)
    except OverflowError:  # an int beyond float's range
        result = math.inf
    if not math.isfinite(result):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return result


def non_negative(owner: str, name: str, value: Any) -> float:
    result = real(owner, name, value)
    if result < 0.0:
        raise ValueError(f"{owner}: {name} must be ≥ 0 (allowed range [0, ∞)), got {value!r}")
    return result


def positive(owner: str, name: str, value: Any) -> float:
    result = real(owner, name, value)
    if result <= 0.0:
        raise ValueError(f"{owner}: {name} must be > 0 (allowed range (0, ∞)), got {value!r}")
    return result


def unit_interval(owner: str, name: str, value: Any) -> float:
    """A decay rate: in ``[0, 1)``."""
    result = real(owner, name, value)
    if not 0.0 <= result < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}")
    return result


def optional_positive(owner: str, name: str, value: Any) -> float | None:
    return None if value is None else positive(owner, name, value)


def positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer (≥ 1), got {value!r}")
    return int(value)


def non_negative_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{owner}: {name} must be an integer ≥ 0, got {value!r}")
    return int(value)


def exact_keys(owner: str, what: str, given: Any, expected: tuple[str, ...]) -> None:
    """Raise ValueError unless the mapping ``given`` has exactly the keys ``expected``."""
    if not hasattr(given, "keys"):
        raise ValueError(f"{owner}: {what} must be a dict, got {type(given).__name__}")
    missing = [key for key in expected if key not in given]
    unexpected = sorted(str(key) for key in given if key not in expected)
    if missing or unexpected:
        raise ValueError(
            f"{owner}: {what} does not match: missing {missing}, unexpected {unexpected} "
            f"(expected the keys {list(expected)})"
        )
