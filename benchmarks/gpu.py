"""The GPU check (``make gpu-check``): conformance under CuPy, then one wide epoch timed.

On a machine with an NVIDIA GPU (CUDA 12):

1. installs the ``gpu`` extra (CuPy) when CuPy cannot be imported;
2. runs ``tests/backend/conformance.py`` under NumPy and under ``VECNN_BACKEND=cupy``
   and compares every result: float32 within rtol 1e-5, float64 within 1e-10 (the
   predicted labels must agree on 99 % of the rows);
3. times one epoch of a wide MLP (60,000 × 4096 inputs, 4096-4096-4096-10, batch 1024,
   Adam, float32) on CuPy, and reports it as a fraction of CuPy's float32 GEMM rate on
   the same shapes, and beside PyTorch CUDA's epoch when PyTorch is installed.

Goals: ≥ 50 % of the GEMM rate, ≤ 1.2 × PyTorch's epoch. ``--backend numpy --quick
--no-install`` runs the same steps on small shapes on the CPU (the test suite's smoke
test). The figures are printed and written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT / "tests" / "backend" / "conformance.py"
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


def install_gpu_extra() -> None:
    if importlib.util.find_spec("cupy") is None:
        print("installing the gpu extra (CuPy) …", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[gpu]"], check=True
        )


def _conformance_run(backend: str, out: Path) -> dict[str, np.ndarray]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VECNN_")}
    env["VECNN_BACKEND"] = backend
    subprocess.run([sys.executable, str(CONFORMANCE), str(out)], env=env, check=True)
    with np.load(out) as saved:
        return {key: saved[key] for key in saved.files if key != "backend"}


def conformance(backend: str, folder: Path) -> dict[str, object]:
    """Every result of the backend against NumPy's; the failures named."""
    reference = _conformance_run("numpy", folder / "numpy.npz")
    candidate = _conformance_run(backend, folder / f"{backend}.npz")
    failures, worst = [], {"float32": 0.0, "float64": 0.0}
    for key, expected in reference.items():
        found = candidate[key]
        if expected.dtype.kind != "f":
            if np.mean(expected == found) < 0.99:
                failures.append(key)
            continue
        dtype = "float32" if expected.dtype == np.float32 or ".float32." in key else "float64"
        scale = np.maximum(np.abs(expected), 1.0)
        error = float(np.max(np.abs(found - expected) / scale)) if expected.size else 0.0
        worst[dtype] = max(worst[dtype], error)
        if not error <= TOLERANCE[dtype]:
            failures.append(f"{key} ({error:.2g})")
    return {"results": len(reference), "failures": failures, "worst_relative_error": worst}


def _wide_shapes(quick: bool) -> tuple[int, list[int], int]:
    return (2048, [256, 256, 256, 10], 256) if quick else (60_000, [4096, 4096, 4096, 10], 1024)


def _epoch_flops(m: int, sizes: list[int]) -> float:
    """Multiply-adds of one epoch's GEMMs, × 2: forward Z, backward dW, and dA (not for X)."""
    total = 0.0
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        total += 2.0 * m * n_in * n_out * (2 if layer == 0 else 3)
    return total


def gemm_rate(xp, sizes: list[int], batch: int, sync) -> float:
    """FLOP/s of the backend's float32 matrix products on the epoch's shapes."""
    rng = np.random.default_rng(0)
    flops, seconds = 0.0, 0.0
    for n_in, n_out in itertools.pairwise(sizes):
        W = xp.asarray(rng.standard_normal((n_out, n_in), dtype=np.float32))
        A = xp.asarray(rng.standard_normal((n_in, batch), dtype=np.float32))
        dZ = xp.asarray(rng.standard_normal((n_out, batch), dtype=np.float32))
        for repeat in range(1 + 10):  # one warm-up round, then ten timed
            if repeat == 1:
                sync()
                started = time.perf_counter()
            products = (W @ A, dZ @ A.T, W.T @ dZ)  # noqa: F841
        sync()
        seconds += time.perf_counter() - started
        flops += 10 * 3 * 2.0 * n_in * n_out * batch
    return flops / seconds


def vecnn_epoch(m: int, sizes: list[int], batch: int, sync) -> float:
    """Seconds of one epoch of ``fit`` (after a warm-up epoch on a slice)."""
    import vecnn
    from vecnn.nn import Dense

    rng = np.random.default_rng(0)
    X = rng.standard_normal((sizes[0], m), dtype=np.float32)
    y = rng.integers(0, sizes[-1], m)
    layers = [
        Dense(n_in, n_out, activation="relu" if k < len(sizes) - 2 else "softmax")
        for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    ]
    network = vecnn.Network(layers, seed=0)
    network.fit(X[:, : batch * 2], y[: batch * 2], epochs=1, batch_size=batch, verbose=0)
    sync()
    started = time.perf_counter()
    network.fit(X, y, epochs=1, batch_size=batch, verbose=0)
    sync()
    return time.perf_counter() - started


def torch_epoch(m: int, sizes: list[int], batch: int) -> float | None:
    """Seconds of the same epoch in PyTorch on CUDA, or None without it."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    device = torch.device("cuda")
    layers = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    X = torch.randn(m, sizes[0], device=device)
    y = torch.randint(0, sizes[-1], (m,), device=device)
    loss = torch.nn.CrossEntropyLoss()

    def epoch(rows: int) -> None:
        order = torch.randperm(rows, device=device)
        for start in range(0, rows, batch):
            index = order[start : start + batch]
            optimizer.zero_grad()
            loss(model(X[index]), y[index]).backward()
            optimizer.step()

    epoch(batch * 2)
    torch.cuda.synchronize()
    started = time.perf_counter()
    epoch(m)
    torch.cuda.synchronize()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="cupy", choices=["cupy", "numpy", "array_api_strict"])
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke test)")
    parser.add_argument("--no-install", action="store_true", help="do not pip install CuPy")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "gpu-results")
    args = parser.parse_args()
    if args.backend == "cupy" and not args.no_install:
        install_gpu_extra()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"backend": args.backend, "quick": args.quick}

    report["conformance"] = check = conformance(args.backend, args.out)
    print(
        f"conformance: {check['results']} results, worst relative error "
        f"{check['worst_relative_error']}, failures: {check['failures'][:10] or 'none'}"
    )

    os.environ["VECNN_BACKEND"] = args.backend  # this process computes on the backend now
    from vecnn import backend

    sync = (
        (lambda: backend.xp.cuda.Stream.null.synchronize())
        if backend.name == "cupy"
        else (lambda: None)
    )
    m, sizes, batch = _wide_shapes(args.quick)
    rate = gemm_rate(backend.xp, sizes, batch, sync)
    seconds = vecnn_epoch(m, sizes, batch, sync)
    achieved = _epoch_flops(m, sizes) / seconds
    report["wide"] = {
        "shape": f"{m} x {sizes[0]}, {'-'.join(map(str, sizes))}, batch {batch}, Adam, float32",
        "epoch_s": seconds,
        "gemm_tflops": rate / 1e12,
        "fraction_of_gemm_rate": achieved / rate,
    }
    print(
        f"wide epoch: {seconds:.3f} s = {100 * achieved / rate:.0f} % of the GEMM rate "
        f"({rate / 1e12:.1f} TFLOP/s)   goal: >= 50 %"
    )
    if backend.name == "cupy":
        torch_s = torch_epoch(m, sizes, batch)
        if torch_s is not None:
            report["wide"]["torch_epoch_s"] = torch_s
            print(
                f"PyTorch CUDA epoch: {torch_s:.3f} s; vecnn / torch = {seconds / torch_s:.2f}"
                "   goal: <= 1.2"
            )
    (args.out / "gpu.json").write_text(json.dumps(report, indent=2))
    return 1 if check["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
