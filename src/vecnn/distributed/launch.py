"""``mpiexec`` from this Python environment's bin, started from Python (scripts, tests,
benchmarks), with a timeout that ends the whole job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def mpiexec_path() -> Path:
    """The ``mpiexec`` next to this interpreter (the MPICH wheel puts it there)."""
    path = Path(sys.executable).parent / "mpiexec"
    if not path.exists():
        raise FileNotFoundError(
            f"no mpiexec in {path.parent}: pip install 'vecnn[mpi]' into this environment"
        )
    return path


def mpiexec(
    ranks: int,
    command: Sequence[str],
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``mpiexec -n ranks command…`` (``ranks=0``: ``command`` alone, no MPI) in its own
    process group and return its status and output; on a timeout the whole group is killed
    (no rank is left behind) and ``subprocess.TimeoutExpired`` raised."""
    argv = [*command] if ranks == 0 else [str(mpiexec_path()), "-n", str(ranks), *command]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=None if env is None else dict(env),
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(argv, process.returncode, out, err)
