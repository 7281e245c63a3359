"""Run under mpiexec by the tests: train the digits network on every rank with MPI().

``mpi_train.py OUT weights``: rank 0 saves the float64 and float32 final weights in
``OUT/weights.npz``. ``mpi_train.py OUT mismatch``: rank 1 asks for another lr; each rank
writes the error it got to ``OUT/rank<r>.txt``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from helpers import train, weights

from vecnn.distributed import MPI, DistributedMismatchError


def main() -> None:
    out, mode = Path(sys.argv[1]), sys.argv[2]
    dist = MPI()
    if mode == "weights":
        found = {}
        for dtype in ("float64", "float32"):
            for i, array in enumerate(weights(train(dist, dtype))):
                found[f"{dtype}.{i}"] = array
        if dist.rank == 0:
            np.savez(out / "weights.npz", **found)
        return
    try:
        train(dist, epochs=1, lr=0.02 if dist.rank == 1 else 0.01)
        message = "trained"
    except DistributedMismatchError as error:
        message = str(error)
    (out / f"rank{dist.rank}.txt").write_text(message)


if __name__ == "__main__":
    main()
