"""The ``vecnn`` command refusing bad data (exit 1, one line naming file, line and column,
no traceback unless ``--debug``) and wrong usage (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from clihelpers import binary_rows, write_csv

import vecnn
import vecnn.cli.train


def _data(tmp_path: Path, edit=None, name: str = "data.csv") -> Path:
    header, rows = binary_rows(40)
    if edit is not None:
        header, rows = edit(header, rows)
    return write_csv(tmp_path / name, header, rows)


def _set(row: int, column: int, value: str):
    def edit(header, rows):
        rows[row][column] = value
        return header, rows

    return edit


def _one_line_error(result, *parts: str) -> str:
    assert result.code == 1, (result.out, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("vecnn: error: ")
    assert "Traceback" not in result.err
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


BAD_DATA = {
    # name: (an edit of the 40-row binary file, or the file's text; --target; message parts)
    "missing target column": (None, "nope", ["target column 'nope' not found", "x1, x2, label"]),
    "non-numeric value": (
        _set(9, 1, "abc"),
        "label",
        [":11: column 'x2': could not convert 'abc'"],
    ),
    "decimal comma": (_set(4, 0, '"1,5"'), "label", [":6: column 'x1': ", "decimal comma"]),
    "empty field": (_set(9, 0, ""), "label", [":11: column 'x1': missing value ''", "--impute"]),
    "NA": (_set(30, 1, "NA"), "label", [":32: column 'x2': missing value 'NA'", "--impute mean"]),
    "ragged short": (_set(4, 2, "0\n1,2"), "label", [":7: expected 3 fields", "found 2"]),
    "ragged long": (_set(6, 2, "1,7"), "label", [":8: expected 3 fields", "found 4"]),
    "ragged first row": (_set(0, 2, "1,7"), "label", [":2: expected 3 fields", "found 4"]),
    "empty file": ("", "label", ["the file is empty"]),
    "blank lines": ("\n\n  \n", "label", ["the file is empty"]),
    "header only": ("x1,x2,label\n", "label", ["no data rows"]),
    "one class": (
        lambda h, r: (h, [[*row[:2], "yes"] for row in r]),
        "label",
        ["column 'label': the target has one class ('yes')"],
    ),
    "duplicate column": (
        lambda h, r: (["x1", "x1", "label"], r),
        "label",
        [":1: duplicate column names in the header: 'x1'"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_data_is_refused_with_one_line_naming_the_file(cli, tmp_path, case):
    change, target, parts = BAD_DATA[case]
    if isinstance(change, str):
        data = tmp_path / "data.csv"
        data.write_text(change, encoding="utf-8")
    else:
        data = _data(tmp_path, change)
    out = tmp_path / "run"
    result = cli("train", data, "--target", target, "--epochs", 2, "--out", out)
    _one_line_error(result, f"vecnn: error: {data}", *parts)
    assert "epoch" not in result.out
    assert not (out / "model.vecnn").exists()

    debug = cli("--debug", "train", data, "--target", target, "--epochs", 2, "--out", out)
    assert debug.code == 1
    assert "Traceback (most recent call last)" in debug.err
    assert debug.err.splitlines()[-1] == result.err.strip()


def test_a_wrong_delimiter_gets_a_hint(cli, tmp_path):
    data = tmp_path / "semicolons.csv"
    data.write_text("x1;x2;label\n1;2;0\n2;3;1\n", encoding="utf-8")
    result = cli("train", data, "--target", "label", "--delimiter", ",", "--out", tmp_path / "r")
    _one_line_error(result, f"{data}:1: ", "is the delimiter wrong? pass --delimiter ';'")


def test_debug_after_the_command_too(cli, tmp_path):
    data = _data(tmp_path, _set(9, 1, "abc"))
    result = cli("train", data, "--target", "label", "--debug", "--out", tmp_path / "run")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err


def test_a_bad_value_in_the_validation_rows_is_refused_too(cli, tmp_path):
    # Whichever rows --val-split holds out, every row is checked.
    for row in range(40):
        data = _data(tmp_path, _set(row, 0, "oops"), name=f"bad{row}.csv")
        result = cli("train", data, "--target", "label", "--epochs", 1, "--out", tmp_path / "r")
        _one_line_error(result, f"{data}:{row + 2}: column 'x1': could not convert 'oops'")


def test_a_class_with_one_row_stays_in_training_on_every_seed(cli, tmp_path):
    # Two classes in the file, one row of the second: a plain shuffle held that row out on
    # some seeds (--seed 7) and training saw one class. Stratified, it is always trained on.
    header = ["x1", "x2", "label"]
    rows = [[(7 * i) % 10, i % 3, "a"] for i in range(9)] + [[9, 1, "b"]]
    data = write_csv(tmp_path / "rare.csv", header, rows)
    argv = ["train", data, "--target", "label", "--epochs", 1, "--out", tmp_path / "r", "-q"]
    for seed in (0, 7):
        result = cli(*argv, "--seed", seed)
        assert result.code == 0, result.err
        assert "class 'b' has only 1 row: it stays in the training rows" in result.err


def test_unwritable_out_fails_before_training(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    data = _data(tmp_path)
    out = blocker / "run"
    result = cli("train", data, "--target", "label", "--epochs", 2, "--out", out)
    _one_line_error(result, str(out), "cannot write to the output folder")
    assert result.out == ""  # no summary, no epoch: nothing was trained
    assert not out.exists()
    assert blocker.read_text() == "not a folder\n"


def test_out_that_is_a_file_is_refused(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("train", _data(tmp_path), "--target", "label", "--out", blocker)
    _one_line_error(result, str(blocker), "cannot write to the output folder")


def test_a_missing_data_file(cli, tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = cli("train", missing, "--target", "label", "--out", tmp_path / "run")
    _one_line_error(result, str(missing), "No such file")


def test_model_file_problems(cli, tmp_path):
    data = _data(tmp_path)
    missing = tmp_path / "none.vecnn"
    _one_line_error(cli("predict", missing, data), str(missing))
    _one_line_error(cli("evaluate", data, data), str(data))  # a CSV is no model file
    _one_line_error(cli("explain", data), str(data))
    network = vecnn.Network.from_sizes([2, 3, 1], output="sigmoid", seed=0)
    library = vecnn.save(network, tmp_path / "library.vecnn")
    _one_line_error(cli("predict", library, data), str(library), "vecnn train")


def test_bad_data_at_predict_names_the_line(cli, trained, tmp_path):
    run = trained["binary"]
    rows = [list(row) for row in run.rows[:10]]
    rows[4][1] = "n/a"
    data = write_csv(tmp_path / "new.csv", run.header, rows)
    out = tmp_path / "predictions.csv"
    result = cli("predict", run.model, data, "-o", out)
    _one_line_error(result, f"{data}:6: column 'x2': missing value 'n/a'")
    assert not out.exists()
    header_only = write_csv(tmp_path / "empty.csv", ["x1", "x2"], [])
    _one_line_error(cli("predict", run.model, header_only), str(header_only), "no data rows")


USAGE = {
    "unknown option": ["train", "{data}", "--target", "label", "--bogus"],
    "missing --target": ["train", "{data}"],
    "empty --target": ["train", "{data}", "--target", " , "],
    "--lr -1": ["train", "{data}", "--target", "label", "--lr", "-1"],
    "--lr 0": ["train", "{data}", "--target", "label", "--lr", "0"],
    "--layers a,b": ["train", "{data}", "--target", "label", "--layers", "a,b"],
    "--layers 0": ["train", "{data}", "--target", "label", "--layers", "8,0"],
    "--epochs 0": ["train", "{data}", "--target", "label", "--epochs", "0"],
    "--val-split 1": ["train", "{data}", "--target", "label", "--val-split", "1"],
    "--task bogus": ["train", "{data}", "--target", "label", "--task", "bogus"],
    "early stopping, no validation": [
        "train",
        "{data}",
        "--target",
        "label",
        "--val-split",
        "0",
        "--early-stopping",
        "3",
    ],
    "no command": [],
    "unknown command": ["fly"],
    "gradcheck, neither": ["gradcheck"],
    "gradcheck, both": ["gradcheck", "{data}", "--layers", "4,3"],
    "gradcheck --layers a,b": ["gradcheck", "--layers", "a,b"],
    "gradcheck --layers 4": ["gradcheck", "--layers", "4"],
    "predict, no data": ["predict", "{data}"],
}


@pytest.mark.parametrize("case", list(USAGE))
def test_usage_errors_exit_2(cli, tmp_path, case):
    data = _data(tmp_path)
    out = tmp_path / "run"
    argv = [arg.replace("{data}", str(data)) for arg in USAGE[case]]
    if argv[:1] == ["train"]:
        argv += ["--out", str(out)]
    result = cli(*argv)
    assert result.code == 2, (result.out, result.err)
    assert "usage: vecnn" in result.err
    assert result.err.splitlines()[-1].startswith("vecnn")
    assert "Traceback" not in result.err
    assert result.out == ""
    assert not out.exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow, on the way to NaN
def test_a_diverging_training_is_one_error_line(cli, tmp_path):
    header, rows = binary_rows(40)
    data = write_csv(tmp_path / "points.csv", header, rows)
    result = cli(
        "train",
        data,
        "--target",
        "x2",
        "--optimizer",
        "sgd",
        "--lr",
        "1e6",
        "--epochs",
        5,
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert result.code == 1
    assert "Traceback" not in result.err
    last = result.err.splitlines()[-1]
    assert last.startswith("vecnn: error: the cost became ")
    assert "lower learning rate" in last
    assert not (tmp_path / "run" / "model.vecnn").exists()


def test_interrupted(cli, tmp_path, monkeypatch):
    def interrupt(settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(vecnn.cli.train, "train", interrupt)
    result = cli("train", _data(tmp_path), "--target", "label", "--out", tmp_path / "run")
    assert result.code == 130
    assert result.err == "vecnn: interrupted\n"
