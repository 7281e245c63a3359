"""What ``fit`` returns: the per-epoch record of training."""

from __future__ import annotations

from typing import Any


class History:
    """Per-epoch values, Keras-style: ``history["loss"][e]`` is the training loss of epoch e.

    Keys: ``loss`` and, for classifiers, ``accuracy``; ``val_loss``/``val_accuracy`` with
    validation data; ``lr`` (the learning rate used) and ``time`` (seconds per epoch).
    ``best_epoch`` is set when early stopping restored the best weights, ``stopped_epoch``
    when training stopped before ``epochs``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def extend(self, later: History) -> None:
        """Append the epochs of ``later`` (a following fit) after these, numbered on."""
        offset = len(self.epoch)
        values = later.history
        for i in range(len(later)):
            self.record(offset + i, {key: series[i] for key, series in values.items()})

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: Any) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = {key: round(values[-1], 6) for key, values in self.history.items() if values}
        return f"History(epochs={len(self.epoch)}, last={last})"
