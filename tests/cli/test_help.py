"""Every option says what it does and its default; docs/cli.md lists every command."""

from __future__ import annotations

import argparse
from pathlib import Path

from vecnn.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_has_help_and_its_default():
    for name, parser in _commands().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction) or action.dest in ("debug", "parser"):
                continue
            what = f"vecnn {name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help, f"{what} has no help"
            default = action.default
            if action.option_strings and default not in (None, False, "", argparse.SUPPRESS):
                assert "default" in action.help, f"{what}: its default {default!r} is not said"


def test_docs_cli_lists_every_command():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = [line for line in page.splitlines() if line.startswith("| `vecnn ")]
    for name in _commands():
        assert any(line.startswith(f"| `vecnn {name}") for line in table), name


def test_tune_takes_drop_and_max_categories_as_train_does(monkeypatch):
    import vecnn.cli.sweep.run as sweep_run
    from vecnn.cli import main

    seen = {}
    monkeypatch.setattr(sweep_run, "tune", lambda sweep: seen.setdefault("base", sweep.base) and 0)
    argv = ["tune", "cars.csv", "--target", "mpg", "--drop", "id, name", "--max-categories", "7"]
    assert main(argv) == 0
    assert seen["base"].drop == ["id", "name"] and seen["base"].max_categories == 7
