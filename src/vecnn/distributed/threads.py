"""BLAS threads per rank: the cores of the machine shared among the ranks on it."""

from __future__ import annotations

import os
from typing import Any


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_rank(ranks_here: int, threads: int | None = None) -> int:
    """``threads`` when given, else the cores ÷ the ranks on this machine, at least 1."""
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer; got {threads!r}")
        return threads
    return max(1, cores() // max(1, ranks_here))


def limit_blas_threads(count: int) -> Any:
    """Limit the BLAS/OpenMP pools of this process to ``count`` threads (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError(
            "vecnn.distributed limits each rank's threads with threadpoolctl: "
            "pip install 'vecnn[mpi]'"
        ) from None
    return threadpool_limits(limits=count)
