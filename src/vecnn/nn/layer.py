"""What every layer provides: forward on Tensors, its parameters, its mode, its config."""

from __future__ import annotations

from typing import Any, ClassVar

from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array
from vecnn.backend.host import xp as host_xp

Generator = host_xp.random.Generator
"""The random generator of initialization, shuffling and dropout (``numpy.random.Generator``)."""

Seed = int | Generator | None
"""A seed: an int, a generator to draw from, or None for fresh entropy."""


def as_generator(seed: Seed) -> Generator:
    """A ``numpy.random.Generator`` from a seed (int or None) or the Generator itself."""
    if isinstance(seed, host_xp.random.Generator):
        return seed
    try:
        if isinstance(seed, bool):
            raise TypeError  # NumPy would take True as 1
        return host_xp.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValueError(
            f"seed must be None, a non-negative integer or a numpy.random.Generator; got {seed!r}"
        ) from None


class Layer:
    """Base class: maps ``A[l-1] (n[l-1], m)`` to ``A[l] (n[l], m)``.

    Subclasses set ``kind`` (the name under which model files record them), implement
    ``forward`` and ``config``, and list their trained Tensors in ``params`` (a dict from
    a short name, ``"W"``, ``"b"``, ``"gamma"``, to the Tensor) and their untrained state in
    ``buffer_arrays`` (e.g. running statistics).
    """

    kind: ClassVar[str] = "layer"
    activation: str = "linear"

    def __init__(self) -> None:
        self.training = True
        self.params: dict[str, Tensor] = {}
        self.buffer_arrays: dict[str, Array] = {}
        self.rng: Generator | None = None

    @property
    def n_in(self) -> int | None:
        """``n[l-1]``, the number of inputs; None when any number works (dropout)."""
        return None

    @property
    def n_out(self) -> int | None:
        """``n[l]``, the number of units; None when equal to the input (dropout)."""
        return None

    def forward(self, A_prev: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, A_prev: Tensor) -> Tensor:
        return self.forward(A_prev)

    def config(self) -> dict[str, Any]:
        """The layer's settings as plain JSON values (what ``from_config`` takes back)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)
