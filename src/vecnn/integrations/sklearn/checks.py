"""The checks of parameters and data: each names the parameter, its value and what is allowed."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from sklearn.utils import check_random_state

from vecnn.backend.host import Array, xp

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6

    def validate_data(estimator: Any, X: Any, y: Any = "no_validation", **options: Any) -> Any:
        return estimator._validate_data(X, y, **options)


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
FLOATS = (xp.float64, xp.float32)
# Sparse X is accepted in these formats (others are converted to CSR), as scikit-learn's MLP.
SPARSE_FORMATS = ("csr", "csc")


def bad_parameter(name: str, allowed: str, value: Any) -> ValueError:
    return ValueError(f"The '{name}' parameter must be {allowed}; got {value!r}.")


def check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise bad_parameter(name, f"an int in the range [{low}, inf)", value)
    return int(value)


def check_real(name: str, value: Any, low: float, high: float, closed: str) -> float:
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
        raise bad_parameter(name, f"a float in the range {left}{low}, {high}{right}", value)
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, xp.bool_)):
        raise bad_parameter(name, "True or False", value)
    return bool(value)


def check_choice(name: str, value: Any, choices: Any) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in choices)
        raise bad_parameter(name, allowed, value)
    return value


def hidden_sizes(value: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int means one layer)."""
    sizes = [value] if isinstance(value, Integral) and not isinstance(value, bool) else value
    if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
        raise bad_parameter("hidden_layer_sizes", "an int or a sequence of ints", value)
    sizes = list(sizes)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise bad_parameter(
                "hidden_layer_sizes", "positive ints (units per hidden layer)", value
            )
    return tuple(int(size) for size in sizes)


def derive_seed(random_state: Any) -> int:
    """An int seed for vecnn's ``numpy.random.Generator``, derived from ``random_state``.

    An int or a ``RandomState`` gives the same seed each time (``check_random_state``);
    None draws fresh entropy, leaving the global NumPy state alone.
    """
    if random_state is None:
        return int(xp.random.SeedSequence().generate_state(1)[0] >> 1)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def unique_labels(labels: Any) -> Array:
    """The sorted distinct labels; a ValueError when they mix types (strings and numbers)."""
    try:
        return xp.unique(xp.asarray(labels))
    except TypeError:
        raise ValueError(
            "Mix of label input types (string and number): give all labels one type"
        ) from None
