"""The exceptions vecnn raises, in one place so that callers can catch them by type."""

from __future__ import annotations


class ShapeError(ValueError):
    """Operands whose shapes do not fit the operation; the message names both shapes."""


class NoDerivativeError(NotImplementedError):
    """``backward()`` reached an operation that has no derivative (raised, never zeros)."""


class GraphReleasedError(RuntimeError):
    """``backward()`` through a graph whose buffers an earlier ``backward()`` released."""


class ModelFormatError(ValueError):
    """A file that is not a well-formed vecnn model file: the message names the path and why.

    Raised for every malformed-file case (bad magic bytes, a bad header, truncation, a
    checksum mismatch, weights that do not fit the architecture, …); an ``OSError`` (missing
    file, a directory, no permission) is never turned into one.
    """

    def __init__(self, reason: str, path: object = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(reason if path is None else f"'{path}': {reason}")


class DataError(ValueError):
    """Data that cannot be used as given: the message names the file, line and column.

    ``str(error)`` is one line, ``path:line: column 'name': reason``, with the parts that
    are known; the command line prints it and exits with status 1.
    """

    def __init__(
        self,
        reason: str,
        path: object = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason, self.path, self.line, self.column = reason, path, line, column
        where = "" if path is None else str(path)
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        if column is not None:
            reason = f"column {column!r}: {reason}"
        super().__init__(f"{where}: {reason}" if where else reason)
