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


def test_predict_keeps_an_id_and_ignores_columns_the_model_never_saw(cli, tmp_path):
    rng = np.random.default_rng(3)
    rows = [[f"{x:.3f}", f"{y:.3f}", int(x + y > 0)] for x, y in rng.normal(size=(60, 2))]
    data = write_csv(tmp_path / "train.csv", ["x", "y", "label"], rows)
    out = tmp_path / "run"
    assert cli("train", data, "--target", "label", "--epochs", 3, "--out", out, "-q").code == 0
    new = write_csv(
        tmp_path / "new.csv",
        ["customer_id", "y", "x", "label", "notes"],
        [[f"C{i:03d}", row[1], row[0], row[2], "seen"] for i, row in enumerate(rows[:5])],
    )
    result = cli("predict", out / "model.vecnn", new, "--keep", "customer_id")
    assert result.code == 0, result.err
    assert "columns the model does not use are ignored: notes\n" in result.err
    lines = result.out.splitlines()
    assert lines[0] == "customer_id,prediction,proba_0,proba_1"
    assert [line.split(",")[0] for line in lines[1:]] == [f"C{i:03d}" for i in range(5)]
    for line in lines[1:]:
        for value in line.split(",")[2:]:  # 6 significant digits
            assert len(value.replace(".", "").lstrip("0").split("e")[0]) <= 6
    result = cli("predict", out / "model.vecnn", new, "--keep", "id")
    assert result.code == 1 and "--keep names columns not in the file: id" in result.err


def _diabetes_like(path, m=120):
    """Ten standardized measures and a noisy disease progression (integers, 25 to 346)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(m, 10))
    y = np.clip(np.round(152 + X @ rng.normal(size=10) * 20 + rng.normal(size=m) * 50), 25, 346)
    rows = [[*(f"{v:.5f}" for v in x), int(t)] for x, t in zip(X, y, strict=True)]
    return write_csv(path, [*(f"s{i}" for i in range(10)), "progression"], rows)


def test_early_stopping_is_on_by_default_and_keeps_the_best_epoch(cli, tmp_path):
    data = _diabetes_like(tmp_path / "diabetes.csv")
    out = tmp_path / "run"
    argv = ["--layers", "64,32", "--lr", "0.01", "--epochs", 200, "--out", out]
    result = cli("train", data, "--target", "progression", *argv)
    assert result.code == 0, result.err
    history = (out / "history.csv").read_text().splitlines()
    header, rows = history[0].split(","), [line.split(",") for line in history[1:]]
    val_loss = [float(row[header.index("val_loss")]) for row in rows]
    best = int(np.argmin(val_loss))
    assert len(rows) == best + 1 + 10 < 200  # patience 10 after the best epoch
    assert f"stopped after epoch {len(rows)} of 200" in result.out
    line = f"best epoch {best + 1} (val_loss {val_loss[best]:.4g}): its weights are kept"
    assert line in result.out
    assert line in (out / "report.html").read_text()
    off = cli("train", data, "--target", "progression", *argv, "--early-stopping", 0, "-q")
    assert off.code == 0
    assert len((out / "history.csv").read_text().splitlines()) == 201
    refused = cli("train", data, "--target", "progression", "--val-split", 0, "--early-stopping", 5)
    assert refused.code == 2 and "--early-stopping needs validation rows" in refused.err


def _penguins(path):
    """Penguins' shape: text columns, a few missing numbers, 11 missing 'sex'."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(60):
        k = i % 3
        bill = f"{38 + 5 * k + rng.normal():.1f}" if i not in (3, 40) else "NA"
        mass = f"{3700 + 600 * k + rng.normal() * 200:.0f}" if i != 3 else "NA"
        sex = ("male", "female")[i % 2] if i % 6 != 5 else ""
        rows.append(
            [("Adelie", "Gentoo", "Chinstrap")[k], ("Biscoe", "Dream")[i % 2], bill, mass, sex]
        )
    return write_csv(path, ["species", "island", "bill_length_mm", "body_mass_g", "sex"], rows)


def test_missing_values_are_listed_per_column_and_imputed_with_a_note(cli, tmp_path):
    data = _penguins(tmp_path / "penguins.csv")
    out = tmp_path / "run"
    result = cli("train", data, "--target", "species", "--epochs", 2, "--out", out, "-q")
    assert result.code == 1
    assert (
        f"{data}:5: missing values in 3 columns of 60 rows: 'bill_length_mm' (2), "
        "'body_mass_g' (1), 'sex' (10); the first is 'NA' in column 'bill_length_mm'; fill them "
        "with --impute mean|median|most_frequent"
    ) in result.err
    result = cli(
        "train", data, "--target", "species", "--epochs", 2, "--impute", "median", "--out", out
    )
    assert result.code == 0, result.err
    bills = [
        float(line.split(",")[2])
        for line in data.read_text().splitlines()[1:]
        if "NA" not in line.split(",")[2]
    ]
    median = f"{np.median(bills):.6g}"
    assert f"'bill_length_mm': 2 missing values filled with the median {median}" in result.out
    assert (
        "--impute median: 'sex': 10 missing values filled with the most frequent value"
        in result.out
    )


def test_rows_without_a_target_are_dropped_with_their_lines(cli, tmp_path):
    data = _penguins(tmp_path / "penguins.csv")
    out = tmp_path / "run"
    argv = ["--impute", "mean", "--epochs", 2, "--out", out]
    result = cli("train", data, "--target", "sex", *argv)
    assert result.code == 0, result.err
    lines = ", ".join(str(i + 2) for i in range(60) if i % 6 == 5)
    note = f"10 rows dropped: the target is missing (lines {lines}); a target cannot be imputed"
    assert note in result.out
    assert note in (out / "report.html").read_text()
    assert "binary on 40 rows" in result.out  # 50 rows left, 10 of them held out


def test_identifier_and_date_columns(cli, tmp_path):
    rng = np.random.default_rng(6)
    days = np.datetime64("2012-01-01") + np.arange(80)
    rows = [
        [
            i + 1,
            f"car {i:03d}",
            str(day),
            f"{rng.normal():.3f}",
            ("USA", "Japan")[i % 2],
            f"{20 + 3 * (i % 2) + rng.normal():.2f}",
        ]
        for i, day in enumerate(days)
    ]
    header = ["id", "name", "date", "weight", "origin", "mpg"]
    data = write_csv(tmp_path / "cars.csv", header, rows)
    out = tmp_path / "run"
    base = ["train", data, "--target", "mpg", "--epochs", 2, "--out", out, "-q"]
    result = cli(*base)
    assert result.code == 1
    assert "column 'id': looks like an identifier (integers, unique and increasing" in result.err
    assert "drop it with --drop id" in result.err
    result = cli(*base, "--drop", "id")
    assert result.code == 1
    assert "column 'name': looks like an identifier (80 distinct values in 80 rows" in result.err
    result = cli(*base, "--drop", "id,name", "--max-categories", 1)
    assert result.code == 1
    assert "column 'origin': has 2 distinct text values, more than --max-categories 1" in result.err
    result = cli("train", data, "--target", "mpg", "--epochs", 2, "--out", out, "--drop", "id,name")
    assert result.code == 0, result.err
    assert (
        "column 'date': ISO dates, used as year, month, day, weekday (standardized)" in result.out
    )
    assert "regression on 64 rows" in result.out
    assert "7 inputs" in result.out  # date: 4 parts, weight: 1, origin: one-hot of 2
    # predict reads the dates of new rows the same way (the ID and name are ignored).
    result = cli("predict", out / "model.vecnn", data, "--keep", "id")
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 81
    bad = write_csv(tmp_path / "bad.csv", header, [[*rows[0][:2], "01/02/2012", *rows[0][3:]]])
    result = cli("predict", out / "model.vecnn", bad)
    assert result.code == 1 and "'01/02/2012' is not an ISO date" in result.err


def test_sorted_years_are_a_feature_not_an_identifier(cli, tmp_path):
    """One row a year (a yearly series, sorted) is unique and increasing like a row
    number, but a year tells something about a new row."""
    rng = np.random.default_rng(7)
    rows = [[year, f"{0.1 * (year - 1950) + rng.normal():.3f}"] for year in range(1950, 2010)]
    data = write_csv(tmp_path / "yearly.csv", ["year", "value"], rows)
    out = tmp_path / "run"
    result = cli("train", data, "--target", "value", "--epochs", 2, "--out", out, "-q")
    assert result.code == 0, result.err
    rows = [[year, f"{rng.normal():.3f}"] for year in range(3000, 3060)]  # not years
    data = write_csv(tmp_path / "numbered.csv", ["number", "value"], rows)
    result = cli("train", data, "--target", "value", "--epochs", 2, "--out", out, "-q")
    assert result.code == 1 and "looks like an identifier" in result.err


def test_the_report_has_a_data_section_and_a_reused_out_keeps_no_old_plot(cli, tmp_path):
    data = _penguins(tmp_path / "penguins.csv")
    out = tmp_path / "run"
    argv = ["--impute", "mean", "--epochs", 3, "--out", out, "-q"]
    assert cli("train", data, "--target", "species", *argv).code == 0
    assert (out / "confusion.png").exists()
    page = (out / "report.html").read_text()
    for text in (
        "<h2>Data</h2>",
        "<p>60 rows read from penguins.csv.</p>",
        "<p>48 rows for training, 12 held out for validation.</p>",
        "<tr><td>species</td><td>target</td><td>multiclass, 3 classes</td></tr>",
        "<tr><td>island</td><td>text</td><td>2, one-hot of 2 categories</td></tr>",
        "<tr><td>sex</td><td>text</td><td>2, one-hot of 2 categories; 10 missing filled with",
        "<tr><td>Adelie</td><td>20</td><td>33.3%</td></tr>",
        "<p>On the validation rows (12).</p>",
        "vecnn 0.1.0, ",
    ):
        assert text in page, text
    assert 'src="confusion.png"' not in page  # embedded, not linked
    # A regression run into the same folder: the old confusion matrix goes.
    assert cli("train", data, "--target", "body_mass_g", *argv).code == 0
    assert not (out / "confusion.png").exists() and (out / "predicted.png").exists()


def test_a_date_column_round_trips_through_the_model_file(tmp_path):
    from vecnn.csvfile import read_csv
    from vecnn.preprocessing import DateFeature, Preprocessor

    days = ["2012-01-01", "2012-03-15T06:30", "2013-07-04 18:00:00Z", "2014-12-31"]
    data = write_csv(tmp_path / "d.csv", ["when", "y"], [[d, i] for i, d in enumerate(days)])
    table = read_csv(data)
    pre = Preprocessor.fit(table, ["y"], task="regression", path=data)
    (feature,) = pre.features
    assert isinstance(feature, DateFeature)
    assert feature.parts == ["year", "month", "day", "weekday", "hour"]
    X = pre.transform(table, data)
    raw = np.array(
        [[2012, 1, 1, 6, 0], [2012, 3, 15, 3, 6.5], [2013, 7, 4, 3, 18], [2014, 12, 31, 2, 0]]
    )
    np.testing.assert_allclose(X, ((raw - raw.mean(axis=0)) / raw.std(axis=0)).T)
    again = Preprocessor.from_config(pre.config())
    np.testing.assert_array_equal(again.transform(table, data), X)
