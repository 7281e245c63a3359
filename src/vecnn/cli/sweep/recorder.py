"""A Tune callback on the driver that records each trial as a ``TrialRecord``.

Imported only once Ray is known to be installed (it subclasses ``ray.tune.Callback``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ray import tune

from vecnn.cli.sweep.results import TrialRecord
from vecnn.cli.sweep.trial import FAILED


def _error_text(trial: Any) -> str:
    """The last line of a failed trial's error (Ray keeps the whole traceback in a file)."""
    try:
        error = trial.get_error()
    except Exception:  # the text is a courtesy: never let it hide the sweep's results
        return "the trial's worker failed"
    text = str(error or "").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "the trial's worker failed"


class Recorder(tune.Callback):
    """``records``: every trial in the order Tune created them; ``say`` prints a line as
    each trial ends."""

    def __init__(self, metric: str, epochs: int, say: Callable[[str], None]) -> None:
        self.metric, self.epochs, self.say = metric, epochs, say
        self.records: dict[str, TrialRecord] = {}
        self._started: dict[str, float] = {}

    def _record(self, trial: Any) -> TrialRecord:
        record = self.records.get(trial.trial_id)
        if record is None:
            config = {k: v for k, v in trial.config.items()}
            record = self.records[trial.trial_id] = TrialRecord(trial.trial_id, config)
        return record

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._record(trial)
        self._started[trial.trial_id] = time.monotonic()

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        record = self._record(trial)
        record.reports.append(dict(result))
        record.seconds = float(result.get("time_total_s", record.seconds))

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        record = self._record(trial)
        record.retries += 1
        self.say(f"  trial {trial.trial_id}: its worker failed; retrying from its checkpoint")

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        record = self._record(trial)
        record.ended = "done"
        self._announce(record)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        record = self._record(trial)
        record.ended, record.error = "error", _error_text(trial)
        self._announce(record)

    def _announce(self, record: TrialRecord) -> None:
        settings = ", ".join(f"{k}={_short(v)}" for k, v in record.config.items())
        state = record.state(self.epochs)
        done = record.epochs()
        value = done[-1].get(self.metric) if done else None
        shown = f"{self.metric} {value:.4g}" if isinstance(value, float) else "no result"
        if any(FAILED in r for r in record.reports) or record.ended == "error":
            shown = record.reason()
        n = len(done)
        self.say(f"  trial {record.trial_id} ({settings}): {state} after {n} epochs; {shown}")


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
