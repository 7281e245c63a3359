"""``vecnn.report.write_report``: the PNGs decode, the page parses and links them, strings are
escaped, every task and edge case of the history is drawn, and Matplotlib's state is untouched.
"""

from __future__ import annotations

import base64
import copy
import os
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
import pytest

from vecnn import History
from vecnn.errors import ShapeError
from vecnn.report import GRID_POINTS, HISTORY_ROWS, DecisionRegions, write_report
from vecnn.report.page import GROUPED_RUN

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """The (width, height) of a PNG from its IHDR chunk, checked against a full decode."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert 200 <= width <= 4000 and 200 <= height <= 4000, (path.name, width, height)
    return width, height


class Page(HTMLParser):
    """The parts of report.html the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.imgs: list[dict[str, str | None]] = []
        self.title = ""
        self.text: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "title":
            self.title += data
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def parse(written: dict[str, Path]) -> Page:
    report = written["report"]
    assert report.name == "report.html"
    page = Page()
    page.feed(report.read_text(encoding="utf-8"))
    page.close()
    # The page is self-contained: each plot is embedded as a data URI holding the bytes
    # of the PNG file written beside it.
    files = {path.read_bytes(): path.name for name, path in written.items() if name != "report"}
    embedded = []
    for img in page.imgs:
        src = img["src"]
        assert src and src.startswith("data:image/png;base64,"), src[:40]
        image = base64.b64decode(src.split(",", 1)[1])
        assert image in files, "an embedded image is no PNG file written"
        embedded.append(files[image])
        assert img.get("alt")
    # Every PNG written is embedded, and nothing else is written.
    pngs = {path.name for name, path in written.items() if name != "report"}
    assert set(embedded) == pngs
    assert sorted(p.name for p in report.parent.iterdir()) == sorted(pngs | {"report.html"})
    for name, path in written.items():
        assert path.parent == report.parent
        if name != "report":
            assert path.name == f"{name}.png"
            png_size(path)
    assert "script" not in page.tags and "link" not in page.tags
    assert "http://" not in report.read_text() and "https://" not in report.read_text()
    return page


HISTORY = {
    "loss": [0.9, 0.6, 0.4, 0.3],
    "accuracy": [0.5, 0.7, 0.8, 0.85],
    "val_loss": [1.0, 0.7, 0.5, 0.45],
    "val_accuracy": [0.5, 0.6, 0.75, 0.8],
    "lr": [0.1, 0.1, 0.05, 0.05],
    "time": [0.01, 0.01, 0.01, 0.01],
}
SUMMARY = "layer  type   A[l]\n0      input  (2, m)\n<script>alert('x')</script> & more"


def report(tmp_path: Path, **kwargs) -> dict[str, Path]:
    arguments = {
        "title": "A report",
        "summary": SUMMARY,
        "metrics": {"accuracy": 0.85, "log_loss": 0.3},
        "history": {},  # no loss plot unless a test is about it: keeps the tests fast
    }
    arguments.update(kwargs)
    return write_report(tmp_path / "out", **arguments)


def test_binary_with_string_classes_and_escaping(tmp_path):
    y_true = np.array(["no", "yes", "yes", "no", "yes", "no"])
    y_pred = np.array(["no", "yes", "no", "no", "yes", "yes"])
    written = report(
        tmp_path,
        title="Binary <b>bold</b> & co",
        task="binary",
        history=HISTORY,
        classes=["no", "yes"],
        y_true=y_true,
        y_pred=y_pred,
        metrics={"accuracy": 4 / 6, "f1<score>": float("nan")},
        command="vecnn train data.csv --target 'y' <x>",
    )
    assert set(written) == {"report", "loss", "metrics", "confusion"}
    page = parse(written)
    raw = written["report"].read_text(encoding="utf-8")
    assert page.title == "Binary <b>bold</b> & co"
    assert "b" not in page.tags
    text = page.all_text
    assert "<script>alert('x')</script> & more" in text  # shown as text ...
    assert "<script>" not in raw and "&lt;script&gt;" in raw  # ... because it was escaped
    assert "f1<score>" in text and "accuracy" in text and "0.6667" in text and "nan" in text
    assert "vecnn train data.csv --target 'y' <x>" in text
    for key in ("loss", "val_loss", "accuracy", "val_accuracy", "lr", "time"):
        assert key in text
    assert raw.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in raw


def test_multiclass_with_string_classes_and_decision_regions(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 3.0, -3.0], [3.0, -2.0, -2.0]])
    names = np.array(["cat", "dog", "$bird"])  # a "$" must not start Matplotlib's mathtext
    which = rng.integers(0, 3, size=90)
    X = centres[:, which] + rng.normal(size=(2, 90)) + 1e3  # far from the origin
    labels = names[which]
    seen = []

    def predict(points):
        seen.append(points)
        distance = ((points[:, None, :] - (centres[:, :, None] + 1e3)) ** 2).sum(axis=0)
        return names[distance.argmin(axis=0)]

    written = report(
        tmp_path,
        task="multiclass",
        y_true=labels,
        y_pred=predict(X),
        decision=DecisionRegions(("petal length ($)", "width"), X, labels, predict),
    )
    assert set(written) == {"report", "confusion", "decision"}
    parse(written)
    grid = seen[-1]
    assert grid.shape[0] == 2 and 1 < grid.shape[1] <= GRID_POINTS * GRID_POINTS
    # The grid covers the points' bounding box, with a margin.
    assert np.all(grid.min(axis=1) < X.min(axis=1)) and np.all(grid.max(axis=1) > X.max(axis=1))


def test_confusion_matrix_without_classes_and_many_classes(tmp_path):
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 12, size=300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 12, size=300))
    written = report(tmp_path, task="multiclass", y_true=y_true, y_pred=y_pred)
    width, height = png_size(written["confusion"])
    assert width > 600 and height > 600  # grows with the number of classes
    parse(written)


def test_multilabel_has_no_confusion_matrix(tmp_path):
    Y = np.array([[1, 0, 1, 1], [0, 0, 1, 0]])
    written = report(tmp_path, task="multilabel", y_true=Y, y_pred=Y)
    assert "confusion" not in written
    page = parse(written)
    assert "No confusion matrix" in page.all_text and "multilabel" in page.all_text


def test_classification_without_labels_says_so(tmp_path):
    written = report(tmp_path, task="binary")
    assert "confusion" not in written
    assert "No confusion matrix" in parse(written).all_text


def test_regression_single_and_multi_output(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.normal(size=50)
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.6, 0.3], "time": [0.1] * 3}
    single = write_report(
        tmp_path / "single",
        title="r",
        summary="s",
        metrics={"r2": 0.9},
        history=history,
        task="regression",
        y_true=y,
        y_pred=y + 0.1 * rng.normal(size=50),
    )
    assert set(single) == {"report", "loss", "predicted"}  # no metrics.png: only loss series
    parse(single)
    Y = rng.normal(size=(3, 40))
    P = Y + 0.1 * rng.normal(size=(3, 40))
    P[1, 5] = np.nan  # a non-finite prediction is left out of its panel
    multi = write_report(
        tmp_path / "multi",
        title="r",
        summary="s",
        metrics={"r2": 0.9},
        history={},
        task="regression",
        y_true=Y,
        y_pred=P,
    )
    parse(multi)
    assert png_size(multi["predicted"])[0] > png_size(single["predicted"])[0]  # 3 panels
    with pytest.raises(ShapeError):
        write_report(
            tmp_path / "bad",
            title="r",
            summary="s",
            metrics={},
            history=history,
            task="regression",
            y_true=Y,
            y_pred=P[:2],
        )
    assert not (tmp_path / "bad").exists()  # checked before anything is written


def test_regression_decision_surface(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 30))
    written = report(
        tmp_path,
        task="regression",
        y_true=X[0] + X[1],
        y_pred=X[0] + X[1],
        decision=DecisionRegions(("a", "b"), X, X[0] + X[1], lambda P: P[0] + P[1]),
    )
    assert "decision" in written and "predicted" in written
    parse(written)


def test_one_epoch_nan_and_empty_series(tmp_path):
    history = {
        "loss": [0.7],
        "val_loss": [float("nan")],
        "accuracy": [0.5],
        "val_accuracy": [],
        "lr": [0.01],
    }
    written = report(tmp_path, task="binary", history=history)
    assert set(written) == {"report", "loss", "metrics"}
    page = parse(written)
    assert "val_accuracy" not in page.all_text  # the empty series is left out
    assert "nan" in page.all_text


def test_a_history_object_is_accepted(tmp_path):
    history = History()
    history.record(0, {"loss": 0.5, "accuracy": 0.75, "lr": 0.1, "time": 0.01})
    written = report(tmp_path, task="binary", history=history)
    assert set(written) == {"report", "loss", "metrics"}
    assert "0.75" in parse(written).all_text


def test_long_history_with_gaps_shows_the_last_rows(tmp_path):
    epochs = HISTORY_ROWS + 70
    loss = list(np.linspace(2.0, 0.1, epochs))
    loss[10] = float("nan")
    loss[12] = float("inf")
    history = {"loss": loss, "accuracy": [float(i) / epochs for i in range(epochs)]}
    written = report(tmp_path, task="multiclass", history=history)
    page = parse(written)
    assert f"last {HISTORY_ROWS} of {epochs} epochs" in page.all_text
    assert page.tags.count("tr") == 1 + HISTORY_ROWS + 3  # history + metrics tables


def test_no_history_and_no_metrics(tmp_path):
    written = report(tmp_path, task="binary", history={}, metrics={}, summary="")
    assert set(written) == {"report"}
    text = parse(written).all_text
    assert "No per-epoch loss" in text and "No metrics" in text


def test_matplotlib_state_is_untouched(tmp_path):
    backend = matplotlib.get_backend()
    params = copy.deepcopy(dict(matplotlib.rcParams))
    pyplot_loaded = "matplotlib.pyplot" in sys.modules
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2, 20))
    labels = np.where(X[0] > 0, "a", "b")
    report(
        tmp_path,
        task="binary",
        y_true=labels,
        y_pred=labels,
        decision=DecisionRegions(("x", "y"), X, labels, lambda P: np.where(P[0] > 0, "a", "b")),
    )
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == params
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_loaded


def test_missing_directory_is_created_and_a_file_in_the_way_is_named(tmp_path):
    written = write_report(
        tmp_path / "a" / "b" / "c",
        title="t",
        summary="s",
        metrics={},
        history={"loss": [1.0]},
        task="binary",
    )
    assert written["report"].is_file()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "sub"):
        with pytest.raises(OSError) as error:
            write_report(out, title="t", summary="s", metrics={}, history={}, task="binary")
        assert str(out) in str(error.value) or str(blocker) in str(error.value)
    assert blocker.read_text() == "not a directory"


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root"
)
def test_unwritable_directory_is_named(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as error:
            write_report(out, title="t", summary="s", metrics={}, history={}, task="binary")
        assert str(out) in str(error.value)
    finally:
        out.chmod(0o700)


def test_bad_arguments_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="task"):
        report(tmp_path, task="clustering")
    X = np.zeros((2, 4))
    with pytest.raises(ShapeError, match=r"decision\.predict"):
        report(
            tmp_path,
            task="binary",
            decision=DecisionRegions(("a", "b"), X, np.array([0, 1, 0, 1]), lambda P: P),
        )
    with pytest.raises(ShapeError, match=r"decision\.X"):
        report(
            tmp_path,
            task="binary",
            decision=DecisionRegions(("a", "b"), np.zeros((3, 4)), np.zeros(4), lambda P: P[0]),
        )
    with pytest.raises(ValueError, match="multilabel"):
        report(
            tmp_path,
            task="multilabel",
            decision=DecisionRegions(("a", "b"), X, np.zeros(4), lambda P: P[0]),
        )
    assert not any(path.suffix == ".png" for path in tmp_path.rglob("*"))


def test_ten_thousand_classes_give_a_note_and_the_report_is_written(tmp_path):
    """Issue 11, item 10: 10,000 classes crashed the report after the model was saved."""
    rng = np.random.default_rng(2)
    y_true = np.array([f"c{i}" for i in range(10_000)])
    y_pred = y_true[rng.permutation(10_000)]
    written = report(tmp_path, task="multiclass", y_true=y_true, y_pred=y_pred)
    assert "confusion" not in written and written["report"].exists()
    assert "10000 classes are more than the 100" in parse(written).all_text
    many = report(tmp_path, task="multiclass", y_true=y_true[:50], y_pred=y_pred[:50])
    assert "confusion" in many  # up to 100 classes, the matrix is drawn


def test_data_section_groups_runs_of_like_columns(tmp_path):
    columns = [("digit", "target", "multiclass, 10 classes")]
    columns += [(f"pixel_{j}", "numeric", "1, standardized") for j in range(64)]
    columns += [("colour", "text", "3, one-hot")]
    columns += [(f"x{j}", "numeric", "1, standardized") for j in range(GROUPED_RUN - 1)]
    data = {"notes": ["1797 rows read."], "columns": columns}
    text = parse(report(tmp_path, task="multiclass", history={}, data=data)).all_text
    assert "pixel_0 … pixel_63 (64 columns)" in text and "1, standardized each" in text
    assert "pixel_1" not in text.replace("pixel_0 … pixel_63", "")
    assert "colour" in text and "3, one-hot" in text
    # a run shorter than GROUPED_RUN keeps one row per column
    assert all(f"x{j}" in text for j in range(GROUPED_RUN - 1)) and "x0 …" not in text
