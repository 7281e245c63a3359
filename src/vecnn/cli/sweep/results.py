"""What each trial of a sweep did, and ``results.csv``: one row per trial, best first."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.cli.sweep.trial import FAILED, RESUMED

FINISHED, STOPPED, FAILED_STATE = "finished", "stopped early", "failed"
INTERRUPTED, NOT_STARTED = "interrupted", "not started"


@dataclass
class TrialRecord:
    """One trial as the driver saw it: its settings, every epoch's report, how it ended.

    ``reports`` are Tune's results in order (one per epoch, ``epoch`` counting from 1);
    ``ended`` is None while running (then "interrupted" if the sweep stopped), "done" or
    "error"; ``error`` the reason of a failure; ``retries`` how often Tune restarted it.
    """

    trial_id: str
    config: dict[str, Any]
    reports: list[dict[str, Any]] = field(default_factory=list)
    ended: str | None = None
    error: str = ""
    retries: int = 0
    seconds: float = 0.0

    def epochs(self) -> list[dict[str, Any]]:
        """The epochs' reports, each epoch once (the last report wins after a restart)."""
        by_epoch: dict[int, dict[str, Any]] = {}
        for report in self.reports:
            if FAILED not in report and "epoch" in report:
                by_epoch[int(report["epoch"])] = report
        return [by_epoch[epoch] for epoch in sorted(by_epoch)]

    def series(self, key: str) -> list[float]:
        """``key`` per epoch (NaN where an epoch did not report it)."""
        return [float(report.get(key, math.nan)) for report in self.epochs()]

    def best(self, metric: str, mode: str) -> dict[str, Any] | None:
        """The report of the best epoch by ``metric`` (None when no epoch has a value)."""
        scored = [r for r in self.epochs() if _finite(r.get(metric))]
        if not scored:
            return None
        pick = min if mode == "min" else max
        return pick(scored, key=lambda r: float(r[metric]))

    def state(self, epochs: int) -> str:
        """finished, stopped early (by the scheduler), failed, interrupted or not started."""
        failed = [r[FAILED] for r in self.reports if FAILED in r]
        if self.ended == "error" or failed:
            return FAILED_STATE
        if self.ended == "done":
            done = self.epochs()
            return FINISHED if done and int(done[-1]["epoch"]) >= epochs else STOPPED
        return INTERRUPTED if self.reports else NOT_STARTED

    def reason(self) -> str:
        failed = [r[FAILED] for r in self.reports if FAILED in r]
        return failed[-1] if failed else self.error


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def metric_mode(metric: str) -> str:
    """Losses and errors are minimized; accuracy, F1, R² and the like maximized."""
    lowered = metric.lower()
    minimized = ("loss", "error", "mse", "mae", "rmse")
    return "min" if any(word in lowered for word in minimized) else "max"


def ranked(records: Sequence[TrialRecord], metric: str, mode: str) -> list[TrialRecord]:
    """The trials best first; trials without a value of the metric last, in their order."""

    def key(record: TrialRecord) -> tuple[int, float]:
        best = record.best(metric, mode)
        if best is None:
            return (1, 0.0)
        value = float(best[metric])
        return (0, value if mode == "min" else -value)

    return sorted(records, key=key)


def rows(
    records: Sequence[TrialRecord], keys: Sequence[str], metric: str, mode: str, epochs: int
) -> tuple[list[str], list[list[Any]]]:
    """results.csv's header and rows: settings, best values, best epoch, state, time."""
    extra = [k for k in ("val_loss", "val_accuracy") if k != metric]
    header = [
        "trial",
        *(k.replace("_", "-") for k in keys),
        f"best_{metric}",
        *extra,
        "best_epoch",
        "epochs",
        "state",
        "seconds",
        "resumed_from_epoch",
        "reason",
    ]
    table = []
    for record in ranked(records, metric, mode):
        best = record.best(metric, mode) or {}
        done = record.epochs()
        resumed = max((int(r.get(RESUMED, 0)) for r in record.reports), default=0)
        table.append(
            [
                record.trial_id,
                *(record.config.get(k, "") for k in keys),
                best.get(metric, ""),
                *(best.get(k, "") for k in extra),
                best.get("epoch", ""),
                int(done[-1]["epoch"]) if done else 0,
                record.state(epochs),
                round(record.seconds, 3),
                resumed or "",
                " ".join(record.reason().split()),
            ]
        )
    return header, table


def write_results(path: Path, header: list[str], table: list[list[Any]]) -> Path:
    """results.csv, written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in table:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return model_io.atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
