"""vecnn against scikit-learn, PyTorch, JAX and the machine's GEMM floor, in one run.

    python benchmarks/run.py                 # everything (several minutes)
    python benchmarks/run.py --quick         # tiny sizes, one run: seconds
    python benchmarks/run.py --only vecnn,torch --workloads 1,2 --threads 1

Every framework runs each case in its own process (``benchmarks/workers/*_worker.py``,
started with this interpreter), one after another, so no two thread pools compete;
all get the same thread count (OMP/MKL/OpenBLAS_NUM_THREADS, ``torch.set_num_threads``,
and CPU pinning below the core count). Each worker makes the same data from the same
seed and reports a digest of it. A framework that cannot be imported is skipped with a
note. The table is printed; JSON and Markdown go to ``benchmarks/results/`` (a
timestamped pair, and ``latest.json``/``latest.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from workers import benchlib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKERS = HERE / "workers"
FRAMEWORKS = ("vecnn", "torch", "torch-fused", "sklearn", "jax")
# The module each framework needs, and its worker script (with arguments).
NEEDS = {
    "vecnn": "vecnn",
    "torch": "torch",
    "torch-fused": "torch",
    "sklearn": "sklearn",
    "jax": "jax",
}
SCRIPTS = {
    "vecnn": ["vecnn_worker.py"],
    "torch": ["torch_worker.py"],
    "torch-fused": ["torch_worker.py", "--fused"],
    "sklearn": ["sklearn_worker.py"],
    "jax": ["jax_worker.py"],
}
REFERENCES = ("torch", "sklearn", "jax")  # the ratio columns: time / reference's time
UNITS = {"epoch": "s/epoch", "steps": "µs/step", "predict": "s/call", "target": "s to 0.97"}


# ---------------------------------------------------------------- arguments
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Workloads: "
        + "; ".join(f"{key}: {title}" for key, title in benchlib.WORKLOADS.items()),
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (a smoke test)")
    parser.add_argument(
        "--only",
        default=",".join(FRAMEWORKS),
        help="frameworks, comma-separated, from: "
        + ", ".join(FRAMEWORKS)
        + " ('torch' alone brings 'torch-fused' too; default: all)",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(map(str, benchlib.WORKLOADS)),
        help=f"comma-separated, 1 to {len(benchlib.WORKLOADS)}",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=available_cpus(),
        help="threads for every framework (default: this machine's cores, %(default)s)",
    )
    parser.add_argument("--runs", type=int, default=None, help="timed runs (default 5; quick 1)")
    parser.add_argument("--no-gemm", action="store_true", help="skip the GEMM floor")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results", help="folder for JSON and Markdown"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per worker (default 1800; quick 120)"
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in names if name not in (*FRAMEWORKS, "gemm")]
    if unknown:
        parser.error(f"unknown framework(s) {', '.join(unknown)}; choose from {FRAMEWORKS}")
    if "torch" in names and "torch-fused" not in names:
        names.append("torch-fused")
    args.frameworks = [name for name in FRAMEWORKS if name in names]
    known = f"1 to {len(benchlib.WORKLOADS)}"
    try:
        args.workload_list = sorted({int(w) for w in args.workloads.split(",") if w.strip()})
    except ValueError:
        parser.error(f"--workloads takes numbers {known}, comma-separated; got {args.workloads!r}")
    if not args.workload_list or not set(args.workload_list) <= set(benchlib.WORKLOADS):
        parser.error(f"--workloads takes numbers {known}; got {args.workloads!r}")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.timeout is None:
        args.timeout = 120.0 if args.quick else 1800.0
    return args


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# -------------------------------------------------------------- environment
def worker_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ):
        env[name] = str(threads)
    env.setdefault("JAX_PLATFORMS", "cpu")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_allowed": available_cpus(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
        flags = next((line for line in cpuinfo if line.startswith("flags")), "")
        info["simd"] = [f for f in ("avx2", "fma", "avx512f") if f" {f}" in flags]
    except OSError:
        info["cpu"] = platform.processor()
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        total_kb = int(meminfo[0].split()[1])
        info["memory_gib"] = round(total_kb / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return info


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "-s"))}
    except (OSError, subprocess.TimeoutExpired):
        return {}


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# ----------------------------------------------------------------- workers
def call_worker(
    script: list[str], payload: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Run one worker; its JSON answer, or ``{"error": ...}`` with its stderr's tail."""
    command = [sys.executable, str(WORKERS / script[0]), *script[1:], json.dumps(payload)]
    load_before = load_average()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=worker_env(args.threads),
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:g} s"}
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        return {"error": f"exit {done.returncode}: {tail}"}
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"no JSON answer; stdout was {done.stdout[-500:]!r}"}
    answer["worker_wall_s"] = wall
    answer["load_before"], answer["load_after"] = load_before, load_average()
    return answer


def available(framework: str) -> str | None:
    """None when the framework can be imported; otherwise why not."""
    module = NEEDS[framework]
    if importlib.util.find_spec(module) is None:
        hint = "pip install -e '.[bench]'" if module != "jax" else "pip install jax jaxlib"
        return f"{module} is not importable here ({hint})"
    return None


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- derived
def items_per_run(case: dict[str, Any], row: dict[str, Any]) -> float:
    """Examples (or steps, or rows) that one timed run processes."""
    kind = case["kind"]
    if kind == "epoch":
        return case["m"]
    if kind == "steps":
        return 1.0  # the time is already per step
    if kind == "predict":
        return case["rows"]
    epochs = row.get("epochs") or [math.nan]
    return sorted(epochs)[len(epochs) // 2] * case["m"]


def floor_for(case: dict[str, Any], row: dict[str, Any], gemm: dict[str, Any]) -> float:
    floor = gemm.get("floors", {}).get(case["id"], {}).get("floor_s", math.nan)
    if case["kind"] == "target":
        epochs = row.get("epochs") or [math.nan]
        floor *= sorted(epochs)[len(epochs) // 2]
    return floor


def derive(cases: list[dict[str, Any]], rows: list[dict[str, Any]], gemm: dict[str, Any]) -> None:
    """Add throughput, ratios and the GEMM floor to each successful row, in place."""
    by_key = {(r["case"], r["framework"]): r for r in rows if "median_s" in r}
    for case in cases:
        for row in rows:
            if row["case"] != case["id"] or "median_s" not in row:
                continue
            median = row["median_s"]
            row["unit"] = UNITS[case["kind"]]
            row["items_per_s"] = items_per_run(case, row) / median if median else math.nan
            row["ratios"] = {}
            for ref in REFERENCES:
                other = by_key.get((case["id"], ref))
                row["ratios"][ref] = median / other["median_s"] if other else None
            floor = floor_for(case, row, gemm)
            row["gemm_floor_s"] = floor
            row["ratios"]["gemm_floor"] = median / floor if floor and floor == floor else None
            row["percent_of_gemm_rate"] = 100.0 * floor / median if floor == floor else None


# ------------------------------------------------------------------ output
def fmt_time(seconds: float, kind: str) -> str:
    if seconds != seconds:
        return "-"
    if kind == "steps":
        return f"{seconds * 1e6:.1f}"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_ratio(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:.2f}x" if value < 100 else f"{value:.0f}x"


def fmt_mb(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.0f}"


def memory_ratio(row: dict[str, Any]) -> float | None:
    """The memory the case took over what it needs at the least (``memory_budget_mb``)."""
    used, budget = row.get("memory_mb"), row.get("memory_budget_mb")
    return used / budget if used is not None and budget else None


def fmt_rate(value: float) -> str:
    if value != value:
        return "-"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.1f}{suffix}"
    return f"{value:.0f}"


HEADERS = [
    "case",
    "framework",
    "unit",
    "median",
    "min-max",
    "per s",
    "x torch",
    "x sklearn",
    "x jax",
    "x floor",
    "%GEMM",
    "peak MB",
    "mem MB",
    "x budget",
    "loss",
    "acc",
    "note",
]


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    out = []
    kinds = {case["id"]: case["kind"] for case in report["cases"]}
    for row in report["results"]:
        kind = kinds[row["case"]]
        if "error" in row:
            out.append([row["case"], row["framework"], *["-"] * 14, "FAILED (see JSON)"])
            continue
        ratios = row["ratios"]
        note = ""
        if kind == "target":
            reached = sum(row["reached"])
            note = f"epochs {row['epochs']}; reached {reached}/{len(row['reached'])}"
        elif kind == "predict":
            note = "held-out rows"
        if row["framework"] == "torch-fused":
            note = (note + "; " if note else "") + f"Adam {row['versions'].get('adam')}"
        percent = row.get("percent_of_gemm_rate")
        out.append(
            [
                row["case"],
                row["framework"],
                row["unit"],
                fmt_time(row["median_s"], kind),
                f"{fmt_time(row['min_s'], kind)}-{fmt_time(row['max_s'], kind)}",
                fmt_rate(row["items_per_s"]),
                fmt_ratio(ratios.get("torch")),
                fmt_ratio(ratios.get("sklearn")),
                fmt_ratio(ratios.get("jax")),
                fmt_ratio(ratios.get("gemm_floor")),
                "-" if percent is None else f"{percent:.0f}%",
                f"{row['peak_rss_mb']:.0f}",
                fmt_mb(row.get("memory_mb")),
                fmt_ratio(memory_ratio(row)),
                f"{row['final_loss']:.4f}",
                f"{row['final_accuracy']:.4f}",
                note,
            ]
        )
    return out


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    numeric = set(range(3, 16))

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(HEADERS), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |"]
    lines.append("|" + "|".join("---:" if 3 <= i < 16 else "---" for i in range(len(HEADERS))))
    lines[-1] += "|"
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in r) + " |" for r in rows]
    return "\n".join(lines)


def legend(report: dict[str, Any]) -> list[str]:
    return [
        "Times are the median of the timed runs (min-max beside it), after a warm-up. "
        "Units: s/epoch (one epoch per run), µs/step (full batch), s/call (predict_proba), "
        "s to 0.97 (training time until the digits' test accuracy reaches 0.97; "
        "evaluation between epochs not timed).",
        "'per s': examples (rows, steps) per second. 'x torch' etc.: this time divided by "
        "that framework's (above 1: slower; 'torch' is eager with the default Adam). "
        "'x floor': this time divided by the GEMM floor (the matrix products alone at "
        "NumPy's best measured rate); '%GEMM' its inverse.",
        "'peak MB': the worker's RSS high-water mark over its whole life: imports, data "
        "and the untimed final evaluation included (the JSON's peak_rss_timed_mb is the "
        "mark at the end of the timed runs). "
        "'mem MB': the resident-set high-water mark from the data's making to the end of the "
        "timed runs, less the resident set once the framework was imported (data, model, "
        "optimizer, caches, compiled code and the runs' peak); 'x budget': that over the "
        "least a case needs: the data, the parameters with their gradients and Adam's two "
        "moments, and one batch's Z[l] and A[l] (benchlib.memory_budget_mb). "
        "'loss'/'acc': cross-entropy and accuracy on the training set after the last run "
        "(inference: on the held-out rows), computed the same way for every framework.",
        f"Threads: {report['threads']} for every framework, each in its own process.",
    ]


def environment_lines(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    lines = [
        f"machine: {m.get('cpu')} ({', '.join(m.get('simd', []))}), "
        f"{m.get('cpus_allowed')} CPUs, {m.get('memory_gib', '?')} GiB; {m.get('platform')}; "
        f"Python {m.get('python')}",
        f"load average at start {report['load_start']}, at end {report['load_end']}",
    ]
    for name, versions in report["frameworks"].items():
        parts = [f"{k} {v}" for k, v in versions.items() if isinstance(v, str)]
        pools = versions.get("blas_pools")
        if pools:
            parts.append(
                "BLAS at run time: "
                + ", ".join(
                    f"{p.get('internal_api')} {p.get('version') or ''} "
                    f"({p.get('num_threads')} threads)".replace("  ", " ")
                    for p in pools
                )
            )
        for line in versions.get("torch_config", []):
            parts.append(line)
        lines.append(f"{name}: " + "; ".join(parts))
    gemm = report.get("gemm") or {}
    if "square" in gemm:
        sq = gemm["square"]
        lines.append(
            f"GEMM ceiling: float32 {sq['n']}x{sq['n']}x{sq['n']} matmul at "
            f"{sq['gflops']:.1f} GFLOP/s (NumPy, best group; median {sq['median_gflops']:.1f})"
        )
    for case_id, floor in gemm.get("floors", {}).items():
        lines.append(
            f"GEMM floor {case_id}: {floor['floor_s']:.6g} s per "
            f"{'step' if case_id == 'tiny' else 'call' if case_id == 'inference' else 'epoch'}"
            f" ({floor['gflop']:.3g} GFLOP at {floor['gflops']:.1f} GFLOP/s; "
            f"at the median rates {floor['floor_median_s']:.6g} s)"
        )
    for name, why in report["skipped"].items():
        lines.append(f"skipped {name}: {why}")
    for warning in report["warnings"]:
        lines.append(f"warning: {warning}")
    return lines


def write_outputs(report: dict[str, Any], rows: list[list[str]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = report["started"].replace(":", "").replace("-", "").split(".")[0]
    base = out / f"bench-{stamp}{'-quick' if report['args']['quick'] else ''}"
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    md = [
        f"# vecnn benchmark, {report['started']}",
        "",
        f"Command: `{report['command']}` (commit {report['git'].get('commit', '?')}"
        f"{', with uncommitted changes' if report['git'].get('dirty') else ''})",
        "",
        markdown_table(rows),
        "",
        *[f"- {line}" for line in legend(report)],
        "",
        "## Environment",
        "",
        *[f"- {line}" for line in environment_lines(report)],
        "",
    ]
    md_path.write_text("\n".join(md), encoding="utf-8")
    shutil.copyfile(json_path, out / "latest.json")
    shutil.copyfile(md_path, out / "latest.md")
    return [json_path, md_path]


# -------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = benchlib.cases(args.workload_list, args.quick, args.runs)
    for case in cases:
        case["threads"] = args.threads
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report: dict[str, Any] = {
        "schema": 1,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": command.strip(),
        "args": {
            "quick": args.quick,
            "frameworks": args.frameworks,
            "workloads": args.workload_list,
            "threads": args.threads,
            "runs": args.runs,
        },
        "threads": args.threads,
        "machine": machine(),
        "git": git_state(),
        "load_start": load_average(),
        "cases": cases,
        "frameworks": {},
        "skipped": {},
        "warnings": [],
        "gemm": None,
        "results": [],
    }
    runnable = []
    for name in args.frameworks:
        why = available(name)
        if why:
            report["skipped"][name] = why
            progress(f"skip {name}: {why}")
        else:
            runnable.append(name)

    failed = False
    if not args.no_gemm:
        progress("gemm: measuring the float32 matmul rate on the cases' shapes ...")
        gemm = call_worker(
            ["gemm_worker.py"],
            {"quick": args.quick, "threads": args.threads, "cases": cases},
            args,
        )
        if "error" in gemm:
            failed = True
            report["warnings"].append(f"the GEMM worker failed: {gemm['error']}")
            progress(f"gemm FAILED: {gemm['error']}")
        else:
            report["gemm"] = gemm
            report["frameworks"]["numpy (GEMM floor)"] = gemm["versions"]

    total = len(cases) * len(runnable)
    done = 0
    for case in cases:
        digests = set()
        for name in runnable:
            done += 1
            progress(f"[{done}/{total}] {case['id']} {name} ...")
            answer = call_worker(SCRIPTS[name], case, args)
            if "error" in answer:
                failed = True
                progress(f"    FAILED: {answer['error']}")
                report["results"].append(
                    {"case": case["id"], "framework": name, "error": answer["error"]}
                )
                continue
            digests.add(answer["data_digest"])
            report["frameworks"].setdefault(name, answer["versions"])
            report["results"].append(answer)
            unit = UNITS[case["kind"]]
            shown = fmt_time(answer["median_s"], case["kind"])
            progress(f"    {shown} {unit} (loss {answer['final_loss']:.4f})")
        if len(digests) > 1:
            report["warnings"].append(f"{case['id']}: the workers' data differ: {digests}")
    report["load_end"] = load_average()
    derive(cases, [r for r in report["results"] if "error" not in r], report["gemm"] or {})

    rows = table_rows(report)
    print(plain_table(rows))
    print()
    for line in [*legend(report), *environment_lines(report)]:
        print(line)
    paths = write_outputs(report, rows, args.out)
    print("\nwritten: " + ", ".join(str(p) for p in paths))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
