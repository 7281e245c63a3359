"""What training needs of a group of ranks: a rank, a size, and four collective operations.

``MPI`` (over mpi4py) and the in-process stand-in (``run_in_process``) implement it; the
training loop sees only this interface.
"""

from __future__ import annotations

from typing import Any

from vecnn.backend import Array

SHARDS = ("split", "given")


class DistributedMismatchError(ValueError):
    """The ranks were given different data or settings; raised on every rank alike."""


class Distributed:
    """One rank of a group of ``size`` processes that train one network together.

    ``shard="split"``: every rank passes the whole data and uses its part of each
    mini-batch; ``"given"``: each rank passes only its own examples.
    """

    rank: int
    size: int
    shard: str

    def __init__(self, shard: str = "split") -> None:
        if shard not in SHARDS:
            raise ValueError(f"shard must be 'split' or 'given'; got {shard!r}")
        self.shard = shard

    def allreduce_(self, array: Array) -> Array:
        """Sum ``array`` (contiguous) over the ranks, in place; every rank gets the sum."""
        raise NotImplementedError

    def bcast_(self, array: Array, root: int = 0) -> Array:
        """Overwrite ``array`` (contiguous) with rank ``root``'s, in place."""
        raise NotImplementedError

    def allgather(self, value: Any) -> list[Any]:
        """Every rank's ``value`` (a small picklable object), in rank order."""
        raise NotImplementedError

    def abort(self, status: int = 1) -> None:
        """End every rank of the job now (after an error on this rank alone)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, size={self.size}, shard={self.shard!r})"
