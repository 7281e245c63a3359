"""A command's outputs: standard output, a device or FIFO written in place, any other
path through the atomic writer of ``vecnn._atomic`` (whose names it re-exports)."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from vecnn._atomic import (
    atomic_write,
    atomic_write_bytes,
    check_output_path,
    protect_inputs,
)

__all__ = [
    "STANDARD_OUTPUT",
    "atomic_write",
    "atomic_write_bytes",
    "check_output_path",
    "output_file",
    "protect_inputs",
    "write_output",
]

STANDARD_OUTPUT = ("-", "/dev/stdout")
"""Output paths that mean the process's standard output."""


@contextlib.contextmanager
def output_file(
    path: str | os.PathLike[str],
    *,
    text: bool = False,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A command's output ``path`` to write through, never replacing what is not a file.

    ``-`` and ``/dev/stdout`` are standard output. An existing character device or FIFO
    (``/dev/null``, a named pipe, ``/dev/fd/N`` of a pipe) is written in place, as a shell
    redirection writes it. Any other path goes through ``atomic_write`` (which refuses
    sockets, block devices, read-only files and the command's inputs).
    """
    name = os.fspath(path)
    if name in STANDARD_OUTPUT:
        sys.stdout.flush()
        stream = sys.stdout if text else sys.stdout.buffer
        yield stream
        stream.flush()
        return
    try:
        info = os.stat(name)  # follows links: /dev/fd/3 is the pipe it points to
    except OSError:
        info = None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        if text:
            handle: IO[Any] = open(name, "w", encoding=encoding, newline=newline)  # noqa: SIM115
        else:
            handle = open(name, "wb")  # noqa: SIM115
        with handle:
            yield handle
        return
    with atomic_write(name, text=text, encoding=encoding, newline=newline) as handle:
        yield handle


def write_output(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a command's output ``path`` (see ``output_file``); return it."""
    with output_file(path) as handle:
        handle.write(data)
    return Path(os.fspath(path))
