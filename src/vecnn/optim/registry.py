"""Optimizers by name, for configuration files and the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

from vecnn.autodiff import Tensor
from vecnn.optim.adam import Adam
from vecnn.optim.adamw import AdamW
from vecnn.optim.base import Optimizer
from vecnn.optim.rmsprop import RMSProp
from vecnn.optim.sgd import SGD


def _momentum(params: Iterable[Tensor], lr: float, momentum: float = 0.9, **kwargs: Any) -> SGD:
    """SGD with momentum 0.9 unless told otherwise."""
    return SGD(params, lr, momentum=momentum, **kwargs)


OPTIMIZERS: MappingProxyType[str, Callable[..., Optimizer]] = MappingProxyType(
    {
        "sgd": SGD,
        "momentum": _momentum,
        "rmsprop": RMSProp,
        "adam": Adam,
        "adamw": AdamW,
    }
)
"""The closed table of names ``get_optimizer`` knows (lower case)."""


def get_optimizer(name: str, params: Iterable[Tensor], **kwargs: Any) -> Optimizer:
    """The optimizer called ``name`` (any case) over ``params``, with ``kwargs``.

    ``"momentum"`` is SGD with ``momentum=0.9`` by default. An unknown name raises
    ValueError listing the known ones.
    """
    if not isinstance(name, str):
        raise TypeError(f"get_optimizer: name must be a string, got {type(name).__name__}")
    factory = OPTIMIZERS.get(name.strip().lower())
    if factory is None:
        raise ValueError(
            f"get_optimizer: unknown optimizer {name!r}; known: {', '.join(sorted(OPTIMIZERS))}"
        )
    return factory(params, **kwargs)
