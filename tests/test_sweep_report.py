"""The sweep report: its plots are PNGs, its table keeps the order given, strings escaped."""

from __future__ import annotations

import math

from vecnn.report.sweep import write_sweep_report

HEADER = ["trial", "lr", "layers", "best_val_loss", "val_accuracy", "best_epoch", "epochs",
          "state", "seconds", "resumed_from_epoch", "reason"]  # fmt: skip
TABLE = [
    ["t1", 0.01, "64,32", 0.08, 0.97, 4, 5, "finished", 4.5, "", ""],
    ["t2", 0.002, "64", 0.25, 0.95, 3, 3, "stopped early", 2.5, "", ""],
    ["<t3>", 10.0, "64", "", "", "", 1, "failed", 0.1, "", "diverged <at> epoch 1"],
]


def test_the_page_shows_the_trials_in_order_with_both_plots(tmp_path):
    page = write_sweep_report(
        tmp_path,
        title="sweep <of> digits",
        command="vecnn tune d.csv --target y",
        header=HEADER,
        table=TABLE,
        metric="val_loss",
        curves={"t1": [0.3, 0.1, 0.09, 0.08, 0.085], "t2": [0.9, 0.4, 0.25], "<t3>": [math.inf]},
        searched=[("lr", "lr", True), ("layers", "layers", False)],
        best="t1",
        train_command="vecnn train d.csv --target y --lr 0.01 --layers 64,32",
        facts={"trials": 3, "scheduler": "asha"},
    )
    html = page.read_text(encoding="utf-8")
    for name in ("curves.png", "settings.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{name}"' in html
    assert html.index(">t1<") < html.index(">t2<") < html.index("&lt;t3&gt;")
    assert "<t3>" not in html and "sweep &lt;of&gt; digits" in html
    assert "diverged &lt;at&gt; epoch 1" in html
    assert "resumed_from_epoch" not in html  # a column empty in every row is left out
    assert 'href="best/report.html"' in html and "--layers 64,32" in html


def test_without_a_best_trial_the_page_says_so(tmp_path):
    page = write_sweep_report(
        tmp_path,
        title="t",
        command=None,
        header=HEADER,
        table=[TABLE[2]],
        metric="val_loss",
        curves={"<t3>": []},
        searched=[("lr", "lr", True)],
        best=None,
        train_command=None,
        facts={},
    )
    html = page.read_text(encoding="utf-8")
    assert "No trial reported a value of the metric" in html
    assert not (tmp_path / "settings.png").exists()
