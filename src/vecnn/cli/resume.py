"""Nothing lost on interruption: a checkpoint after every epoch, and ``--resume`` from it.

After each epoch ``vecnn train`` writes ``checkpoint.vecnn`` atomically into its output
folder: the weights, the optimizer's state, the epoch, the random generator's state, the
history so far, early stopping's state (its best weights in ``checkpoint-best.vecnn``),
and a fingerprint of the settings and of the data file. Ctrl-C or SIGTERM stops training
with exit status 130 and prints the command that resumes; a second Ctrl-C during a save
leaves the previous checkpoint intact (saves are atomic). ``--resume`` continues from the
checkpoint and reaches the weights an uninterrupted run reaches, and refuses to resume
when the data or a setting changed (``--epochs`` may grow), naming what changed.
"""

from __future__ import annotations

import hashlib
import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.errors import DataError
from vecnn.train.callbacks import Callback, EarlyStopping
from vecnn.train.network import Network

CHECKPOINT_FILE = "checkpoint.vecnn"
BEST_FILE = "checkpoint-best.vecnn"

FINGERPRINT = (
    "target",
    "layers",
    "activation",
    "task",
    "head",
    "optimizer",
    "lr",
    "batch_size",
    "val_split",
    "early_stopping",
    "l2",
    "dropout",
    "seed",
    "impute",
    "drop",
    "max_categories",
)
"""The settings a resumed run must share with the interrupted one (``--epochs`` may grow)."""


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(settings: Any, data_digest: str) -> dict[str, Any]:
    """The settings that decide the training, and the data's digest, as plain JSON."""
    values = {key: getattr(settings, key) for key in FINGERPRINT}
    values["data_sha256"] = data_digest
    return values


class EpochCheckpoint(Callback):
    """After each epoch: the checkpoint, written atomically (and the best weights so far).

    Put it after the ``EarlyStopping`` in the callbacks, so that this epoch's verdict is in.
    """

    def __init__(
        self,
        folder: Path,
        identity: dict[str, Any],
        preprocessing: dict[str, Any],
        history: dict[str, list[float]],
        stopper: EarlyStopping | None,
    ) -> None:
        self.path, self.best_path = folder / CHECKPOINT_FILE, folder / BEST_FILE
        self.identity, self.preprocessing = identity, preprocessing
        self.earlier = history
        self.stopper = stopper
        self.saved_epoch: int | None = None

    def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
        stopper = self.stopper
        stopping = None
        if stopper is not None:
            if stopper.best_epoch == epoch and stopper.best_weights is not None:
                model_io.save(network, self.best_path)
            stopping = {
                "best": _json_number(stopper.best),
                "best_epoch": stopper.best_epoch,
                "wait": stopper.wait,
            }
        history = {
            key: [_json_number(v) for v in [*self.earlier.get(key, []), *values]]
            for key, values in network.history_.history.items()
        }
        model_io.save_checkpoint(
            network,
            self.path,
            network.optimizer_,
            epoch=epoch + 1,
            extra={"fingerprint": self.identity, "history": history, "early_stopping": stopping},
            preprocessing=self.preprocessing,
        )
        self.saved_epoch = epoch + 1


@dataclass
class Resumed:
    """What ``--resume`` restores: the network (its generator too), the epochs done, the
    history so far, and the file for the optimizer's and early stopping's state."""

    network: Network
    epoch: int
    history: dict[str, list[float]]
    stored: Any

    def restore(self, optimizer: Any, stopper: EarlyStopping | None) -> None:
        self.stored.restore_optimizer(optimizer)
        state = self.stored.training_state.get("early_stopping")
        if stopper is not None and state is not None:
            best = Path(self.stored.path).with_name(BEST_FILE)
            weights = model_io.load(best).copy_weights() if best.exists() else None
            best_value = math.nan if state["best"] is None else state["best"]
            stopper.resume_from(best_value, state["best_epoch"], state["wait"], weights)


def resume(path: str | Path, identity: dict[str, Any], epochs: int) -> Resumed:
    """Read a checkpoint of ``vecnn train`` and check it belongs to this run."""
    stored = model_io.load_checkpoint(path)
    state = stored.training_state or {}
    if "fingerprint" not in state or "history" not in state:
        raise DataError("not a checkpoint of 'vecnn train' (no fingerprint)", path)
    before = state["fingerprint"]
    changed = [
        f"{key}: {before.get(key)!r} then, {value!r} now"
        for key, value in identity.items()
        if before.get(key) != value
    ]
    if changed:
        if any(item.startswith("data_sha256") for item in changed):
            changed = ["the data file's contents"] + [
                c for c in changed if not c.startswith("data_sha256")
            ]
        raise DataError(
            "cannot resume: the run changed since the checkpoint (" + "; ".join(changed) + ")",
            path,
        )
    done = int(state["epoch"])
    if done >= epochs:
        raise DataError(
            f"the checkpoint has {done} epochs done already; ask for more with --epochs "
            f"(more than {done})",
            path,
        )
    history = {
        key: [math.nan if v is None else v for v in values]
        for key, values in state["history"].items()
    }
    return Resumed(stored.network, done, history, stored)


def _json_number(value: float) -> float | None:
    """JSON has no NaN or infinity: those are stored as null (and read back as NaN)."""
    return value if math.isfinite(value) else None


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within it, SIGTERM stops the program as Ctrl-C does (a ``KeyboardInterrupt``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
