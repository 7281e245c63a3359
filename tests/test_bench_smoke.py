"""The benchmark harness runs end to end at ``--quick`` sizes and writes the expected report.

``benchmarks/run.py`` is run in a subprocess, as ``make bench`` runs it. The parts that
need only NumPy (and scikit-learn, a dev dependency) always run; the PyTorch part is
skipped where torch is not installed (``make test`` installs only ``.[dev]``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"

REPORT_KEYS = {
    "schema",
    "started",
    "command",
    "args",
    "threads",
    "machine",
    "git",
    "load_start",
    "load_end",
    "cases",
    "frameworks",
    "skipped",
    "warnings",
    "gemm",
    "results",
}
ROW_KEYS = {
    "framework",
    "case",
    "workload",
    "kind",
    "unit",
    "times_s",
    "median_s",
    "min_s",
    "max_s",
    "items_per_s",
    "ratios",
    "gemm_floor_s",
    "percent_of_gemm_rate",
    "peak_rss_mb",
    "peak_rss_timed_mb",
    "final_loss",
    "final_accuracy",
    "data_digest",
    "threads",
    "versions",
}


def run_bench(out: Path, *options: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--out", str(out), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "framework" in done.stdout  # the table was printed
    latest = out / "latest.json"
    assert latest.is_file()
    assert (out / "latest.md").read_text(encoding="utf-8").startswith("# vecnn benchmark")
    assert len(list(out.glob("bench-*-quick.json"))) == 1
    assert len(list(out.glob("bench-*-quick.md"))) == 1
    report = json.loads(latest.read_text(encoding="utf-8"))
    assert REPORT_KEYS <= set(report), REPORT_KEYS - set(report)
    assert not report["warnings"], report["warnings"]
    for row in report["results"]:
        assert "error" not in row, row
        assert ROW_KEYS <= set(row), ROW_KEYS - set(row)
        assert row["min_s"] <= row["median_s"] <= row["max_s"]
        assert row["median_s"] > 0
        assert row["final_loss"] == row["final_loss"]  # not NaN
        assert 0.0 <= row["final_accuracy"] <= 1.0
        assert set(row["ratios"]) == {"torch", "sklearn", "jax", "gemm_floor"}
    return report


def rows_by(report: dict) -> dict[tuple[str, str], dict]:
    return {(row["case"], row["framework"]): row for row in report["results"]}


@pytest.mark.slow
def test_quick_vecnn_training_workloads(tmp_path):
    report = run_bench(tmp_path, "--only", "vecnn", "--workloads", "1,2")
    rows = rows_by(report)
    assert set(rows) == {("mnist-b128", "vecnn"), ("mnist-b512", "vecnn"), ("tiny", "vecnn")}
    assert report["args"]["frameworks"] == ["vecnn"]
    assert set(report["gemm"]["floors"]) == {"mnist-b128", "mnist-b512", "tiny"}
    for row in rows.values():
        assert row["gemm_floor_s"] > 0
        assert row["ratios"]["gemm_floor"] > 0
        assert row["ratios"]["torch"] is None  # torch was not asked for
    assert rows[("tiny", "vecnn")]["unit"] == "µs/step"
    assert rows[("mnist-b128", "vecnn")]["unit"] == "s/epoch"
    versions = report["frameworks"]["vecnn"]
    assert {"vecnn", "numpy", "numpy_blas"} <= set(versions)


@pytest.mark.slow
def test_quick_numpy_only_parts(tmp_path):
    """vecnn and scikit-learn on the inference and digits cases, with the floor."""
    report = run_bench(tmp_path, "--only", "vecnn,sklearn", "--workloads", "4,5")
    rows = rows_by(report)
    cases = {"inference", "digits"}
    assert set(rows) == {(case, fw) for case in cases for fw in ("vecnn", "sklearn")}
    for case in cases:  # both frameworks saw the same bytes
        assert rows[(case, "vecnn")]["data_digest"] == rows[(case, "sklearn")]["data_digest"]
        assert rows[(case, "vecnn")]["ratios"]["sklearn"] == pytest.approx(
            rows[(case, "vecnn")]["median_s"] / rows[(case, "sklearn")]["median_s"]
        )
    digits = rows[("digits", "vecnn")]
    assert len(digits["epochs"]) == len(digits["reached"]) == len(digits["times_s"])
    assert report["gemm"]["square"]["gflops"] > 0


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_quick_torch(tmp_path):
    """The fused-Adam variant alone (one torch import keeps the test short)."""
    report = run_bench(tmp_path, "--only", "torch-fused", "--workloads", "2", "--no-gemm")
    rows = rows_by(report)
    assert set(rows) == {("tiny", "torch-fused")}
    assert report["gemm"] is None
    assert rows[("tiny", "torch-fused")]["ratios"]["gemm_floor"] is None
    assert rows[("tiny", "torch-fused")]["versions"]["adam"] in ("fused", "foreach")


@pytest.mark.parametrize("options", [["--only", "keras"], ["--workloads", "9"], ["--threads", "0"]])
def test_bad_options_are_refused(tmp_path, options):
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--out", str(tmp_path), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "error" in done.stderr
    assert not list(tmp_path.iterdir())
