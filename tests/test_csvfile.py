"""Strict CSV reading: quoting, encodings, ragged rows, empty files and delimiters, each
refused (or read) with the file, line and column named (ROBUSTNESS.md §D)."""

from __future__ import annotations

import csv
import gzip

import pytest

from vecnn.csvfile import CSVReader, detect_delimiter, read_csv
from vecnn.errors import DataError


def write(tmp_path, data: bytes | str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(path, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        read_csv(path, **kwargs)
    error = info.value
    assert error.path == str(path)
    assert str(error).startswith(str(path))
    return error


# ------------------------------------------------------------------ reading what is right
def test_plain_file_rows_lines_and_columns(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n")
    chunk = read_csv(path)
    assert chunk.columns == ["a", "b", "c"]
    assert chunk.rows == [["1", "2", "3"], ["4", "5", "6"]]
    assert chunk.lines == [2, 3]
    assert chunk.column("b") == ["2", "5"]


def test_crlf_line_endings_and_no_final_newline(tmp_path):
    chunk = read_csv(write(tmp_path, "a,b\r\n1,2\r\n3,4"))
    assert chunk.rows == [["1", "2"], ["3", "4"]]
    assert chunk.lines == [2, 3]


def test_quoted_fields_with_delimiters_newlines_and_doubled_quotes(tmp_path):
    text = (
        "name,note,value\n"
        '"Smith, John","said ""hi""",1\n'
        '"multi","first line\nsecond line\nthird line",2\n'
        "plain,x,3\n"
    )
    chunk = read_csv(write(tmp_path, text))
    assert chunk.rows == [
        ["Smith, John", 'said "hi"', "1"],
        ["multi", "first line\nsecond line\nthird line", "2"],
        ["plain", "x", "3"],
    ]
    # The multi-line field spans lines 3-5: the next row starts on line 6.
    assert chunk.lines == [2, 3, 6]


def test_line_numbers_after_a_multiline_field_in_errors(tmp_path):
    text = 'a,b\n1,"x\ny\nz"\n2,3,4\n'
    error = refused(write(tmp_path, text))
    assert error.line == 5
    assert "expected 2 fields" in str(error) and "found 3" in str(error)


def test_whitespace_around_fields_is_stripped(tmp_path):
    chunk = read_csv(write(tmp_path, " a , b \n  1 ,\t2  \n"))
    assert chunk.columns == ["a", "b"]
    assert chunk.rows == [["1", "2"]]


def test_a_quoted_field_after_a_space(tmp_path):
    chunk = read_csv(write(tmp_path, 'a, b\n1, "x, y"\n'))
    assert chunk.rows == [["1", "x, y"]]


def test_blank_lines_are_skipped_and_line_numbers_stay_right(tmp_path):
    text = "\n\na,b\n\n1,2\n   \n\n3,4\n\n"
    chunk = read_csv(write(tmp_path, text))
    assert chunk.columns == ["a", "b"]
    assert chunk.rows == [["1", "2"], ["3", "4"]]
    assert chunk.lines == [5, 8]


def test_errors_after_leading_blank_lines_name_the_physical_line(tmp_path):
    error = refused(write(tmp_path, "\n\na,b\n1,2\n3\n"))
    assert error.line == 5
    error = refused(write(tmp_path, "\n\na,a\n1,2\n"))
    assert error.line == 3


def test_a_row_of_empty_fields_is_a_row_not_a_blank_line(tmp_path):
    # ",," is three missing values, for the preprocessing to refuse or impute; never dropped.
    chunk = read_csv(write(tmp_path, "a,b,c\n1,2,3\n,,\n"))
    assert chunk.rows == [["1", "2", "3"], ["", "", ""]]
    assert chunk.lines == [2, 3]


def test_utf8_bom_is_stripped_from_the_first_column_name(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfage,city\n30,Z\xc3\xbcrich\n")
    chunk = read_csv(path)
    assert chunk.columns == ["age", "city"]
    assert chunk.rows == [["30", "Zürich"]]


def test_bom_before_a_quoted_header(tmp_path):
    chunk = read_csv(write(tmp_path, b'\xef\xbb\xbf"age","city"\n1,x\n'))
    assert chunk.columns == ["age", "city"]


# ---------------------------------------------------------------------- encodings
def test_latin1_bytes_are_refused_with_their_line(tmp_path):
    path = write(tmp_path, b"name,age\nalice,30\nRen\xe9,41\nbob,5\n")
    error = refused(path)
    assert error.line == 3
    assert "UTF-8" in str(error)
    assert "0xe9" in str(error)
    assert str(error).startswith(f"{path}:3:")


def test_latin1_in_the_header_is_line_1(tmp_path):
    error = refused(write(tmp_path, b"caf\xe9,b\n1,2\n"))
    assert error.line == 1


def test_utf16_is_named(tmp_path):
    error = refused(write(tmp_path, "a,b\n1,2\n".encode("utf-16")))
    assert error.line == 1
    assert "UTF-16" in str(error)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"a,b\n1,2\n3,\x004\n", 3),
        (b"a,\x00b\n1,2\n", 1),
        (b'a,b\n1,"x\n\x00y"\n', 3),
    ],
)
def test_nul_bytes_are_refused_with_their_line(tmp_path, data, line):
    error = refused(write(tmp_path, data))
    assert error.line == line
    assert "NUL" in str(error)


# ------------------------------------------------------------------------ quoting
def test_unterminated_quote_at_the_end_of_a_small_file(tmp_path):
    path = write(tmp_path, 'a,b\n1,2\n3,"never closed\n4,5\n6,7\n')
    error = refused(path)
    assert error.line == 3
    assert "unterminated quote" in str(error)


def test_unterminated_quote_past_the_field_limit(tmp_path):
    limit = csv.field_size_limit()
    rows = "".join(f"{i},{i}\n" for i in range((limit // 4) + 10))
    path = write(tmp_path, 'a,b\n1,2\n3,"oops\n' + rows)
    assert path.stat().st_size > limit
    error = refused(path)
    assert error.line == 3
    assert "unterminated quote" in str(error)


def test_unterminated_quote_names_the_line_where_it_opened(tmp_path):
    # The row starts on line 2, a first quoted field closes on line 3, another opens on 3.
    path = write(tmp_path, 'a,b,c\n"x\ny",2,"never\n4,5,6\n')
    error = refused(path)
    assert error.line == 3
    assert "unterminated quote" in str(error)


def test_doubled_quotes_in_a_multiline_field_do_not_move_the_opening_line(tmp_path):
    path = write(tmp_path, 'a,b\n1,"x\nsaid ""hi""\nand more\n')
    error = refused(path)
    assert error.line == 2


def test_garbage_after_a_closing_quote_is_malformed(tmp_path):
    error = refused(write(tmp_path, 'a,b\n1,2\n"x"y,3\n'))
    assert error.line == 3
    assert "malformed CSV" in str(error)


# -------------------------------------------------------------------- ragged rows
@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        ("a,b,c\n1,2\n3,4,5\n", 2, 2),  # too few, in the first data row
        ("a,b,c\n1,2,3,4\n", 2, 4),  # too many, in the first data row
        ("a,b,c\n1,2,3\n4,5,6\n7,8\n", 4, 2),  # too few, later
        ("a,b,c\n1,2,3\n4,5,6,7,8\n", 3, 5),  # too many, later
        ("a,b,c\n1,2,3,\n", 2, 4),  # a trailing delimiter is one field more
    ],
)
def test_ragged_rows_name_line_expected_and_found(tmp_path, text, line, found):
    error = refused(write(tmp_path, text))
    assert error.line == line
    assert "expected 3 fields" in str(error)
    assert f"found {found}" in str(error)


# ---------------------------------------------------------------- empty and headers
@pytest.mark.parametrize("text", ["", "\n\n\n", "  \n\t\n \r\n"])
def test_an_empty_file_or_blank_lines_only(tmp_path, text):
    error = refused(write(tmp_path, text))
    assert "empty" in str(error)
    assert "no data rows" in str(error)


@pytest.mark.parametrize("text", ["a,b,c\n", "a,b,c", "a,b,c\n\n\n"])
def test_a_header_only_file_has_no_data_rows(tmp_path, text):
    error = refused(write(tmp_path, text))
    assert "no data rows" in str(error)


def test_header_only_file_through_the_reader_gives_no_chunks(tmp_path):
    with CSVReader(write(tmp_path, "a,b\n")) as reader:
        assert reader.columns == ["a", "b"]
        assert list(reader.chunks(10)) == []


def test_duplicate_column_names_are_named(tmp_path):
    error = refused(write(tmp_path, "a,b,a,c,b,d\n1,2,3,4,5,6\n"))
    assert error.line == 1
    assert "duplicate" in str(error)
    assert "'a'" in str(error) and "'b'" in str(error)
    assert "'c'" not in str(error)


def test_duplicates_after_stripping_whitespace(tmp_path):
    error = refused(write(tmp_path, "a, a\n1,2\n"))
    assert "duplicate" in str(error) and "'a'" in str(error)


@pytest.mark.parametrize(("header", "index"), [("a,,c", 2), ("a,b,", 3), (",b", 1), ('a," ",c', 2)])
def test_an_empty_column_name_is_refused(tmp_path, header, index):
    error = refused(write(tmp_path, header + "\n1,2,3\n"))
    assert error.line == 1
    assert f"column {index} of the header has no name" in str(error)


# ---------------------------------------------------------------------- delimiters
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path, delimiter):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "2,5", "x"]) + "\n"
    if delimiter == ",":
        text = 'a,b,c\n1,"2,5",x\n'
    with CSVReader(write(tmp_path, text)) as reader:
        assert reader.delimiter == delimiter
        assert reader.columns == ["a", "b", "c"]
        assert [row for _, row in reader.rows()] == [["1", "2,5", "x"]]


def test_detect_delimiter_ignores_quoted_text_and_defaults_to_comma():
    assert detect_delimiter('"a;b;c",d') == ","
    assert detect_delimiter("a;b;c") == ";"
    assert detect_delimiter("a\tb|c\td") == "\t"
    assert detect_delimiter("single") == ","


def test_explicit_delimiter_is_used(tmp_path):
    chunk = read_csv(write(tmp_path, "a;b,c\n1;2,3\n"), delimiter=";")
    assert chunk.columns == ["a", "b,c"]
    assert chunk.rows == [["1", "2,3"]]


def test_a_semicolon_file_read_as_comma_hints_at_the_delimiter(tmp_path):
    path = write(tmp_path, "age;height;label\n30;1.8;yes\n41;1.6;no\n")
    error = refused(path, delimiter=",")
    assert "--delimiter" in str(error)
    assert "';'" in str(error)
    assert error.line == 1


def test_a_semicolon_file_with_decimal_commas_read_as_comma(tmp_path):
    # The header alone is one column: the hint comes before any row is read.
    path = write(tmp_path, "age;height\n30;1,8\n")
    error = refused(path, delimiter=",")
    assert "--delimiter" in str(error)


def test_bad_delimiter_argument(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    for bad in (";;", '"', "\n"):
        with pytest.raises(DataError, match="delimiter"):
            read_csv(path, delimiter=bad)


# ---------------------------------------------------------------------------- gzip
def test_gz_files_are_read_transparently(tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b'\xef\xbb\xbfa,b\n1,"x\ny"\n\n3,4\n'))
    chunk = read_csv(path)
    assert chunk.columns == ["a", "b"]
    assert chunk.rows == [["1", "x\ny"], ["3", "4"]]
    assert chunk.lines == [2, 5]


def test_gzip_is_recognised_by_its_magic_bytes(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert read_csv(path).rows == [["1", "2"]]


def test_gz_errors_keep_their_line(tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n3\n"))
    error = refused(path)
    assert error.line == 3


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not_gzip"])
def test_a_damaged_gz_file_is_a_data_error(tmp_path, damage):
    payload = gzip.compress(("a,b\n" + "".join(f"{i},{i * i}\n" for i in range(2000))).encode())
    if damage == "truncated":
        data = payload[: len(payload) // 2]
    elif damage == "corrupt":
        middle = len(payload) // 2
        data = payload[:middle] + bytes(b ^ 0xFF for b in payload[middle : middle + 64])
        data += payload[middle + 64 :]
    else:
        data = b"a,b\n1,2\n"
    path = tmp_path / "data.csv.gz"
    path.write_bytes(data if damage != "not_gzip" else b"\x1f\x8bnot really gzip")
    error = refused(path)
    assert "gzip" in str(error)


# --------------------------------------------------------------------------- chunks
def test_chunks_yield_every_row_in_order_with_lines(tmp_path):
    physical = ["a,b"]  # physical[k] is line k + 1
    expected_rows, expected_lines = [], []
    for i in range(23):
        if i % 5 == 0:
            physical.append("")  # a blank line now and then
        expected_lines.append(len(physical) + 1)
        if i == 7:  # a row over two lines
            physical += [f'{i},"two', 'lines"']
            expected_rows.append([str(i), "two\nlines"])
        else:
            physical.append(f"{i},{i * 2}")
            expected_rows.append([str(i), str(i * 2)])
    path = write(tmp_path, "\n".join(physical) + "\n")
    assert expected_lines[:3] == [3, 4, 5] and expected_lines[8] == 13
    for size in (1, 4, 5, 23, 100):
        with CSVReader(path) as reader:
            chunks = list(reader.chunks(size))
        assert [len(c.rows) for c in chunks[:-1]] == [size] * (len(chunks) - 1)
        assert 1 <= len(chunks[-1].rows) <= size
        assert [row for c in chunks for row in c.rows] == expected_rows
        assert [line for c in chunks for line in c.lines] == expected_lines
        assert all(c.columns == ["a", "b"] for c in chunks)
    assert read_csv(path).lines == expected_lines


def test_chunks_stop_at_a_bad_row_after_yielding_the_good_ones(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,4\n5\n6,7\n")
    with CSVReader(path) as reader:
        chunks = reader.chunks(2)
        assert next(chunks).rows == [["1", "2"], ["3", "4"]]
        with pytest.raises(DataError) as info:
            next(chunks)
    assert info.value.line == 4


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_chunk_size_must_be_a_positive_integer(tmp_path, size):
    with CSVReader(write(tmp_path, "a\n1\n")) as reader, pytest.raises(ValueError):
        reader.chunks(size)


def test_the_reader_closes_its_file(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with CSVReader(path) as reader:
        pass
    assert reader._handle.closed
    with pytest.raises(DataError):
        CSVReader(write(tmp_path, "a,a\n1,2\n", "dup.csv"))


def test_a_missing_file_is_an_os_error_not_a_data_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "nope.csv")


def test_error_message_format(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3\n")
    error = refused(path)
    assert str(error) == f"{path}:3: expected 2 fields (one per column of the header), found 1"


# ------------------------------------------------- issue 11: caps, line endings, pipes
def test_a_line_with_no_break_stops_at_the_cap(tmp_path, monkeypatch):
    """Item 8: the line was read whole before any check."""
    import vecnn.csvfile as csvfile

    monkeypatch.setattr(csvfile, "MAX_LINE_BYTES", 100_000)
    error = refused(write(tmp_path, "a,b\n1,2\n" + "9" * 300_000))
    assert error.line == 3 and "longer than 100000 bytes with no line break" in str(error)
    gz = write(tmp_path, gzip.compress(b"a,b\n" + b"1" * 300_000), "big.csv.gz")
    assert "longer than 100000 bytes" in str(refused(gz))


_READ_DEV_ZERO = """
import resource, sys
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 400 * 2**20, resource.RLIM_INFINITY))
from vecnn.csvfile import read_csv
from vecnn.errors import DataError
try:
    read_csv("/dev/zero")
except DataError as error:
    print("refused:", error)
"""


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_within_bounded_memory():
    """Item 8, under RLIMIT_AS: /dev/zero grew until memory ran out."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _READ_DEV_ZERO], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: /dev/zero:1:" in done.stdout and "no line break" in done.stdout


def test_a_long_text_field_is_named_by_its_length_not_as_a_quote(tmp_path):
    """Item 8: a quoted field over 131072 characters on one line is not unterminated."""
    limit = csv.field_size_limit()
    error = refused(write(tmp_path, f'a,b\n1,"{"x" * (limit + 10)}"\n'))
    assert error.line == 2
    assert f"longer than {limit} characters" in str(error) and "quote" not in str(error)
    unquoted = refused(write(tmp_path, f"a,b\n1,{'x' * (limit + 10)}\n", "u.csv"))
    assert f"longer than {limit} characters" in str(unquoted)


@pytest.mark.parametrize(
    "data",
    [b"a,b\r1,2\r3,4\r", b"a,b\r\n1,2\n3,4\r", b"a,b\n1,2\r\n3,4", b'a,b\r1,"x\ry"\r3,4\r'],
)
def test_cr_only_and_mixed_line_endings_are_read(tmp_path, data):
    """Item 21: old Mac files (CR only) and mixed endings gave Python's csv jargon."""
    chunk = read_csv(write(tmp_path, data))
    assert chunk.columns == ["a", "b"]
    assert chunk.rows[0] == ["1", "2"] or chunk.rows[0] == ["1", "x\ry"]
    quoted_newline = b'"x' in data
    assert chunk.rows[-1] == ["3", "4"] and chunk.lines[-1] == 3 + quoted_newline


def test_a_cr_split_across_blocks_is_one_line_ending(tmp_path, monkeypatch):
    import vecnn.csvfile as csvfile

    monkeypatch.setattr(csvfile, "_BLOCK", 4)
    chunk = read_csv(write(tmp_path, b"a,b\r\n1,2\r\n33,4\r\n5,6"))
    assert chunk.rows == [["1", "2"], ["33", "4"], ["5", "6"]] and chunk.lines == [2, 3, 4]


def test_a_pipe_is_read_in_one_pass(tmp_path):
    """Item 19: the gzip probe opened the path twice, so a pipe lost its first bytes."""
    import os
    import threading

    for payload in (b"a,b\n1,2\n3,4\n", gzip.compress(b"a,b\n1,2\n3,4\n")):
        fifo = tmp_path / f"pipe{len(payload)}"
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(payload,))
        writer.start()
        chunk = read_csv(fifo)
        writer.join(timeout=30)
        assert chunk.rows == [["1", "2"], ["3", "4"]]


def test_column_lookup_is_linear_in_the_number_of_columns():
    """Issue 11, item 11: 40,000 columns took 60 s (a list search per column). Counted
    by comparisons of column names, which a quadratic lookup makes ~n²/2 of."""
    from vecnn.csvfile import Chunk
    from vecnn.preprocessing import Preprocessor

    compared = [0]

    class Name(str):
        __hash__ = str.__hash__

        def __eq__(self, other):
            compared[0] += 1
            return str.__eq__(self, other)

    n = 2000
    columns = [Name(f"c{k}") for k in range(n)] + [Name("y")]
    rows = [[str(k % 7 + r) for k in range(n)] + [str(r % 2)] for r in range(6)]
    chunk = Chunk.from_rows(columns, rows, list(range(2, 8)))
    preprocessing = Preprocessor.fit(chunk, ["y"], "auto", None, "wide.csv")
    compared[0] = 0
    X = preprocessing.transform(chunk, "wide.csv")
    assert X.shape == (n, 6)
    assert compared[0] < 20 * n, compared[0]


def test_plain_number_columns_are_parsed_into_floats_as_the_file_is_read(tmp_path):
    """Issue 11, item 11: a column whose every value is a plain decimal number is a float64
    array (8 bytes a value); anything else stays text, exactly as written."""
    import numpy as np

    text = "a,b,c,d,e,f,g\n1.5,007,1e5,1_000,inf,x,-.5\n2,1,2,3,4,NA,3.\n"
    chunk = read_csv(write(tmp_path, text))
    np.testing.assert_array_equal(chunk.numbers("a"), [1.5, 2.0])
    np.testing.assert_array_equal(chunk.numbers("g"), [-0.5, 3.0])
    assert chunk.numbers("a").dtype == np.float64
    for name in "bcdef":  # a leading zero, an exponent, '_', infinity, missing: text
        assert chunk.numbers(name) is None, name
    assert chunk.rows == [
        ["1.5", "007", "1e5", "1_000", "inf", "x", "-.5"],
        ["2", "1", "2", "3", "4", "NA", "3."],
    ]
    huge = read_csv(write(tmp_path, "a\n1" + "0" * 400 + "\n2\n", "huge.csv"))
    assert huge.numbers("a") is None and huge.column("a")[0] == "1" + "0" * 400


def test_a_column_of_numbers_in_one_chunk_and_text_in_another_is_text_as_written(
    tmp_path, monkeypatch
):
    """Numbers are parsed chunk by chunk; when a later chunk of the column holds text, the
    whole column is text again, each value as written (``0.10`` stays ``0.10``)."""
    import vecnn.csvfile

    monkeypatch.setattr(vecnn.csvfile, "CHUNK_ROWS", 2)
    path = write(tmp_path, "a,b\n0.10,1\n2.50,2\nx,3\n")
    for keep_text in (True, False):
        chunk = read_csv(path, keep_text=keep_text)
        assert chunk.numbers("a") is None
        assert chunk.column("a") == ["0.10", "2.50", "x"]
        assert chunk.numbers("b").tolist() == [1.0, 2.0, 3.0]
        assert chunk.lines == [2, 3, 4]
    # Without the text, numbers read as their labels do: 2.50 as 2.5, 1.0 as 1.
    bare = read_csv(write(tmp_path, "a\n2.50\n1.0\n", "n.csv"), keep_text=False)
    assert bare.column("a") == ["2.5", "1"]
    assert read_csv(write(tmp_path, "a\n2.50\n1.0\n", "k.csv")).column("a") == ["2.50", "1.0"]


def test_take_and_select_keep_numbers_and_text():
    from vecnn.csvfile import Chunk

    chunk = Chunk.from_rows(["n", "t"], [["1.50", "x"], ["2", "y"], ["3", "z"]], [2, 3, 5])
    part = chunk.take([2, 0])
    assert part.numbers("n").tolist() == [3.0, 1.5] and part.column("n") == ["3", "1.50"]
    assert part.column("t") == ["z", "x"] and part.lines == [5, 2] and len(part) == 2
    only = chunk.select(["t"])
    assert only.columns == ["t"] and only.rows == [["x"], ["y"], ["z"]]
