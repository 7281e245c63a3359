"""``vecnn tune``'s options, and the step from them to the sweep (Ray is imported later)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vecnn.cli.common import add_column_options, add_task_options, positive_int

EXAMPLE = (
    "vecnn tune data.csv --target y --trials 20 --epochs 30 --out runs/sweep "
    "--param lr=1e-4:1e-1:log --param layers=64|64,32|128,64"
)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1); got {text}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1); got {text}")
    return value


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``vecnn tune DATA.csv --target … [--param NAME=SPEC …]`` on ``commands``."""
    p = commands.add_parser(
        "tune",
        help="search hyper-parameters on Ray Tune (needs: pip install 'vecnn[tune]')",
        example=EXAMPLE,
        description="Run --trials trainings of `vecnn train`'s network with settings drawn "
        "from the search space, on a local Ray (or a cluster: --address), and write "
        "results.csv, best/ (the best trial's model and report) and report.html into --out. "
        "SPEC is a:b (uniform), a:b:log (log-uniform), v1|v2|… (a choice) or one value, for "
        "lr, layers, dropout, l2, batch-size, activation, optimizer. Default space: "
        "lr=1e-4:1e-1:log layers=32|64,32|128,64 dropout=0:0.3.",
    )
    p.add_argument("data", metavar="DATA.csv", help="training data with a header row")
    p.add_argument("--target", required=True, help="the column(s) to predict, comma-separated")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=SPEC",
        help="a searched setting (repeat for several); e.g. lr=1e-4:1e-1:log",
    )
    p.add_argument("--trials", type=positive_int, default=10, help="number of trials (default 10)")
    p.add_argument("--epochs", type=positive_int, default=30, help="epochs per trial (default 30)")
    p.add_argument(
        "--scheduler",
        choices=["asha", "fifo"],
        default="asha",
        help="asha: stop trials that fall behind early (default); fifo: run all to the end",
    )
    p.add_argument(
        "--metric",
        default="val_loss",
        help="what to optimize: val_loss (default), val_accuracy, loss, accuracy",
    )
    p.add_argument(
        "--cpus-per-trial",
        type=positive_int,
        default=1,
        help="CPUs (and BLAS threads) for each trial (default 1)",
    )
    p.add_argument(
        "--concurrent",
        type=positive_int,
        help="trials at once (default: as many as the CPUs allow)",
    )
    p.add_argument(
        "--address",
        metavar="auto|HOST:PORT",
        help="join a running Ray cluster (ray start --head) instead of starting a local Ray",
    )
    p.add_argument(
        "--max-failures",
        type=int,
        default=2,
        help="restarts of a trial whose worker dies, from its last checkpoint (default 2)",
    )
    p.add_argument(
        "--val-split",
        type=_fraction,
        default=0.2,
        help="fraction of rows held out to compare the trials (default 0.2)",
    )
    add_task_options(p)
    add_column_options(p)
    p.add_argument("--seed", type=int, default=0, help="random seed of every trial (default 0)")
    p.add_argument("--out", default="vecnn-tune", help="output folder (default vecnn-tune)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing while tuning")
    return p


def run(args: argparse.Namespace) -> int:
    """The parsed options to a ``Sweep``, run."""
    from vecnn.cli.common import UsageError, parse_columns, parse_target
    from vecnn.cli.sweep.run import Sweep, tune
    from vecnn.cli.train import Settings, command_line

    if args.max_failures < 0:
        raise UsageError("--max-failures must be ≥ 0")
    base = Settings(
        data=Path(args.data),
        target=parse_target(args.target),
        layers=[64, 32],
        task=args.task,
        head=args.head,
        epochs=args.epochs,
        val_split=args.val_split,
        seed=args.seed,
        out=Path(args.out),
        impute=args.impute,
        drop=parse_columns(args.drop),
        max_categories=args.max_categories,
        delimiter=args.delimiter,
        quiet=args.quiet,
        command=command_line(args.argv),
    )
    sweep = Sweep(
        base=base,
        params=args.param,
        trials=args.trials,
        scheduler=args.scheduler,
        metric=args.metric,
        cpus_per_trial=args.cpus_per_trial,
        concurrent=args.concurrent,
        address=args.address,
        max_failures=args.max_failures,
    )
    return tune(sweep)
