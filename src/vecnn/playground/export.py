"""Export a run: the model file (``vecnn.save``) and a Python script that reproduces it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from vecnn.io import save
from vecnn.playground.session import Session
from vecnn.train.network import Network


def model_bytes(session: Session, theta: float | None = None) -> bytes:
    """The ``.vecnn`` file of the session's network, as it is now; a single output unit
    fires at ``theta`` (the page's θ) when it is given."""
    with session.network_lock, tempfile.TemporaryDirectory(prefix="vecnn-playground-") as folder:
        network = session.network
        if theta is not None and network.n_outputs == 1:
            network = Network.from_config(network.config())  # θ on a copy: the run
            network.load_state_dict(session.network.state_dict())  # keeps its own
            network.threshold = theta
        path = save(
            network,
            Path(folder) / "model.vecnn",
            metadata={
                "source": "vecnn playground",
                "steps": session.step,
                "dataset": session.settings.dataset,
            },
        )
        return path.read_bytes()


def script(session: Session, theta: float | None = None) -> str:
    """Python source that builds the same data and network and takes the same steps
    (and sets the page's θ on a single output unit when ``theta`` is given)."""
    settings, steps = session.settings, session.step
    single = session.network.n_outputs == 1
    K = len(session.data.classes)
    return SCRIPT.format(
        steps=steps,
        data=_data_lines(session),
        seed=settings.seed,
        validation=settings.validation,
        hidden=list(settings.hidden),
        activation=settings.activation,
        dropout=settings.dropout,
        output="softmax" if settings.head == "softmax" else "sigmoid",
        n_L=1 if settings.head == "sigmoid" else K,
        K=K,
        mse=settings.loss == "mse",
        loss="mse" if settings.loss == "mse" else None,
        optimizer=settings.optimizer,
        lr=settings.lr,
        batch_size=settings.batch_size,
        l2=settings.l2,
        threshold=f"network.threshold = {theta!r}  # θ: the unit fires where a ≥ θ\n"
        if theta is not None and single
        else "",
    )


def _data_lines(session: Session) -> str:
    settings = session.settings
    if settings.dataset == "csv" and session.upload is not None:
        upload = session.upload
        return (
            "from vecnn.playground.datasets import read_csv_points\n\n"
            f"# the CSV uploaded to the page (put it beside this script); x₁, x₂ standardized\n"
            f"with open({upload.name!r}, encoding='utf-8') as handle:\n"
            f"    text = handle.read()\n"
            f"X_all, y_all, classes, _ = read_csv_points(text, {upload.target or None!r})"
        )
    K = len(session.data.classes)
    return (
        "from vecnn.playground.datasets import make_dataset\n\n"
        f"X_all, y_all = make_dataset({settings.dataset!r}, m={settings.m}, "
        f"noise={settings.noise!r}, classes={K}, seed={settings.seed})\n"
        f"classes = [str(k) for k in range({K})]"
    )


SCRIPT = '''"""A vecnn playground run, reproduced with the vecnn API: {steps} optimizer steps.

Examples are columns: X is (n[0], m) = (2, m). Run: python playground_run.py
"""

import numpy as np

import vecnn
from vecnn.nn import Dense, Dropout
from vecnn.playground.datasets import split

{data}

data = split(X_all, y_all, validation={validation!r}, seed={seed}, classes=classes)

# the network: Dense layers 2 → {hidden} → {n_L}, built from one seeded generator
rng = np.random.default_rng({seed})
sizes = [2, *{hidden}]
layers = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    layers.append(Dense(n_in, n_out, activation={activation!r}, seed=rng))
    if {dropout!r}:
        layers.append(Dropout({dropout!r}))
layers.append(Dense(sizes[-1], {n_L}, activation={output!r}, seed=rng))
network = vecnn.Network(layers, seed=rng)


def as_targets(y):
    """The labels for the cross-entropy, or the 0/1 matrix (n[L], m) for the squared error."""
    if not {mse!r}:
        return y
    if {n_L} == 1:
        return y.reshape(1, -1).astype(float)
    return np.eye({K})[:, y]


class StopAfter(vecnn.Callback):
    """Stop after a number of optimizer steps (the page's step counter)."""

    def __init__(self, steps):
        self.steps = steps

    def on_train_begin(self, network):
        if self.steps == 0:
            raise StopIteration

    def on_batch_end(self, network, step, logs):
        if step + 1 >= self.steps:
            raise StopIteration


options = dict(
    loss={loss!r},
    optimizer={optimizer!r},
    lr={lr!r},
    batch_size={batch_size!r},
    l2={l2!r},
    verbose=0,
)
if not {mse!r}:
    options["classes"] = list(range({K}))
if data.y_val.shape[0]:
    options["validation_data"] = (data.X_val, as_targets(data.y_val))
try:
    network.fit(
        data.X, as_targets(data.y), epochs=1_000_000, callbacks=[StopAfter({steps})], **options
    )
except StopIteration:
    pass

{threshold}print(network.summary())
vecnn.save(network, "playground.vecnn")
print("wrote playground.vecnn")
'''
