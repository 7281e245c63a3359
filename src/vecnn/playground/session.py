"""One browser tab's run: a real ``vecnn.Network`` trained by ``Network.fit`` in a thread.

``fit`` runs unchanged; a callback (``_Pacer``) sits between its mini-batches: it records
the step, publishes what the page shows (at most ``PUBLISH_HZ`` times a second), and
holds the loop while the page has paused (``Step`` lets exactly one mini-batch through).
The training thread owns the network while it steps; everything else that reads the
network (a new snapshot, the export) takes ``network_lock`` first.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from vecnn.autodiff.graph import to_dot
from vecnn.backend.host import Array, errstate
from vecnn.equations import equations, training_step_graph
from vecnn.losses import get_loss
from vecnn.playground import views
from vecnn.playground.batch import BatchRecorder
from vecnn.playground.datasets import Split, make_dataset, read_csv_points, split
from vecnn.playground.network import build_network, fit_arguments, targets
from vecnn.playground.validation import MAX_CLASSES, MAX_EXAMPLES, RequestError, Settings
from vecnn.train import Callback, TrainingDivergedError
from vecnn.train.network import Network

EPOCHS = 1_000_000  # the run goes on until the page pauses, resets or closes
PUBLISH_HZ = 10
MAX_CURVE_POINTS = 400
DISPLAY_COLUMNS = 32  # at most this many columns of A[l] and dZ[l] are shown


class _StopRunError(Exception):
    """Raised inside fit by the pacer when the session stops its training."""


@dataclass(frozen=True)
class Upload:
    """A CSV the page sent: the points, class names and feature names."""

    X: Array
    y: Array
    classes: list[str]
    features: list[str]
    name: str
    target: str


def load_upload(text: str, target: str | None, name: str) -> Upload:
    X, y, classes, features = read_csv_points(text, target)
    if X.shape[1] > MAX_EXAMPLES:
        raise RequestError(f"the CSV has {X.shape[1]:,} rows; the limit is m ≤ {MAX_EXAMPLES:,}")
    if len(classes) > MAX_CLASSES:
        raise RequestError(f"the target has {len(classes)} classes; the limit is {MAX_CLASSES}")
    return Upload(X, y, classes, features, name, target or "")


def make_split(settings: Settings, upload: Upload | None) -> Split:
    """The training and validation columns that ``settings`` (and the upload) describe."""
    if settings.dataset == "csv":
        if upload is None:
            raise RequestError("choose a CSV file to upload first")
        return split(upload.X, upload.y, settings.validation, settings.seed, upload.classes)
    K = settings.classes if settings.dataset in ("spirals", "blobs") else 2
    X, y = make_dataset(settings.dataset, settings.m, settings.noise, K, settings.seed)
    return split(X, y, settings.validation, settings.seed, [str(k) for k in range(K)])


class _Pacer(Callback):
    """The session's hooks inside ``fit``: record, publish, and wait for permission."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def on_train_begin(self, network: Network) -> None:
        self.session._gate()

    def on_epoch_begin(self, network: Network, epoch: int) -> None:
        self.session.epoch = epoch

    def on_batch_end(self, network: Network, step: int, logs: dict[str, float]) -> None:
        self.session._after_step(logs["loss"])
        self.session._gate()


class Session:
    """A run the page drives with ``control("train" | "pause" | "step" | "reset")``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.id = secrets.token_urlsafe(12)
        self.lock = threading.Lock()  # the fields below
        self.changed = threading.Condition(self.lock)  # a new snapshot, or a mode change
        self.network_lock = threading.Lock()
        # one page request at a time changes the run (two tabs' or two fast clicks' worth):
        # a configure must not start its network while another's thread still steps
        self.requests_lock = threading.Lock()
        self.encode_lock = threading.Lock()
        self._encoded: tuple[int, bytes] = (-1, b"")
        self.upload: Upload | None = None
        self.thread: threading.Thread | None = None
        self.closed = False
        self.streams = 0  # event streams attached (open tabs)
        self.was_streamed = False
        self.last_seen = time.monotonic()
        self.setup_version = 0
        self.version = 0
        self._configure(settings or Settings())

    # ------------------------------------------------------------------ the page's requests
    def configure(self, settings: Settings, upload: Upload | None = None) -> None:
        """Stop the run and start a new one from ``settings`` (a new network)."""
        with self.requests_lock:
            self._reconfigure(settings, upload)

    def _reconfigure(self, settings: Settings, upload: Upload | None) -> None:
        self._stop_training()
        previous = self.upload
        if upload is not None:
            self.upload = upload
        try:
            self._configure(settings)
        except Exception:
            self.upload = previous
            self._configure(self.settings)
            raise

    def control(self, action: str, steps: int = 1) -> None:
        """``train`` runs, ``pause`` holds, ``step`` lets ``steps`` mini-batches through
        and holds, ``reset`` starts again from the initial weights."""
        with self.requests_lock:
            self._control(action, steps)

    def _control(self, action: str, steps: int) -> None:
        if action == "reset":
            self._stop_training()
            self._configure(self.settings)
            return
        with self.lock:
            if self.status in ("diverged", "error"):
                return
            if action == "train":
                self.mode = "running"
            elif action == "pause":
                self.mode = "paused"
            else:
                self.mode = "paused"
                self.credits += steps
            self.changed.notify_all()
            start = self.thread is None and action != "pause"
            if start:
                self.thread = threading.Thread(
                    target=self._train, name=f"vecnn-playground-{self.id[:6]}", daemon=True
                )
        if start:
            self.thread.start()  # type: ignore[union-attr]

    def close(self) -> None:
        """End the run (its thread too); the session answers nothing after this."""
        with self.requests_lock:
            with self.lock:
                self.closed = True
            self._stop_training()

    def state(self) -> dict[str, Any]:
        with self.lock:
            self.last_seen = time.monotonic()
            return self.snapshot

    def encoded(self, snapshot: dict[str, Any]) -> bytes:
        """``snapshot`` as JSON bytes, encoded once per version for every tab and request."""
        with self.encode_lock:
            if self._encoded[0] != snapshot["version"]:
                text = json.dumps(snapshot, separators=(",", ":"), allow_nan=False)
                self._encoded = (snapshot["version"], text.encode("utf-8"))
            return self._encoded[1]

    def wait_for_change(self, version: int, timeout: float) -> dict[str, Any]:
        """The snapshot, once it is newer than ``version`` (or after ``timeout`` seconds)."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != version or self.closed, timeout)
            self.last_seen = time.monotonic()
            return self.snapshot

    # ------------------------------------------------------------------ building a run
    def _configure(self, settings: Settings) -> None:
        data = make_split(settings, self.upload)
        network = build_network(settings, len(data.classes))
        with self.network_lock:
            self.settings, self.data, self.network = settings, data, network
            self.Y_fit = targets(settings, data.y, len(data.classes))
            self.box = views.bounds(data.X, data.X_val)
            self.grid = views.grid_points(self.box).astype(network.dtype)
            self.recorder = BatchRecorder(network.output_activation, DISPLAY_COLUMNS)
            self.X_display = data.X[:, : min(DISPLAY_COLUMNS, data.X.shape[1])]
            self.y_display = data.y[: self.X_display.shape[1]]
            setup = self._setup()
        with self.lock:
            self.thread = None
            self.mode, self.credits, self.stopping = "paused", 0, False
            self.status, self.message = "ready", ""
            self.step, self.epoch, self.batch_loss = 0, 0, None
            self.curves: dict[str, list[float]] = {
                key: [] for key in ("step", "loss", "accuracy", "val_loss", "val_accuracy")
            }
            self.setup = setup
            self.setup_version += 1
        with self.network_lock:
            self._publish()

    def _setup(self) -> dict[str, Any]:
        """What changes only with the settings: data, shapes, equations, the step's graph."""
        network, data, settings = self.network, self.data, self.settings
        copy = Network.from_config(network.config())  # drawing the graph runs a forward
        copy.load_state_dict(network.state_dict())  # pass: keep it off the real network
        m = min(settings.batch_size or data.X.shape[1], data.X.shape[1])
        features = self.upload.features if settings.dataset == "csv" and self.upload else None
        return {
            "session": self.id,
            "settings": settings.as_json(),
            "sizes": network.sizes,
            "classes": data.classes,
            "features": features or ["x₁", "x₂"],
            "points": {
                "X": data.X.tolist(),
                "y": data.y.tolist(),
                "X_val": data.X_val.tolist(),
                "y_val": data.y_val.tolist(),
            },
            "bounds": self.box,
            "grid": views.GRID,
            "batch_m": m,
            "display_m": self.X_display.shape[1],
            "equations": ["examples are columns: A[0] = X is (2×m)", "", *equations(network)],
            "graph": to_dot(training_step_graph(copy, m=m)),
        }

    # ------------------------------------------------------------------ the training thread
    def _train(self) -> None:
        self.network_lock.acquire()
        try:
            self.network.fit(
                self.data.X,
                self.Y_fit,
                epochs=EPOCHS,
                callbacks=[_Pacer(self)],
                **self._fit_arguments(),
            )
        except _StopRunError:
            pass
        except TrainingDivergedError as error:
            self._fail("diverged", str(error))
        except Exception as error:  # shown on the page; the server goes on
            self._fail("error", f"{type(error).__name__}: {error}")
        finally:
            if self.network_lock.locked():
                self.network_lock.release()

    def _fit_arguments(self) -> dict[str, Any]:
        """``fit``'s arguments, the loss wrapped to keep each batch's ``A[l]``, ``dZ[l]``."""
        arguments = fit_arguments(self.settings, self.data)
        loss = get_loss(arguments["loss"], self.network.output_activation)
        arguments["loss"] = self.recorder.wrap(loss)
        return arguments

    def _fail(self, status: str, message: str) -> None:
        with self.lock:
            self.message, self.mode = message, "paused"
            self.status = status
        self.network.eval()
        self._publish()

    def _after_step(self, batch_loss: float) -> None:
        with self.lock:
            self.step += 1
            self.batch_loss = batch_loss
            # at most PUBLISH_HZ a second, and at most a fifth of the time spent publishing
            interval = max(1 / PUBLISH_HZ, 4 * self.publish_seconds)
            due = time.monotonic() - self.published_at >= interval
        if due:
            self._publish()

    def _gate(self) -> None:
        """Return when the next mini-batch may run; raise ``_StopRunError`` to end the run."""
        with self.lock:
            if self.stopping:
                raise _StopRunError
            blocked = self.mode != "running" and self.credits == 0
            behind = blocked and self.published_step != self.step
            if behind:
                self.status = "paused"  # published just below
        if behind:
            self._publish()  # the page sees the weights it is paused on
        self.network_lock.release()
        try:
            with self.lock:
                while True:
                    if self.stopping:
                        raise _StopRunError
                    if self.mode == "running":
                        wait = self._paced()
                        if wait <= 0:
                            self._set_status("running")
                            break
                        self.changed.wait(wait)
                    elif self.credits > 0:
                        self.credits -= 1
                        self._set_status("running")  # "paused" means no step is under way
                        break
                    else:
                        self._set_status("paused")
                        self.changed.wait()
                self.stepped_at = time.monotonic()
        finally:
            self.network_lock.acquire()

    def _set_status(self, status: str) -> None:
        """Change the status the page shows, without recomputing the rest (lock held)."""
        if self.status != status:
            self.status = status
            self.version += 1
            self.snapshot = {**self.snapshot, "status": status, "version": self.version}
            self.changed.notify_all()

    def _paced(self) -> float:
        """Seconds to wait before the next step at the chosen speed (lock held)."""
        if self.settings.speed == 0:
            return 0.0
        return self.stepped_at + 1 / self.settings.speed - time.monotonic()

    def _stop_training(self) -> None:
        with self.lock:
            thread, self.stopping = self.thread, True
            self.changed.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    # ------------------------------------------------------------------ what the page sees
    def _publish(self) -> None:
        """Compute and store a new snapshot (the caller holds ``network_lock``)."""
        started = time.monotonic()
        network, data, settings = self.network, self.data, self.settings
        with errstate(all="ignore"):  # weights about to diverge: shown as they are
            train = views.scores(network, settings, data.X, data.y)
            val = views.scores(network, settings, data.X_val, data.y_val)
            batch = self.recorder.matrices()
            batch_m = self.recorder.m
            if batch is None:  # before the first step
                batch = views.probe(network, settings, self.X_display, self.y_display)
                batch_m = self.X_display.shape[1]
            layers = views.layer_matrices(network, batch)
            region = views.regions(network, self.grid)
        with self.lock:
            curves = self.curves
            if not curves["step"] or curves["step"][-1] != self.step:
                curves["step"].append(self.step)
                curves["loss"].append(train["loss"])
                curves["accuracy"].append(train["accuracy"])
                curves["val_loss"].append(val.get("loss"))
                curves["val_accuracy"].append(val.get("accuracy"))
                if len(curves["step"]) > MAX_CURVE_POINTS:  # keep every other older point
                    for key, values in curves.items():
                        curves[key] = values[:-1:2] + values[-1:]
            self.version += 1
            self.published_at = time.monotonic()
            self.publish_seconds = self.published_at - started
            self.published_step = self.step
            self.snapshot = {
                "session": self.id,
                "version": self.version,
                "setup_version": self.setup_version,
                "status": self.status,
                "message": self.message,
                "step": self.step,
                "epoch": self.epoch,
                "loss": train["loss"],
                "accuracy": train["accuracy"],
                "val_loss": val.get("loss"),
                "val_accuracy": val.get("accuracy"),
                "batch_loss": self.batch_loss,
                "sizes": network.sizes,
                "layers": layers,
                "batch_m": batch_m,  # A[l] and dZ[l]: the first DISPLAY_COLUMNS of these
                "regions": region,
                "curves": {key: list(values) for key, values in curves.items()},
            }
            self.changed.notify_all()

    published_at = 0.0
    publish_seconds = 0.0
    published_step = -1
    stepped_at = 0.0
