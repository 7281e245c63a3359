"""``benchmarks/gpu.py`` (``make gpu-check``) runs end to end on small shapes without a GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu.py"


@pytest.mark.slow
def test_the_gpu_check_runs_on_the_strict_backend_and_reports(tmp_path):
    pytest.importorskip("array_api_strict")
    argv = ["--backend", "array_api_strict", "--quick", "--no-install", "--out", str(tmp_path)]
    done = subprocess.run([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "gpu.json").read_text())
    assert report["conformance"]["failures"] == []
    assert report["conformance"]["worst_relative_error"] == {"float32": 0.0, "float64": 0.0}
    assert report["wide"]["epoch_s"] > 0 and 0 < report["wide"]["fraction_of_gemm_rate"]
    assert "% of the GEMM rate" in done.stdout
