"""``mpiexec`` from this environment's bin, with a timeout that kills the whole job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


def mpiexec(
    ranks: int, *command: str, timeout: float = 120, **popen
) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n ranks command…`` in its own process group; on a timeout the group is
    killed (nothing left behind) and ``subprocess.TimeoutExpired`` raised."""
    environment = {**os.environ, "PYTHONPATH": str(HERE)}
    process = subprocess.Popen(
        [str(BIN / "mpiexec"), "-n", str(ranks), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=environment,
        **popen,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def python(*arguments: str) -> tuple[str, ...]:
    """A Python script under mpiexec: ``-m mpi4py`` ends the job on an error on one rank."""
    return (sys.executable, "-m", "mpi4py", *arguments)
