"""The ``vecnn`` command: parsing and wiring only; the work is in the library.

Exit status: 0 on success, 2 for a usage error, 1 for a data or model-file problem (one
line naming the file, line and column; ``--debug`` shows the traceback), 130 when
interrupted, 141 when the reader of the output goes away (``vecnn predict … | head``).
``main`` returns the status in every case (``--help`` and usage errors included); it
raises no ``SystemExit``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from vecnn import backend
from vecnn._version import __version__
from vecnn.cli.common import (
    UsageError,
    add_column_options,
    add_task_options,
    parse_columns,
    parse_target,
    positive_int,
)
from vecnn.errors import DataError, ModelFormatError, ShapeError
from vecnn.train import TrainingDivergedError

EXAMPLES = {
    "train": "vecnn train iris.csv --target species --layers 16,8 --epochs 100 --out runs/iris",
    "evaluate": "vecnn evaluate runs/iris/model.vecnn test.csv --json",
    "predict": "vecnn predict runs/iris/model.vecnn new.csv -o predictions.csv",
    "demo": "vecnn demo --out vecnn-demo",
    "explain": "vecnn explain runs/iris/model.vecnn --graph step.svg",
    "gradcheck": "vecnn gradcheck --layers 4,8,3   (or: vecnn gradcheck runs/iris/model.vecnn)",
    "export": "vecnn export runs/iris/model.vecnn iris.onnx",
    "playground": "vecnn playground --port 8050",
    "tune": "vecnn tune iris.csv --target species --trials 20 --epochs 30 --out runs/sweep",
}


class _Parser(argparse.ArgumentParser):
    """argparse, with the example of each command at the end of its help."""

    def __init__(self, *args: object, example: str | None = None, **kwargs: object) -> None:
        if example:
            kwargs["epilog"] = f"example:\n  {example}"
            kwargs["formatter_class"] = argparse.RawDescriptionHelpFormatter
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if example:
            # Also after the command (``vecnn train … --debug``); SUPPRESS keeps a
            # ``--debug`` given before the command.
            self.add_argument(
                "--debug",
                action="store_true",
                default=argparse.SUPPRESS,
                help="show tracebacks on errors",
            )
            self.set_defaults(parser=self)


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer; got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 0; got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1); got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0; got {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text}")
    return value


def _add_training_options(
    p: argparse.ArgumentParser,
    epochs: int,
    layers: str,
    lr: float = 1e-3,
    val_split: float = 0.2,
    patience: str = "10 when there are validation rows",
) -> None:
    p.add_argument("--layers", default=layers, help=f"hidden layer sizes (default {layers})")
    p.add_argument(
        "--activation",
        default="relu",
        choices=["relu", "leaky_relu", "tanh", "sigmoid", "linear"],
        help="hidden activation (default relu)",
    )
    p.add_argument(
        "--optimizer",
        default="adam",
        choices=["sgd", "momentum", "rmsprop", "adam", "adamw"],
        help="the update rule (default adam)",
    )
    p.add_argument("--lr", type=_positive, default=lr, help=f"learning rate (default {lr:g})")
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=epochs,
        help=f"passes over the data (default {epochs})",
    )
    p.add_argument(
        "--batch-size", type=positive_int, default=32, help="examples per step (default 32)"
    )
    p.add_argument("--full-batch", action="store_true", help="one step per epoch on all rows")
    p.add_argument(
        "--val-split",
        type=_fraction,
        default=val_split,
        help=f"fraction of rows held out for validation (default {val_split:g})",
    )
    p.add_argument(
        "--early-stopping",
        type=_non_negative_int,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs and keep the "
        f"best epoch's weights (default {patience}; 0: off)",
    )
    p.add_argument("--l2", type=_non_negative, default=0.0, help="L2 penalty λ (default 0)")
    p.add_argument(
        "--dropout",
        type=_fraction,
        default=0.0,
        help="dropout rate after each hidden layer (default 0)",
    )
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing while training")
    p.add_argument(
        "--backend",
        choices=backend.BACKENDS,
        help="array library to train with (default: $VECNN_BACKEND, else numpy)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vecnn",
        description="Neural networks in the textbook's matrix notation: train, evaluate, "
        "predict and explain on CSV files.",
        epilog="examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vecnn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "train",
        help="train a network on a CSV file",
        example=EXAMPLES["train"],
        description="Train on DATA.csv; write the model, metrics.json, "
        "history.csv and report.html with its plots into --out.",
    )
    p.add_argument("data", metavar="DATA.csv", help="training data with a header row")
    p.add_argument(
        "--target",
        required=True,
        action="append",
        help="the column to predict (several, comma-separated or repeated: multi-label; "
        "quote a name with a comma: --target '\"price, USD\"')",
    )
    add_task_options(p)
    _add_training_options(p, epochs=50, layers="64,32")
    add_column_options(p)
    p.add_argument("--out", default="vecnn-out", help="output folder (default vecnn-out)")
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue an interrupted run from its checkpoint.vecnn (same data "
        "and settings; --epochs may grow)",
    )
    p.add_argument(
        "--distributed",
        choices=["mpi"],
        help="data-parallel over the ranks of mpiexec: mpiexec -n N vecnn train … "
        "--distributed mpi (pip install 'vecnn[mpi]'; see docs/distributed.md)",
    )
    p.add_argument(
        "--threads",
        type=int,
        metavar="K",
        help="BLAS threads per rank with --distributed (default: cores ÷ ranks per machine)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even though --out holds the checkpoint of an unfinished run",
    )

    p = commands.add_parser(
        "evaluate", help="metrics of a model on labelled data", example=EXAMPLES["evaluate"]
    )
    p.add_argument("model", metavar="MODEL", help="a model file written by vecnn train")
    p.add_argument("data", metavar="DATA.csv", help="labelled rows, with the target column(s)")
    p.add_argument("--target", action="append", help="the target column(s) (default: the model's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--delimiter", help="field separator (default: detected from the header)")

    p = commands.add_parser(
        "predict", help="predictions for the rows of a CSV file", example=EXAMPLES["predict"]
    )
    p.add_argument("model", metavar="MODEL", help="a model file written by vecnn train")
    p.add_argument(
        "data", metavar="DATA.csv", help="the rows to predict (the target may be absent)"
    )
    p.add_argument("-o", "--output", metavar="OUT.csv", help="output file (default: stdout)")
    p.add_argument(
        "--keep",
        metavar="COLS",
        default="",
        help="input columns to copy to the output, comma-separated (e.g. an ID; default none)",
    )
    p.add_argument("--delimiter", help="field separator (default: detected from the header)")

    p = commands.add_parser(
        "demo", help="train on the bundled handwritten digits", example=EXAMPLES["demo"]
    )
    _add_training_options(
        p,
        epochs=30,
        layers="64",
        lr=3e-3,
        val_split=0.25,
        patience="off: the held-out rows are a test set",
    )
    p.add_argument("--out", default="vecnn-demo", help="output folder (default vecnn-demo)")

    p = commands.add_parser(
        "explain", help="the equations of a model, with its shapes", example=EXAMPLES["explain"]
    )
    p.add_argument("model", metavar="MODEL", help="a model file written by vecnn train")
    p.add_argument(
        "--graph", metavar="OUT.svg", help="draw one training step's graph (.dot, .svg or .png)"
    )

    p = commands.add_parser(
        "gradcheck",
        help="check gradients against finite differences",
        example=EXAMPLES["gradcheck"],
    )
    p.add_argument("model", metavar="MODEL", nargs="?", help="a model file to check")
    p.add_argument("--layers", help="check a fresh network of these sizes, e.g. 4,8,3")
    p.add_argument(
        "--seed", type=_seed, default=0, help="seed of the fresh network and data (default 0)"
    )
    from vecnn.cli.export import add_parser as add_export

    add_export(commands)
    from vecnn.playground.command import add_parser as add_playground

    add_playground(commands, EXAMPLES["playground"])
    from vecnn.cli.sweep.command import add_parser as add_tune

    add_tune(commands)
    return parser


def _settings(args: argparse.Namespace, data: Path, target: list[str]) -> object:
    from vecnn.cli.train import Settings, command_line, parse_layers

    return Settings(
        data=data,
        target=target,
        layers=parse_layers(args.layers),
        activation=args.activation,
        task=getattr(args, "task", "auto"),
        head=getattr(args, "head", "softmax"),
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=None if args.full_batch else args.batch_size,
        val_split=args.val_split,
        early_stopping=args.early_stopping,
        l2=args.l2,
        dropout=args.dropout,
        seed=args.seed,
        out=Path(args.out),
        impute=getattr(args, "impute", None),
        drop=parse_columns(getattr(args, "drop", "")),
        max_categories=getattr(args, "max_categories", 100),
        delimiter=getattr(args, "delimiter", None),
        quiet=args.quiet,
        resume=None if getattr(args, "resume", None) is None else Path(args.resume),
        overwrite=getattr(args, "overwrite", False),
        command=command_line(args.argv),
        distributed=getattr(args, "distributed", None),
        threads=getattr(args, "threads", None),
    )


def _inputs(args: argparse.Namespace) -> list[str | None]:
    """The files the command reads, which none of its outputs may overwrite."""
    return [getattr(args, name, None) for name in ("data", "model")]


def _run(args: argparse.Namespace) -> int:
    from vecnn.cli.resume import sigterm_as_interrupt
    from vecnn.io import protect_inputs

    # SIGTERM stops every command as Ctrl-C does: exit status 130, saying what was kept.
    with sigterm_as_interrupt(), protect_inputs(*_inputs(args)):
        return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    if args.command == "train":
        from vecnn.cli.train import train

        return train(_settings(args, Path(args.data), parse_target(args.target)))  # type: ignore[arg-type]
    if args.command == "demo":
        from vecnn.cli.train import train
        from vecnn.datasets import digits_path

        with digits_path() as path:
            settings = _settings(args, path, ["digit"])
            settings.held_out = "test"  # type: ignore[attr-defined]
            if settings.early_stopping is None:  # type: ignore[attr-defined]
                # Its held-out rows are a test set: choosing an epoch on them would make
                # the test accuracy a validation one.
                settings.early_stopping = 0  # type: ignore[attr-defined]
            return train(settings)  # type: ignore[arg-type]
    if args.command == "evaluate":
        from vecnn.cli.predict import evaluate

        return evaluate(args.model, args.data, args.target, args.json, args.delimiter)
    if args.command == "predict":
        from vecnn.cli.predict import predict

        keep = parse_columns(args.keep)
        return predict(args.model, args.data, args.output, args.delimiter, keep)
    if args.command == "explain":
        from vecnn.cli.explain import explain

        return explain(args.model, args.graph)
    if args.command == "gradcheck":
        from vecnn.cli.explain import gradcheck

        if (args.model is None) == (args.layers is None):
            raise UsageError("give either MODEL or --layers")
        return gradcheck(args.model, args.layers, args.seed)
    if args.command == "export":
        from vecnn.cli.export import run

        return run(args)
    if args.command == "playground":
        from vecnn.playground.command import run as run_playground

        return run_playground(args)
    if args.command == "tune":
        from vecnn.cli.sweep.command import run as run_tune

        return run_tune(args)
    raise UsageError(f"unknown command {args.command!r}")


def _rerun_on(name: str, argv: list[str]) -> int:
    """Run the command again in a process whose backend is ``name``: the backend is chosen
    once, when vecnn is imported (``VECNN_BACKEND``)."""
    import subprocess

    env = {**os.environ, "VECNN_BACKEND": name}
    return subprocess.run([sys.executable, "-m", "vecnn", *argv], env=env).returncode


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (status 2)
        return _status(stop.code)
    args.argv = argv
    if getattr(args, "backend", None) and args.backend != backend.name:
        return _rerun_on(args.backend, argv)
    try:
        return _run(args)
    except UsageError as error:
        if args.debug:
            traceback.print_exc()
        try:
            getattr(args, "parser", parser).error(str(error))  # the command's usage
        except SystemExit as stop:
            return _status(stop.code)
    except BrokenPipeError:  # the reader went away (… | head): stop quietly
        _silence_stdout()
        return 141
    except (
        DataError,
        ModelFormatError,
        ShapeError,
        ValueError,
        OSError,
        TrainingDivergedError,
    ) as error:
        if args.debug:
            traceback.print_exc()
        print(f"vecnn: error: {_one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vecnn: interrupted", file=sys.stderr)
        return 130
    return 1


def _status(code: object) -> int:
    """``SystemExit.code`` as an exit status."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    return " ".join(str(error).split())
