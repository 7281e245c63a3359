"""The training step's matrix products on 1 BLAS thread against 2, shape by shape.

    python benchmarks/blas_threads.py               # the workloads' products
    python benchmarks/blas_threads.py --runs 9

For each dense layer of the workloads (benchmarks/workers/benchlib.py): ``Z = W A``,
``dW = dZ A_prevᵀ`` and ``dA_prev = Wᵀ dZ`` in the notation (W (n[l], n[l-1]), A
(n[l-1], m)), float32, C-ordered, with ``out=`` as the dense node computes them. Wall-clock
time per product (threads do not show in one process's CPU time as time saved), the best of
``--runs`` rounds, 1 and 2 threads interleaved in each round through threadpoolctl. Also
what switching the thread count costs: threadpoolctl's ``threadpool_limits`` context
manager, and ``set_num_threads`` on a controller kept from one call to the next.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits

# (workload, layer sizes n[0..L], batch m)
SHAPES = [
    ("tiny 2-16-1", [2, 16, 1], 200),
    ("mnist-b128", [784, 256, 128, 10], 128),
    ("mnist-b512", [784, 256, 128, 10], 512),
    ("wide-b256", [784, 1024, 1024, 1024, 10], 256),
    ("wide's dW with n[l-1] = 1,000 instead of 1,024", [1000, 1024], 256),
]


def products(sizes: list[int], m: int, rng: np.random.Generator):
    """(label, callable) for each product of one training step."""
    out = []
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        W = rng.standard_normal((n_out, n_in), dtype=np.float32)
        A = rng.standard_normal((n_in, m), dtype=np.float32)
        dZ = rng.standard_normal((n_out, m), dtype=np.float32)
        Z, dW, dA = np.empty((n_out, m), np.float32), np.empty_like(W), np.empty_like(A)
        out.append((f"Z[{layer}] = W A      ({n_out}×{n_in} @ {n_in}×{m})", W, A, Z))
        out.append((f"dW[{layer}] = dZ Aᵀ   ({n_out}×{m} @ {m}×{n_in})", dZ, A.T, dW))
        if layer > 1:
            out.append((f"dA[{layer - 1}] = Wᵀ dZ  ({n_in}×{n_out} @ {n_out}×{m})", W.T, dZ, dA))
    return out


def best_time(blas, threads: int, a, b, c, reps: int) -> float:
    blas.set_num_threads(threads)
    np.matmul(a, b, out=c)
    start = time.perf_counter()
    for _ in range(reps):
        np.matmul(a, b, out=c)
    return (time.perf_counter() - start) / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    controller = ThreadpoolController()
    blas = controller.select(user_api="blas").lib_controllers[0]
    print(f"{blas.internal_api} {blas.version} ({blas.architecture}), NumPy {np.__version__}")
    print(f"load average at start {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    print(f"{'product':<44} {'1 thread µs':>12} {'2 threads µs':>13} {'1 ÷ 2':>6}")
    for workload, sizes, m in SHAPES:
        print(workload)
        for label, a, b, c in products(sizes, m, rng):
            flops = 2 * a.shape[0] * a.shape[1] * b.shape[1]
            reps = max(2, min(500, int(2e8 // max(flops, 1) // 20)))
            best = {1: np.inf, 2: np.inf}
            for _ in range(args.runs):
                for threads in (1, 2):
                    best[threads] = min(best[threads], best_time(blas, threads, a, b, c, reps))
            print(
                f"  {label:<42} {best[1] * 1e6:12.1f} {best[2] * 1e6:13.1f}"
                f" {best[1] / best[2]:6.2f}"
            )
    blas.set_num_threads(2)
    for name, switch in [
        ("threadpool_limits(1, 'blas') as a context manager", _context_manager),
        ("set_num_threads(1) then (2) on a kept controller", lambda: _kept(blas)),
    ]:
        reps, best = 200, np.inf
        for _ in range(args.runs):
            start = time.perf_counter()
            for _ in range(reps):
                switch()
            best = min(best, (time.perf_counter() - start) / reps)
        print(f"switching threads: {name}: {best * 1e6:.1f} µs")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def _context_manager() -> None:
    with threadpool_limits(1, user_api="blas"):
        pass


def _kept(blas) -> None:
    blas.set_num_threads(1)
    blas.set_num_threads(2)


if __name__ == "__main__":
    main()
