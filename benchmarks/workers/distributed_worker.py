"""One data-parallel timing, run by ``benchmarks/distributed.py`` (under ``mpiexec``, or
alone for the one-process baseline): the wide workload's epochs, and the time each step
spends in the gradient Allreduce.

Argument: JSON ``{"sizes", "m", "batch", "runs", "threads", "mpi"}``. Rank 0 prints one
JSON line: ``epoch_s`` (the median), ``steps``, ``allreduce_s_per_step``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

import benchlib


def main() -> None:
    case = json.loads(sys.argv[1])
    import vecnn
    from vecnn.distributed.threads import limit_blas_threads

    distributed: Any = None
    spent = [0.0]
    if case["mpi"]:
        from vecnn.distributed import MPI

        class TimedMPI(MPI):
            """MPI whose Allreduce calls are timed (waiting for the slower rank included)."""

            def allreduce_(self, array: Any) -> Any:
                started = time.perf_counter()
                try:
                    return super().allreduce_(array)
                finally:
                    if array.size > 64:  # the gradient, not the per-step logs
                        spent[0] += time.perf_counter() - started

        distributed = TimedMPI(threads=case["threads"])
    else:
        limits = limit_blas_threads(case["threads"])  # noqa: F841 (held for the run)
    X, y = benchlib.teacher_data(case["m"], case["sizes"][0], seed=0)
    net = vecnn.Network.from_sizes(case["sizes"], hidden="relu", output="softmax", seed=0)
    opt = vecnn.optim.Adam(net.parameters(), lr=1e-3)

    def epoch() -> float:
        started = time.perf_counter()
        net.fit(
            X.T,
            y,
            optimizer=opt,
            epochs=1,
            batch_size=case["batch"],
            verbose=0,
            distributed=distributed,
        )
        return time.perf_counter() - started

    epoch()  # warm-up
    spent[0] = 0.0
    times = [epoch() for _ in range(case["runs"])]
    steps = -(-case["m"] // case["batch"])
    if distributed is None or distributed.rank == 0:
        print(
            json.dumps(
                {
                    "epoch_s": statistics.median(times),
                    "steps": steps,
                    "allreduce_s_per_step": spent[0] / (steps * case["runs"]),
                    "loss": net.history_.history["loss"][-1],
                }
            )
        )


if __name__ == "__main__":
    main()
