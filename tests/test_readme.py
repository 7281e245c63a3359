"""Every code block of the README runs in the tests, and the figures it quotes are printed.

- ```python blocks, and the ```text blocks after them: ``tests/test_docs.py`` runs them in
  order and compares what they print;
- the ```sh block of ``make`` targets: each target exists and does what the README says
  (``make -n``, which prints the recipe without running it); ``make demo``'s figures are
  checked on the demo's own run in ``tests/cli/test_cli.py``;
- the ```sh block of ``vecnn`` commands: each runs as written (slow).
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group("lang").strip(), m.group("body")) for m in FENCE.finditer(README)]


def test_every_readme_block_is_one_the_tests_run():
    """A block of another kind, or a text block that no python block prints, would go
    unchecked: the README's blocks are python, the text they print, and two sh blocks."""
    blocks = _blocks()
    for (previous, _), (lang, body) in itertools.pairwise([("", ""), *blocks]):
        assert lang in ("python", "text", "sh"), f"a ```{lang} block: {body[:60]!r}"
        if lang == "text":
            assert previous == "python", f"a text block that follows a {previous} block"
    shells = [body for lang, body in blocks if lang == "sh"]
    assert len(shells) == 2
    assert all(line.startswith("make ") for line in shells[0].strip().splitlines())
    assert all(line.startswith("vecnn ") for line in shells[1].strip().splitlines())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_make_targets_it_names_do_what_it_says():
    """``make demo`` and ``make test`` create .venv when needed (the recipe of a fresh
    clone, ``make -n -B``), then run ``vecnn demo`` and the tests; ``make lint`` runs ruff,
    ``make bench`` the benchmarks."""
    assert set(re.findall(r"\bmake (\w+)", README)) == {"demo", "test", "lint", "bench"}
    expected = {
        "demo": [r"-m venv \.venv", r"pip install .*-e '\.\[dev\]'", r"\.venv/bin/vecnn demo"],
        "test": [r"-m venv \.venv", r"pip install .*-e '\.\[dev\]'", r"-m pytest"],
        "lint": [r"ruff check", r"ruff format --check"],
        "bench": [r"benchmarks/run\.py"],
    }
    for target, patterns in expected.items():
        recipe = subprocess.run(
            ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert recipe.returncode == 0, recipe.stderr
        for pattern in patterns:
            assert re.search(pattern, recipe.stdout), (target, pattern, recipe.stdout)
    assert "`python3` (3.10 or newer)" in README
    assert 'requires-python = ">=3.10"' in (ROOT / "pyproject.toml").read_text()


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

    block = re.search(r"## On a CSV file.*?```sh\n(.*?)```", README, flags=re.S).group(1)
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
