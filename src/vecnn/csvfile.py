"""Reading CSV files strictly: every problem is refused naming the file, line and column.

Python's ``csv`` module does the parsing (quoted fields with delimiters or newlines,
doubled quotes). Around it: UTF-8 decoding line by line (so a bad byte is reported with
its line), the BOM stripped, the delimiter detected from the header, blank lines skipped,
and ragged rows, duplicate column names, NUL bytes, unterminated quotes and empty files
refused. A gzip-compressed file is decompressed as it is read. Rows come in chunks, so a
file larger than memory can be streamed.

A ``Chunk`` holds its rows column by column: a column whose every value in the chunk is a
plain decimal number (``-1.5``, ``3``, ``.25``) is parsed into a float64 array as the chunk
is read (``Numbers``), the others stay text. A numeric file so takes 8 bytes per value,
not a Python string's 50 or more.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vecnn.backend.host import Array, xp
from vecnn.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
GZIP_MAGIC = b"\x1f\x8b"
CHUNK_ROWS = 4096
"""Rows per chunk when a whole file is read: the text of one chunk is held at a time."""


@dataclass
class Numbers:
    """A column whose every value is a plain decimal number: ``values (m,)`` in float64,
    and ``text``, the values as written joined by newlines (None once dropped)."""

    values: Array
    text: str | None = None

    def texts(self) -> list[str]:
        """The values as written, or written plainly (``plain_text``) once the text is gone."""
        if self.text is not None:
            return self.text.split("\n") if len(self.values) else []
        return [plain_text(value) for value in self.values.tolist()]


_NOT_PLAIN = str.maketrans("", "", "0123456789.+-\n")
_LEADING_ZERO = re.compile(r"(?:^|\n)[+-]?0[0-9]")


def plain_numbers(values: Sequence[str]) -> Numbers | None:
    """``values`` as ``Numbers`` when each is a plain decimal number, finite in float64 (no
    exponent, leading zero, space, ``_``, ``inf`` or missing value); else None."""
    if not values:
        return None
    text = "\n".join(values)
    if text.translate(_NOT_PLAIN) or _LEADING_ZERO.search(text):
        return None
    try:
        numbers = xp.array(values, dtype=xp.float64)
    except ValueError:  # '1.2.3', '-', '' (a missing value)
        return None
    if not xp.isfinite(numbers.sum()) and not xp.isfinite(numbers).all():
        return None  # more digits than a float holds
    return Numbers(numbers, text)


def plain_text(value: float) -> str:
    """How a plain decimal number reads as a label: ``3.0`` → ``3``, ``0.5`` → ``0.5``."""
    return str(int(value)) if value == int(value) else repr(value)


Column = Numbers | list[str]


@dataclass
class Chunk:
    """Rows of a CSV file, column by column (``data``: one ``Numbers`` or list of strings per
    column), with the line on which each row starts."""

    columns: list[str]
    data: list[Column]
    lines: list[int] = field(default_factory=list)
    _positions: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_rows(
        cls, columns: list[str], rows: Sequence[Sequence[str]], lines: list[int] | None = None
    ) -> Chunk:
        """A chunk of ``rows`` (lists of strings); columns of plain numbers become ``Numbers``."""
        data: list[Column] = []
        for values in zip(*rows, strict=True) if rows else ([] for _ in columns):
            data.append(plain_numbers(values) or list(values))
        return cls(list(columns), data, list(range(2, len(rows) + 2)) if lines is None else lines)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def rows(self) -> list[list[str]]:
        """The rows as lists of strings (the values as written)."""
        columns = [self._texts(column) for column in self.data]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []

    def _index(self, name: str) -> int:
        if self._positions is None or len(self._positions) != len(self.columns):
            self._positions = {column: k for k, column in enumerate(self.columns)}
        return self._positions[name]

    @staticmethod
    def _texts(column: Column) -> list[str]:
        return column.texts() if isinstance(column, Numbers) else column

    def column(self, name: str) -> list[str]:
        """The values of column ``name`` as written (found through a dict: linear in the
        columns)."""
        return self._texts(self.data[self._index(name)])

    def numbers(self, name: str) -> Array | None:
        """Column ``name`` as float64 ``(m,)`` when every value is a plain number, else None."""
        column = self.data[self._index(name)]
        return column.values if isinstance(column, Numbers) else None

    def take(self, index: Sequence[int] | Array) -> Chunk:
        """The rows at ``index``, in that order."""
        index = xp.asarray(index, dtype=xp.intp)
        data: list[Column] = []
        for column in self.data:
            if isinstance(column, Numbers):
                text = None
                if column.text is not None:
                    texts = column.texts()
                    text = "\n".join(texts[i] for i in index.tolist())
                data.append(Numbers(column.values[index], text))
            else:
                data.append([column[i] for i in index.tolist()])
        return Chunk(self.columns, data, [self.lines[i] for i in index.tolist()])

    def select(self, names: list[str]) -> Chunk:
        """The columns ``names``, in that order."""
        return Chunk(list(names), [self.data[self._index(name)] for name in names], self.lines)

    def drop_text(self) -> None:
        """Forget how the numbers were written (``plain_text`` stands for it): memory."""
        for column in self.data:
            if isinstance(column, Numbers):
                column.text = None

    @classmethod
    def concatenate(cls, chunks: Sequence[Chunk], columns: list[str]) -> Chunk:
        """The rows of ``chunks`` one after the other; a column that is ``Numbers`` in every
        chunk stays ``Numbers``, any other is text (the numbers as written)."""
        data: list[Column] = []
        for k in range(len(columns)):
            parts = [chunk.data[k] for chunk in chunks]
            if parts and all(isinstance(part, Numbers) for part in parts):
                texts = [part.text for part in parts]
                text = None if None in texts else "\n".join(texts)
                data.append(Numbers(xp.concatenate([part.values for part in parts]), text))
            else:
                data.append([value for part in parts for value in cls._texts(part)])
        lines = [line for chunk in chunks for line in chunk.lines]
        return cls(list(columns), data, lines)


def _decoded_lines(handle: IO[bytes], path: str) -> Iterator[tuple[int, str]]:
    """Each physical line and its number, decoded as UTF-8 (BOM stripped); a DataError at a
    bad byte or a NUL byte."""
    for number, raw in enumerate(_lines_of(handle, path), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            utf16 = number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            raise DataError(
                "UTF-16 text, not UTF-8; save the file as UTF-8"
                if utf16
                else f"not UTF-8 text (byte 0x{raw[error.start]:02x} at byte {error.start + 1} "
                "of the line); save the file as UTF-8",
                path,
                line=number,
            ) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        if "\x00" in text:
            raise DataError(
                "the line contains a NUL byte; is this a CSV file (not UTF-16 or binary)?",
                path,
                line=number,
            )
        yield number, text


MAX_LINE_BYTES = 16 * 2**20
"""The longest line read: a file with no line break (or /dev/zero) stops there."""
_BLOCK = 1 << 16
_END_OF_LINE = re.compile(rb"\r\n|\n|\r")


def _lines_of(handle: IO[bytes], path: str) -> Iterator[bytes]:
    r"""Each line's bytes with its ending: ``\n``, ``\r\n``, or ``\r`` alone (old Mac
    files), mixed as they come; a DataError for a line over ``MAX_LINE_BYTES``."""
    pieces: list[bytes] = []  # the start of a line that spans blocks
    length, number, carry = 0, 1, b""
    try:
        while True:
            data = handle.read(_BLOCK)
            block = carry + data if carry else data
            carry = b""
            if data and block.endswith(b"\r"):  # a \n may follow in the next block
                carry, block = b"\r", block[:-1]
            start = 0
            for match in _END_OF_LINE.finditer(block):
                piece = block[start : match.end()]
                yield b"".join([*pieces, piece]) if pieces else piece
                pieces, length, number, start = [], 0, number + 1, match.end()
            if start < len(block):
                pieces.append(block[start:])
                length += len(block) - start
                if length > MAX_LINE_BYTES:
                    raise DataError(
                        f"the line is longer than {MAX_LINE_BYTES} bytes with no line break; "
                        "is this a CSV file?",
                        path,
                        line=number,
                    )
            if not data:
                break
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:  # a damaged .gz file
        raise DataError(f"could not be read as gzip: {error}", path) from None
    if pieces:
        yield b"".join(pieces)


def _open(path: str | Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (by its magic bytes or a .gz name).

    The file is opened once and its first bytes peeked at, so a pipe (``/dev/stdin``,
    ``<(…)``) loses nothing; ``-`` is standard input.
    """
    raw = sys.stdin.buffer if str(path) == "-" else open(path, "rb")  # noqa: SIM115
    handle = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    magic = handle.peek(2)[:2]
    if magic == GZIP_MAGIC or str(path).lower().endswith(".gz"):
        return gzip.GzipFile(fileobj=handle, mode="rb")
    return handle


def _outside_quotes(line: str) -> str:
    return "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)


def detect_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header (outside quotes)."""
    outside = _outside_quotes(header_line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class CSVReader:
    """A CSV file read row by row: ``columns``, then ``chunks(n)`` of up to ``n`` rows.

    Use as a context manager. ``delimiter=None`` detects it from the header line.
    """

    def __init__(self, path: str | Path, delimiter: str | None = None) -> None:
        self.path = str(path)
        self._handle = _open(path)
        try:
            lines = _decoded_lines(self._handle, self.path)
            first = next(lines, None)
            while first is not None and not first[1].strip():
                first = next(lines, None)
            if first is None:
                raise DataError("the file is empty: no header and no data rows", self.path)
            self.delimiter = delimiter or detect_delimiter(first[1])
            if len(self.delimiter) != 1 or self.delimiter in '"\r\n':
                raise DataError(
                    f"the delimiter must be one character other than a quote or a newline; "
                    f"got {self.delimiter!r}",
                    self.path,
                )
            self._line = first[0] - 1  # the last physical line handed to the parser
            self._inside, self._opened = False, first[0]
            self._reader = csv.reader(
                self._feed(_prepend(first, lines)),
                delimiter=self.delimiter,
                strict=True,
                skipinitialspace=True,
            )
            line, header = self._next_record()
            self.columns = [name.strip() for name in header]
            self._check_header(line, first[1])
        except BaseException:
            self._handle.close()
            raise

    def _feed(self, lines: Iterator[tuple[int, str]]) -> Iterator[str]:
        """The lines to the parser, noting the line number and where a quote opens."""
        for number, text in lines:
            self._line = number
            closed, k = -2, text.find('"')
            while k >= 0:
                if self._inside:
                    self._inside, closed = False, k
                else:
                    self._inside = True
                    if k != closed + 1:  # not the second quote of a doubled one
                        self._opened = number
                k = text.find('"', k + 1)
            yield text

    def _check_header(self, line: int, text: str) -> None:
        blank = [i + 1 for i, name in enumerate(self.columns) if not name]
        if blank:
            raise DataError(f"column {blank[0]} of the header has no name", self.path, line=line)
        seen, duplicates = set(), []
        for name in self.columns:
            if name in seen and name not in duplicates:
                duplicates.append(name)
            seen.add(name)
        if duplicates:
            raise DataError(
                f"duplicate column names in the header: {', '.join(map(repr, duplicates))}",
                self.path,
                line=line,
            )
        likely = detect_delimiter(text)
        if len(self.columns) == 1 and likely != self.delimiter and likely in _outside_quotes(text):
            raise DataError(
                f"the header is one column {self.columns[0]!r} with {likely!r} in it; is the "
                f"delimiter wrong? pass --delimiter {likely!r}",
                self.path,
                line=line,
            )

    def _next_record(self) -> tuple[int, list[str]]:
        """The next non-blank record and the line it starts on; StopIteration at the end."""
        while True:
            start = self._line + 1
            self._inside, self._opened = False, start
            try:
                record = next(self._reader)
            except csv.Error as error:
                raise self._csv_error(error, start) from None
            if len(record) > 1 or (record and record[0].strip()):
                return start, record

    def _csv_error(self, error: csv.Error, start: int) -> DataError:
        text = str(error)
        opened = self._opened if self._inside else start
        if "field larger than field limit" in text:
            limit = csv.field_size_limit()
            if self._inside and self._opened < self._line:
                return DataError(
                    f"a quoted field opened on this line runs over {limit} characters, to "
                    f"line {self._line}: is the quote never closed (unterminated quote)?",
                    self.path,
                    line=opened,
                )
            return DataError(
                f"a field is longer than {limit} characters, the longest vecnn reads; "
                "shorten it (or drop the column)",
                self.path,
                line=start,
            )
        if "unexpected end of data" in text:
            return DataError(
                "a quoted field opened on this line is never closed (unterminated quote)",
                self.path,
                line=opened,
            )
        return DataError(f"malformed CSV: {text}", self.path, line=start)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every data row with its line number, checked to have one field per column."""
        width = len(self.columns)
        while True:
            try:
                line, record = self._next_record()
            except StopIteration:
                return
            if len(record) != width:
                hint = ""
                if width == 1 and any(d in record[0] for d in DELIMITERS if d != self.delimiter):
                    hint = "; is the delimiter wrong? pass --delimiter"
                raise DataError(
                    f"expected {width} fields (one per column of the header), found "
                    f"{len(record)}{hint}",
                    self.path,
                    line=line,
                )
            yield line, [value.strip() for value in record]

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The data rows in chunks of at most ``size`` rows."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"the chunk size must be a positive integer; got {size!r}")
        return self._chunks(size)

    def _chunks(self, size: int) -> Iterator[Chunk]:
        rows: list[list[str]] = []
        lines: list[int] = []
        for line, record in self.rows():
            rows.append(record)
            lines.append(line)
            if len(rows) == size:
                yield Chunk.from_rows(self.columns, rows, lines)
                rows, lines = [], []
        if rows:
            yield Chunk.from_rows(self.columns, rows, lines)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> CSVReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _prepend(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def read_csv(path: str | Path, delimiter: str | None = None, keep_text: bool = True) -> Chunk:
    """The whole file as one ``Chunk``; a DataError when it has no data rows.

    Read ``CHUNK_ROWS`` rows at a time, each column of plain numbers parsed into float64
    as it comes. ``keep_text=False`` forgets how the numbers were written once the file is
    read (``plain_text`` stands for it: the same labels, the same numbers): for a numeric
    file, 8 bytes per value.
    """
    with CSVReader(path, delimiter) as reader:
        chunks = list(reader.chunks(CHUNK_ROWS))
        if not chunks:
            raise DataError("no data rows (the file has a header only)", reader.path)
        if not keep_text:
            _drop_text_of_numeric_columns(chunks)
        table = Chunk.concatenate(chunks, reader.columns)
        del chunks
        return table


def _drop_text_of_numeric_columns(chunks: Iterable[Chunk]) -> None:
    """Drop the text of the columns that are ``Numbers`` in every chunk."""
    chunks = list(chunks)
    for k in range(len(chunks[0].columns)):
        parts = [chunk.data[k] for chunk in chunks]
        if all(isinstance(part, Numbers) for part in parts):
            for part in parts:
                part.text = None
