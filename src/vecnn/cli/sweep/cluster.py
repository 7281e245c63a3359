"""Ray for ``vecnn tune``: a local one bound to 127.0.0.1, or an existing cluster.

A local Ray runs with the dashboard and usage statistics off, keeps its temporary files
under the output folder (or under a short folder in /tmp when that path is too long for
the Unix sockets Ray makes there), and is shut down at the end, its processes gone.
``--address`` joins a cluster started with ``ray start --head`` instead; that cluster is
left running.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

SOCKET_ROOM = 45
"""The longest temporary folder Ray gets: its socket paths add about 62 characters
(``/session_<date>_<time>_<µs>_<pid>/sockets/plasma_store``) and a Unix socket path
holds at most 107 bytes."""

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def ray_available() -> bool:
    """Whether ``ray[tune]`` can be imported (checked before any work)."""
    try:
        import ray  # noqa: F401
        from ray import tune  # noqa: F401
    except ImportError:
        return False
    return True


def temp_folder(out: Path) -> tuple[Path, bool]:
    """Ray's temporary folder: ``out/ray`` if short enough, else a new one in /tmp.

    Returns the folder and whether it is the short stand-in (removed at the end).
    """
    wanted = (out / "ray").resolve()
    if len(str(wanted)) <= SOCKET_ROOM:
        wanted.mkdir(parents=True, exist_ok=True)
        return wanted, False
    return Path(tempfile.mkdtemp(prefix="vecnn-ray-", dir="/tmp")), True


def prepare_environment(local: bool) -> None:
    """Before Ray is first imported (Ray reads these then, and passes them to the
    processes it starts).

    Always: vecnn handles Ctrl-C (``run.py``), Tune prints no tables and reports every
    result at once. For a local Ray: usage statistics off; this machine as 127.0.0.1 (how
    Ray keeps a one-machine cluster on the loopback address, as on macOS and Windows), so
    that no server listens on the network; and a token of the sweep's own for Ray's
    token authentication, given in the environment (Ray would write ``~/.ray/auth_token``).
    """
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"
    os.environ.setdefault("TUNE_RESULT_BUFFER_LENGTH", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    if not local:
        return
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    if not os.environ.get("RAY_AUTH_TOKEN") and not os.environ.get("RAY_AUTH_TOKEN_PATH"):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)


@contextmanager
def ray_session(
    out: Path, address: str | None, cpus_per_trial: int, say: Any
) -> Iterator[dict[str, Any]]:
    """Ray started (or joined) for the ``with`` block; yields facts for the report.

    The workers' BLAS libraries use ``cpus_per_trial`` threads, as many as the CPUs
    Ray gives each trial.
    """
    threads = str(cpus_per_trial)
    runtime_env = {"env_vars": dict.fromkeys(BLAS_THREADS, threads)}
    prepare_environment(local=address is None)
    import logging

    import ray

    facts: dict[str, Any] = {"address": address or "local"}
    stand_in = False
    if address is None:
        temp, stand_in = temp_folder(out)
        if stand_in:
            say(
                f"Ray's temporary files are in {temp} (the path under --out is too long "
                "for Ray's Unix sockets); removed at the end"
            )
        facts["temp"] = str(temp)
        ray.init(
            include_dashboard=False,
            _temp_dir=str(temp),
            log_to_driver=False,
            logging_level=logging.ERROR,
            runtime_env=runtime_env,
        )
    else:
        ray.init(
            address=address,
            log_to_driver=False,
            logging_level=logging.ERROR,
            runtime_env=runtime_env,
        )
    facts["cpus"] = int(ray.cluster_resources().get("CPU", 0))
    try:
        yield facts
    finally:
        ray.shutdown()
        if address is None:
            _wait_for_exit(Path(facts["temp"]))
        if stand_in:
            shutil.rmtree(facts["temp"], ignore_errors=True)


def _session_pids(temp: Path) -> list[int]:
    """Processes whose command line names Ray's temporary folder (the local Ray's)."""
    pids = []
    needle = str(temp).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _wait_for_exit(temp: Path, seconds: float = 10.0) -> None:
    """After ``ray.shutdown()``: wait for the local Ray's processes, then stop stragglers."""
    if not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + seconds
    while _session_pids(temp) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in _session_pids(temp):
        with suppress(OSError):
            os.kill(pid, 9)
