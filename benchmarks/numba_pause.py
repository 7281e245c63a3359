"""What the first Adam step with the fast extra costs in a fresh process: Numba's import and
its first dispatch of the (disk-cached) kernel, wall-clock and CPU time.

    PYTHONPATH=src python benchmarks/numba_pause.py     # run it a few times: each is fresh
"""

from __future__ import annotations

import os
import time


def now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def spent(a: tuple[float, float], b: tuple[float, float]) -> str:
    return f"{(b[0] - a[0]) * 1e3:.0f} ms wall / {(b[1] - a[1]) * 1e3:.0f} ms CPU"


def main() -> None:
    t0 = now()
    import numpy as np

    import vecnn  # noqa: F401
    from vecnn.backend import kernels

    t1 = now()
    import numba  # noqa: F401

    t2 = now()
    n = 235_146  # MNIST's 784-256-128-10
    W, g, v, s = (np.ones(n, np.float32) for _ in range(4))
    numbers = (0.9, 0.999, 1e-3, 1e-8, 0.0, 0.0, 0.1, 0.001)
    assert kernels.adam(W, g, v, s, numbers)
    t3 = now()
    kernels.adam(W, g, v, s, numbers)
    t4 = now()
    print(
        f"load {os.getloadavg()[0]:.2f}; import vecnn {spent(t0, t1)}; import numba "
        f"{spent(t1, t2)}; first dispatch {spent(t2, t3)}; second {spent(t3, t4)}"
    )


if __name__ == "__main__":
    main()
