"""``mpiexec`` for the tests: this folder on the path, a timeout that kills the whole job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vecnn.distributed.launch import mpiexec as launch

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


def mpiexec(ranks: int, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return launch(ranks, command, timeout, env={**os.environ, "PYTHONPATH": str(HERE)})


def python(*arguments: str) -> tuple[str, ...]:
    """A Python script under mpiexec: ``-m mpi4py`` ends the job on an error on one rank."""
    return (sys.executable, "-m", "mpi4py", *arguments)
