"""``vecnn tune``: the search space's checks (fast, no Ray), then sweeps on a local Ray.

The sweeps run ``vecnn tune`` as a child process in its own session, so that the test can
send it Ctrl-C as a terminal does (to the process group) and check afterwards, by session
id, that no process of it (Ray's included) is left behind.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vecnn.cli.common import parse_target
from vecnn.cli.sweep import run as sweep_run
from vecnn.cli.sweep.cluster import SOCKET_ROOM
from vecnn.cli.sweep.results import TrialRecord, metric_mode, rows
from vecnn.cli.sweep.space import DEFAULT_SPACE, parse_param, parse_space, settings_count
from vecnn.cli.sweep.trial import FAILED
from vecnn.cli.train import Settings
from vecnn.datasets import digits_path

# ---------------------------------------------------------------- the space, without Ray


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("momentum=0.1:0.9", "unknown setting 'momentum'"),
        ("lr=0.1:0.01", "has a > b"),
        ("lr=0:0.1:log", "a log range needs a > 0"),
        ("lr=-1e-3:1e-1:log", "a log range needs a > 0"),
        ("dropout=0:1", "dropout must be in [0, 1)"),
        ("batch-size=8.5:64", "is not a whole number"),
        ("activation=relu|swish", "unknown activation 'swish'"),
        ("layers=64:128", "layers takes a choice"),
        ("layers=64|0,32", "sizes must be positive"),
        ("layers=0", "--param layers=0: layers sizes must be positive"),
        ("layers=64||32", "an empty choice between '|'; write 'none' for no hidden layer"),
        ("activation=relu|", "an empty choice between '|'"),
        ("lr", "NAME=SPEC"),
        ("lr=1e-4:1e-1:ln", "a:b:log"),
        ("lr=abc", "'abc' is not a number"),
    ],
)
def test_a_bad_param_is_a_usage_error_before_ray_starts(cli, tmp_path, param, message):
    out = tmp_path / "sweep"
    result = cli("tune", "no-such.csv", "--target", "y", "--param", param, "--out", out)
    assert result.code == 2
    assert message in result.err
    assert "usage: vecnn tune" in result.err
    assert not out.exists()  # nothing started, nothing written


def test_a_param_given_twice_is_a_usage_error(cli, tmp_path):
    result = cli("tune", "d.csv", "--target", "y", "--param", "lr=1e-3", "--param", "lr=1e-2")
    assert result.code == 2 and "given twice" in result.err


def test_ray_missing_is_one_line_naming_the_extra(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_run, "ray_available", lambda: False)
    monkeypatch.setattr(sweep_run, "prepare_environment", lambda local: None)
    result = cli("tune", "d.csv", "--target", "y", "--out", tmp_path / "s")
    assert result.code == 1
    assert result.err.strip().count("\n") == 0
    assert "pip install 'vecnn[tune]'" in result.err


def test_layers_none_is_no_hidden_layer():
    assert parse_param("layers=none|64").values == ("", "64")


def test_the_reproducing_command_quotes_a_target_with_a_comma(tmp_path):
    settings = Settings(data=tmp_path / "d.csv", target=["price, USD", "y"], layers=[8])
    command = sweep_run.train_command(settings, {"layers": "8"})
    words = shlex.split(command)
    target = words[words.index("--target") + 1]
    assert parse_target(target) == ["price, USD", "y"]
    assert "--layers" in words and words[words.index("--layers") + 1] == "8"


def test_specs_become_dimensions():
    lr = parse_param("lr=1e-4:1e-1:log")
    assert (lr.kind, lr.low, lr.high) == ("log", 1e-4, 1e-1)
    layers = parse_param("layers=64|64,32| 128,64")
    assert layers.values == ("64", "64,32", "128,64")
    batch = parse_param("batch-size=16:128:log")
    assert batch.integer and batch.key == "batch_size"
    assert parse_param("dropout=0.1").values == (0.1,)  # one value: fixed
    assert [d.name for d in parse_space(None)] == [p.split("=")[0] for p in DEFAULT_SPACE]
    assert settings_count(parse_space(["layers=32|64", "optimizer=adam|sgd"])) == 4
    assert settings_count(parse_space(["layers=32|64", "lr=1e-3:1e-2"])) is None


def test_a_trial_that_diverged_is_failed_with_its_reason_and_ranked_last():
    good = TrialRecord("a", {"lr": 0.01})
    good.reports = [{"epoch": e, "val_loss": v} for e, v in [(1, 0.5), (2, 0.3), (3, 0.4)]]
    good.ended = "done"
    diverged = TrialRecord("b", {"lr": 10.0})
    diverged.reports = [
        {"epoch": 1, "val_loss": 0.2},
        {"epoch": 2, "val_loss": math.inf, FAILED: "training diverged at epoch 2"},
    ]
    diverged.ended = "done"
    stopped = TrialRecord("c", {"lr": 1e-6})
    stopped.reports = [{"epoch": 1, "val_loss": 2.3}]
    stopped.ended = "done"
    header, table = rows([diverged, stopped, good], ["lr"], "val_loss", "min", epochs=3)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table}
    assert by_id["a"]["state"] == "finished" and by_id["a"]["best_epoch"] == 2
    assert by_id["a"]["best_val_loss"] == 0.3
    assert by_id["c"]["state"] == "stopped early" and by_id["c"]["epochs"] == 1
    assert by_id["b"]["state"] == "failed"
    assert by_id["b"]["reason"] == "training diverged at epoch 2"
    assert [row[0] for row in table] == ["b", "a", "c"]  # by the best value reached
    assert metric_mode("val_accuracy") == "max" and metric_mode("val_loss") == "min"


# ---------------------------------------------------------------- sweeps on a local Ray

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="needs the tune extra: pip install 'vecnn[tune]'",
)
VECNN = [sys.executable, "-m", "vecnn"]


@pytest.fixture(scope="module")
def digits() -> Path:
    with digits_path() as path:
        yield Path(path)


def _start(args: list[object], cwd: Path) -> subprocess.Popen:
    home = cwd / "home"  # to see that nothing is written into the home folder
    home.mkdir(exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "HOME": str(home)}
    return subprocess.Popen(
        [*VECNN, "tune", *(str(a) for a in args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own session: Ctrl-C to its group; leftovers by sid
    )


def _session_members(sid: int) -> list[str]:
    """Live processes (not zombies) of session ``sid``, as "pid command"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(f"{entry.name} {command[:100]}")
    return found


def _finish(process: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"vecnn tune took more than {timeout} s\n{out}\n{err}")
    deadline = time.monotonic() + 15
    while _session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _session_members(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"
    return process.returncode, out, err


def _results(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _wait_for_epoch(out: Path, epoch: int, process: subprocess.Popen, timeout: float) -> None:
    """Until a trial has a checkpoint of ``epoch`` or later (Tune keeps only the best and
    the latest checkpoint: ``checkpoint_000002`` may be gone by the time one looks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [int(p.name.split("_")[1]) + 1 for p in out.glob("trials/*/*/checkpoint_*")]
        if done and max(done) >= epoch:
            return
        if process.poll() is not None:
            pytest.fail(f"vecnn tune ended first:\n{process.communicate()}")
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail(f"no checkpoint of epoch {epoch} under {out} after {timeout} s")


@pytest.mark.slow
@needs_ray
def test_a_sweep_on_the_digits_writes_results_best_model_and_report(cli, digits, tmp_path):
    out = tmp_path / "sweep"
    started = time.monotonic()
    process = _start(
        [
            digits, "--target", "digit", "--trials", "5", "--epochs", "5", "--out", out,
            "--param", "lr=1e-7|3e-3|1e-2", "--param", "layers=32|64",
        ],
        tmp_path,
    )  # fmt: skip
    code, stdout, stderr = _finish(process, timeout=240)
    seconds = time.monotonic() - started
    assert code == 0, stderr
    print(f"5 trials × 5 epochs: {seconds:.1f} s")
    table = _results(out)
    assert len(table) == 5
    for row in table:
        assert row["state"] in ("finished", "stopped early")
        assert row["lr"] and row["layers"] and row["best_val_loss"] and row["best_epoch"]
        assert 1 <= int(row["epochs"]) <= 5 and float(row["seconds"]) > 0
    losses = [float(row["best_val_loss"]) for row in table]
    assert losses == sorted(losses)
    # ASHA stops a trial that falls behind (the space holds a hopeless lr: 1e-7).
    assert any(row["state"] == "stopped early" for row in table)
    for name in ("model.vecnn", "metrics.json", "history.csv", "report.html"):
        assert (out / "best" / name).is_file()
    result = cli("evaluate", out / "best" / "model.vecnn", digits, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["accuracy"] >= 0.9
    page = (out / "report.html").read_text(encoding="utf-8")
    assert table[0]["trial"] in page and "curves.png" in page and "settings.png" in page
    assert "vecnn train" in page
    assert not (tmp_path / "home" / ".ray").exists()  # nothing of Ray in the home folder
    # Ray's files under --out, not the home folder; pytest's folders are too long for
    # Ray's Unix sockets, so there a short folder in /tmp stands in, and is removed.
    if len(str((out / "ray").resolve())) <= SOCKET_ROOM:
        assert (out / "ray").is_dir()
    else:
        assert "too long" in stdout
        stand_in = stdout.split("Ray's temporary files are in ")[1].split()[0]
        assert stand_in.startswith("/tmp/") and not Path(stand_in).exists()


@pytest.mark.slow
@needs_ray
def test_a_killed_trial_worker_is_retried_from_its_checkpoint(digits, tmp_path):
    out = tmp_path / "sweep"
    process = _start(
        [
            digits, "--target", "digit", "--trials", "1", "--epochs", "40", "--out", out,
            "--scheduler", "fifo", "--param", "layers=256,256", "--param", "lr=1e-3",
        ],
        tmp_path,
    )  # fmt: skip
    _wait_for_epoch(out, 3, process, timeout=180)
    workers = [
        int(line.split()[0])
        for line in _session_members(process.pid)
        if "ImplicitFunc" in line or "run_trial" in line
    ]
    assert workers, _session_members(process.pid)
    for pid in workers:  # --cpus-per-trial 1: one BLAS thread in each trial
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert b"OMP_NUM_THREADS=1" in environ and b"OPENBLAS_NUM_THREADS=1" in environ
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    code, stdout, stderr = _finish(process, timeout=240)
    assert code == 0, stderr
    (row,) = _results(out)
    assert row["state"] == "finished" and row["epochs"] == "40"
    assert int(row["resumed_from_epoch"]) >= 2  # went on from a checkpoint, not from 0
    assert "retrying from its checkpoint" in stdout


@pytest.mark.slow
@needs_ray
def test_ctrl_c_stops_the_sweep_and_still_writes_results(digits, tmp_path):
    out = tmp_path / "sweep"
    process = _start(
        [
            digits, "--target", "digit", "--trials", "3", "--epochs", "400", "--out", out,
            "--scheduler", "fifo", "--concurrent", "1", "--param", "lr=1e-3|2e-3",
        ],
        tmp_path,
    )  # fmt: skip
    _wait_for_epoch(out, 2, process, timeout=180)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    code, _stdout, stderr = _finish(process, timeout=120)
    assert code == 130, stderr
    assert "interrupted" in stderr
    table = _results(out)
    assert len(table) >= 1
    assert any(row["state"] == "interrupted" for row in table)


def test_a_trial_that_diverges_reports_failed_with_its_reason(tmp_path, monkeypatch):
    """run_trial as a Ray worker runs it, with ``ray.tune`` replaced by a recorder."""
    import numpy as np

    from vecnn.cli.sweep import trial as trial_module
    from vecnn.integrations import ray as vecnn_ray

    class Tune:
        def __init__(self):
            self.reports = []

        class Checkpoint:
            @staticmethod
            def from_directory(path):
                return path

        def report(self, metrics, checkpoint=None):
            self.reports.append(metrics)

        def get_checkpoint(self):
            return None

    tune = Tune()
    monkeypatch.setattr(vecnn_ray, "import_tune", lambda: tune)
    monkeypatch.setattr(trial_module, "import_tune", lambda: tune)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 64)) * 100
    y = (X[0] > 0).astype(int)
    data = trial_module.TrialData(X, y, (X, y), [0, 1], 1, "sigmoid", {})
    base = Settings(data=tmp_path / "d.csv", target=["y"], layers=[8], epochs=5)
    config = {"lr": 1e6, "optimizer": "sgd", "layers": "8"}
    trial_module.run_trial(config, base=base, data=data, metric="val_loss", mode="min")
    last = tune.reports[-1]
    assert last[FAILED].startswith("diverged: the cost became nan at epoch")
    assert last["val_loss"] == math.inf
