"""Nothing lost on interruption: a checkpoint after every epoch, and ``--resume`` from it.

After each epoch ``vecnn train`` writes ``checkpoint.vecnn`` atomically into its output
folder: the weights, the optimizer's state, the epoch, the random generator's state, the
history so far, early stopping's state (its best weights in ``checkpoint-best.vecnn``),
and a fingerprint of the settings and of the data file. Ctrl-C or SIGTERM stops training
with exit status 130 and prints the command that resumes; Ctrl-C and SIGTERM wait while
a checkpoint is written and recorded, so the message names the epoch on disk. Each
checkpoint records whether its run ``finished``: a fresh run over an unfinished one is
refused (``--overwrite`` allows it). ``--resume`` continues from the checkpoint and
reaches the weights an uninterrupted run reaches, and refuses to resume when the data or
a setting changed (``--epochs`` may grow), when early stopping's best weights are missing,
or when the ``training_state`` was edited, naming what is wrong. A checkpoint whose run
has no epoch left (interrupted while the outputs were written) is resumed by writing the
outputs alone, the same files an uninterrupted run writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.errors import DataError, ModelFormatError
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
"""The settings of a run, recorded in its checkpoints."""

MAY_CHANGE = ("lr",)
"""Settings a resumed run may change (``--epochs`` may grow too): a lower learning rate
after a divergence is the usual advice."""


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
        epochs: int | None = None,
    ) -> None:
        self.path, self.best_path = folder / CHECKPOINT_FILE, folder / BEST_FILE
        self.identity, self.preprocessing = identity, preprocessing
        self.earlier = history
        self.stopper = stopper
        self.epochs = epochs
        self.saved_epoch: int | None = None

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        # Ctrl-C and SIGTERM wait until the files are written and recorded: the epoch
        # that the interruption message names is the one on disk.
        with signals_deferred():
            self._save(network, epoch)
            self.saved_epoch = epoch + 1

    def _save(self, network: Network, epoch: int) -> None:
        stopper = self.stopper
        stopping = None
        finished = self.epochs is not None and epoch + 1 >= self.epochs
        if stopper is not None:
            if stopper.best_epoch == epoch and stopper.best_weights is not None:
                model_io.save(
                    network,
                    self.best_path,
                    metadata={"best_epoch": epoch, "run": _run_id(self.identity)},
                )
            finished = finished or stopper.wait >= stopper.patience
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
            extra={
                "fingerprint": self.identity,
                "history": history,
                "early_stopping": stopping,
                "finished": finished,
            },
            preprocessing=self.preprocessing,
        )


def _run_id(identity: dict[str, Any]) -> str:
    """A short digest of a run's fingerprint, to pair the best weights with their run."""
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Within it, SIGINT and SIGTERM are held; one that came is delivered when it ends.

    The handlers are swapped rather than the signals masked: a signal sent to the process
    may be taken by any thread that does not mask it, and Python then runs its handler
    in the main thread at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        caught.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        signal.raise_signal(caught[0])


def refuse_unfinished_run(folder: Path) -> None:
    """Refuse to start afresh over the checkpoint of a run that did not finish."""
    path = folder / CHECKPOINT_FILE
    if not path.exists():
        return
    try:
        state = model_io.read(path).training_state or {}
    except (ValueError, OSError):
        state = {}
    if state.get("finished") is True:
        return
    done = state.get("epoch")
    what = f"{done} epochs done" if isinstance(done, int) else "an unreadable state"
    raise DataError(
        f"holds the checkpoint of an unfinished run ({what}); starting afresh would "
        f"overwrite it: continue it with --resume {path}, or start afresh with --overwrite",
        path,
    )


@dataclass
class Resumed:
    """What ``--resume`` restores: the network (its generator too), the epochs done, the
    history so far, and the file for the optimizer's and early stopping's state."""

    network: Network
    epoch: int
    history: dict[str, list[float]]
    stored: Any

    best_weights: dict[str, Any] | None = None
    lr_before: Any = None
    """The learning rate of the run before the checkpoint."""

    def training_done(self, epochs: int, stopper: EarlyStopping | None) -> bool:
        """True when the checkpoint's run has no epoch left to train: ``epochs`` are done,
        or early stopping had stopped it (its patience ran out). Only the outputs are left."""
        state = self.stored.training_state.get("early_stopping")
        stopped = stopper is not None and state is not None and state["wait"] >= stopper.patience
        return self.epoch >= epochs or stopped

    def restore(self, optimizer: Any, stopper: EarlyStopping | None) -> None:
        self.stored.restore_optimizer(optimizer)
        state = self.stored.training_state.get("early_stopping")
        if stopper is not None and state is not None:
            best_value = math.nan if state["best"] is None else state["best"]
            stopper.resume_from(best_value, state["best_epoch"], state["wait"], self.best_weights)


def _best_weights(path: Path, state: dict[str, Any]) -> dict[str, Any] | None:
    """Early stopping's best weights, from ``checkpoint-best.vecnn`` beside the checkpoint;
    refused when that file is missing or belongs to another epoch or run (the resumed run
    would end with other weights than an uninterrupted one)."""
    stopping = state.get("early_stopping")
    if stopping is None or stopping["best_epoch"] is None:
        return None
    best = Path(path).with_name(BEST_FILE)
    fix = "put it back beside the checkpoint, or start afresh with --overwrite"
    if not best.exists():
        raise DataError(
            f"cannot resume: {best.name} (the best weights of early stopping, epoch "
            f"{stopping['best_epoch'] + 1}) is missing; {fix}",
            path,
        )
    stored = model_io.read(best)
    mark = (stored.metadata.get("best_epoch"), stored.metadata.get("run"))
    if mark != (stopping["best_epoch"], _run_id(state["fingerprint"])):
        raise DataError(
            f"cannot resume: {best} holds the best weights of another epoch or run than "
            f"this checkpoint (epoch {stopping['best_epoch'] + 1}); {fix}",
            path,
        )
    return stored.network.copy_weights()


def resume(path: str | Path, identity: dict[str, Any], epochs: int) -> Resumed:
    """Read a checkpoint of ``vecnn train`` and check it belongs to this run."""
    stored = model_io.load_checkpoint(path)
    state = stored.training_state or {}
    if "fingerprint" not in state or "history" not in state:
        raise DataError("not a checkpoint of 'vecnn train' (no fingerprint)", path)
    _check_state(state, path)
    before = state["fingerprint"]
    changed = [
        f"{key}: {before.get(key)!r} then, {value!r} now"
        for key, value in identity.items()
        if before.get(key) != value and key not in MAY_CHANGE
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
    if done > epochs:
        raise DataError(
            f"the checkpoint has {done} epochs done already, more than --epochs {epochs}; "
            f"give --epochs {done} to write its outputs, or more to train on",
            path,
        )
    history = {
        key: [math.nan if v is None else v for v in values]
        for key, values in state["history"].items()
    }
    resumed = Resumed(stored.network, done, history, stored)
    resumed.lr_before = before.get("lr")
    resumed.best_weights = _best_weights(Path(path), state)
    return resumed


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_state(state: dict[str, Any], path: str | Path) -> None:
    """Refuse a ``training_state`` whose fields are missing or of the wrong type (an
    edited checkpoint) with a ``ModelFormatError`` naming the field."""
    problems = []
    if not isinstance(state["fingerprint"], dict):
        problems.append("fingerprint is not an object")
    if not _count(state.get("epoch")):
        problems.append(f"epoch is {state.get('epoch')!r}, not a count")
    history = state["history"]
    if not isinstance(history, dict) or not all(
        isinstance(values, list) and all(v is None or _number(v) for v in values)
        for values in history.values()
    ):
        problems.append("history is not an object of lists of numbers")
    stopping = state.get("early_stopping")
    if stopping is not None and not (
        isinstance(stopping, dict)
        and (stopping.get("best") is None or _number(stopping.get("best")))
        and (stopping.get("best_epoch") is None or _count(stopping.get("best_epoch")))
        and _count(stopping.get("wait"))
    ):
        problems.append("early_stopping is not {best: number, best_epoch: count, wait: count}")
    if problems:
        raise ModelFormatError("training_state: " + "; ".join(problems), path)


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
