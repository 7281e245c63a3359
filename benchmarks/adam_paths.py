"""A training epoch with the Numba Adam kernel against the NumPy-only install, in one process.

    OPENBLAS_NUM_THREADS=1 python benchmarks/adam_paths.py --workloads 1,3,6 --runs 5

The NumPy-only install is what ``kernels`` does when Numba cannot be imported (as the tests
emulate it: ``kernels._numba = False``). Both paths give the same numbers bit for bit, so
they train the same model from the same weights: each round trains one epoch with each,
interleaved, on models built alike (benchmarks/workers: the same data, the same net, Adam
built once). CPU time (``time.process_time``), the best of ``--runs`` rounds after a warm-up
epoch each: the load of a shared machine blurs it less than the wall clock, and with one
BLAS thread it is the work done. With two BLAS threads the matrix products take less wall
time while Adam does not, so the ratio on the wall clock is at least this one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE / "workers")]

import benchlib  # noqa: E402
from vecnn_worker import VecnnAdapter  # noqa: E402

from vecnn.backend import kernels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="1,3,6")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not kernels.available():
        sys.exit("Numba is not importable: install the 'fast' extra to compare the two paths")
    kernels.load()  # the kernel from the first step (not once the NumPy path has earned it)
    numba = kernels._numba
    cases = [c for c in benchlib.cases([int(w) for w in args.workloads.split(",")], False, 1)]
    cases = [c for c in cases if c["kind"] == "epoch"]
    print(f"load average {os.getloadavg()[0]:.2f}; CPU s/epoch, best of {args.runs}")
    print(f"{'case':<12} {'numba':>8} {'numpy':>8} {'numpy ÷ numba':>14}")
    for case in cases:
        paths = {}
        data = benchlib.case_data(case)
        for name in ("numba", "numpy"):
            adapter = VecnnAdapter()
            adapter.prepare(case, data)
            adapter.build(case["seed"])
            paths[name] = adapter
        best = {name: float("inf") for name in paths}
        for round_ in range(args.runs + 1):
            for name, adapter in paths.items():
                kernels._numba = numba if name == "numba" else False
                start = time.process_time()
                adapter.epoch()
                if round_:  # the first round warms up
                    best[name] = min(best[name], time.process_time() - start)
        kernels._numba = numba
        ratio = best["numpy"] / best["numba"]
        print(f"{case['id']:<12} {best['numba']:8.3f} {best['numpy']:8.3f} {ratio:14.2f}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
