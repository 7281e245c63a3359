"""What the benchmark's workers and its driver share: the workloads, the data, the measures.

Each worker (``*_worker.py`` beside this file) runs in its own process, started by
``benchmarks/run.py`` with ``sys.executable``: one framework, one case. It reads the case
as JSON from ``argv[1]``, builds the data from the seed (the same bytes in every worker:
each reports a digest of them), times the runs, and prints one JSON object on stdout.
Anything a library prints goes to stderr (see ``Reporter``).

Only NumPy is needed here (scikit-learn for the digits), so the driver imports it too.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

# ------------------------------------------------------------------ workloads
MNIST_SIZES = [784, 256, 128, 10]
WIDE_SIZES = [784, 1024, 1024, 1024, 10]
TINY_SIZES = [2, 16, 1]
DIGITS_SIZES = [64, 64, 10]
LR = 1e-3
DIGITS_TARGET = 0.97

WORKLOADS = {
    1: "MNIST-shaped 784-256-128-10, one epoch",
    2: "tiny 2-16-1, full batch",
    3: "wide 784-1024-1024-1024-10, one epoch",
    4: "inference: predict_proba of the workload-1 model",
    5: "digits 64-64-10: time to 0.97 test accuracy",
    6: "fit(epochs=1) called in a loop, 784-256-128-10 on 20,000 examples (vecnn: X C-ordered)",
}


def cases(workloads: list[int], quick: bool, runs: int | None = None) -> list[dict[str, Any]]:
    """The measured cases of ``workloads``; ``quick`` shrinks every size to seconds in all.

    Kinds: ``epoch`` (seconds per epoch), ``steps`` (µs per full-batch step), ``predict``
    (seconds per ``predict_proba`` call), ``target`` (seconds of training to reach the
    digits' target accuracy).
    """
    n_runs = runs if runs is not None else (1 if quick else 5)
    # warmup_steps: None warms up with one whole epoch (or run); k with k steps only.
    warmup = 1 if quick else None
    chosen: list[dict[str, Any]] = []
    base = {"runs": n_runs, "warmup_steps": warmup, "lr": LR, "seed": 0, "dtype": "float32"}
    if 1 in workloads:
        for batch in (128, 512):
            chosen.append(
                {
                    **base,
                    "id": f"mnist-b{batch}",
                    "workload": 1,
                    "kind": "epoch",
                    "data": "teacher",
                    "sizes": MNIST_SIZES,
                    "hidden": "relu",
                    "output": "softmax",
                    "m": 2_000 if quick else 60_000,
                    "batch": batch,
                }
            )
    if 2 in workloads:
        chosen.append(
            {
                **base,
                "id": "tiny",
                "workload": 2,
                "kind": "steps",
                "data": "circle",
                "sizes": TINY_SIZES,
                "hidden": "tanh",
                "output": "sigmoid",
                "m": 200,
                "batch": 200,
                "steps": 20 if quick else 2_000,
            }
        )
    if 3 in workloads:
        chosen.append(
            {
                **base,
                "id": "wide-b256",
                "workload": 3,
                "kind": "epoch",
                "data": "teacher",
                "sizes": WIDE_SIZES,
                "hidden": "relu",
                "output": "softmax",
                "m": 512 if quick else 10_240,
                "batch": 256,
            }
        )
    if 4 in workloads:
        chosen.append(
            {
                **base,
                "id": "inference",
                "workload": 4,
                "kind": "predict",
                "data": "teacher",
                "sizes": MNIST_SIZES,
                "hidden": "relu",
                "output": "softmax",
                "m": 2_000 if quick else 60_000,  # the model: one epoch on these, untimed
                "batch": 128,
                "rows": 2_000 if quick else 100_000,
            }
        )
    if 5 in workloads:
        chosen.append(
            {
                **base,
                "id": "digits",
                "workload": 5,
                "kind": "target",
                "data": "digits",
                "sizes": DIGITS_SIZES,
                "hidden": "relu",
                "output": "softmax",
                "m": 1_347,
                "batch": 32,
                "target": DIGITS_TARGET,
                "max_epochs": 3 if quick else 200,
            }
        )
    if 6 in workloads:
        # The user's loop: vecnn gets X as the C-ordered (n[0], m) array that the notation
        # suggests, and every fit(epochs=1) call is timed whole (checks and layout included).
        chosen.append(
            {
                **base,
                "id": "loop-b128",
                "workload": 6,
                "kind": "epoch",
                "data": "teacher",
                "layout": "columns",
                "sizes": MNIST_SIZES,
                "hidden": "relu",
                "output": "softmax",
                "m": 2_000 if quick else 20_000,
                "batch": 128,
            }
        )
    return chosen


# ----------------------------------------------------------------------- data
def teacher_data(m: int, n0: int, seed: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``X (m, n0)`` float32, C-ordered (examples as rows), and labels in 0..9.

    Inputs are standard normal; the labels are the argmax of a fixed random
    ``n0-64-10`` tanh network (the teacher), so they are learnable. ``stream`` picks an
    independent set of inputs for the same teacher (1: the inference rows).
    """
    X = np.random.default_rng([seed, stream]).standard_normal((m, n0), dtype=np.float32)
    teacher = np.random.default_rng([seed, 1_000])
    W1 = (teacher.standard_normal((n0, 64)) * (2.0 / math.sqrt(n0))).astype(np.float32)
    W2 = teacher.standard_normal((64, 10)).astype(np.float32)
    labels = np.empty(m, dtype=np.int64)
    for start in range(0, m, 8_192):  # in chunks: no second copy of X
        labels[start : start + 8_192] = (np.tanh(X[start : start + 8_192] @ W1) @ W2).argmax(1)
    return X, labels


def circle_data(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` points of the plane, labelled 1 inside the circle that halves them."""
    X = np.random.default_rng([seed, 2_000]).standard_normal((m, 2), dtype=np.float32)
    labels = ((X**2).sum(axis=1) < 2.0 * math.log(2.0)).astype(np.int64)
    return X, labels


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits scaled to [0, 1], split 75/25 with ``random_state=0``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, digits = load_digits(return_X_y=True)
    X = (images / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, digits, test_size=0.25, random_state=0)
    return (
        np.ascontiguousarray(X_tr),
        y_tr.astype(np.int64),
        np.ascontiguousarray(X_te),
        y_te.astype(np.int64),
    )


def case_data(case: dict[str, Any]) -> dict[str, np.ndarray]:
    """The arrays of ``case``: ``X``/``y`` to train on (rows are examples), and the rest."""
    kind, seed = case["data"], case["seed"]
    if kind == "teacher":
        X, y = teacher_data(case["m"], case["sizes"][0], seed)
        data = {"X": X, "y": y}
        if case["kind"] == "predict":
            data["X_rows"], data["y_rows"] = teacher_data(case["rows"], case["sizes"][0], seed, 1)
        return data
    if kind == "circle":
        X, y = circle_data(case["m"], seed)
        return {"X": X, "y": y}
    if kind == "digits":
        X, y, X_test, y_test = digits_data()
        return {"X": X, "y": y, "X_test": X_test, "y_test": y_test}
    raise ValueError(f"unknown data {kind!r}")


def digest(data: dict[str, np.ndarray]) -> str:
    """A short SHA-1 of the arrays' bytes: the same in every worker of one case."""
    h = hashlib.sha1()
    for name in sorted(data):
        h.update(name.encode())
        h.update(np.ascontiguousarray(data[name]).tobytes())
    return h.hexdigest()[:16]


def n_classes(case: dict[str, Any]) -> int:
    return 2 if case["sizes"][-1] == 1 else case["sizes"][-1]


# ------------------------------------------------------------------- measures
def score(proba: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean cross-entropy and accuracy of predicted probabilities.

    ``proba`` is ``(m, K)`` rows of class probabilities, or ``(m,)`` for the probability
    of class 1 of a binary task. Computed the same way for every framework.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 2 and proba.shape[1] == 1:
        proba = proba[:, 0]
    if proba.ndim == 1:
        proba = np.stack([1.0 - proba, proba], axis=1)
    picked = np.clip(proba[np.arange(len(labels)), labels], 1e-12, 1.0)
    return {
        "loss": float(-np.log(picked).mean()),
        "accuracy": float((proba.argmax(axis=1) == labels).mean()),
    }


def peak_rss_mb() -> float:
    """The process's resident-set high-water mark (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def rss_mb() -> float:
    """The process's resident set now, in MiB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024.0 * 1024.0)
    except OSError:
        try:
            import psutil

            return psutil.Process().memory_info().rss / (1024.0 * 1024.0)
        except ImportError:
            return math.nan


def reset_peak_rss() -> bool:
    """Restart the kernel's resident-set high-water mark (Linux: ``/proc/self/clear_refs``);
    False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_since_reset_mb() -> float:
    """``VmHWM``: the resident-set high-water mark since ``reset_peak_rss``, in MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def memory_budget_mb(case: dict[str, Any], data: dict[str, np.ndarray]) -> float:
    """What training needs at the least, in MiB: the data, the parameters ``P`` with their
    gradients and Adam's two moments (4 P float32 values), and one batch's activations
    (``Z[l]`` and ``A[l]`` of every layer: 2 Σ n[l] B values; for predict, one pass over
    the rows)."""
    sizes = case["sizes"]
    params = sum(n * (n_prev + 1) for n_prev, n in itertools.pairwise(sizes))
    batch = {"predict": case.get("rows"), "steps": case["m"]}.get(case["kind"], case["batch"])
    activations = 2 * sum(sizes[1:]) * batch
    data_bytes = sum(array.nbytes for array in data.values())
    return (data_bytes + 4 * (4 * params + activations)) / 2**20


def import_libraries(names: tuple[str, ...]) -> None:
    """Import the framework's modules (those installed) before the data are made, so that
    the memory measured from then on is the training's, not the libraries' code."""
    import importlib

    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def clock() -> float:
    return time.perf_counter()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


# -------------------------------------------------------------- environment
def limit_threads(threads: int) -> None:
    """Pin this process to ``threads`` CPUs when that is fewer than it may use.

    The driver also sets OMP/MKL/OpenBLAS_NUM_THREADS; the pinning bounds the pools
    that read none of them (XLA's).
    """
    if not hasattr(os, "sched_getaffinity"):
        return
    allowed = sorted(os.sched_getaffinity(0))
    if threads < len(allowed):
        os.sched_setaffinity(0, allowed[:threads])


def numpy_info() -> dict[str, Any]:
    """NumPy's version, the BLAS it was built with, and the BLAS pools loaded at run time."""
    info: dict[str, Any] = {"numpy": np.__version__}
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}".strip()
    except Exception as error:  # older NumPy: no dict mode
        info["numpy_blas"] = f"unknown ({type(error).__name__})"
    try:
        from threadpoolctl import threadpool_info

        info["blas_pools"] = [
            {
                key: pool.get(key)
                for key in ("internal_api", "version", "num_threads", "architecture")
                if key in pool
            }
            for pool in threadpool_info()
        ]
    except ImportError:
        pass
    return info


class Reporter:
    """Keeps the real stdout for the one JSON answer; all other output goes to stderr.

    C libraries that write to file descriptor 1 would otherwise corrupt the answer.
    """

    def __init__(self) -> None:
        sys.stdout.flush()
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)

    def send(self, answer: dict[str, Any]) -> None:
        self._out.write(json.dumps(answer, allow_nan=True))
        self._out.write("\n")
        self._out.flush()


def read_case() -> dict[str, Any]:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} CASE_JSON")
    case = json.loads(sys.argv[1])
    limit_threads(int(case["threads"]))
    return case


def warmup_count(case: dict[str, Any], m: int) -> int:
    """How many examples the warm-up epoch sees: all, or ``warmup_steps`` batches."""
    steps = case.get("warmup_steps")
    return m if steps is None else min(m, steps * case["batch"])


def answer(
    case: dict[str, Any],
    framework: str,
    times: list[float],
    data: dict[str, np.ndarray],
    scores: dict[str, float],
    versions: dict[str, Any],
    rss_ready_mb: float,
    **extra: Any,
) -> dict[str, Any]:
    """The worker's JSON answer for one case."""
    return {
        "framework": framework,
        "case": case["id"],
        "workload": case["workload"],
        "kind": case["kind"],
        "times_s": times,
        **summary(times),
        "final_loss": scores.get("loss", math.nan),
        "final_accuracy": scores.get("accuracy", math.nan),
        "peak_rss_mb": peak_rss_mb(),
        "rss_ready_mb": rss_ready_mb,
        "data_digest": digest(data),
        "threads": case["threads"],
        "versions": versions,
        **extra,
    }


# ----------------------------------------------------------------- GEMM plan
def gemm_products(sizes: list[int], batch: int, train: bool) -> list[tuple[str, int, int, int]]:
    """The matrix products of one step on ``batch`` examples, in the notation.

    Per dense layer ``l`` with ``W (n[l], n[l-1])`` and ``A (n[l-1], B)``: forward
    ``Z = W A``; when training, ``dW = dZ Aᵀ`` and, above the first layer,
    ``dA = Wᵀ dZ``. Each entry is ``(name, rows, inner, cols)`` of the product.
    """
    products = []
    for l in range(1, len(sizes)):
        n_out, n_in = sizes[l], sizes[l - 1]
        products.append((f"Z[{l}]=W A", n_out, n_in, batch))
        if train:
            products.append((f"dW[{l}]=dZ Aᵀ", n_out, batch, n_in))
            if l > 1:
                products.append((f"dA[{l - 1}]=Wᵀ dZ", n_in, n_out, batch))
    return products


def gemm_plan(case: dict[str, Any]) -> list[tuple[tuple[str, int, int, int], int]]:
    """``(product, count)`` pairs: the matrix products of one unit of the case.

    The unit is the one the case reports: an epoch (``epoch``, ``target``: per epoch),
    a step (``steps``) or a call (``predict``).
    """
    sizes, kind = case["sizes"], case["kind"]
    if kind == "predict":
        return [(p, 1) for p in gemm_products(sizes, case["rows"], train=False)]
    if kind == "steps":
        return [(p, 1) for p in gemm_products(sizes, case["m"], train=True)]
    m, batch = case["m"], case["batch"]
    full, rest = divmod(m, batch)
    plan = [(p, full) for p in gemm_products(sizes, batch, train=True)] if full else []
    if rest:
        plan += [(p, 1) for p in gemm_products(sizes, rest, train=True)]
    return plan


# ------------------------------------------------------------- the run itself
class Adapter:
    """One framework's side of a case; ``run_case`` does the timing the same way for all.

    ``prepare`` converts the data (untimed), ``build`` makes a fresh model and optimizer
    (Adam, ``case["lr"]``), ``epoch(n)`` trains one shuffled epoch in mini-batches of
    ``case["batch"]`` on the first ``n`` examples, ``steps(k)`` takes ``k`` full-batch steps
    without shuffling, and ``proba(name)`` predicts the prepared array ``name`` in
    inference mode, as NumPy. Each returns only once the work is done (no pending async
    work).
    """

    name = "?"
    libraries: tuple[str, ...] = ()  # imported before the data are made (memory baseline)

    def prepare(self, case: dict[str, Any], data: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def build(self, seed: int) -> None:
        raise NotImplementedError

    def epoch(self, n: int | None = None) -> dict[str, float]:
        raise NotImplementedError

    def steps(self, k: int) -> None:
        raise NotImplementedError

    def proba(self, name: str) -> np.ndarray:
        raise NotImplementedError

    def versions(self) -> dict[str, Any]:
        return numpy_info()


def run_case(case: dict[str, Any], adapter: Adapter) -> dict[str, Any]:
    """Warm up, then time ``case["runs"]`` runs of ``case`` with ``adapter``.

    Memory: ``memory_mb`` is the resident-set high-water mark from the data's making to the
    end of the timed runs (data, model, warm-up and timed runs; not the final evaluation)
    less the resident set once the framework was imported and before the data were made;
    ``memory_budget_mb`` is ``memory_budget_mb(case)``.
    """
    import_libraries(adapter.libraries)
    rss_libraries = rss_mb()
    data = case_data(case)
    measured = reset_peak_rss()  # the data's making (its temporaries) is not training

    def timed_memory() -> dict[str, float]:  # read at the end of the timed runs
        since = peak_rss_since_reset_mb() - rss_libraries if measured else math.nan
        return {"peak_rss_timed_mb": peak_rss_mb(), "memory_mb": since}

    adapter.prepare(case, data)
    rss_ready = rss_mb()
    kind, runs, m = case["kind"], case["runs"], case["m"]
    extra: dict[str, Any] = {}
    times: list[float] = []
    if kind == "epoch":
        adapter.build(case["seed"])
        adapter.epoch(warmup_count(case, m))
        logs: dict[str, float] = {}
        for _ in range(runs):
            spent, logs = timed(adapter.epoch)
            times.append(spent)
        extra.update(timed_memory())
        extra["epoch_logs"] = logs
        scores = score(adapter.proba("X"), data["y"])
    elif kind == "steps":
        steps = case["steps"]
        adapter.build(case["seed"])
        adapter.steps(case.get("warmup_steps") or steps)
        for _ in range(runs):
            spent, _ = timed(lambda: adapter.steps(steps))
            times.append(spent / steps)
        extra.update(timed_memory())
        scores = score(adapter.proba("X"), data["y"])
    elif kind == "predict":
        adapter.build(case["seed"])
        adapter.epoch()  # the model: one epoch on the training data, untimed
        extra["train_scores"] = score(adapter.proba("X"), data["y"])
        proba = adapter.proba("X_rows")  # warm-up
        for _ in range(runs):
            spent, proba = timed(lambda: adapter.proba("X_rows"))
            times.append(spent)
        extra.update(timed_memory())
        scores = score(proba, data["y_rows"])  # on the held-out rows
    elif kind == "target":
        adapter.build(case["seed"])
        adapter.epoch(warmup_count(case, m))
        adapter.proba("X_test")
        epochs_taken, test_accuracy = [], []
        for run in range(runs):
            adapter.build(case["seed"] + run)
            spent, epochs, accuracy = 0.0, 0, 0.0
            while epochs < case["max_epochs"]:
                took, _ = timed(adapter.epoch)
                spent += took
                epochs += 1
                accuracy = score(adapter.proba("X_test"), data["y_test"])["accuracy"]
                if accuracy >= case["target"]:
                    break
            times.append(spent)
            epochs_taken.append(epochs)
            test_accuracy.append(accuracy)
        extra.update(
            **timed_memory(),
            epochs=epochs_taken,
            test_accuracy=test_accuracy,
            reached=[a >= case["target"] for a in test_accuracy],
        )
        scores = score(adapter.proba("X"), data["y"])
    else:
        raise ValueError(f"unknown kind {kind!r}")
    extra["memory_budget_mb"] = memory_budget_mb(case, data)
    return answer(case, adapter.name, times, data, scores, adapter.versions(), rss_ready, **extra)


def main(adapter: Adapter) -> None:
    """A worker's entry point: read the case, run it, print the JSON answer."""
    reporter = Reporter()
    case = read_case()
    reporter.send(run_case(case, adapter))
