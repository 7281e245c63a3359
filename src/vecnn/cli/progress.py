"""Training progress on the terminal: a bar per epoch on a terminal, plain lines otherwise."""

from __future__ import annotations

import math
import sys
from typing import Any

from vecnn.train.callbacks import Callback
from vecnn.train.network import Network

SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy")


def epoch_line(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    """``epoch  3/50  loss 0.1234  accuracy 0.9612  val_loss …  (0.21 s)``."""
    width = len(str(epochs))
    values = "  ".join(f"{key} {logs[key]:.4f}" for key in SHOWN if key in logs)
    return f"epoch {epoch + 1:>{width}}/{epochs}  {values}  ({logs.get('time', 0.0):.2f} s)"


class Progress(Callback):
    """A tqdm bar over each epoch's steps (with the running loss) and a line per epoch.

    On a terminal the bar is drawn on standard error; elsewhere (a pipe, a log file, CI)
    there is no bar, only the line per epoch. ``quiet`` prints nothing.
    """

    def __init__(self, epochs: int, steps_per_epoch: int, quiet: bool = False) -> None:
        self.epochs, self.steps, self.quiet = epochs, steps_per_epoch, quiet
        self.interactive = not quiet and sys.stderr.isatty()
        self.bar: Any = None

    def on_epoch_begin(self, network: Network, epoch: int) -> None:
        if self.interactive:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.steps,
                desc=f"epoch {epoch + 1}/{self.epochs}",
                leave=False,
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.2,
            )

    def on_batch_end(self, network: Network, step: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if math.isfinite(logs["loss"]):
                self.bar.set_postfix_str(f"loss {logs['loss']:.4f}", refresh=False)

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.quiet:
            print(epoch_line(epoch, self.epochs, logs), flush=True)

    def on_train_end(self, network: Network) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
