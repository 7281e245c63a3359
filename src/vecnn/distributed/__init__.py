"""Data-parallel training: each mini-batch spread over ranks, N ranks giving one process's
result (see docs/distributed.md). ``MPI()`` under ``mpiexec``; ``run_in_process`` to try
the same semantics on threads of one process."""

from vecnn.distributed.base import Distributed, DistributedMismatchError
from vecnn.distributed.inprocess import run_in_process
from vecnn.distributed.mpi import MPI
from vecnn.distributed.parallel import DataParallel

__all__ = ["MPI", "DataParallel", "Distributed", "DistributedMismatchError", "run_in_process"]
