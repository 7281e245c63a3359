"""Checkpoints: a model file with what resuming needs (optimizer state, epoch and step, and
the network's generator)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vecnn.io.format import ModelFile, read, rng_state, save
from vecnn.optim import Optimizer
from vecnn.train.network import Network


def save_checkpoint(
    network: Network,
    path: str | os.PathLike[str],
    optimizer: Optimizer | None = None,
    *,
    epoch: int,
    step: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    preprocessing: Mapping[str, Any] | None = None,
) -> Path:
    """Save what resuming needs: weights, optimizer state, epoch/step and the generator.

    ``training_state`` becomes ``{"epoch": epoch, "step": step, "rng": …, **extra}`` where
    ``rng`` is ``rng_state(network.rng)`` (shuffling and dropout draw from it).
    """
    if type(epoch) is not int or epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer; got {epoch!r}")
    if step is not None and (type(step) is not int or step < 0):
        raise ValueError(f"step must be None or a non-negative integer; got {step!r}")
    state: dict[str, Any] = {"epoch": epoch, "step": step, "rng": rng_state(network.rng)}
    for key, value in (extra or {}).items():
        if key in state:
            raise ValueError(f"extra may not redefine {key!r}")
        state[key] = value
    return save(
        network,
        path,
        optimizer=optimizer,
        training_state=state,
        metadata=metadata,
        preprocessing=preprocessing,
    )


def load_checkpoint(path: str | os.PathLike[str]) -> ModelFile:
    """``read(path)``, with the network's generator restored from the training state.

    Resume with ``opt = Adam(file.network.parameters(), …)``, ``file.restore_optimizer(opt)``
    and ``file.network.fit(…, optimizer=opt)``.
    """
    model = read(path)
    if model.training_state is not None and "rng" in model.training_state:
        model.restore_rng()
    return model
