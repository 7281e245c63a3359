"""The report's folder and its files: created, checked, written atomically."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from vecnn.io import atomic_write_bytes


def _prepare_directory(out_dir: Any) -> Path:
    out = Path(os.fspath(out_dir))
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "the report directory is a file, not a directory", str(out)
        )
    out.mkdir(parents=True, exist_ok=True)  # its OSError names the path
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "the report directory is not writable", str(out))
    return out


def _write(path: Path, data: bytes) -> Path:
    try:
        return atomic_write_bytes(path, data)
    except OSError as error:
        if error.filename == str(path):
            raise
        raise type(error)(
            error.errno, f"could not write the report file: {error.strerror}", str(path)
        ) from error
