"""``TuneReport`` against a stand-in for ``ray.tune`` (the real one runs in tests/cli/test_tune.py).

The stand-in keeps what ``tune.report`` is given, copies each checkpoint folder as Tune
persists it, and hands the last one back from ``get_checkpoint``, as Tune does when it
restarts a trial.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import vecnn
from vecnn.integrations import ray as vecnn_ray
from vecnn.integrations.ray import TuneReport


class _Checkpoint:
    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def from_directory(cls, path: str) -> _Checkpoint:
        return cls(path)

    @contextlib.contextmanager
    def as_directory(self):
        yield self.path


class _Tune:
    Checkpoint = _Checkpoint

    def __init__(self, storage: Path) -> None:
        self.storage, self.reports, self.restore_from, self.saved = storage, [], None, 0

    def report(self, metrics, *, checkpoint=None):
        kept = None
        if checkpoint is not None:  # Tune copies the folder before it is deleted
            kept = self.storage / f"checkpoint_{self.saved:06d}"
            shutil.copytree(checkpoint.path, kept)
            self.saved += 1
        self.reports.append((dict(metrics), kept))

    def get_checkpoint(self):
        return None if self.restore_from is None else _Checkpoint(str(self.restore_from))


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 120))
    y = (X[0] + X[1] > 0).astype(int)
    return X, y


def _network():
    return vecnn.Network(
        [vecnn.nn.Dense(4, 8, activation="tanh", seed=1), vecnn.nn.Dense(8, 1, "sigmoid", seed=2)],
        seed=3,
    )


def _fit(network, report, epochs, optimizer):
    X, y = _data()
    network.fit(
        X,
        y,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=16,
        validation_data=(X[:, :30], y[:30]),
        callbacks=[report],
        verbose=0,
        seed=None if report.initial_epoch else 0,
        initial_epoch=report.initial_epoch,
    )


@pytest.fixture
def tune(tmp_path, monkeypatch):
    stand_in = _Tune(tmp_path)
    monkeypatch.setattr(vecnn_ray, "import_tune", lambda: stand_in)
    return stand_in


def test_each_epoch_is_reported_with_its_logs_and_a_checkpoint(tune):
    network = _network()
    report = TuneReport(checkpoint_every=2)
    _fit(network, report, 5, vecnn.optim.Adam(network.parameters(), lr=0.05))
    assert [m["epoch"] for m, _ in tune.reports] == [1, 2, 3, 4, 5]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(tune.reports[0][0])
    assert tune.reports[0][0]["val_loss"] == network.history_.history["val_loss"][0]
    assert [kept is not None for _, kept in tune.reports] == [False, True, False, True, False]


def test_a_restarted_trial_goes_on_from_its_checkpoint_to_the_same_weights(tune):
    whole = _network()
    _fit(whole, TuneReport(), 6, vecnn.optim.Adam(whole.parameters(), lr=0.05))
    after_three = tune.reports[2][1]
    assert after_three is not None

    tune.reports.clear()
    tune.restore_from = after_three
    report = TuneReport()
    resumed = report.resume()
    assert resumed is not None and report.initial_epoch == 3
    optimizer = vecnn.optim.Adam(resumed.network.parameters(), lr=0.05)
    resumed.restore_optimizer(optimizer)
    _fit(resumed.network, report, 6, optimizer)

    assert [m["epoch"] for m, _ in tune.reports] == [4, 5, 6]
    for name, value in whole.state_dict().items():
        np.testing.assert_array_equal(resumed.network.state_dict()[name], value)
    history = report.history(resumed.network)
    assert len(history["loss"]) == 6
    assert history["loss"] == whole.history_.history["loss"]


def test_checkpoint_every_must_be_a_non_negative_integer(tune):
    with pytest.raises(ValueError, match="≥ 0"):
        TuneReport(checkpoint_every=-1)
    with pytest.raises(TypeError):
        TuneReport(checkpoint_every=1.5)


def test_without_ray_the_error_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ImportError, match=r"pip install 'vecnn\[tune\]'"):
        vecnn_ray.import_tune()
