"""The anomaly mode: find the operation that first turns finite values into NaN or infinity."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vecnn.autodiff.mode import _state
from vecnn.backend import Array, xp


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (per thread)."""
    return _state.anomaly


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """A context in which every operation checks its results, forward and backward.

    The first operation that produces a NaN or an infinity raises a ``FloatingPointError``
    naming it (``'log' produced NaN in its forward pass …``), instead of the value
    spreading silently into the weights. Slower: for finding a problem, not for training.
    """
    previous = _state.anomaly
    _state.anomaly = True
    try:
        yield
    finally:
        _state.anomaly = previous


def check_finite_result(name: str, where: str, result: Array, inputs: Any) -> None:
    """A FloatingPointError naming the operation when ``result`` holds NaN or infinity
    although its inputs were finite (the anomaly mode's check)."""
    if bool(xp.all(xp.isfinite(result))):
        return
    if any(not bool(xp.all(xp.isfinite(a))) for a in inputs if a is not None):
        return  # not the first: it was given a non-finite value
    kind = "NaN" if bool(xp.any(xp.isnan(result))) else "an infinite value"
    shapes = ", ".join(str(a.shape) for a in inputs if a is not None)
    raise FloatingPointError(
        f"'{name}' produced {kind} in its {where} from finite inputs (shapes {shapes}); "
        "this is the first operation to do so"
    )
