"""Data-parallel training over MPI against one process, on the wide workload.

    python benchmarks/distributed.py                  # 2 ranks × 1 thread; 1 rank × 1, 2
    python benchmarks/distributed.py --ranks 1,2,4,8  # scaling, 1 thread per rank
    python benchmarks/distributed.py --quick          # tiny sizes (a smoke test)

Each configuration runs in its own processes, one after another. Printed: the median
epoch time, the time per step, the gradient Allreduce's share of a step (waiting for the
slower rank included), and the ratio (2 ranks to one process with 2 threads; with
``--ranks``, the parallel efficiency ``T_1 / (N T_N)``); JSON goes to
``benchmarks/results/distributed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from vecnn.distributed.launch import mpiexec

HERE = Path(__file__).resolve().parent
WIDE_SIZES = [784, 1024, 1024, 1024, 10]


def run(ranks: int, threads: int, mpi: bool, case: dict[str, Any], timeout: float) -> dict:
    """One configuration's JSON answer (rank 0's)."""
    payload = json.dumps({**case, "threads": threads, "mpi": mpi})
    worker = [sys.executable, str(HERE / "workers" / "distributed_worker.py"), payload]
    env = {**os.environ, "PYTHONPATH": str(HERE / "workers"), "PYTHONWARNINGS": "ignore"}
    done = mpiexec(ranks if mpi else 0, worker, timeout, env)
    if done.returncode != 0:
        raise RuntimeError(f"{done.args}: exit {done.returncode}\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer.update(ranks=ranks, threads=threads, mpi=mpi)
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    parser.add_argument("--ranks", help="scaling over these rank counts, 1 thread per rank")
    parser.add_argument("--m", type=int, help="examples (default 10240; quick 512)")
    parser.add_argument("--runs", type=int, help="timed epochs (default 3; quick 1)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "distributed.json")
    args = parser.parse_args(argv)
    case = {
        "sizes": [64, 128, 128, 10] if args.quick else WIDE_SIZES,
        "m": args.m or (512 if args.quick else 10_240),
        "batch": 256,
        "runs": args.runs or (1 if args.quick else 3),
    }
    rows = []
    if args.ranks:
        for ranks in (int(r) for r in args.ranks.split(",")):
            rows.append(run(ranks, 1, True, case, args.timeout))
        base = rows[0]["epoch_s"] * rows[0]["ranks"]
        for row in rows:
            row["efficiency"] = base / (row["epoch_s"] * row["ranks"])
    else:
        rows.append(run(1, 1, False, case, args.timeout))  # one process, 1 BLAS thread
        rows.append(run(1, 2, False, case, args.timeout))  # one process, 2 BLAS threads
        rows.append(run(2, 1, True, case, args.timeout))  # 2 ranks, 1 thread each
        rows[2]["ratio_to_one_process"] = rows[2]["epoch_s"] / rows[1]["epoch_s"]
    print(f"wide workload {case['sizes']}, m = {case['m']}, batch {case['batch']}")
    print("ranks × threads   s/epoch   ms/step   Allreduce ms/step (share)   ratio")
    for row in rows:
        step_ms = 1e3 * row["epoch_s"] / row["steps"]
        reduce_ms = 1e3 * row["allreduce_s_per_step"]
        ratio = row.get("ratio_to_one_process", row.get("efficiency"))
        label = "1 process" if not row["mpi"] else "MPI"
        print(
            f"{row['ranks']} × {row['threads']} ({label:9}) {row['epoch_s']:8.3f}  {step_ms:8.2f}"
            f"   {reduce_ms:8.3f} ({reduce_ms / step_ms:5.1%})"
            f"           {'' if ratio is None else f'{ratio:.3f}'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"case": case, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
