"""The step plan against the graph engine, alternating in one process.

    python benchmarks/plan_ab.py                      # tiny 2-16-1 and MNIST-shaped, 5 rounds
    python benchmarks/plan_ab.py --cases tiny --rounds 9

Each round trains the same model once with step plans on and once off
(``vecnn.autodiff.plan.use_plans``), in alternating order, and keeps the wall-clock and
CPU time per step of each; the figures are the best of the rounds and the median of the
per-round ratios (plan ÷ engine). Both give the same weights bit for bit (the tests check
that), so only the time differs. The compiled Adam kernel is loaded first when Numba is
installed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import vecnn
from vecnn.autodiff import plan
from vecnn.backend import kernels

CASES = {
    # name: (sizes, hidden, output, examples, batch size or None, epochs per timed fit)
    "tiny": ([2, 16, 1], "tanh", "sigmoid", 200, None, 1000),
    "mnist-b128": ([784, 256, 128, 10], "relu", "softmax", 12_800, 128, 1),
}


def data(name: str) -> tuple[np.ndarray, np.ndarray]:
    sizes, _, output, m, _, _ = CASES[name]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((sizes[0], m), dtype=np.float32)
    if output == "sigmoid":
        return X, (np.sum(X**2, axis=0) < 1.4).astype(np.float32)
    return X, rng.integers(0, sizes[-1], m)


def timed_fit(net: vecnn.Network, opt, X, y, batch, epochs) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    net.fit(X, y, optimizer=opt, epochs=epochs, batch_size=batch, shuffle=False, verbose=0)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kernels.load()
    for name in args.cases.split(","):
        sizes, hidden, output, m, batch, epochs = CASES[name]
        X, y = data(name)
        steps = epochs * (1 if batch is None else -(-m // batch))
        models = {}
        for on in (True, False):
            net = vecnn.Network.from_sizes(sizes, hidden=hidden, output=output, seed=0)
            models[on] = (net, vecnn.optim.Adam(net.parameters(), lr=1e-3))
        times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for r in range(args.rounds + 1):
            for on in (True, False) if r % 2 else (False, True):
                plan.use_plans(on)
                result = timed_fit(*models[on], X, y, batch, epochs)
                if r:  # the first round warms up
                    times[on].append(result)
        plan.use_plans(True)
        ratios = [p[0] / e[0] for p, e in zip(times[True], times[False], strict=True)]
        for on, label in ((True, "plan"), (False, "engine")):
            wall = min(t[0] for t in times[on]) / steps * 1e6
            cpu = min(t[1] for t in times[on]) / steps * 1e6
            print(f"{name:11s} {label:6s} wall {wall:9.1f} µs/step  CPU {cpu:9.1f} µs/step")
        print(
            f"{name:11s} plan ÷ engine, median of {args.rounds} rounds: "
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})"
        )


if __name__ == "__main__":
    main()
