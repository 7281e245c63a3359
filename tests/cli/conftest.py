"""Fixtures for the command-line tests: ``main`` run in-process with its exit status and
output, and one model per task trained once for the session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from clihelpers import DATASETS, EPOCHS, write_csv

from vecnn.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``cli("train", "data.csv", ...)``: ``main`` run in-process, its status and output.

    ``main`` returns the exit status in every case (``--help`` and usage errors too)."""

    def run(*argv: object) -> Result:
        capsys.readouterr()
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        assert isinstance(code, int), f"main returned {code!r}, not an exit status"
        return Result(code, captured.out, captured.err)

    return run


@dataclass
class Trained:
    task: str
    data: Path
    target: str
    out: Path
    header: list[str]
    rows: list[list[object]]

    @property
    def model(self) -> Path:
        return self.out / "model.vecnn"


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Trained]:
    """One model per task, trained once for the session (``--quiet``, a few epochs)."""
    folder = tmp_path_factory.mktemp("trained")
    models = {}
    for task, (make, target) in DATASETS.items():
        header, rows = make()
        data = write_csv(folder / f"{task}.csv", header, rows)
        out = folder / f"run-{task}"
        code = main(
            [
                "train",
                str(data),
                "--target",
                target,
                "--layers",
                "8",
                "--epochs",
                str(EPOCHS),
                "--lr",
                "0.01",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        assert code == 0, f"training the {task} model failed"
        models[task] = Trained(task, data, target, out, header, rows)
    return models
