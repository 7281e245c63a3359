"""The README's example runs as shown, and `make demo`'s job trains the neuron."""

from __future__ import annotations

import itertools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_blocks_run(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert "backward()" in code
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    cost, accuracy = re.search(r"cost ([\d.]+), accuracy ([\d.]+)", result.stdout).groups()
    assert float(cost) < 0.3 and float(accuracy) >= 0.95


def test_demo_cost_falls_and_the_neuron_separates_the_data():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "single_neuron.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    costs = [float(c) for c in re.findall(r"cost J = ([\d.]+)", result.stdout)]
    assert len(costs) >= 3 and all(a > b for a, b in itertools.pairwise(costs))
    accuracy = float(re.search(r"accuracy at θ = 0.5: ([\d.]+)", result.stdout).group(1))
    assert accuracy >= 0.98


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n")


@pytest.mark.slow
def test_readme_command_line_block_runs(tmp_path):
    """The ```sh block of "On a CSV file" runs as written, on files shaped as it says."""
    import numpy as np

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## On a CSV file.*?```sh\n(.*?)```", text, flags=re.S).group(1)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        x1, x2 = rng.normal(size=2)
        rows.append([f"{x1:.3f}", f"{x2:.3f}", ("red", "blue")[i % 2], int(x1 + x2 > 0)])
    _csv(tmp_path / "data.csv", ["x1", "x2", "color", "label"], rows[:90])
    _csv(tmp_path / "test.csv", ["x1", "x2", "color", "label"], rows[90:])
    new = [[f"id{i}", *row[:3]] for i, row in enumerate(rows[90:])]
    _csv(tmp_path / "new.csv", ["id", "x1", "x2", "color"], new)
    for line in block.strip().splitlines():
        words = shlex.split(line, comments=True)
        assert words[0] == "vecnn"
        result = subprocess.run(
            [sys.executable, "-m", "vecnn", *words[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (line, result.stderr)
    predictions = (tmp_path / "predictions.csv").read_text().splitlines()
    assert predictions[0] == "id,prediction,proba_0,proba_1" and len(predictions) == 31
