"""End-to-end tests of the ``vecnn`` command: train, evaluate, predict, demo, explain and
gradcheck, run in-process through ``vecnn.cli.main`` on small CSV files (and once as the
installed console script and ``python -m vecnn``)."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from clihelpers import (
    EPOCHS,
    SPECIES,
    binary_rows,
    png_size,
    species_rows,
    write_csv,
)

import vecnn
import vecnn.cli.predict
from vecnn.cli.common import load_model
from vecnn.csvfile import read_csv

ANSI = re.compile(r"\x1b\[")

PLOTS = {
    "binary": {"loss", "metrics", "confusion", "decision"},
    "multiclass": {"loss", "metrics", "confusion"},
    "multilabel": {"loss", "metrics"},
    "regression": {"loss", "predicted"},
}
METRICS = {
    "binary": {"accuracy", "f1_macro", "log_loss"},
    "multiclass": {"accuracy", "f1_macro", "log_loss"},
    "multilabel": {"accuracy", "f1_macro", "log_loss"},
    "regression": {"r2", "mse", "mae"},
}
TASKS = list(PLOTS)


def read_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --------------------------------------------------------------------------- train


@pytest.mark.parametrize("task", TASKS)
def test_train_writes_model_metrics_history_report_and_plots(trained, task):
    run = trained[task]
    names = {"model.vecnn", "metrics.json", "history.csv", "report.html", "checkpoint.vecnn"}
    names.add("checkpoint-best.vecnn")  # early stopping's best weights, for --resume
    names |= {f"{plot}.png" for plot in PLOTS[task]}
    written = {path.name for path in run.out.iterdir()}
    assert names <= written
    assert not (written - names), f"unexpected files: {written - names}"
    for name in names:
        assert (run.out / name).stat().st_size > 0, name
    for plot in PLOTS[task]:
        width, height = png_size(run.out / f"{plot}.png")
        assert width >= 100 and height >= 100
    page = (run.out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for plot in PLOTS[task]:  # embedded: the page is one self-contained file
        image = base64.b64encode((run.out / f"{plot}.png").read_bytes()).decode("ascii")
        assert f'src="data:image/png;base64,{image}"' in page


@pytest.mark.parametrize("task", TASKS)
def test_metrics_json_has_the_task_metrics_in_range(trained, task):
    run = trained[task]
    scores = json.loads((run.out / "metrics.json").read_text(encoding="utf-8"))
    assert METRICS[task] <= set(scores)
    assert scores["evaluated_on"] == "validation"
    assert scores["examples"] == round(len(run.rows) * 0.2)
    if task == "regression":
        assert scores["r2"] <= 1.0
        assert scores["mse"] >= 0.0 and scores["mae"] >= 0.0
        assert scores["mae"] <= math.sqrt(scores["mse"]) + 1e-9
    else:
        assert 0.0 <= scores["accuracy"] <= 1.0
        assert 0.0 <= scores["f1_macro"] <= 1.0
        assert 0.0 <= scores["log_loss"] and math.isfinite(scores["log_loss"])
        assert "unseen_labels" not in scores


@pytest.mark.parametrize("task", TASKS)
def test_history_csv_has_one_row_per_epoch(trained, task):
    run = trained[task]
    rows = read_rows((run.out / "history.csv").read_text(encoding="utf-8"))
    header, body = rows[0], rows[1:]
    expected = ["epoch", "loss"]
    if task != "regression":
        expected.append("accuracy")
    expected.append("val_loss")
    if task != "regression":
        expected.append("val_accuracy")
    assert header[: len(expected)] == expected
    assert len(body) == EPOCHS
    assert [int(row[0]) for row in body] == list(range(1, EPOCHS + 1))
    assert all(len(row) == len(header) for row in body)
    losses = [float(row[1]) for row in body]
    assert all(math.isfinite(v) and v >= 0 for v in losses)


def test_train_prints_the_summary_one_line_per_epoch_and_where_files_are(cli, tmp_path):
    header, rows = binary_rows(40)
    data = write_csv(tmp_path / "points.csv", header, rows)
    out = tmp_path / "run"
    result = cli("train", data, "--target", "label", "--layers", "4", "--epochs", 3, "--out", out)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("vecnn: binary on 32 rows of")
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert any(line.startswith("validation metrics (8 rows): accuracy ") for line in lines)
    assert f"model:   {out / 'model.vecnn'}" in lines
    assert f"report:  {out / 'report.html'}" in lines
    # Not a terminal: no progress bar, no colour.
    assert not ANSI.search(result.out + result.err)
    assert "\r" not in result.out + result.err


def test_quiet_prints_nothing(cli, tmp_path):
    header, rows = binary_rows(40)
    data = write_csv(tmp_path / "points.csv", header, rows)
    out = tmp_path / "run"
    result = cli("train", data, "--target", "label", "--epochs", 3, "--out", out, "--quiet")
    assert result.code == 0
    assert result.out == ""
    assert result.err == ""
    assert (out / "model.vecnn").is_file()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch, tmp_path, no_color):
    header, rows = binary_rows(40)
    data = write_csv(tmp_path / "points.csv", header, rows)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = _Terminal(), _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = vecnn.cli.main(
        ["train", str(data), "--target", "label", "--epochs", "2", "--out", str(tmp_path / "r")]
    )
    monkeypatch.undo()
    assert code == 0
    assert "epoch 1/2" in err.getvalue()  # the progress bar, on a terminal
    if no_color:
        assert not ANSI.search(out.getvalue() + err.getvalue())
    else:
        assert "\x1b[1m" in out.getvalue()


def test_no_color_and_not_a_terminal_give_plain_output(cli, trained, monkeypatch, tmp_path):
    monkeypatch.setenv("NO_COLOR", "1")
    run = trained["multiclass"]
    outputs = [
        cli("evaluate", run.model, run.data),
        cli("predict", run.model, run.data),
        cli("explain", run.model),
        cli("gradcheck", "--layers", "3,4,2"),
    ]
    for result in outputs:
        assert result.code == 0
        assert not ANSI.search(result.out + result.err)


def test_early_stopping_stops_and_history_matches(cli, tmp_path):
    header, rows = binary_rows(60)
    data = write_csv(tmp_path / "points.csv", header, rows)
    out = tmp_path / "run"
    result = cli(
        "train",
        data,
        "--target",
        "label",
        "--epochs",
        300,
        "--lr",
        0.5,
        "--optimizer",
        "sgd",
        "--early-stopping",
        1,
        "--out",
        out,
    )
    assert result.code == 0, result.err
    epochs = len([line for line in result.out.splitlines() if line.startswith("epoch ")])
    history = read_rows((out / "history.csv").read_text(encoding="utf-8"))
    assert len(history) - 1 == epochs
    assert epochs < 300


def test_impute_fills_missing_values_and_draws_the_decision_regions(cli, tmp_path):
    header, rows = binary_rows(40)
    rows[3][0] = ""
    rows[7][1] = "NA"
    data = write_csv(tmp_path / "gaps.csv", header, rows)
    out = tmp_path / "run"
    result = cli(
        "train",
        data,
        "--target",
        "label",
        "--epochs",
        2,
        "--val-split",
        0,
        "--impute",
        "median",
        "--out",
        out,
        "--quiet",
    )
    assert result.code == 0, result.err
    png_size(out / "decision.png")
    scores = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert scores["evaluated_on"] == "training" and scores["examples"] == 40


def test_ovr_head_and_full_batch(cli, tmp_path):
    header, rows = species_rows(45)
    data = write_csv(tmp_path / "species.csv", header, rows)
    out = tmp_path / "run"
    result = cli(
        "train",
        data,
        "--target",
        "species",
        "--head",
        "ovr",
        "--full-batch",
        "--epochs",
        3,
        "--dropout",
        0.1,
        "--l2",
        0.01,
        "--out",
        out,
        "--quiet",
    )
    assert result.code == 0, result.err
    predicted = read_rows(cli("predict", out / "model.vecnn", data).out)
    assert predicted[0] == ["prediction", *(f"proba_{s}" for s in SPECIES)]
    assert {row[0] for row in predicted[1:]} <= set(SPECIES)


# --------------------------------------------------------------------------- predict


def _library_predictions(model_path: Path, data: Path) -> tuple[object, np.ndarray, object]:
    """What the library gives for the rows of ``data``: the stored preprocessing applied
    to them, then ``vecnn.load(model).predict`` and ``predict_proba``."""
    model = load_model(model_path)
    X = model.preprocessing.transform(read_csv(data), data)
    network = vecnn.load(model_path)
    return model, network.predict(X), network.predict_proba(X)


@pytest.mark.parametrize("task", TASKS)
def test_predict_equals_the_library_on_the_preprocessed_rows(cli, trained, task):
    run = trained[task]
    result = cli("predict", run.model, run.data)
    assert result.code == 0, result.err
    rows = read_rows(result.out)
    header, body = rows[0], rows[1:]
    assert len(body) == len(run.rows)
    model, labels, proba = _library_predictions(run.model, run.data)
    if task == "regression":
        assert header == ["prediction"]
        expected = model.target.decode(np.asarray(labels, dtype=np.float64).reshape(1, -1))
        np.testing.assert_array_equal([float(row[0]) for row in body], expected[0])
        return
    if task == "multilabel":
        assert header == ["prediction_tag_a", "prediction_tag_b", "proba_tag_a", "proba_tag_b"]
        got = np.array([[float(v) for v in row] for row in body])
        np.testing.assert_array_equal(got[:, :2], np.asarray(labels).T)
        # Probabilities are written with 6 significant digits.
        np.testing.assert_allclose(got[:, 2:], np.asarray(proba, dtype=np.float64).T, rtol=5e-6)
        return
    classes = [str(c) for c in model.target.classes]
    assert header == ["prediction", *(f"proba_{c}" for c in classes)]
    assert [row[0] for row in body] == [str(label) for label in labels]
    got = np.array([[float(v) for v in row[1:]] for row in body])
    P = np.asarray(proba, dtype=np.float64)
    if task == "binary":
        P = np.vstack([1.0 - P, P])
    np.testing.assert_allclose(got, P.T, rtol=5e-6, atol=1e-12)  # 6 significant digits
    assert all(len(v.replace(".", "").lstrip("0")) <= 6 for row in body for v in row[1:])
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    # The prediction is the most probable class.
    assert [classes[k] for k in got.argmax(axis=1)] == [row[0] for row in body]


def test_multiclass_predictions_are_the_original_string_labels(cli, trained):
    run = trained["multiclass"]
    body = read_rows(cli("predict", run.model, run.data).out)[1:]
    assert {row[0] for row in body} <= set(SPECIES)
    truth = [row[-1] for row in run.rows]
    accuracy = np.mean([row[0] == label for row, label in zip(body, truth, strict=True)])
    assert accuracy > 0.5  # well separated classes: far better than chance


def test_predict_reorders_columns_by_name(cli, trained, tmp_path):
    run = trained["multiclass"]
    original = cli("predict", run.model, run.data)
    # Reversed order, and without the target column.
    order = [name for name in reversed(run.header) if name != "species"]
    index = [run.header.index(name) for name in order]
    shuffled = write_csv(
        tmp_path / "reordered.csv", order, [[r[i] for i in index] for r in run.rows]
    )
    result = cli("predict", run.model, shuffled)
    assert result.code == 0, result.err
    assert result.out == original.out


@pytest.mark.parametrize(
    ("drop", "add", "listed"),
    [
        ("petal", None, "missing columns: petal)"),
        ("petal", "extra", "missing columns: petal)"),  # extra columns are ignored
    ],
)
def test_predict_lists_missing_columns(cli, trained, tmp_path, drop, add, listed):
    run = trained["multiclass"]
    header = [name for name in run.header if name != drop]
    rows = [
        [v for name, v in zip(run.header, row, strict=True) if name != drop] for row in run.rows
    ]
    if add:
        header.append(add)
        rows = [[*row, 1] for row in rows]
    data = write_csv(tmp_path / "other.csv", header, rows)
    out = tmp_path / "predictions.csv"
    result = cli("predict", run.model, data, "-o", out)
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"vecnn: error: {data}: ")
    assert listed in lines[0]
    assert not out.exists()


def test_predict_in_chunks_equals_one_chunk(cli, trained, monkeypatch, tmp_path):
    """Chunks of 3 rows give the rows, labels and header of one chunk, and the same
    numbers to float32 precision: NumPy's float32 matrix products may round the last bit
    differently for a different number of columns m, so bitwise equality is not asked."""
    for task in TASKS:
        run = trained[task]
        whole = cli("predict", run.model, run.data)
        monkeypatch.setattr(vecnn.cli.predict, "CHUNK_ROWS", 3)
        chunked = cli("predict", run.model, run.data)
        monkeypatch.undo()
        assert whole.code == chunked.code == 0
        one, many = read_rows(whole.out), read_rows(chunked.out)
        assert many[0] == one[0], task
        assert len(many) == len(one) == len(run.rows) + 1, task
        numeric = [k for k, name in enumerate(one[0]) if name.startswith(("proba", "prediction"))]
        if task in ("binary", "multiclass"):
            assert [row[0] for row in many] == [row[0] for row in one], task
            numeric = numeric[1:]
        if task == "multilabel":
            assert [row[:2] for row in many] == [row[:2] for row in one], task
        got = np.array([[float(row[k]) for k in numeric] for row in many[1:]])
        expected = np.array([[float(row[k]) for k in numeric] for row in one[1:]])
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7, err_msg=task)


def test_predict_writes_a_file_with_o(cli, trained, tmp_path):
    run = trained["binary"]
    out = tmp_path / "sub" / "predictions.csv"
    out.parent.mkdir()
    result = cli("predict", run.model, run.data, "-o", out)
    assert result.code == 0
    assert result.out == ""
    assert result.err.strip() == f"{len(run.rows)} predictions written to {out}"
    assert out.read_text(encoding="utf-8") == cli("predict", run.model, run.data).out


def test_predict_with_a_gone_reader_stops_quietly(trained, monkeypatch, capsys):
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    run = trained["binary"]
    monkeypatch.setattr(sys, "stdout", Gone())
    code = vecnn.cli.main(["predict", str(run.model), str(run.data)])
    monkeypatch.undo()
    assert code == 141
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- evaluate


@pytest.mark.parametrize("task", TASKS)
def test_evaluate_table_and_json_agree(cli, trained, task):
    run = trained[task]
    table = cli("evaluate", run.model, run.data)
    as_json = cli("evaluate", run.model, run.data, "--json")
    assert table.code == as_json.code == 0
    scores = json.loads(as_json.out)
    assert METRICS[task] <= set(scores)
    assert scores["examples"] == len(run.rows)
    shown = dict(line.split(maxsplit=1) for line in table.out.splitlines())
    assert set(shown) == set(scores)
    for key in METRICS[task]:
        assert shown[key] == f"{scores[key]:.4f}"
    assert shown["examples"] == str(len(run.rows))


def test_evaluate_with_target_option(cli, trained):
    run = trained["multilabel"]
    assert cli("evaluate", run.model, run.data, "--target", "tag_a, tag_b").code == 0
    wrong = cli("evaluate", run.model, run.data, "--target", "tag_a")
    assert wrong.code == 1
    assert "trained on target tag_a, tag_b" in wrong.err


def test_evaluate_reports_unseen_labels_and_predict_still_works(cli, trained, tmp_path):
    run = trained["multiclass"]
    rows = [list(row) for row in run.rows[:30]]
    rows[0][-1] = "unknown"
    rows[5][-1] = "unknown"
    rows[9][-1] = "hybrid"
    data = write_csv(tmp_path / "unseen.csv", run.header, rows)
    result = cli("evaluate", run.model, data, "--json")
    assert result.code == 0, result.err
    scores = json.loads(result.out)
    assert scores["unseen_labels"] == ["hybrid", "unknown"]
    assert scores["unseen_examples"] == 3
    assert 0.0 <= scores["accuracy"] <= 27 / 30
    assert math.isfinite(scores["log_loss"])
    table = cli("evaluate", run.model, data)
    assert table.code == 0
    assert "unseen_labels" in table.out and "unknown" in table.out
    predicted = cli("predict", run.model, data)
    assert predicted.code == 0
    assert len(read_rows(predicted.out)) == 31


def test_evaluate_drops_rows_without_a_target_and_says_so(cli, trained, tmp_path):
    """As train does: a row with no target has nothing to be scored against."""
    run = trained["binary"]
    rows = [list(row) for row in run.rows]
    for i in (2, 7):
        rows[i][-1] = ""
    data = write_csv(tmp_path / "gaps.csv", run.header, rows)
    result = cli("evaluate", run.model, data, "--json")
    assert result.code == 0, result.err
    assert "2 rows dropped: the target is missing (lines 4, 9)" in result.err
    scores = json.loads(result.out)
    kept = [row for i, row in enumerate(run.rows) if i not in (2, 7)]
    expected = json.loads(
        cli("evaluate", run.model, write_csv(tmp_path / "kept.csv", run.header, kept), "--json").out
    )
    assert scores == expected and scores["examples"] == len(run.rows) - 2
    for row in rows:
        row[-1] = ""
    empty = cli("evaluate", run.model, write_csv(tmp_path / "none.csv", run.header, rows))
    assert empty.code == 1 and "no row has a target value" in empty.err


def test_evaluate_needs_the_target_column(cli, trained, tmp_path):
    run = trained["binary"]
    data = write_csv(tmp_path / "features.csv", ["x1", "x2"], [row[:2] for row in run.rows])
    result = cli("evaluate", run.model, data)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"vecnn: error: {data}: target column 'label' not found; available columns: x1, x2"
    ]


# --------------------------------------------------------------------------- explain


def test_explain_prints_the_equations_with_the_models_shapes(cli, trained):
    run = trained["multiclass"]  # 3 numbers + color (2 categories) → 5 inputs; --layers 8
    result = cli("explain", run.model)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "model.vecnn: examples are columns, A[0] = X is (5×m)"
    assert "  forward   Z[1] = W[1] (8×5) · A[0] (5×m) + b[1] (8×1)   → (8×m)" in lines
    assert "  forward   Z[2] = W[2] (3×8) · A[1] (8×m) + b[2] (3×1)   → (3×m)" in lines
    assert "            dW[1] = (1/m) dZ[1] A[0]ᵀ   (8×5)" in lines
    assert "            dA[1] = W[2]ᵀ dZ[2]   (8×m)" in lines
    assert any(
        line.startswith("layer 1: dense, relu  W[1] (8×5), b[1] (8×1): 48 parameters, ")
        for line in lines
    )
    assert any(
        line.startswith("layer 2: dense, softmax  W[2] (3×8), b[2] (3×1): 27 parameters")
        for line in lines
    )
    flops = 2 * 8 * 5 + 8 + 2 * 3 * 8 + 3
    assert any(
        line.startswith(f"total: 75 parameters; {flops} FLOPs per example") for line in lines
    )


def test_explain_draws_the_graph_as_dot(cli, trained, tmp_path):
    run = trained["binary"]
    target = tmp_path / "step.dot"
    result = cli("explain", run.model, "--graph", target)
    assert result.code == 0, result.err
    assert f"graph of one training step written to {target}" in result.out
    text = target.read_text(encoding="utf-8")
    assert text.lstrip().startswith("digraph")
    assert text.rstrip().endswith("}")
    assert "->" in text


# --------------------------------------------------------------------------- gradcheck

GRADCHECK_LINE = re.compile(r"^(W|b)\[(\d)\]\s+(\d+×\d+)\s+(\S+)\s+(ok|MISMATCH)$")


def _gradcheck_rows(out: str) -> dict[str, tuple[str, float, str]]:
    rows = {}
    for line in out.splitlines():
        match = GRADCHECK_LINE.match(line)
        if match:
            name = f"{match[1]}[{match[2]}]"
            rows[name] = (match[3], float(match[4]), match[5])
    return rows


def test_gradcheck_on_a_model(cli, trained):
    run = trained["multiclass"]
    result = cli("gradcheck", run.model)
    assert result.code == 0, result.out
    rows = _gradcheck_rows(result.out)
    assert {name: row[0] for name, row in rows.items()} == {
        "W[1]": "8×5",
        "b[1]": "8×1",
        "W[2]": "3×8",
        "b[2]": "3×1",
    }
    assert all(error < 1e-6 and mark == "ok" for _, error, mark in rows.values())
    assert "largest relative error" in result.out.splitlines()[-1]


@pytest.mark.parametrize("task", ["binary", "multilabel", "regression"])
def test_gradcheck_on_each_kind_of_output(cli, trained, task):
    result = cli("gradcheck", trained[task].model)
    assert result.code == 0, result.out
    assert len(_gradcheck_rows(result.out)) == 4


def test_gradcheck_with_layers(cli):
    result = cli("gradcheck", "--layers", "4,8,3")
    assert result.code == 0, result.out
    rows = _gradcheck_rows(result.out)
    assert {name: row[0] for name, row in rows.items()} == {
        "W[1]": "8×4",
        "b[1]": "8×1",
        "W[2]": "3×8",
        "b[2]": "3×1",
    }
    assert all(error < 1e-6 for _, error, _ in rows.values())


# --------------------------------------------------------------------------- demo


def test_demo_reaches_96_percent_on_the_held_out_digits(cli, tmp_path):
    out = tmp_path / "demo"
    result = cli("demo", "--out", out)
    assert result.code == 0, result.err
    scores = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert scores["evaluated_on"] == "test"
    assert scores["accuracy"] >= 0.96
    # what the README says `make demo` (`vecnn demo`) prints, and the figure it quotes
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    quoted = float(re.search(r"reaches about ([\d.]+) test accuracy", readme).group(1))
    assert abs(scores["accuracy"] - quoted) <= 0.01, (scores["accuracy"], quoted)
    assert "total parameters: 4,810" in result.out  # the network's summary
    epochs = re.findall(r"^epoch +\d+/\d+ +loss", result.out, flags=re.M)  # a line per epoch
    assert len(epochs) == len((out / "history.csv").read_text().splitlines()) - 1 >= 5
    assert f"test metrics ({scores['examples']} rows): accuracy {scores['accuracy']:.4f}" in (
        result.out
    )
    assert "(`vecnn-demo/report.html`)" in readme
    assert "(default vecnn-demo)" in cli("demo", "--help").out
    assert f"report:  {out / 'report.html'}" in result.out.splitlines()
    assert "Z[1]" not in result.out
    for plot in ("loss", "metrics", "confusion"):
        png_size(out / f"{plot}.png")
    explained = cli("explain", out / "model.vecnn")
    assert "  forward   Z[1] = W[1] (64×64) · A[0] (64×m) + b[1] (64×1)   → (64×m)" in (
        explained.out.splitlines()
    )


# --------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    "command", [[], ["train"], ["evaluate"], ["predict"], ["demo"], ["explain"], ["gradcheck"]]
)
def test_help_of_every_command_has_an_example(cli, command):
    result = cli(*command, "--help")
    assert result.code == 0
    assert "example" in result.out.lower()
    assert result.out.startswith(f"usage: vecnn {' '.join(command)}".rstrip())


def test_version(cli):
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"vecnn {vecnn.__version__}"


# --------------------------------------------------------------------------- subprocess


def test_console_script_and_python_m_vecnn(tmp_path):
    """The installed ``vecnn`` script and ``python -m vecnn``: exit statuses, and plain
    output (no colour, no progress bar) when not on a terminal."""
    script = Path(sys.executable).with_name("vecnn")
    if not script.exists():
        script = Path(shutil.which("vecnn") or "vecnn")
    header, rows = binary_rows(30)
    data = write_csv(tmp_path / "points.csv", header, rows)
    bad = write_csv(tmp_path / "bad.csv", header, [*rows[:5], ["1.0", "abc", 0], *rows[5:]])
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"

    def run(*argv: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(arg) for arg in argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    out = tmp_path / "run"
    trained = run(script, "train", data, "--target", "label", "--epochs", 2, "--out", out)
    assert trained.returncode == 0, trained.stderr
    assert "epoch 2/2" in trained.stdout
    assert (out / "model.vecnn").is_file()
    predicted = run(sys.executable, "-m", "vecnn", "predict", out / "model.vecnn", data)
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.startswith("prediction,proba_0,proba_1\n")
    data_error = run(sys.executable, "-m", "vecnn", "train", bad, "--target", "label")
    assert data_error.returncode == 1
    assert data_error.stderr.splitlines() == [
        f"vecnn: error: {bad}:7: column 'x2': could not convert 'abc' to a number"
    ]
    usage = run(script, "train", data, "--target", "label", "--bogus")
    assert usage.returncode == 2
    assert "unrecognized arguments: --bogus" in usage.stderr
    for result in (trained, predicted, data_error, usage):
        assert not ANSI.search(result.stdout + result.stderr)
        assert "\r" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_a_bom_and_a_semicolon_delimiter_at_train_then_plain_commas_at_predict(cli, tmp_path):
    header, rows = binary_rows(30)
    text = ";".join(header) + "\n" + "".join(";".join(map(str, row)) + "\n" for row in rows)
    data = tmp_path / "excel.csv"
    data.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    out = tmp_path / "run"
    assert cli("train", data, "--target", "label", "--epochs", 1, "--out", out, "-q").code == 0
    plain = write_csv(tmp_path / "plain.csv", header[:2], [row[:2] for row in rows])
    result = cli("predict", out / "model.vecnn", plain)
    assert result.code == 0, result.err
    assert len(read_rows(result.out)) == 31
