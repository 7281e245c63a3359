"""``vecnn tune``: trials of ``vecnn train``'s pipeline on Ray Tune, and what they leave.

The order of the work is the order of the failures a user can meet: the ``--param``
options (usage errors, exit 2), Ray's presence (exit 1, naming the extra), the output
folder and the data (exit 1), then Ray starts. The preprocessing is learned once, on the
training rows, and every trial gets the same preprocessed rows. At the end, even after
Ctrl-C: ``results.csv``, ``best/`` (what ``vecnn train`` writes, for the best trial at its
best epoch) and ``report.html``.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.cli.common import UsageError, bold, check_writable_folder, format_target, say
from vecnn.cli.sweep.cluster import prepare_environment, ray_available, ray_session
from vecnn.cli.sweep.results import TrialRecord, metric_mode, ranked, rows, write_results
from vecnn.cli.sweep.space import Dimension, parse_space, settings_count, to_ray
from vecnn.cli.sweep.trial import TrialData, run_trial, settings_for
from vecnn.cli.train import (
    Settings,
    _n_outputs,
    _output_activation,
    prepare,
    write_outputs,
)
from vecnn.integrations.ray import CHECKPOINT_FILE, INSTALL_HINT
from vecnn.report.sweep import write_sweep_report

RESULTS_FILE, BEST_FOLDER, TRIALS_FOLDER = "results.csv", "best", "trials"


@dataclass
class Sweep:
    """What ``vecnn tune`` was asked for; ``base`` holds the settings trials share."""

    base: Settings
    params: list[str] | None
    trials: int = 10
    scheduler: str = "asha"
    metric: str = "val_loss"
    cpus_per_trial: int = 1
    concurrent: int | None = None
    address: str | None = None
    max_failures: int = 2


def _check_metric(metric: str, task: str) -> None:
    known = ["val_loss", "loss"]
    if task != "regression":
        known += ["val_accuracy", "accuracy"]
    if metric not in known:
        raise UsageError(f"--metric {metric!r} is not recorded for {task}; choose {known}")


def tune(sweep: Sweep) -> int:
    """Run ``vecnn tune``; returns the exit status."""
    space = parse_space(sweep.params)
    prepare_environment(local=sweep.address is None)  # before Ray is imported
    if not ray_available():
        print(f"vecnn: error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    base = sweep.base
    if base.val_split == 0:
        raise UsageError("vecnn tune compares trials on validation rows: use --val-split > 0")
    out = check_writable_folder(base.out)
    data = prepare(base)
    task = data.preprocessing.target.task
    _check_metric(sweep.metric, task)
    mode = metric_mode(sweep.metric)
    assert data.validation is not None
    shared = TrialData(
        data.X,
        data.Y,
        data.validation,
        data.preprocessing.target.classes,
        _n_outputs(data.preprocessing),
        _output_activation(task, base.head),
        data.preprocessing.config(),
    )
    quiet = base.quiet
    say(
        bold(
            f"vecnn tune: {sweep.trials} trials × {base.epochs} epochs, {task} on "
            f"{len(data.train_rows)} rows of {base.data}; {sweep.metric} ({mode}imized)"
        ),
        quiet,
    )
    for dimension in space:
        say(f"  {dimension.describe()}", quiet)
    combinations = settings_count(space)
    if combinations is not None and combinations <= sweep.trials:
        # Draws would repeat settings, and a repeated setting trains the same network again.
        say(f"  the space holds {combinations} settings: one trial for each", quiet)
    started = time.monotonic()
    with ray_session(out, sweep.address, sweep.cpus_per_trial, lambda t: say(t, quiet)) as facts:
        records, grid, interrupted = _run(sweep, space, shared, out, mode)
        best = _load_best(_best_files(grid, records, sweep.metric, mode))
    elapsed = time.monotonic() - started
    keys = [d.key for d in space]
    header, table = rows(records, keys, sweep.metric, mode, base.epochs)
    results = write_results(out / RESULTS_FILE, header, table)
    say("", quiet)
    say(bold(f"{len(table)} trials in {elapsed:.1f} s: {results}"), quiet)
    if best is not None:
        record, network, history = best
        settings = settings_for(base, record.config)
        folder = check_writable_folder(out / BEST_FOLDER)
        scores, _, model_path = write_outputs(settings, folder, network, data, history)
        train_line = train_command(settings, record.config)
        say(f"best trial {record.trial_id}: {_scores_line(scores)}", quiet)
        say(f"best model: {model_path}", quiet)
        say(f"same settings with vecnn train: {train_line}", quiet)
    else:
        record, train_line = None, None
        say("no trial reported a value of the metric: no best model", quiet)
    report = write_sweep_report(
        out,
        title=f"vecnn tune: {', '.join(data.preprocessing.target.names)} from "
        f"{Path(base.data).name}",
        command=base.command,
        header=header,
        table=table,
        metric=sweep.metric,
        curves={r.trial_id: r.series(sweep.metric) for r in ranked(records, sweep.metric, mode)},
        searched=[_searched(d) for d in space],
        best=None if record is None else record.trial_id,
        train_command=train_line,
        facts={
            "trials": len(records),
            "epochs": base.epochs,
            "scheduler": sweep.scheduler,
            "metric": f"{sweep.metric} ({mode})",
            "Ray": facts.get("address", "local"),
            "CPUs": facts.get("cpus", ""),
            "seconds": round(elapsed, 1),
        },
    )
    say(f"report: {report}", quiet)
    if interrupted:
        print(f"vecnn: interrupted; {RESULTS_FILE} lists the trials that ran", file=sys.stderr)
        return 130
    return 0


def _searched(dimension: Dimension) -> tuple[str, str, bool]:
    """(config key, name shown, whether the axis is logarithmic)."""
    return dimension.key, dimension.name, dimension.kind == "log"


def _scores_line(scores: dict) -> str:
    shown = {k: v for k, v in scores.items() if isinstance(v, float)}
    return "  ".join(f"{k} {v:.4f}" for k, v in shown.items())


def _run(
    sweep: Sweep, space: list[Dimension], shared: TrialData, out: Path, mode: str
) -> tuple[list[TrialRecord], Any, bool]:
    """The trials on Ray Tune; returns the records, the result grid (None after a second
    Ctrl-C) and whether the sweep was interrupted."""
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
    from ray.tune.search import BasicVariantGenerator

    from vecnn.cli.sweep.recorder import Recorder

    base, metric = sweep.base, sweep.metric
    combinations = settings_count(space)
    grid = combinations is not None and combinations <= sweep.trials
    recorder = Recorder(metric, base.epochs, lambda text: say(text, base.quiet))
    if sweep.scheduler == "asha":
        scheduler: Any = ASHAScheduler(
            time_attr="epoch", max_t=base.epochs, grace_period=1, reduction_factor=3
        )
    else:
        scheduler = FIFOScheduler()
    trainable = ray_tune.with_resources(
        ray_tune.with_parameters(run_trial, base=base, data=shared, metric=metric, mode=mode),
        {"cpu": sweep.cpus_per_trial},
    )
    tuner = ray_tune.Tuner(
        trainable,
        param_space=to_ray(space, ray_tune, grid=grid),
        tune_config=ray_tune.TuneConfig(
            metric=metric,
            mode=mode,
            num_samples=1 if grid else sweep.trials,
            scheduler=scheduler,
            search_alg=BasicVariantGenerator(random_state=base.seed),
            max_concurrent_trials=sweep.concurrent,
            reuse_actors=True,
        ),
        run_config=ray_tune.RunConfig(
            name=time.strftime("%Y%m%d-%H%M%S"),
            storage_path=str((out / TRIALS_FOLDER).resolve()),
            verbose=0,
            callbacks=[recorder],
            failure_config=ray_tune.FailureConfig(max_failures=sweep.max_failures),
            checkpoint_config=ray_tune.CheckpointConfig(
                num_to_keep=1, checkpoint_score_attribute=metric, checkpoint_score_order=mode
            ),
        ),
    )
    grid = None
    with ctrl_c_stops_sweep() as stop:
        try:
            grid = tuner.fit()
        except KeyboardInterrupt:  # a second Ctrl-C: no waiting for the trials
            stop["interrupted"] = True
    return list(recorder.records.values()), grid, stop["interrupted"]


@contextmanager
def ctrl_c_stops_sweep() -> Iterator[dict[str, bool]]:
    """Ctrl-C (or SIGTERM) asks Tune to stop the trials and return what they did; a second
    one stops at once. Yields ``{"interrupted": bool}``."""
    stop = {"interrupted": False}

    def handler(signum: int, frame: Any) -> None:
        tune_listens = signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None)
        if stop["interrupted"] or not tune_listens:
            stop["interrupted"] = True
            raise KeyboardInterrupt
        stop["interrupted"] = True
        os.kill(os.getpid(), signal.SIGUSR1)  # Tune's own "stop and save" signal

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _best_files(
    grid: Any, records: list[TrialRecord], metric: str, mode: str
) -> tuple[TrialRecord, Any, Any] | None:
    """The best trial's record, its best checkpoint and its latest checkpoint."""
    if grid is None:
        return None
    by_id = {}
    for index in range(len(grid)):
        result = grid[index]
        trial_id = (result.metrics or {}).get("trial_id")
        if trial_id is not None:
            by_id[trial_id] = result
    for record in ranked(records, metric, mode):
        result = by_id.get(record.trial_id)
        if result is None or record.best(metric, mode) is None:
            continue
        checkpoint = result.get_best_checkpoint(metric, mode)
        if checkpoint is not None:
            return record, checkpoint, result.checkpoint
    return None


def _load_best(
    found: tuple[TrialRecord, Any, Any] | None,
) -> tuple[TrialRecord, Any, dict[str, list[float]]] | None:
    """The best epoch's network and the trial's whole history, from its checkpoints."""
    if found is None:
        return None
    record, best, latest = found
    with best.as_directory() as folder:
        network = model_io.load_checkpoint(Path(folder) / CHECKPOINT_FILE).network
    with (latest or best).as_directory() as folder:
        state = model_io.load_checkpoint(Path(folder) / CHECKPOINT_FILE).training_state or {}
    history = {
        key: [float("nan") if v is None else v for v in values]
        for key, values in state.get("history", {}).items()
    }
    return record, network, history


def train_command(settings: Settings, config: dict[str, Any]) -> str:
    """The ``vecnn train`` command with the trial's settings (to train it again, longer)."""
    words = ["vecnn", "train", str(settings.data), "--target", format_target(settings.target)]
    for key in config:
        value = getattr(settings, key)
        if key == "layers":
            value = ",".join(str(n) for n in value)
        words += [
            f"--{key.replace('_', '-')}",
            f"{value:.4g}" if isinstance(value, float) else str(value),
        ]
    words += ["--epochs", str(settings.epochs), "--val-split", f"{settings.val_split:g}"]
    words += ["--seed", str(settings.seed)]
    return shlex.join(words)
