"""Under ``mpiexec``: N ranks give the one-process weights; the command line writes once,
resumes after a killed rank, and refuses ranks that disagree (each launch has a timeout)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import largest_difference, train, weights
from launch import BIN, mpiexec, python

import vecnn
from vecnn.datasets import digits_path
from vecnn.distributed import run_in_process

pytestmark = pytest.mark.slow
SCRIPT = str(Path(__file__).with_name("mpi_train.py"))


@pytest.mark.parametrize("ranks", [2, 3])
def test_mpiexec_ranks_reach_the_one_process_weights(tmp_path, ranks):
    run = mpiexec(ranks, *python(SCRIPT, str(tmp_path), "weights"), timeout=240)
    assert run.returncode == 0, run.stderr
    found = np.load(tmp_path / "weights.npz")
    for dtype, tolerance in (("float64", 1e-10), ("float32", 1e-5)):
        alone = weights(train(None, dtype))
        got = [found[f"{dtype}.{i}"] for i in range(len(alone))]
        assert largest_difference(got, alone) < tolerance
        if ranks == 2:  # the stand-in sums as MPI does: bit for bit
            simulated = weights(run_in_process(2, lambda d, dtype=dtype: train(d, dtype))[0])
            assert largest_difference(got, simulated) == 0


def test_ranks_that_disagree_are_refused_on_every_rank_without_deadlock(tmp_path):
    run = mpiexec(2, *python(SCRIPT, str(tmp_path), "mismatch"), timeout=60)
    assert run.returncode == 0, run.stderr
    messages = [(tmp_path / f"rank{r}.txt").read_text() for r in (0, 1)]
    assert messages[0] == messages[1]
    assert "lr=0.02" in messages[0] and "rank 1" in messages[0]


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "digits.csv"
    with digits_path() as packed, gzip.open(packed) as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def _train_command(data: Path, out: Path, *more: str) -> tuple[str, ...]:
    return (
        str(BIN / "vecnn"),
        "train",
        str(data),
        "--target",
        "digit",
        "--distributed",
        "mpi",
        "--layers",
        "32",
        "--dropout",
        "0.2",
        "--epochs",
        "5",
        "--batch-size",
        "16",
        "--out",
        str(out),
        *more,
    )


def _model_weights(folder: Path) -> list[np.ndarray]:
    return [p.data for p in vecnn.io.load(folder / "model.vecnn").parameters()]


def test_the_command_line_writes_once_and_resumes_after_a_killed_rank(tmp_path, digits_csv):
    whole = tmp_path / "whole"
    run = mpiexec(2, *_train_command(digits_csv, whole), timeout=240)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("vecnn: multiclass on") == 1  # rank 0 alone prints
    assert run.stdout.count("epoch 5/5") == 1
    assert {"model.vecnn", "metrics.json", "history.csv", "report.html"} <= {
        p.name for p in whole.iterdir()
    }

    # Kill rank 1 once epoch 2's checkpoint is written (during epoch 3): the job ends.
    broken = tmp_path / "broken"
    job = subprocess.Popen(
        [str(BIN / "mpiexec"), "-n", "2", *_train_command(digits_csv, broken)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        checkpoint = broken / "checkpoint.vecnn"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and _epochs_done(checkpoint) < 2:
            time.sleep(0.05)
        assert _epochs_done(checkpoint) >= 2
        ranks = _children_running(job.pid, "vecnn")
        assert len(ranks) == 2, ranks
        os.kill(max(ranks), signal.SIGKILL)
        assert job.wait(timeout=60) != 0
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
    done = _epochs_done(checkpoint)
    assert 2 <= done < 5, done
    assert not (broken / "model.vecnn").exists()

    resumed = mpiexec(
        2, *_train_command(digits_csv, broken, "--resume", str(checkpoint)), timeout=240
    )
    assert resumed.returncode == 0, resumed.stderr
    assert largest_difference(_model_weights(broken), _model_weights(whole)) == 0


def _epochs_done(checkpoint: Path) -> int:
    try:
        return int(vecnn.io.load_checkpoint(checkpoint).training_state["epoch"])
    except (OSError, ValueError, KeyError, TypeError, vecnn.ModelFormatError):
        return 0


def _children_running(pid: int, name: str) -> list[int]:
    """The processes below ``pid`` whose command line mentions ``name``."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as handle:
                children = [int(c) for c in handle.read().split()]
        except OSError:
            continue
        for child in children:
            frontier.append(child)
            try:
                with open(f"/proc/{child}/cmdline", "rb") as handle:
                    command = handle.read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if name in command and "mpiexec" not in command and "hydra" not in command:
                found.append(child)
    return found


def test_threads_are_shared_among_the_ranks(tmp_path):
    code = (
        "import sys; from vecnn.distributed import MPI; d = MPI();"
        "open(f'{sys.argv[1]}/rank{d.rank}', 'w').write(f'{d.threads} {d.ranks_here}')"
    )
    run = mpiexec(2, sys.executable, "-c", code, str(tmp_path), timeout=60)
    assert run.returncode == 0, run.stderr
    cores = len(os.sched_getaffinity(0))
    for rank in (0, 1):
        assert (tmp_path / f"rank{rank}").read_text() == f"{max(1, cores // 2)} 2"


def test_the_distributed_benchmark_runs(tmp_path):
    bench = Path(__file__).parents[2] / "benchmarks" / "distributed.py"
    out = tmp_path / "distributed.json"
    done = subprocess.run(
        [sys.executable, str(bench), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [(r["ranks"], r["threads"], r["mpi"]) for r in rows] == [
        (1, 1, False),
        (1, 2, False),
        (2, 1, True),
    ]
    assert rows[2]["allreduce_s_per_step"] > 0 and "ratio_to_one_process" in rows[2]
