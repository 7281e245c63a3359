"""Peak memory of ``vecnn train`` (or ``predict``, ``evaluate``) on a numeric CSV, as a
multiple of the file's size.

Writes a CSV of numbers (``--columns`` features written as ``-0.1234``, and a 0/1 target
``y``) of about ``--mb`` megabytes, runs ``vecnn train`` on it in a subprocess, and reads
the child's peak resident set (``ru_maxrss``). The data part is the peak minus the import
baseline (a child that only imports ``vecnn.cli.train``), reported as a multiple of the
CSV's size; issue 11's goal is under 8× for a numeric CSV of 100 MB. The same command on a
200-row file of the same columns is shown too: what a run costs beyond the imports without
data (the report's plotting, mostly); ``beyond_200_rows_x_csv`` is the peak beyond that
run, the part that grows with the file, as a multiple of its size.

``--command predict`` (or ``evaluate``) trains a model on the 200-row file first, then
measures ``vecnn predict MODEL FILE -o OUT`` (``vecnn evaluate MODEL FILE``) the same way;
the import baseline is then a child that imports ``vecnn.cli.predict``.

    .venv/bin/python benchmarks/memory.py --mb 6 --mb 100
    .venv/bin/python benchmarks/memory.py --command evaluate --mb 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VECNN = [sys.executable, "-m", "vecnn"]


def write_numeric_csv(path: Path, rows: int, columns: int = 20, seed: int = 0) -> int:
    """A CSV of ``rows`` rows: ``columns`` features and a 0/1 target; returns its size."""
    rng = np.random.default_rng(seed)
    names = [f"x{k}" for k in range(columns)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join([*names, "y"]) + "\n")
        done = 0
        while done < rows:
            block = min(20_000, rows - done)
            X = rng.normal(size=(block, columns))
            y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
            lines = [
                ",".join(f"{v:.4f}" for v in row) + f",{label}\n"
                for row, label in zip(X, y, strict=True)
            ]
            handle.write("".join(lines))
            done += block
    return path.stat().st_size


def rows_for(megabytes: float, columns: int = 20) -> int:
    """About how many rows make a file of ``megabytes`` (7.3 bytes per feature value)."""
    return max(200, round(megabytes * 1e6 / (columns * 7.3 + 2)))


def child_peak(command: list[str]) -> tuple[int, float]:
    """The peak RSS in bytes of ``command`` run as a child, and its seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed with {status}")
    return usage.ru_maxrss * 1024, seconds  # Linux reports kilobytes


COMMANDS = ("train", "predict", "evaluate")


def import_peak(command: str = "train") -> int:
    """The peak RSS of a child that imports what ``vecnn <command>`` imports, and stops."""
    module = "vecnn.cli.train" if command == "train" else "vecnn.cli.predict"
    return child_peak([sys.executable, "-c", f"import {module}"])[0]


def peak_rss(
    csv_path: Path, out: Path, command: str = "train", model: Path | None = None
) -> tuple[int, float]:
    """``vecnn <command>`` on ``csv_path`` in a child process: its peak RSS in bytes,
    seconds (``predict`` and ``evaluate`` use ``model``; ``predict`` writes into ``out``)."""
    if command == "predict":
        out.mkdir(exist_ok=True)
        return child_peak([*VECNN, "predict", str(model), str(csv_path), "-o", str(out / "p.csv")])
    if command == "evaluate":
        return child_peak([*VECNN, "evaluate", str(model), str(csv_path)])
    line = [
        *VECNN,
        "train",
        str(csv_path),
        "--target",
        "y",
        "--layers",
        "8",
        "--epochs",
        "1",
        "--batch-size",
        "1024",
        "--out",
        str(out),
        "--overwrite",
        "--quiet",
    ]
    return child_peak(line)


def measure(megabytes: float, folder: Path, columns: int = 20, command: str = "train") -> dict:
    """The data part of the peak for a file of about ``megabytes``, against the baseline."""
    small, big = folder / "small.csv", folder / "big.csv"
    write_numeric_csv(small, 200, columns)
    size = write_numeric_csv(big, rows_for(megabytes, columns), columns)
    model = None
    if command != "train":  # a model of the same columns, trained on the small file
        peak_rss(small, folder / "model")
        model = folder / "model" / "model.vecnn"
    imports = import_peak(command)
    no_data, _ = peak_rss(small, folder / "out-small", command, model)
    peak, seconds = peak_rss(big, folder / "out-big", command, model)
    big.unlink()
    return {
        "command": command,
        "csv_mb": round(size / 1e6, 2),
        "rows": rows_for(megabytes, columns),
        "columns": columns + 1,
        "imports_mb": round(imports / 1e6, 1),
        "200_rows_mb": round(no_data / 1e6, 1),
        "peak_mb": round(peak / 1e6, 1),
        "data_mb": round((peak - imports) / 1e6, 1),
        "data_x_csv": round((peak - imports) / size, 2),
        "beyond_200_rows_x_csv": round((peak - no_data) / size, 2),
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, action="append", help="CSV size (repeatable)")
    parser.add_argument("--columns", type=int, default=20, help="feature columns")
    parser.add_argument("--command", choices=COMMANDS, default="train", help="what to run")
    args = parser.parse_args(argv)
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in args.mb or [6.0]:
            result = measure(megabytes, Path(folder), args.columns, args.command)
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
