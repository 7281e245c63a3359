"""Whether operations record the graph: on by default, off inside ``no_grad()``.

The per-thread state also holds the anomaly mode's flag (see ``anomaly.py``) and the
step plan's tape while it records (``plan.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _GradMode(threading.local):
    enabled = True  # each thread starts with gradients on
    anomaly = False  # and without anomaly detection
    tape = None  # the step plan's recorder while it records a step (plan.py)


_state = _GradMode()


def is_grad_enabled() -> bool:
    """True when new operations record their inputs for ``backward()`` (per thread)."""
    return _state.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """A context in which operations record no graph: for inference and weight updates.

    Results computed inside it have ``requires_grad=False`` and keep no buffers for a
    backward pass. Contexts nest; the previous mode comes back on exit, also after an
    exception.
    """
    previous = is_grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous
