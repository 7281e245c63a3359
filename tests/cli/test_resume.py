"""Nothing lost on interruption: checkpoints after each epoch, --resume, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from clihelpers import species_rows, write_csv

import vecnn
from vecnn.cli import resume as resume_module


def _train(cli, data, out, *extra):
    return cli(
        "train",
        data,
        "--target",
        "species",
        "--layers",
        "8",
        "--epochs",
        6,
        "--batch-size",
        16,
        "--dropout",
        0.1,
        "--early-stopping",
        10,
        "--quiet",
        "--out",
        out,
        *extra,
    )


def _weights(path):
    return vecnn.load(path).state_dict()


def test_an_interrupted_run_resumes_to_the_weights_of_an_uninterrupted_one(
    cli, tmp_path, monkeypatch
):
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    assert _train(cli, data, tmp_path / "whole").code == 0

    original = resume_module.EpochCheckpoint.on_epoch_end

    def interrupt_after_third(self, network, epoch, logs):
        original(self, network, epoch, logs)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(resume_module.EpochCheckpoint, "on_epoch_end", interrupt_after_third)
    stopped = _train(cli, data, tmp_path / "cut")
    assert stopped.code == 130
    checkpoint = tmp_path / "cut" / "checkpoint.vecnn"
    assert f"after epoch 3 are saved in {checkpoint}" in stopped.err
    assert f"--resume {checkpoint}" in stopped.err
    assert not (tmp_path / "cut" / "model.vecnn").exists()

    monkeypatch.setattr(resume_module.EpochCheckpoint, "on_epoch_end", original)
    resumed = _train(cli, data, tmp_path / "cut", "--resume", checkpoint)
    assert resumed.code == 0, resumed.err
    whole = _weights(tmp_path / "whole" / "model.vecnn")
    for name, array in _weights(tmp_path / "cut" / "model.vecnn").items():
        np.testing.assert_array_equal(array, whole[name])
    history = (tmp_path / "cut" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 6  # the header and all six epochs, before and after the cut


def test_resuming_with_other_settings_or_data_is_refused_naming_the_change(cli, tmp_path):
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    assert _train(cli, data, tmp_path / "run").code == 0
    checkpoint = tmp_path / "run" / "checkpoint.vecnn"
    changed = _train(cli, data, tmp_path / "run", "--lr", "0.01", "--resume", checkpoint)
    assert changed.code == 1 and "lr: 0.001 then, 0.01 now" in changed.err
    rows[0][0] = 9.99
    other = write_csv(tmp_path / "species.csv", header, rows)
    result = _train(cli, other, tmp_path / "run", "--epochs", 8, "--resume", checkpoint)
    assert result.code == 1 and "the data file's contents" in result.err
    done = _train(cli, data, tmp_path / "run2")
    assert done.code == 0
    again = _train(cli, data, tmp_path / "run2", "--resume", tmp_path / "run2" / "checkpoint.vecnn")
    assert again.code == 1 and "--epochs" in again.err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_with_a_checkpoint_and_status_130(tmp_path):
    header, rows = species_rows(m=300)
    data = write_csv(tmp_path / "species.csv", header, rows)
    out = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vecnn",
            "train",
            str(data),
            "--target",
            "species",
            "--layers",
            "64,64",
            "--epochs",
            "100000",
            "--quiet",
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.vecnn").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (out / "checkpoint.vecnn").exists()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "resume with: vecnn train" in err and "--resume" in err
    assert vecnn.io.read(out / "checkpoint.vecnn").training_state["epoch"] >= 1
    assert not [p for p in os.listdir(out) if p.startswith(".") and "tmp" in p]
