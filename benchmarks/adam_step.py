"""One Adam step over a flat buffer: the rule, the in-place NumPy path by chunk size, Numba.

    python benchmarks/adam_step.py                        # MNIST's and the wide net's sizes
    python benchmarks/adam_step.py --sizes 235146 --chunks 16384,262144,1048576 --runs 7

CPU time per step (``time.process_time``: the load of a shared machine blurs it less than
the wall clock), the best of ``--runs`` rounds of several steps, the variants interleaved in
each round. Each variant starts from the same arrays, and the table says whether it ends
with the rule's numbers bit for bit. Run it with one BLAS thread (the step is element-wise
and single-threaded anyway): ``OPENBLAS_NUM_THREADS=1``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from vecnn.backend import kernels

B1, B2, LR, EPS = 0.9, 0.999, 1e-3, 1e-8
Step = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[float, ...]], None]


def rule(W, g, v, s, scalars) -> None:
    """The reference rule as written in ``Adam._adam`` (a new array per operation)."""
    b1, b2, lr, eps, l2, decay, bc1, bc2 = scalars
    if decay:
        W -= decay * W
    if l2:
        g = g + l2 * W
    v[...] = b1 * v + (1 - b1) * g
    s[...] = b2 * s + (1 - b2) * (g * g)
    W -= lr * (v / bc1) / (np.sqrt(s / bc2) + eps)


def in_place(chunk_bytes: int) -> Step:
    """The in-place NumPy path with chunks of ``chunk_bytes`` (its scratch made once)."""
    scratch: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}

    def step(W, g, v, s, scalars) -> None:
        n = min(W.size, max(1, chunk_bytes // W.itemsize))
        key = (n, W.dtype.str)
        if key not in scratch:
            scratch[key] = (np.empty(n, W.dtype), np.empty(n, W.dtype))
        numbers = (*scalars, 1 - scalars[0], 1 - scalars[1])
        kernels._adam_in_place(W, g, v, s, numbers, scratch[key])

    return step


def compiled(W, g, v, s, scalars) -> None:
    """The Numba kernel (``kernels.adam`` with Numba importable)."""
    assert kernels.adam(W, g, v, s, scalars)


def measure(
    n: int, dtype: str, variants: dict[str, Step], runs: int, decay: float, ts: list[int]
) -> None:
    """Print each variant's best time per step at each step number ``t`` in ``ts``."""
    rng = np.random.default_rng(0)
    W0, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    steps = max(3, min(200, int(2e7 // n)))
    best: dict[tuple[str, int], float] = {}
    ends: dict[tuple[str, int], list[np.ndarray]] = {}
    for round_ in range(runs):
        for t in ts:
            scalars = (B1, B2, LR, EPS, 0.0, decay, 1 - B1**t, 1 - B2**t)
            for name, step in variants.items():
                W, v, s = W0.copy(), np.full(n, 0.1, dtype), np.full(n, 0.2, dtype)
                step(W, g, v, s, scalars)
                if round_ == 0:
                    ends[name, t] = [W.copy(), v.copy(), s.copy()]
                start = time.process_time()
                for _ in range(steps):
                    step(W, g, v, s, scalars)
                spent = (time.process_time() - start) / steps
                best[name, t] = min(best.get((name, t), np.inf), spent)
    print(f"n = {n:,} {dtype}, AdamW decay {decay}; {steps} steps × best of {runs}")
    print(f"  {'variant':<22} {'t':>6} {'µs/step':>10} {'× numba':>8}  bit for bit")
    for t in ts:
        kernel = best.get(("numba", t))
        for name in variants:
            pairs = zip(ends[name, t], ends["rule", t], strict=True)
            same = all(np.array_equal(a, b) for a, b in pairs)
            ratio = f"{best[name, t] / kernel:8.2f}" if kernel else "       –"
            print(f"  {name:<22} {t:6} {best[name, t] * 1e6:10.1f} {ratio}  {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="235146,2913290", help="parameter counts")
    parser.add_argument(
        "--chunks",
        default="65536,262144,524288,1048576,2097152,4194304",
        help="chunk sizes in bytes for the in-place path (0: the whole buffer at once)",
    )
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decay", type=float, default=0.0, help="AdamW's αλ (0: Adam)")
    parser.add_argument(
        "--steps", default="5", help="t, the steps' numbers (their bias corrections)"
    )
    args = parser.parse_args()
    variants: dict[str, Step] = {"rule": rule}
    for chunk in (int(c) for c in args.chunks.split(",")):
        label = "in place, whole" if chunk == 0 else f"in place, {chunk // 1024} KiB"
        variants[label] = in_place(chunk or 1 << 62)
    if kernels.available():
        variants["numba"] = compiled
    print(f"load average {os.getloadavg()[0]:.2f}; NumPy {np.__version__}")
    for n in (int(x) for x in args.sizes.split(",")):
        measure(
            n, args.dtype, variants, args.runs, args.decay, [int(t) for t in args.steps.split(",")]
        )


if __name__ == "__main__":
    main()
