"""The README's example runs as shown, and `make demo`'s job trains the neuron."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

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
