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

B1, B2, LR, EPS, T = 0.9, 0.999, 1e-3, 1e-8, 5
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


def measure(n: int, dtype: str, variants: dict[str, Step], runs: int, decay: float) -> None:
    rng = np.random.default_rng(0)
    W0, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    l2, dec = (0.0, decay) if decay else (0.0, 0.0)
    scalars = (B1, B2, LR, EPS, l2, dec, 1 - B1**T, 1 - B2**T)
    steps = max(3, min(200, int(2e7 // n)))
    best: dict[str, float] = {}
    ends: dict[str, list[np.ndarray]] = {}
    for round_ in range(runs):
        for name, step in variants.items():
            W, v, s = W0.copy(), np.full(n, 0.1, dtype), np.full(n, 0.2, dtype)
            step(W, g, v, s, scalars)
            if round_ == 0:
                ends[name] = [W.copy(), v.copy(), s.copy()]
            start = time.process_time()
            for _ in range(steps):
                step(W, g, v, s, scalars)
            best[name] = min(best.get(name, np.inf), (time.process_time() - start) / steps)
    reference = ends["rule"]
    kernel = best.get("numba")
    print(f"n = {n:,} {dtype}, AdamW decay {decay}; {steps} steps × best of {runs}")
    print(f"  {'variant':<22} {'µs/step':>10} {'× numba':>8}  bit for bit")
    for name in variants:
        same = all(np.array_equal(a, b) for a, b in zip(ends[name], reference, strict=True))
        ratio = f"{best[name] / kernel:8.2f}" if kernel else "       –"
        print(f"  {name:<22} {best[name] * 1e6:10.1f} {ratio}  {same}")


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
    args = parser.parse_args()
    variants: dict[str, Step] = {"rule": rule}
    for chunk in (int(c) for c in args.chunks.split(",")):
        label = "in place, whole" if chunk == 0 else f"in place, {chunk // 1024} KiB"
        variants[label] = in_place(chunk or 1 << 62)
    if kernels.available():
        variants["numba"] = compiled
    print(f"load average {os.getloadavg()[0]:.2f}; NumPy {np.__version__}")
    for n in (int(x) for x in args.sizes.split(",")):
        measure(n, args.dtype, variants, args.runs, args.decay)


if __name__ == "__main__":
    main()
