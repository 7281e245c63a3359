"""Atomic writes: a file is either the previous one, byte for byte, or the new one, whole.

Level 0, below everything that writes a file (``autodiff``'s ``draw``, ``io``, the
report, the command line), so that one writer serves them all; the public names are
``vecnn.io``'s (``atomic_write``, ``atomic_write_bytes``, ``check_output_path``,
``protect_inputs``), and ``vecnn.io.files`` adds a command's outputs to them.
"""

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

    Refused before anything is written (an ``OSError`` naming ``path``): a symbolic link
    (nothing is written through it); an existing path that is not a regular file (a
    device such as ``/dev/null``, a FIFO, a socket: renaming over it would replace it; see
    ``output_file`` for writing into one); a file the user made read-only (its mode bits
    deny writing, as ``open`` would, even to root); a file that is an input of the running
    command (see ``protect_inputs``). A missing directory is a ``FileNotFoundError``
    naming it. ``text=True`` gives a text file (``encoding``, ``newline`` as for ``open``),
    e.g. for CSV (``newline=""``).
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
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError) and error.filename in (None, str(temp)):
            # ENOSPC from a write names no file, and the others name the hidden temporary
            # file: name the target, and say that what was there is kept.
            reason = error.strerror or str(error)
            raise OSError(
                error.errno,
                f"{reason}; it was not written, and a file already there is left as it was",
                str(target),
            ) from error
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see ``atomic_write``); return the path."""
    target = Path(os.fspath(path))
    with atomic_write(target) as handle:
        handle.write(data)
    return target


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Raise the ``OSError`` that ``atomic_write(path)`` would raise before writing, if any
    (to refuse an output before the work that makes it); return the path."""
    target = Path(os.fspath(path))
    _check_target(target, target.parent)
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
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise OSError(
            errno.EINVAL,
            f"is {_kind(info.st_mode)}, not a regular file; vecnn writes a new file and "
            "renames it over the old one, which would replace it: write to a regular file",
            str(target),
        )
    if not _mode_allows_writing(info):
        raise PermissionError(
            errno.EACCES,
            f"the file is read-only (mode {stat.S_IMODE(info.st_mode):04o}) and is left as "
            "it is; make it writable (chmod u+w) or write to another path",
            str(target),
        )
    _refuse_an_input(target, info)


def _kind(mode: int) -> str:
    """``st_mode``'s file type in words, e.g. "a character device"."""
    kinds = [
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _mode_allows_writing(info: os.stat_result) -> bool:
    """Whether ``info``'s mode bits let this process write the file, as ``open`` checks
    them (root included: a file its owner made read-only stays read-only to vecnn)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows: the read-only attribute
        return bool(info.st_mode & stat.S_IWUSR)
    uid = os.geteuid()
    if uid == 0 or uid == info.st_uid:
        return bool(info.st_mode & stat.S_IWUSR)
    if info.st_gid == os.getegid() or info.st_gid in os.getgroups():
        return bool(info.st_mode & stat.S_IWGRP)
    return bool(info.st_mode & stat.S_IWOTH)


_INPUTS: list[tuple[Path, os.stat_result]] = []
"""The input files of the running command (``protect_inputs``): never written over."""


@contextlib.contextmanager
def protect_inputs(*paths: str | os.PathLike[str] | None) -> Iterator[None]:
    """Within it, writing over any of ``paths`` (the same file: same resolved path, or the
    same device and inode, as ``cp`` compares them) is refused with an ``OSError``.

    Paths that do not exist or are not regular files (standard input, a pipe) are ignored.
    """
    added = []
    for path in paths:
        if path is None or os.fspath(path) == "-":
            continue
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            added.append((Path(os.fspath(path)), info))
    _INPUTS.extend(added)
    try:
        yield
    finally:
        for item in added:
            _INPUTS.remove(item)


def _refuse_an_input(target: Path, info: os.stat_result) -> None:
    for source, known in _INPUTS:
        same = (info.st_dev, info.st_ino) == (known.st_dev, known.st_ino)
        if same or target.resolve() == source.resolve():
            raise OSError(
                errno.EINVAL,
                f"is the same file as the input {str(source)!r}; writing it would destroy "
                "the input: choose another output path",
                str(target),
            )


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
