"""Learning-rate schedules: ``α`` as a function of the epoch, in closed form.

A schedule reads the optimizer's ``lr`` once, when it is made (``base_lr``, the α₀ of the
formulas); each ``step()``, called once at the end of every epoch, advances ``last_epoch``
and sets ``optimizer.lr`` to the schedule's value there. The values are the closed forms
of ``torch.optim.lr_scheduler`` (epoch 0 gives ``base_lr``).

``state_dict()`` is JSON-able::

    {"type": "StepLR", "base_lr": 0.1, "last_epoch": 4, "last_lr": 0.01,
     "hyper": {"step_size": 3, "gamma": 0.1}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from vecnn.optim import _checks
from vecnn.optim.base import Optimizer


class LRScheduler:
    """Base class: subclasses give ``_lr_at(epoch)`` and check their hyperparameters."""

    _hyper_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Optimizer, **hyper: Any) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self._set_hyper(self._check_hyper(hyper))
        self.base_lr: float = optimizer.lr
        self.last_epoch: int = 0
        self.last_lr: float = self.get_lr()
        optimizer.lr = self.last_lr

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        _checks.exact_keys(type(self).__name__, "hyperparameters", hyper, self._hyper_names)
        return {}

    def _set_hyper(self, hyper: Mapping[str, Any]) -> None:
        for name, value in hyper.items():
            setattr(self, name, value)

    def _lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> float:
        """The learning rate of the current epoch (``last_epoch``)."""
        return self._lr_at(self.last_epoch)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's ``lr`` to the schedule's value."""
        self.last_epoch += 1
        self.last_lr = self.get_lr()
        self.optimizer.lr = self.last_lr

    def state_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "base_lr": self.base_lr,
            "last_epoch": self.last_epoch,
            "last_lr": self.last_lr,
            "hyper": {name: getattr(self, name) for name in self._hyper_names},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned, and set the optimizer's ``lr`` to ``last_lr``."""
        owner = type(self).__name__
        _checks.exact_keys(
            owner, "state", state, ("type", "base_lr", "last_epoch", "last_lr", "hyper")
        )
        if state["type"] != owner:
            raise ValueError(f"{owner}: the state is of a {state['type']}, not of a {owner}")
        hyper = self._check_hyper(state["hyper"])
        base_lr = _checks.non_negative(owner, "base_lr", state["base_lr"])
        last_lr = _checks.non_negative(owner, "last_lr", state["last_lr"])
        last_epoch = _checks.non_negative_int(owner, "last_epoch", state["last_epoch"])
        self._set_hyper(hyper)
        self.base_lr, self.last_epoch, self.last_lr = base_lr, last_epoch, last_lr
        self.optimizer.lr = last_lr

    def __repr__(self) -> str:
        hyper = ", ".join(f"{name}={getattr(self, name)}" for name in self._hyper_names)
        return f"{type(self).__name__}({hyper}, last_epoch={self.last_epoch}, lr={self.last_lr})"


class StepLR(LRScheduler):
    """Decay by ``γ`` every ``step_size`` epochs: ``α = α₀ γ^⌊epoch / step_size⌋``."""

    _hyper_names: ClassVar[tuple[str, ...]] = ("step_size", "gamma")

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        super()._check_hyper(hyper)
        owner = type(self).__name__
        return {
            "step_size": _checks.positive_int(owner, "step_size", hyper["step_size"]),
            "gamma": _checks.positive(owner, "gamma", hyper["gamma"]),
        }

    def _lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Decay by ``γ`` every epoch: ``α = α₀ γ^epoch``."""

    _hyper_names: ClassVar[tuple[str, ...]] = ("gamma",)

    gamma: float

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, gamma=gamma)

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        super()._check_hyper(hyper)
        return {"gamma": _checks.positive(type(self).__name__, "gamma", hyper["gamma"])}

    def _lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``α₀`` down to ``η_min`` over ``T_max`` epochs.

    ``α = η_min + (α₀ − η_min)(1 + cos(π·epoch/T_max))/2``; past ``T_max`` the cosine goes
    on (back up towards α₀), as PyTorch's closed form does.
    """

    _hyper_names: ClassVar[tuple[str, ...]] = ("T_max", "eta_min")

    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, T_max=T_max, eta_min=eta_min)

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        super()._check_hyper(hyper)
        owner = type(self).__name__
        return {
            "T_max": _checks.positive_int(owner, "T_max", hyper["T_max"]),
            "eta_min": _checks.non_negative(owner, "eta_min", hyper["eta_min"]),
        }

    def _lr_at(self, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class InverseTimeDecay(LRScheduler):
    """The textbook's learning-rate decay: ``α = α₀ / (1 + decay·epoch)``."""

    _hyper_names: ClassVar[tuple[str, ...]] = ("decay",)

    decay: float

    def __init__(self, optimizer: Optimizer, decay: float) -> None:
        super().__init__(optimizer, decay=decay)

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        super()._check_hyper(hyper)
        return {"decay": _checks.non_negative(type(self).__name__, "decay", hyper["decay"])}

    def _lr_at(self, epoch: int) -> float:
        return self.base_lr / (1.0 + self.decay * epoch)
