"""The ``vecnn playground`` command: its options, and running the server until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import webbrowser
from typing import Any

LOCALHOST = "127.0.0.1"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 0..65535 (0: a free port); got {text}")
    return value


def add_parser(commands: Any, example: str) -> argparse.ArgumentParser:
    """Register ``vecnn playground [--port P] [--host H] [--no-browser]`` on ``commands``."""
    p = commands.add_parser(
        "playground",
        help="train a network in the browser and watch its matrices learn",
        example=example,
        description="Start a local web page that trains a vecnn.Network on 2-D data and shows "
        "W[l], b[l], A[l], dZ[l] with their shapes, the equations and the decision regions. "
        "It serves on 127.0.0.1 (a free port unless --port) and stops on Ctrl-C.",
    )
    p.add_argument("--port", type=_port, default=0, help="port to serve on (default: a free one)")
    p.add_argument(
        "--host",
        default=LOCALHOST,
        help="address to bind (default 127.0.0.1; any other exposes the page to the network)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    return p


def _open_browser(url: str) -> None:
    """Open ``url`` in a graphical browser; without a display (an SSH session, a container)
    say so instead of starting a text browser that would take over the terminal."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        print(f"vecnn playground: no display found; open {url} in a browser", flush=True)
        return
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (exit status 0), printing the address first."""
    from vecnn.playground.server import Playground

    if args.host != LOCALHOST:
        print(
            f"vecnn: warning: serving on {args.host}: anyone who can reach this address can "
            "use the playground (and the CPU it trains on)",
            file=sys.stderr,
        )
    playground = Playground(host=args.host, port=args.port)
    print(f"vecnn playground: serving on {playground.url}  (Ctrl-C to stop)", flush=True)
    if not args.no_browser:
        _open_browser(playground.url)
    try:
        playground.serve_forever()
    except KeyboardInterrupt:
        print("vecnn playground: stopped", flush=True)
    finally:
        playground.close()
    return 0
