"""Nothing of the user's is overwritten: devices, FIFOs and sockets are never replaced, an
output is never one of the command's inputs, read-only files stay as they are, and an
unfinished run's checkpoint is not started over (issue 11, items 1–5)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from clihelpers import binary_rows, interrupt_after_epoch, write_csv

import vecnn
from vecnn import Network
from vecnn import io as vio
from vecnn.nn import Dense

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
POSIX = sys.platform != "win32"


def tiny() -> Network:
    net = Network([Dense(2, 3, activation="relu", seed=0), Dense(3, 1, activation="sigmoid")])
    net.classes_ = np.array([0, 1])
    return net


def hidden_files(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".")]


def null_device(path: Path) -> Path:
    """A character device like /dev/null at ``path`` (creating one needs root)."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


@pytest.fixture
def model(trained):
    return trained["binary"]


# ---------------------------------------------------- 1. targets that are not files


@pytest.mark.skipif(not ROOT, reason="creating a device node needs root")
def test_a_device_target_is_written_in_place_by_predict_and_refused_by_save(cli, model, tmp_path):
    device = null_device(tmp_path / "null")
    result = cli("predict", model.model, model.data, "-o", device)
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    with pytest.raises(OSError, match="character device, not a regular file"):
        vecnn.save(tiny(), device)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert hidden_files(tmp_path) == []


@pytest.mark.skipif(not POSIX, reason="FIFOs")
def test_a_fifo_target_is_written_in_place_by_predict_and_refused_by_save(cli, model, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli("predict", model.model, model.data, "-o", fifo)
    reader.join(timeout=30)
    assert result.code == 0, result.err
    assert received[0].decode().startswith("prediction,")
    assert len(received[0].decode().splitlines()) == 1 + len(model.rows)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(OSError, match="FIFO"):
        vecnn.save(tiny(), fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(not POSIX, reason="Unix sockets")
def test_a_socket_target_is_refused_and_kept(cli, model, tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = cli("predict", model.model, model.data, "-o", path)
        assert result.code == 1
        assert "socket, not a regular file" in result.err and str(path) in result.err
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


def test_dash_is_standard_output(cli, model):
    result = cli("predict", model.model, model.data, "-o", "-")
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("prediction,")
    assert len(result.out.splitlines()) == 1 + len(model.rows)


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_dev_stdout_writes_into_the_redirected_file_without_replacing_it(model, tmp_path):
    target = tmp_path / "redirected.csv"
    with open(target, "wb") as handle:
        before = os.fstat(handle.fileno()).st_ino
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "vecnn",
                "predict",
                model.model,
                model.data,
                "-o",
                "/dev/stdout",
            ],
            stdout=handle,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert os.stat(target).st_ino == before
    assert target.read_text().splitlines()[0].startswith("prediction,")
    assert Path("/dev/stdout").is_symlink() or stat.S_ISCHR(os.stat("/dev/stdout").st_mode)


# ---------------------------------------------------------- 2. output is an input


def test_predict_refuses_to_write_over_its_data_or_its_model(cli, model, tmp_path):
    data = tmp_path / "data.csv"
    shutil.copy(model.data, data)
    net = tmp_path / "m.vecnn"
    shutil.copy(model.model, net)
    link = tmp_path / "hard.csv"
    os.link(data, link)
    for output, original in [
        (data, data),
        (net, net),
        (link, data),
        (tmp_path / "." / "data.csv", data),
    ]:
        before = original.read_bytes()
        result = cli("predict", net, data, "-o", output)
        assert result.code == 1, output
        assert "is the same file as the input" in result.err
        assert original.read_bytes() == before
    assert hidden_files(tmp_path) == []


def test_export_and_explain_refuse_to_write_over_the_model(cli, model, tmp_path):
    net = tmp_path / "m.vecnn"
    shutil.copy(model.model, net)
    before = net.read_bytes()
    exported = cli("export", net, net)
    assert exported.code == 1 and "same file as the input" in exported.err
    explained = cli("explain", net, "--graph", net)
    assert explained.code == 1 and "same file as the input" in explained.err
    assert net.read_bytes() == before


def test_train_refuses_data_that_is_one_of_its_outputs_before_training(cli, tmp_path):
    out = tmp_path / "runs"
    out.mkdir()
    header, rows = binary_rows()
    data = write_csv(out / "history.csv", header, rows)
    before = data.read_bytes()
    result = cli("train", data, "--target", "label", "--epochs", 1, "--quiet", "--out", out)
    assert result.code == 1
    assert "history.csv" in result.err and "same file as the input" in result.err
    assert data.read_bytes() == before
    assert sorted(os.listdir(out)) == ["history.csv"]  # refused before any work


# ------------------------------------------------ 3. the checkpoint of an unfinished run


def _train(cli, data, out, *extra):
    return cli("train", data, "--target", "label", "--layers", "4", "--quiet", "--out", out, *extra)


def test_a_fresh_run_over_an_unfinished_checkpoint_is_refused(cli, tmp_path, monkeypatch):
    from vecnn.cli import resume as resume_module

    header, rows = binary_rows()
    data = write_csv(tmp_path / "d.csv", header, rows)
    out = tmp_path / "run"
    original = interrupt_after_epoch(monkeypatch, 1)
    assert _train(cli, data, out, "--epochs", 5).code == 130
    monkeypatch.setattr(resume_module.EpochCheckpoint, "on_epoch_end", original)
    checkpoint = out / "checkpoint.vecnn"
    kept = checkpoint.read_bytes()

    again = _train(cli, data, out, "--epochs", 5)
    assert again.code == 1
    assert "unfinished run (2 epochs done)" in again.err
    assert f"--resume {checkpoint}" in again.err and "--overwrite" in again.err
    assert checkpoint.read_bytes() == kept

    fresh = _train(cli, data, out, "--epochs", 3, "--overwrite")
    assert fresh.code == 0, fresh.err
    assert vio.read(checkpoint).training_state["finished"] is True
    assert _train(cli, data, out, "--epochs", 3).code == 0  # a finished run: re-run freely


# ------------------------------------------------------- 4. explain --graph is atomic


def test_explain_graph_goes_through_the_atomic_writer(cli, model, tmp_path, monkeypatch):
    real = tmp_path / "real.dot"
    real.write_text("keep me")
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    result = cli("explain", model.model, "--graph", link)
    assert result.code == 1 and "symbolic link" in result.err
    assert real.read_text() == "keep me"

    replaced: list[tuple[str, str]] = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda a, b: (replaced.append((str(a), str(b))), real_replace(a, b))
    )
    drawn = cli("explain", model.model, "--graph", tmp_path / "step.dot")
    assert drawn.code == 0, drawn.err
    assert replaced and replaced[-1][1] == str(tmp_path / "step.dot")
    assert (tmp_path / "step.dot").read_text().startswith("digraph")


# ------------------------------------------------------------- 5. read-only targets


def test_save_refuses_a_read_only_file_even_as_root(tmp_path):
    path = vecnn.save(tiny(), tmp_path / "m.vecnn")
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError, match=r"read-only \(mode 0444\)") as caught:
        vecnn.save(tiny(), path)
    assert caught.value.filename == str(path)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert hidden_files(tmp_path) == []


def test_every_cli_output_refuses_a_read_only_file(cli, model, tmp_path):
    targets = {name: tmp_path / name for name in ("p.csv", "g.dot", "m.onnx")}
    for path in targets.values():
        path.write_text("mine")
        path.chmod(0o444)
    results = [
        cli("predict", model.model, model.data, "-o", targets["p.csv"]),
        cli("explain", model.model, "--graph", targets["g.dot"]),
        cli("export", model.model, targets["m.onnx"]),
    ]
    for result in results:
        assert result.code == 1 and "read-only (mode 0444)" in result.err
    assert all(path.read_text() == "mine" for path in targets.values())


def test_train_refuses_a_read_only_output_before_training(cli, tmp_path):
    header, rows = binary_rows()
    data = write_csv(tmp_path / "d.csv", header, rows)
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    (out / "metrics.json").chmod(0o444)
    result = _train(cli, data, out, "--epochs", 2)
    assert result.code == 1 and "metrics.json" in result.err and "read-only" in result.err
    assert sorted(os.listdir(out)) == ["metrics.json"]
