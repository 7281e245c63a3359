"""``vecnn train`` on data shaped like real files: rare classes, integer targets, …"""

from __future__ import annotations

import numpy as np
from clihelpers import write_csv


def _linnerud(path):
    """20 rows: three exercise counts and three body measures, integers written as floats."""
    rng = np.random.default_rng(0)
    chins = rng.integers(1, 18, size=20)
    weight = 150 + 3 * chins + rng.integers(0, 60, size=20)
    rows = [
        [
            c,
            rng.integers(50, 250),
            rng.integers(25, 250),
            w,
            rng.integers(31, 47),
            rng.integers(46, 74),
        ]
        for c, w in zip(chins, weight, strict=True)
    ]
    rows = [[f"{value}.0" for value in row] for row in rows]
    return write_csv(path, ["Chins", "Situps", "Jumps", "Weight", "Waist", "Pulse"], rows)


def test_an_integer_measure_is_regression_and_the_decision_is_printed(cli, tmp_path):
    data = _linnerud(tmp_path / "linnerud.csv")
    out = tmp_path / "run"
    result = cli("train", data, "--target", "Weight", "--epochs", 2, "--out", out)
    assert result.code == 0, result.err
    distinct = len({row.split(",")[3] for row in data.read_text().splitlines()[1:]})
    assert (
        f"task: regression ({distinct} distinct integers in 20 rows: too many to be classes; "
        "use --task multiclass to treat the values as classes)"
    ) in result.out
    assert "r2" in result.out
    # Several numeric targets: refused as multi-label, with the way out.
    result = cli("train", data, "--target", "Weight,Waist,Pulse", "--out", out, "-q")
    assert result.code == 1
    assert "a multi-label target must be 0 or 1" in result.err
    assert "use --task regression for numeric targets" in result.err
    argv = ["--task", "regression", "--epochs", 2]
    result = cli("train", data, "--target", "Weight,Waist,Pulse", *argv, "--out", out)
    assert result.code == 0, result.err
    assert "task: regression (--task regression was given;" in result.out


def test_a_penguin_like_file_with_a_one_row_species_trains_on_every_seed(cli, tmp_path):
    rng = np.random.default_rng(1)
    species = ["Adelie"] * 30 + ["Gentoo"] * 25 + ["Chinstrap"] * 14 + ["Emperor"]
    rows = [
        [
            f"{40 + 5 * k + rng.normal():.1f}",
            f"{17 + rng.normal():.1f}",
            ("male", "female")[i % 2],
            s,
        ]
        for i, (k, s) in enumerate(
            (["Adelie", "Gentoo", "Chinstrap", "Emperor"].index(s), s) for s in species
        )
    ]
    data = write_csv(tmp_path / "penguins.csv", ["bill", "depth", "sex", "species"], rows)
    for seed in range(3):
        argv = ["--epochs", 1, "--seed", seed, "--out", tmp_path / "run", "-q"]
        result = cli("train", data, "--target", "species", *argv)
        assert result.code == 0, result.err
        assert "class 'Emperor' has only 1 row: it stays in the training rows" in result.err
