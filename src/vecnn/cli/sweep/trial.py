"""One trial of ``vecnn tune``: ``vecnn train``'s network and fit with the trial's settings.

It runs in a Ray worker. The data arrive once per worker through the object store
(``tune.with_parameters``), already preprocessed on the driver: every trial sees the same
rows, scaled the same way. ``TuneReport`` reports each epoch and checkpoints it, so a
restarted trial goes on from its last epoch.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from vecnn.backend import Array
from vecnn.cli.train import Settings, build_network, parse_layers
from vecnn.integrations.ray import TuneReport, import_tune
from vecnn.optim import get_optimizer
from vecnn.train import TrainingDivergedError

FAILED = "failed"
"""The key of the last report of a trial that diverged: its reason."""
RESUMED = "resumed_from"
"""The key of the epoch a restarted trial went on from (0: never restarted)."""


@dataclass
class TrialData:
    """What every trial shares: the preprocessed rows and how to build the network.

    ``X (n[0], m)``, ``Y`` and ``validation`` as ``fit`` takes them; ``n_outputs`` and
    ``output`` (the output activation) for ``build_network``; ``preprocessing`` stored in
    each checkpoint, so that a checkpoint is a model file ``vecnn predict`` reads.
    """

    X: Array
    Y: Array
    validation: tuple[Array, Array]
    classes: Any
    n_outputs: int
    output: str
    preprocessing: dict[str, Any]


def settings_for(base: Settings, config: dict[str, Any]) -> Settings:
    """``base`` with a trial's searched values in place (``layers`` as written, "64,32")."""
    values = dict(config)
    if "layers" in values:
        values["layers"] = parse_layers(str(values["layers"]))
    if "batch_size" in values:
        values["batch_size"] = int(values["batch_size"])
    return dataclasses.replace(base, **values)


def worst(mode: str) -> float:
    """The value that no finished trial can be worse than, in the metric's direction."""
    return math.inf if mode == "min" else -math.inf


def run_trial(
    config: dict[str, Any], *, base: Settings, data: TrialData, metric: str, mode: str
) -> None:
    """Train one trial, reporting each epoch to Tune; a divergence ends it as failed."""
    tune = import_tune()
    settings = settings_for(base, config)
    report = TuneReport(checkpoint_every=1, preprocessing=data.preprocessing)
    resumed = report.resume()
    report.extra[RESUMED] = report.initial_epoch
    if resumed is not None:
        network = resumed.network
    else:
        network = build_network(settings, data.X.shape[0], data.n_outputs, data.output)
    optimizer = get_optimizer(settings.optimizer, network.parameters(), lr=settings.lr)
    if resumed is not None:
        resumed.restore_optimizer(optimizer)
        optimizer.lr = settings.lr  # population-based training may have changed it
    try:
        network.fit(
            data.X,
            data.Y,
            optimizer=optimizer,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            seed=None if resumed is not None else settings.seed,
            validation_data=data.validation,
            callbacks=[report],
            verbose=0,
            l2=settings.l2,
            classes=data.classes,
            initial_epoch=report.initial_epoch,
        )
    except TrainingDivergedError as error:
        # Recorded, not raised: Tune would retry it, and it would diverge again.
        done = report.initial_epoch + len(network.history_.history.get("loss", []))
        tune.report(
            {metric: worst(mode), "epoch": done + 1, FAILED: f"diverged: {error}", RESUMED: 0}
        )
