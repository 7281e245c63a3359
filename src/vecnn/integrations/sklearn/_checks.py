"""Parameter and data checks: each names the parameter, its value and what is allowed."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from vecnn.backend.host import Array, xp
from vecnn.integrations.sklearn._compat import (
    check_random_state,
)

SOLVERS = ("adam", "sgd", "rmsprop", "adamw")
HEADS = ("softmax", "ovr")
# scikit-learn's names for the hidden activations, and vecnn's own.
ACTIVATION_NAMES = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "linear": "linear",
    "sigmoid": "sigmoid",
    "leaky_relu": "leaky_relu",
}
_FLOATS = (xp.float64, xp.float32)


# ------------------------------------------------------------------ parameter checks
def _bad(name: str, allowed: str, value: Any) -> ValueError:
    return ValueError(f"The '{name}' parameter must be {allowed}; got {value!r}.")


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise _bad(name, f"an int in the range [{low}, inf)", value)
    return int(value)


def _check_real(name: str, value: Any, low: float, high: float, closed: str) -> float:
    """``value`` as a float in the interval from ``low`` to ``high``; ``closed`` says which
    ends belong to it: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        above = value >= low if closed in ("both", "left") else value > low
        below = value <= high if closed in ("both", "right") else value < high
        ok = above and below
    if not ok:
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        raise _bad(name, f"a float in the range {left}{low}, {high}{right}", value)
    return float(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, xp.bool_)):
        raise _bad(name, "True or False", value)
    return bool(value)


def _check_choice(name: str, value: Any, choices: Any) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in choices)
        raise _bad(name, allowed, value)
    return value


def _hidden_sizes(value: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int means one layer)."""
    sizes = [value] if isinstance(value, Integral) and not isinstance(value, bool) else value
    if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
        raise _bad("hidden_layer_sizes", "an int or a sequence of ints", value)
    sizes = list(sizes)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise _bad("hidden_layer_sizes", "positive ints (units per hidden layer)", value)
    return tuple(int(size) for size in sizes)


def _derive_seed(random_state: Any) -> int:
    """An int seed for vecnn's ``numpy.random.Generator``, derived from ``random_state``.

    An int or a ``RandomState`` gives the same seed each time (``check_random_state``);
    None draws fresh entropy, leaving the global NumPy state alone.
    """
    if random_state is None:
        return int(xp.random.SeedSequence().generate_state(1)[0] >> 1)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _unique_labels(labels: Any) -> Array:
    """The sorted distinct labels; a ValueError when they mix types (strings and numbers)."""
    try:
        return xp.unique(xp.asarray(labels))
    except TypeError:
        raise ValueError(
            "Mix of label input types (string and number): give all labels one type"
        ) from None
