"""The core computes the same bits on NumPy and on array-api-strict's ``device1``.

``conformance.py`` runs once per backend in a subprocess (the backend is chosen at
import); every array it writes must be equal bit for bit: each op's forward and
backward, ``fit`` on the digits for every optimizer, head and dtype (final weights and
history), and predict, evaluate, save and load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("conformance.py")


def _run(tmp_path: Path, backend: str, device: str | None = None) -> dict[str, np.ndarray]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VECNN_")}
    env["VECNN_BACKEND"] = backend
    if device:
        env["VECNN_DEVICE"] = device
    out = tmp_path / f"{backend}.npz"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as saved:
        return {key: saved[key] for key in saved.files}


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conformance")
    pytest.importorskip("array_api_strict")
    return _run(folder, "numpy"), _run(folder, "array_api_strict", "device1")


def test_the_strict_device_run_is_the_numpy_run_bit_for_bit(results):
    numpy_run, strict_run = results
    assert str(numpy_run.pop("backend")) == "numpy"
    assert str(strict_run.pop("backend")) == "array_api_strict"
    assert numpy_run.keys() == strict_run.keys()
    differ = [
        key
        for key in numpy_run
        if numpy_run[key].dtype != strict_run[key].dtype
        or numpy_run[key].shape != strict_run[key].shape
        or _bits(numpy_run[key]) != _bits(strict_run[key])
    ]
    assert not differ, f"{len(differ)} results differ, e.g. {differ[:5]}"


def test_the_run_covers_every_op_optimizer_head_and_dtype(results):
    numpy_run, _ = results
    from vecnn import ops

    assert {f"op.{name}.out" for name in ("dense", "batch_norm", "getitem")} <= numpy_run.keys()
    ran = {key.split(".")[1] for key in numpy_run if key.startswith("op.")}
    assert len(ran) >= len(ops.__all__) - 1  # all but step, which has no backward
    for dtype in ("float32", "float64"):
        for head in ("softmax", "sigmoid"):
            for optimizer in ("sgd", "momentum", "rmsprop", "adam", "adamw"):
                weights = numpy_run[f"fit.{dtype}.{head}.{optimizer}.W[1]"]
                assert weights.dtype == np.dtype(dtype)
                assert f"fit.{dtype}.{head}.{optimizer}.history.val_loss" in numpy_run
    # training moved the weights, and loading gave back what was saved
    assert np.all(np.isfinite(numpy_run["fit.float32.softmax.adam.history.loss"]))
    np.testing.assert_array_equal(
        numpy_run["fit.float64.sigmoid.adamw.predict_proba"],
        numpy_run["fit.float64.sigmoid.adamw.loaded.predict_proba"],
    )
