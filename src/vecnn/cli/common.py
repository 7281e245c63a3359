"""What the commands share: output to the terminal, the run folder, and model files with
their preprocessing."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.backend.host import Array, xp
from vecnn.errors import DataError, ModelFormatError
from vecnn.preprocessing import MAX_CATEGORIES, TASKS, Preprocessor
from vecnn.train.network import Network


class UsageError(Exception):
    """A command used wrongly (exit status 2), e.g. options that contradict each other."""


def add_task_options(parser: Any) -> None:
    """``--task`` and ``--head``: what the target is and the output layer for several
    classes (``vecnn train`` and ``vecnn tune``)."""
    parser.add_argument(
        "--task",
        default="auto",
        choices=TASKS,
        help="what to predict (default auto: decided from the target's values, and printed)",
    )
    parser.add_argument(
        "--head",
        default="softmax",
        choices=["softmax", "ovr"],
        help="multi-class output: a softmax, or one-vs-rest sigmoid units (default softmax)",
    )


def add_column_options(parser: Any) -> None:
    """How the CSV's columns become inputs: ``--impute``, ``--drop COLS``,
    ``--max-categories N`` and ``--delimiter`` (``vecnn train`` and ``vecnn tune``)."""
    parser.add_argument(
        "--impute",
        choices=["mean", "median", "most_frequent"],
        help="fill missing values (default: refuse them)",
    )
    parser.add_argument(
        "--drop",
        metavar="COLS",
        default="",
        help="columns to leave out, comma-separated (e.g. an ID or a name; default none)",
    )
    parser.add_argument(
        "--max-categories",
        type=positive_int,
        default=MAX_CATEGORIES,
        help="most distinct values a text column may have to be one-hot encoded "
        f"(default {MAX_CATEGORIES})",
    )
    parser.add_argument("--delimiter", help="field separator (default: detected from the header)")


def positive_int(text: str) -> int:
    """An option's value that must be a whole number ≥ 1 (sizes, counts, epochs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def parse_columns(text: str) -> list[str]:
    """Column names separated by commas (``--drop``, ``--keep``); blanks ignored."""
    return [name.strip() for name in text.split(",") if name.strip()]


def parse_target(values: str | list[str]) -> list[str]:
    """``--target`` as column names: one column, or several separated by commas
    (multi-label); a name with a comma is quoted (``'"price, USD"'``), and the option may
    be repeated (a list of values)."""
    names = []
    for value in [values] if isinstance(values, str) else values:
        names += [name.strip() for name in next(csv.reader([value]), []) if name.strip()]
    if not names:
        raise UsageError("--target names no column")
    return names


def format_target(names: list[str]) -> str:
    """The inverse of ``parse_target``: one ``--target`` value naming ``names``, a name
    with a comma or a quote written in CSV quoting."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(names)
    return buffer.getvalue()


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def bold(text: str, stream: Any = None) -> str:
    """``text`` in bold when ``stream`` (default: standard output, as it is now) shows colour."""
    stream = sys.stdout if stream is None else stream
    return f"\033[1m{text}\033[0m" if use_color(stream) else text


def say(text: str = "", quiet: bool = False) -> None:
    """A line for the user on standard output (nothing with ``--quiet``)."""
    if not quiet:
        print(text, flush=True)


def warn(text: str) -> None:
    """A warning for the user on standard error (also with ``--quiet``; not while
    ``warnings_muted``)."""
    if not _muted:
        print(f"vecnn: warning: {text}", file=sys.stderr, flush=True)


_muted = False


@contextlib.contextmanager
def warnings_muted() -> Iterator[None]:
    """No ``warn`` and no Python warning inside: the MPI ranks other than 0, which would
    repeat rank 0's warnings once each."""
    global _muted
    before, _muted = _muted, True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _muted = before


def check_writable_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it, before any work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".vecnn-probe-"):
            pass
    except OSError as error:
        reason = f"cannot write to the output folder: {error.strerror or error}"
        raise DataError(reason, folder) from None
    return folder


def memory_bytes() -> int:
    """The memory this process may still use: the machine's, or what ``RLIMIT_AS`` leaves."""
    limit = 2**50
    with contextlib.suppress(ValueError, OSError, AttributeError):
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            used = 0
            with contextlib.suppress(OSError, IndexError, ValueError):
                status = Path("/proc/self/status").read_text()
                used = int(status.split("VmSize:")[1].split()[0]) * 1024
            limit = min(limit, max(soft - used, 0))
    return limit


def check_network_size(
    sizes: list[int], m: int, itemsize: int, copies: int, option: str = "--layers"
) -> None:
    """Refuse (a usage error) dense layers ``n[0] … n[L]`` whose parameters (``copies`` of
    them: weights, gradients, optimizer state) and activations for ``m`` examples would not
    fit in memory, before anything is allocated."""
    parameters = sum(a * b + b for a, b in itertools.pairwise(sizes))
    need = (parameters * copies + 4 * m * sum(sizes)) * itemsize
    have = memory_bytes()
    if need > have:
        raise UsageError(
            f"{option}: a network {' → '.join(map(str, sizes))} has {parameters:,} "
            f"parameters, about {_in_bytes(need)} of memory with their gradients and "
            f"activations; this machine has {_in_bytes(have)}: use smaller layers"
        )


def _in_bytes(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError  # pragma: no cover


def write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, allow_nan=True, default=_plain) + "\n"
    model_io.atomic_write_bytes(path, text.encode("utf-8"))


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclass
class Model:
    """A model file as the command line uses it: the network and its preprocessing."""

    path: Path
    network: Network
    preprocessing: Preprocessor
    metadata: dict[str, Any]

    @property
    def target(self) -> Any:
        return self.preprocessing.target


def load_model(path: str | Path) -> Model:
    """Read a model file written by ``vecnn train``; a ModelFormatError when it is not one."""
    stored = model_io.read(path)
    if stored.preprocessing is None:
        raise ModelFormatError(
            "this model file holds no preprocessing: it was saved by the library "
            "(vecnn.save), not by 'vecnn train'; use it from Python",
            path,
        )
    try:
        preprocessing = Preprocessor.from_config(stored.preprocessing)
    except ValueError as error:
        raise ModelFormatError(str(error), path) from None
    if preprocessing.target is None:
        raise ModelFormatError("the preprocessing names no target", path)
    _check_agreement(preprocessing, stored.network, path)
    return Model(Path(path), stored.network, preprocessing, stored.metadata)


def _check_agreement(preprocessing: Preprocessor, network: Network, path: Any) -> None:
    """The preprocessing must make the network's inputs and name its classes."""
    inputs, target = len(preprocessing.feature_names), preprocessing.target
    if inputs != network.n_features:
        raise ModelFormatError(
            f"the preprocessing makes {inputs} inputs but the network takes "
            f"n[0] = {network.n_features}",
            path,
        )
    if target.task != network.task:
        raise ModelFormatError(
            f"the preprocessing's task is {target.task} but the network's is {network.task}",
            path,
        )
    if target.classes is not None:
        found = None if network.classes_ is None else [str(c) for c in network.classes_.tolist()]
        if found != target.classes:
            raise ModelFormatError(
                f"the preprocessing's classes {target.classes[:20]} are not the network's "
                f"{None if found is None else found[:20]}",
                path,
            )
    elif len(target.names) != network.n_outputs:
        raise ModelFormatError(
            f"the preprocessing has {len(target.names)} target column(s) but the network "
            f"has n[L] = {network.n_outputs} outputs",
            path,
        )


def class_probabilities(network: Network, X: Array) -> Array:
    """``(K, m)``: for each class, its probability (sigmoid units as given, one unit as
    ``[1 − a; a]``), in the order of ``network.classes_``."""
    A = network.predict_proba(X).astype(xp.float64)
    if A.shape[0] == 1:
        return xp.vstack([1.0 - A, A])
    return A
