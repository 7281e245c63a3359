"""Ray Tune: a callback that reports each epoch to Tune with a checkpoint, and resumes from it.

Inside a Tune function trainable::

    from vecnn.integrations.ray import TuneReport

    def trial(config):
        report = TuneReport(checkpoint_every=1)
        resumed = report.resume()  # None on a first start; a ModelFile after a failure
        network = resumed.network if resumed else build(config)
        optimizer = Adam(network.parameters(), lr=config["lr"])
        if resumed:
            resumed.restore_optimizer(optimizer)
        network.fit(X, Y, optimizer=optimizer, epochs=30, validation_data=(X_val, Y_val),
                    initial_epoch=report.initial_epoch, callbacks=[report])

``tune.report(metrics, checkpoint=...)`` carries a vecnn checkpoint (weights, optimizer
state, the generator, the history so far); ``tune.get_checkpoint()`` hands it back when Tune
restarts the trial (``FailureConfig(max_failures=…)``, or population-based training's
exploit), so the trial goes on from its last reported epoch instead of from scratch.

Ray is imported here only (``pip install 'vecnn[tune]'``); ``import vecnn`` never needs it.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.train.callbacks import Callback
from vecnn.train.network import Network

CHECKPOINT_FILE = "checkpoint.vecnn"
"""The file inside each Tune checkpoint folder."""

INSTALL_HINT = "Ray Tune is not installed: pip install 'vecnn[tune]'"


def import_tune() -> Any:
    """``ray.tune``, or an ``ImportError`` whose message names the extra to install."""
    try:
        from ray import tune
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return tune


def _number(value: Any) -> float | None:
    """A value of the logs as JSON allows it: NaN and infinity become null."""
    value = float(value)
    return value if math.isfinite(value) else None


class TuneReport(Callback):
    """Report each epoch's logs to Ray Tune; every ``checkpoint_every`` epochs attach a
    vecnn checkpoint.

    The metrics are the epoch's logs (``loss``, ``val_loss``, ``accuracy``, …) and ``epoch``
    (counting from 1, across restarts). ``extra`` is merged into every report (e.g. what a
    command line wants to read back). ``preprocessing`` is stored in each checkpoint, so a
    checkpoint is also a model file that ``vecnn predict`` reads.
    """

    def __init__(
        self,
        checkpoint_every: int = 1,
        *,
        extra: Mapping[str, Any] | None = None,
        preprocessing: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int):
            raise TypeError(f"checkpoint_every must be an integer; got {checkpoint_every!r}")
        if checkpoint_every < 0:
            raise ValueError(
                f"checkpoint_every must be ≥ 0 (0: never checkpoint); got {checkpoint_every}"
            )
        self.checkpoint_every = checkpoint_every
        self.extra = dict(extra or {})
        self.preprocessing = None if preprocessing is None else dict(preprocessing)
        self.initial_epoch = 0
        """The epoch to pass to ``fit(initial_epoch=…)``: 0, or the epochs done before."""
        self.earlier: dict[str, list[float]] = {}
        """The history of the epochs before a restart (from the checkpoint)."""
        self._tune = import_tune()

    def resume(self) -> model_io.ModelFile | None:
        """The checkpoint Tune restarts this trial from (None on a first start).

        Sets ``initial_epoch`` and ``earlier``; the returned file's ``network`` has its
        generator restored, and ``restore_optimizer(optimizer)`` puts the optimizer's state
        back.
        """
        checkpoint = self._tune.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as folder:
            stored = model_io.load_checkpoint(Path(folder) / CHECKPOINT_FILE)
        state = stored.training_state or {}
        self.initial_epoch = int(state["epoch"])
        self.earlier = {
            key: [math.nan if v is None else v for v in values]
            for key, values in state.get("history", {}).items()
        }
        return stored

    def history(self, network: Network) -> dict[str, list[float]]:
        """The whole history: the epochs before a restart, then this fit's."""
        now = network.history_.history if getattr(network, "history_", None) else {}
        keys = list(dict.fromkeys([*self.earlier, *now]))
        return {key: [*self.earlier.get(key, []), *now.get(key, [])] for key in keys}

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        metrics: dict[str, Any] = {key: float(value) for key, value in logs.items()}
        metrics["epoch"] = epoch + 1
        metrics.update(self.extra)
        every = self.checkpoint_every
        if not every or (epoch + 1) % every:
            self._tune.report(metrics)
            return
        history = {
            key: [_number(v) for v in values] for key, values in self.history(network).items()
        }
        with tempfile.TemporaryDirectory(prefix="vecnn-tune-") as folder:
            model_io.save_checkpoint(
                network,
                Path(folder) / CHECKPOINT_FILE,
                getattr(network, "optimizer_", None),
                epoch=epoch + 1,
                extra={"history": history},
                preprocessing=self.preprocessing,
            )
            checkpoint = self._tune.Checkpoint.from_directory(folder)
            self._tune.report(metrics, checkpoint=checkpoint)
