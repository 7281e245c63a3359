"""Atomic writes: a file is either the previous one, byte for byte, or the new one, whole."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    *,
    text: bool = False,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A file to write ``path`` through, atomically: the new file appears whole, or not at all.

    The data go to a temporary file in the target's directory (so ``os.replace`` never
    crosses file systems); on a normal exit it is flushed, ``fsync``-ed, given the mode
    bits of the file it replaces (a new file gets ``0o666`` less the umask, as ``open``
    gives), moved over ``path`` with ``os.replace``, and the directory is ``fsync``-ed
    (best effort). On any exception, ``KeyboardInterrupt`` included, the temporary file is
    removed, the previous file is left byte for byte as it was, and the exception goes on.

    A ``path`` that is a symbolic link is refused (nothing is written through it); a
    missing directory is a ``FileNotFoundError`` naming it. ``text=True`` gives a text
    file (``encoding``, ``newline`` as for ``open``), e.g. for CSV (``newline=""``).
    """
    target = Path(os.fspath(path))
    directory = target.parent
    _check_target(target, directory)
    mode = _existing_mode(target)
    fd, temp = _create_temp(directory, target.name)
    try:
        if text:
            handle: IO[Any] = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        else:
            handle = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            if mode is not None:
                _chmod(handle.fileno(), temp, mode)
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see ``atomic_write``); return the path."""
    target = Path(os.fspath(path))
    with atomic_write(target) as handle:
        handle.write(data)
    return target


def _check_target(target: Path, directory: Path) -> None:
    if target.is_symlink():
        raise OSError(
            errno.ELOOP,
            "refusing to save through a symbolic link; pass the path of the file it points "
            "to, or remove the link",
            str(target),
        )
    if not directory.exists():
        raise FileNotFoundError(
            errno.ENOENT, "the directory to save into does not exist", str(directory)
        )
    if not directory.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "the parent of the path to save is not a directory", str(directory)
        )
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file path", str(target))


def _existing_mode(target: Path) -> int | None:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(info.st_mode)


def _create_temp(directory: Path, name: str) -> tuple[int, Path]:
    """A new file ``.<name>.<random>.tmp`` in ``directory``, created exclusively."""
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_BINARY", 0)
    )
    for _ in range(100):
        temp = directory / f".{name[:100]}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(
        errno.EEXIST, "could not create a unique temporary file", str(directory)
    )  # pragma: no cover - 100 collisions of 48 random bits


def _chmod(fd: int, temp: Path, mode: int) -> None:
    if os.chmod in os.supports_fd:
        os.chmod(fd, mode)
    else:  # pragma: no cover - platforms without fchmod
        os.chmod(temp, mode)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; skipped where directories cannot be opened (Windows)."""
    flag = getattr(os, "O_DIRECTORY", None)
    if flag is None:  # pragma: no cover - Windows
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flag)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
