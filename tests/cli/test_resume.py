"""Nothing lost on interruption: checkpoints after each epoch, --resume, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from clihelpers import interrupt_after_epoch, species_rows, write_csv

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

    original = interrupt_after_epoch(monkeypatch, 2)
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
    changed = _train(cli, data, tmp_path / "run", "--l2", "0.01", "--resume", checkpoint)
    assert changed.code == 1 and "l2: 0.0 then, 0.01 now" in changed.err
    rows[0][0] = 9.99
    other = write_csv(tmp_path / "species.csv", header, rows)
    result = _train(cli, other, tmp_path / "run", "--epochs", 8, "--resume", checkpoint)
    assert result.code == 1 and "the data file's contents" in result.err
    done = _train(cli, data, tmp_path / "run2")
    assert done.code == 0
    finished = tmp_path / "run2" / "checkpoint.vecnn"
    fewer = _train(cli, data, tmp_path / "run2", "--epochs", 3, "--resume", finished)
    assert fewer.code == 1 and "6 epochs done already, more than --epochs 3" in fewer.err
    # The same command again has no epoch left to train: it writes the outputs (item 28).
    (tmp_path / "run2" / "report.html").unlink()
    again = _train(cli, data, tmp_path / "run2", "--resume", finished)
    assert again.code == 0 and (tmp_path / "run2" / "report.html").exists()


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


def _interrupted_run(cli, tmp_path, monkeypatch, after_epoch=2):
    """A run with early stopping stopped by Ctrl-C after ``after_epoch + 1`` epochs."""
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    original = interrupt_after_epoch(monkeypatch, after_epoch)
    assert _train(cli, data, tmp_path / "cut").code == 130
    monkeypatch.setattr(resume_module.EpochCheckpoint, "on_epoch_end", original)
    return data, tmp_path / "cut" / "checkpoint.vecnn"


def test_resuming_without_the_best_weights_file_is_refused(cli, tmp_path, monkeypatch):
    data, checkpoint = _interrupted_run(cli, tmp_path, monkeypatch)
    best = checkpoint.with_name("checkpoint-best.vecnn")
    kept = best.read_bytes()
    best.unlink()
    result = _train(cli, data, tmp_path / "cut", "--resume", checkpoint)
    assert result.code == 1
    assert "checkpoint-best.vecnn" in result.err and "is missing" in result.err
    # The best weights of another run (or epoch) are refused too.
    other = vecnn.io.read(checkpoint).network
    vecnn.save(other, best, metadata={"best_epoch": 0, "run": "someone else"})
    result = _train(cli, data, tmp_path / "cut", "--resume", checkpoint)
    assert result.code == 1 and "another epoch or run" in result.err
    best.write_bytes(kept)
    assert _train(cli, data, tmp_path / "cut", "--resume", checkpoint).code == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epoch", "3", "epoch is '3', not a count"),
        ("epoch", -1, "epoch is -1, not a count"),
        ("history", {"loss": "lots"}, "history is not an object of lists of numbers"),
        ("history", [1, 2], "history is not an object of lists of numbers"),
        ("fingerprint", [1], "fingerprint is not an object"),
        ("early_stopping", {"best": "x", "best_epoch": 1, "wait": 0}, "early_stopping is not"),
        ("early_stopping", {"best": 1.0}, "early_stopping is not"),
        ("early_stopping", 7, "early_stopping is not"),
    ],
)
def test_an_edited_training_state_is_refused_naming_the_field(
    cli, tmp_path, monkeypatch, field, value, message
):
    from vecnn.optim import Adam

    data, checkpoint = _interrupted_run(cli, tmp_path, monkeypatch)
    stored = vecnn.io.read(checkpoint)
    optimizer = Adam(stored.network.parameters())
    stored.restore_optimizer(optimizer)
    state = dict(stored.training_state)
    state[field] = value
    vecnn.save(
        stored.network,
        checkpoint,
        optimizer=optimizer,
        training_state=state,
        preprocessing=stored.preprocessing,
    )
    result = _train(cli, data, tmp_path / "cut", "--resume", checkpoint)
    assert result.code == 1, result.err
    assert "training_state: " in result.err and message in result.err
    assert "Traceback" not in result.err


def test_an_interrupt_just_after_a_checkpoint_lands_names_that_checkpoint(
    cli, tmp_path, monkeypatch
):
    """The race of issue 11, item 28: the file on disk and the message agree."""
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    real = resume_module.model_io.save_checkpoint

    def save_then_sigterm(network, path, *args, **kwargs):
        written = real(network, path, *args, **kwargs)
        if kwargs["epoch"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # lands between the save and its record
        return written

    monkeypatch.setattr(resume_module.model_io, "save_checkpoint", save_then_sigterm)
    # Another thread alive, as in a real process (BLAS, pytest): a signal sent to the
    # process may be taken by it, which masking the signal in the main thread missed.
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        result = _train(cli, data, tmp_path / "run")
    finally:
        done.set()
        other.join()
    assert result.code == 130
    checkpoint = tmp_path / "run" / "checkpoint.vecnn"
    assert vecnn.io.read(checkpoint).training_state["epoch"] == 2
    assert f"the weights after epoch 2 are saved in {checkpoint}" in result.err
    assert "nothing to resume" not in result.err


_SIGTERM_IN = """
import os, signal, sys
import vecnn.cli.train as train_module
real = getattr(train_module, sys.argv[1])
def hook(*args, **kwargs):
    if sys.argv[1] == "write_report":
        os.kill(os.getpid(), signal.SIGTERM)
    result = real(*args, **kwargs)
    if sys.argv[1] == "read_csv":
        os.kill(os.getpid(), signal.SIGTERM)
    return result
setattr(train_module, sys.argv[1], hook)
from vecnn.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("where", ["read_csv", "write_report"])
def test_sigterm_outside_fit_exits_130_saying_what_was_kept(tmp_path, where):
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "species", "--layers", "4", "--epochs", "2"]
    done = subprocess.run(
        [sys.executable, "-c", _SIGTERM_IN, where, *argv, "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert "vecnn: interrupted" in done.stderr and "Traceback" not in done.stderr
    if where == "write_report":
        assert f"written: {out / 'model.vecnn'}, {out / 'metrics.json'}" in done.stderr
        assert vecnn.io.read(out / "model.vecnn").network is not None
        assert vecnn.io.read(out / "checkpoint.vecnn").training_state["finished"] is True


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_interrupted_report_is_written_by_the_command_the_message_names(cli, tmp_path):
    """Item 28: SIGTERM while the report is written leaves no report; the message names
    ``vecnn train … --resume OUT/checkpoint.vecnn``, which writes the outputs alone from
    the final checkpoint (early stopping's best weights put back): the same model,
    metrics, history and report as an uninterrupted run."""
    import csv
    import json
    import shlex

    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    argv = ["train", str(data), "--target", "species", "--layers", "8", "--epochs", "40"]
    argv += ["--batch-size", "16", "--lr", "0.05", "--early-stopping", "2", "--quiet"]
    whole, out = tmp_path / "whole", tmp_path / "run"
    assert cli(*argv, "--out", whole).code == 0
    done = subprocess.run(
        [sys.executable, "-c", _SIGTERM_IN, "write_report", *argv, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert not (out / "report.html").exists()
    marker = "write the outputs (report.html too) with: "
    assert marker in done.stderr, done.stderr
    command = shlex.split(done.stderr.split(marker)[1].splitlines()[0])
    assert command[:2] == ["vecnn", "train"]
    assert command[-2:] == ["--resume", str(out / "checkpoint.vecnn")]
    again = cli(*command[1:])
    assert again.code == 0, again.err
    assert (out / "report.html").stat().st_size > 1000
    assert (out / "metrics.json").read_text() == (whole / "metrics.json").read_text()

    def history(folder):  # every column but the seconds each epoch took
        rows = list(csv.reader((folder / "history.csv").open()))
        keep = [k for k, name in enumerate(rows[0]) if name != "time"]
        return [[row[k] for k in keep] for row in rows]

    assert history(out) == history(whole) and len(history(whole)) > 3
    assert json.loads((out / "metrics.json").read_text())["examples"] > 0
    expected, found = _weights(whole / "model.vecnn"), _weights(out / "model.vecnn")
    assert expected.keys() == found.keys()
    for key in expected:
        np.testing.assert_array_equal(found[key], expected[key])
    report = (out / "report.html").read_text()
    # early stopping stopped the run at epoch 8 and kept epoch 6's weights
    for said in ("stopped after epoch 8 of 40", "best epoch 6", "accuracy"):
        assert said in report


def test_a_full_disk_names_the_target_and_what_was_kept(cli, tmp_path, monkeypatch):
    """Item 23: the error named the hidden temporary file, or no file at all."""
    import errno

    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    real = resume_module.model_io.save_checkpoint

    def disk_full_at_the_third(network, path, *args, **kwargs):
        if kwargs["epoch"] == 3:

            def no_space(fd):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(os, "fsync", no_space)
        return real(network, path, *args, **kwargs)

    monkeypatch.setattr(resume_module.model_io, "save_checkpoint", disk_full_at_the_third)
    result = _train(cli, data, tmp_path / "run")
    monkeypatch.undo()
    checkpoint = tmp_path / "run" / "checkpoint.vecnn"
    assert result.code == 1
    assert f"{checkpoint}: No space left on device; it was not written" in result.err
    assert f"the weights after epoch 2 are saved in {checkpoint}" in result.err
    assert ".tmp" not in result.err
    assert vecnn.io.read(checkpoint).training_state["epoch"] == 2


def test_a_failed_write_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    import errno

    target = vecnn.io.atomic_write_bytes(tmp_path / "out.csv", b"old")

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    with pytest.raises(OSError) as caught:
        vecnn.io.atomic_write_bytes(target, b"new")
    assert caught.value.filename == str(target) and caught.value.errno == errno.ENOSPC
    assert "left as it was" in str(caught.value)
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.csv"]


def test_resuming_with_a_lower_learning_rate_is_allowed_and_recorded(cli, tmp_path, monkeypatch):
    """Item 25: after a divergence the advice is a lower --lr, which resume refused."""
    data, checkpoint = _interrupted_run(cli, tmp_path, monkeypatch)
    result = cli(
        "train", data, "--target", "species", "--layers", 8, "--epochs", 6, "--batch-size", 16,
        "--dropout", 0.1, "--early-stopping", 10, "--out", tmp_path / "cut",
        "--lr", "0.0001", "--resume", checkpoint,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "learning rate 0.001 before, 0.0001 from epoch 4" in result.out
    history = (tmp_path / "cut" / "history.csv").read_text().splitlines()
    column = history[0].split(",").index("lr")
    rates = [float(line.split(",")[column]) for line in history[1:]]
    assert rates == [0.001] * 3 + [0.0001] * 3
