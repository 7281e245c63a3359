"""One training step's forward + backward through the graph engine (no optimizer), for a
hidden layer as one ``dense+relu`` node or as ``dense`` then ``relu``.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/dense_step.py
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=<tree>/src .venv/bin/python benchmarks/dense_step.py --tree

Default: in one process, blocks of steps alternating between the fused node and the two
nodes (``vecnn.nn.dense.DENSE_ACTIVATIONS`` emptied: the code path before the fused node,
except that ``relu`` now keeps its output rather than a bool mask), CPU time per step
(best block and the median of the blocks' ratios), the operations recorded per step and
the arrays the graph holds after forward (tracemalloc).
``--tree``: only this tree's own path (whatever ``vecnn`` is on ``PYTHONPATH``), to run
one tree after another for an A/B across commits. One JSON line per workload.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

import vecnn
import vecnn.nn.dense as dense_module
from vecnn import ops
from vecnn.autodiff.tensor import _topological_order

WORKLOADS = {  # sizes, m, steps per block
    "mnist-b128": ([784, 256, 128, 10], 128, 40),
    "wide-b256": ([784, 1024, 1024, 1024, 10], 256, 4),
}
FUSED = dict(getattr(dense_module, "DENSE_ACTIVATIONS", {}))


def use(variant: str) -> None:
    if FUSED:
        dense_module.DENSE_ACTIVATIONS = FUSED if variant == "one" else {}


def make_step(sizes: list[int], m: int, batches: int = 8):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m * batches, sizes[0])).astype(np.float32).T  # example-contiguous
    Y = np.eye(sizes[-1], dtype=np.float32)[:, rng.integers(0, sizes[-1], m * batches)]
    network = vecnn.Network.from_sizes(sizes, hidden="relu", output="softmax", seed=0)
    params = network.parameters()

    def step(k: int) -> vecnn.Tensor:
        cols = slice((k % batches) * m, (k % batches + 1) * m)
        for p in params:
            p.grad = None
        return ops.softmax_cross_entropy_with_logits(network.logits(X[:, cols]), Y[:, cols])

    return step


def held_after_forward(step) -> tuple[int, float]:
    """The operations of one step and the MiB its graph holds once forward is done."""
    step(0).backward()  # warm: flat buffers
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    J = step(0)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    n_ops = sum(t._fn is not None for t in _topological_order(J))
    J.backward()
    return n_ops, round(held / 2**20, 3)


def cpu_us(step, steps: int, k0: int = 0) -> float:
    t = time.process_time_ns()
    for k in range(steps):
        step(k0 + k).backward()
    return (time.process_time_ns() - t) / steps / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="store_true", help="this tree's own path only")
    parser.add_argument("--blocks", type=int, default=12)
    args = parser.parse_args()
    for name, (sizes, m, steps) in WORKLOADS.items():
        variants = ["tree"] if args.tree or not FUSED else ["two", "one"]
        steppers, row = {}, {"workload": name}
        for v in variants:
            use(v)
            steppers[v] = make_step(sizes, m)
            n_ops, held = held_after_forward(steppers[v])
            row[v] = {"ops": n_ops, "held_after_forward_MiB": held}
        times: dict[str, list[float]] = {v: [] for v in variants}
        for b in range(args.blocks):
            for v in variants if b % 2 == 0 else variants[::-1]:
                use(v)
                times[v].append(cpu_us(steppers[v], steps, b * steps))
        for v in variants:
            row[v]["us_per_step_best"] = round(min(times[v]), 1)
        if len(variants) == 2:
            ratios = np.array(times["one"]) / np.array(times["two"])
            row["one/two best"] = round(min(times["one"]) / min(times["two"]), 3)
            row["one/two median of block pairs"] = round(float(np.median(ratios)), 3)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
