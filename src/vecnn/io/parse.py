"""A header's bytes to a dict: strict UTF-8 JSON, nested at most ``MAX_JSON_DEPTH`` deep, with
no duplicate keys, no NaN or Infinity and no number that overflows."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from vecnn.backend.host import xp
from vecnn.errors import ModelFormatError
from vecnn.io.format import MAX_JSON_DEPTH

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a model file header")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} overflows to infinity")
    return value


def _json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` outside strings, in linear time, without recursion.

    Escapes are dropped first (so strings hold no escaped quotes), then strings; what is
    left is counted with a cumulative sum. On malformed JSON the count is approximate, and
    the parser, which runs next, rejects the text anyway.
    """
    bare = _STRING.sub("", _ESCAPE.sub("", text)).encode("utf-8", "surrogatepass")
    codes = xp.frombuffer(bare, dtype=xp.uint8)
    if codes.size == 0:
        return 0
    steps = (codes == 0x5B).astype(xp.int32) + (codes == 0x7B)
    steps -= (codes == 0x5D).astype(xp.int32) + (codes == 0x7D)
    return int(xp.cumsum(steps, out=steps).max())


def _parse_header(raw: bytes, shown: Any) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFormatError(
            f"header is not valid UTF-8 JSON object (at byte {error.start}: not UTF-8)", shown
        ) from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise ModelFormatError(f"header JSON is nested deeper than {MAX_JSON_DEPTH} levels", shown)
    try:
        header = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
            parse_float=_finite_float,
        )
    except _DuplicateKeyError as error:
        raise ModelFormatError(f"duplicate key {error.args[0]!r} in the header", shown) from None
    except json.JSONDecodeError as error:
        where = len(text[: error.pos].encode("utf-8", "surrogatepass"))
        raise ModelFormatError(
            f"header is not valid UTF-8 JSON object (at byte {where}: {error.msg})", shown
        ) from None
    except RecursionError:  # pragma: no cover - the depth scan refuses this first
        raise ModelFormatError(
            f"header JSON is nested deeper than {MAX_JSON_DEPTH} levels", shown
        ) from None
    except ValueError as error:  # NaN/Infinity, overflowing floats, ints over 4300 digits
        raise ModelFormatError(
            f"header is not valid JSON for a model file: {error}", shown
        ) from None
    if not isinstance(header, dict):
        raise ModelFormatError(
            f"header is not valid UTF-8 JSON object (at byte 0: found a JSON "
            f"{type(header).__name__}, expected an object)",
            shown,
        )
    return header
