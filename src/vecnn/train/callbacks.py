"""Callbacks: code that runs at the edges of epochs and steps, and can stop training."""

from __future__ import annotations

import math
from numbers import Integral
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vecnn.train.network import Network


class Callback:
    """Hooks called by ``fit``; each may set ``network.stop_training = True`` to stop.

    ``on_epoch_end`` may also return True to stop. ``logs`` holds the epoch's values
    (``loss``, ``val_loss``, ``accuracy``, …) or the step's (``loss``).
    """

    def on_train_begin(self, network: Network) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, network: Network, epoch: int) -> None:
        """Before each epoch (epochs count from 0)."""

    def on_batch_end(self, network: Network, step: int, logs: dict[str, float]) -> None:
        """After each optimizer step (steps count from 0 over the whole fit)."""

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> bool | None:
        """After each epoch, with its logs; return True to stop training."""
        return None

    def on_train_end(self, network: Network) -> None:
        """After the last epoch, also when a callback stopped training."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``monitor`` defaults to ``val_loss`` when there is validation data, else ``loss``;
    a name containing "accuracy" is maximized, others minimized. With
    ``restore_best_weights`` the network ends with the weights of its best epoch.
    """

    def __init__(
        self,
        patience: int = 5,
        monitor: str | None = None,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, Integral) or patience < 0:
            raise ValueError(f"patience must be a non-negative integer; got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be non-negative; got {min_delta!r}")
        self.patience = int(patience)
        self.monitor = monitor
        self._choose_monitor = monitor is None  # again at each fit: data may differ
        self.min_delta = float(min_delta)
        self.restore_best_weights = restore_best_weights
        self.best: float = math.nan
        self.best_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None
        self.wait = 0
        self._resumed: tuple[Any, ...] | None = None

    def resume_from(
        self, best: float, best_epoch: int | None, wait: int, best_weights: Any = None
    ) -> None:
        """Continue an interrupted run: the next ``fit`` starts from this state."""
        self._resumed = (float(best), best_epoch, int(wait), best_weights)

    def on_train_begin(self, network: Network) -> None:
        if self._choose_monitor:
            self.monitor = None
        if self._resumed is not None:
            self.best, self.best_epoch, self.wait, self.best_weights = self._resumed
            self._resumed = None
            return
        self.best, self.best_epoch, self.best_weights, self.wait = math.nan, None, None, 0

    def _improved(self, value: float) -> bool:
        if math.isnan(self.best):
            return True
        if self.monitor is not None and "accuracy" in self.monitor:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> bool | None:
        if self.monitor is None:
            self.monitor = "val_loss" if "val_loss" in logs else "loss"
        if self.monitor not in logs:
            known = ", ".join(logs)
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which fit does not "
                f"record; recorded: {known}"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = network.copy_weights()
            return None
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, network: Network) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            network.load_state_dict(self.best_weights)
