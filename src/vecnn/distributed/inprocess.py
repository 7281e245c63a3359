"""The in-process stand-in: N threads of one process play N ranks (tests without MPI).

Each collective operation meets at a barrier; an Allreduce sums the ranks' arrays in rank
order (``((a0 + a1) + a2) + …``), which for 2 ranks is bitwise what MPI's sum gives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from vecnn.backend import Array, xp
from vecnn.distributed.base import Distributed

T = TypeVar("T")


class _Meeting:
    """What the simulated ranks share: a barrier and one slot per rank."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size)
        self.slots: list[Any] = [None] * size


class InProcess(Distributed):
    """Rank ``rank`` of ``size`` threads that share ``meeting``; made by ``run_in_process``."""

    def __init__(self, rank: int, size: int, meeting: _Meeting, shard: str = "split") -> None:
        super().__init__(shard)
        self.rank, self.size, self._meeting = rank, size, meeting

    def _exchange(self, value: Any) -> list[Any]:
        meeting = self._meeting
        meeting.slots[self.rank] = value
        meeting.barrier.wait()
        everyone = list(meeting.slots)
        meeting.barrier.wait()  # nobody overwrites a slot before every rank has read it
        return everyone

    def allreduce_(self, array: Array) -> Array:
        arrays = self._exchange(array.copy())
        total = arrays[0]
        for other in arrays[1:]:
            total = total + other
        xp.copyto(array, total)
        return array

    def bcast_(self, array: Array, root: int = 0) -> Array:
        xp.copyto(array, self._exchange(array.copy())[root])
        return array

    def allgather(self, value: Any) -> list[Any]:
        return self._exchange(value)

    def abort(self, status: int = 1) -> None:
        self._meeting.barrier.abort()


def run_in_process(
    size: int, function: Callable[[Distributed], T], shard: str = "split"
) -> list[T]:
    """``function(distributed)`` on ``size`` threads, one per simulated rank; the results in
    rank order. An exception on any rank breaks the others' waits and is raised here (the
    lowest rank's first)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer; got {size!r}")
    meeting = _Meeting(size)
    ranks = [InProcess(rank, size, meeting, shard) for rank in range(size)]
    results: list[Any] = [None] * size
    errors: list[BaseException | None] = [None] * size

    def play(rank: int) -> None:
        try:
            results[rank] = function(ranks[rank])
        except BaseException as error:  # handed to the caller below
            errors[rank] = error
            meeting.barrier.abort()

    threads = [threading.Thread(target=play, args=(rank,)) for rank in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    real = [e for e in errors if e is not None and not isinstance(e, threading.BrokenBarrierError)]
    if real:
        raise real[0]
    broken = [e for e in errors if e is not None]
    if broken:
        raise broken[0]
    return results
