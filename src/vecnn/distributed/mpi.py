"""``vecnn.distributed.MPI``: ranks started by ``mpiexec``, talking through mpi4py."""

from __future__ import annotations

from typing import Any

from vecnn.backend import Array
from vecnn.distributed.base import Distributed
from vecnn.distributed.threads import limit_blas_threads, threads_per_rank


def _mpi4py() -> Any:
    try:
        from mpi4py import MPI as mpi  # noqa: N811 (the class here is MPI)
    except ImportError:
        raise ImportError(
            "vecnn.distributed.MPI needs mpi4py and an MPI library: pip install 'vecnn[mpi]' "
            "(mpi4py with the MPICH wheel; mpiexec lands in the environment's bin)"
        ) from None
    return mpi


class MPI(Distributed):
    """This process as one rank of ``comm`` (default: every process ``mpiexec`` started).

    ``MPI(comm)`` takes an mpi4py sub-communicator. ``shard``: ``"split"`` (every rank
    passes the same data) or ``"given"`` (each rank passes its own examples). ``threads``:
    BLAS threads for this rank; by default the machine's cores ÷ the ranks on it.
    """

    def __init__(self, comm: Any = None, shard: str = "split", threads: int | None = None) -> None:
        super().__init__(shard)
        mpi = _mpi4py()
        self._mpi = mpi
        self.comm = mpi.COMM_WORLD if comm is None else comm
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()
        local = self.comm.Split_type(mpi.COMM_TYPE_SHARED)
        self.ranks_here: int = local.Get_size()
        local.Free()
        self.threads = threads_per_rank(self.ranks_here, threads)
        self._limits = limit_blas_threads(self.threads)

    def allreduce_(self, array: Array) -> Array:
        self.comm.Allreduce(self._mpi.IN_PLACE, array, op=self._mpi.SUM)
        return array

    def bcast_(self, array: Array, root: int = 0) -> Array:
        self.comm.Bcast(array, root=root)
        return array

    def allgather(self, value: Any) -> list[Any]:
        return self.comm.allgather(value)

    def abort(self, status: int = 1) -> None:
        self.comm.Abort(status)
