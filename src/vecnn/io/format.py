"""The model file format: its layout, the limits and closed sets a header is checked against,
and the JSON a header may hold.

Layout (every integer little-endian; see ``docs/model-format.md``)::

    offset   size  field
    0        8     magic b"VECNNMF\\x00"
    8        4     format version, u32 (this vecnn writes v1 and reads v1)
    12       8     header length H, u64 (at most MAX_HEADER_BYTES = 16 MiB)
    20       H     header: a UTF-8 JSON object (below)
    20 + H   P     payload: the tensors' bytes, little-endian, C order, back to back

The header has exactly these keys::

    {
      "format_version": 1,                  # the same as in the prefix
      "vecnn_version": "0.1.0",             # the vecnn that wrote the file
      "config": {"layers": [{"type": "Dense", "config": {...}}, ...],
                 "task": "binary" | ... | null, "classes": [...] | null,
                 "threshold": 0.3 | [...]},     # only when it is not 0.5
      "classes_dtype": "<U3" | "<i8" | ... | null,
      "tensors": {"W[1]": {"dtype": "<f4", "shape": [3, 2],
                           "offset_begin": 0, "offset_end": 24}, ...},
      "payload_sha256": "<64 hex digits>",  # SHA-256 of the whole payload
      "optimizer": null | {"type": "Adam", "hyper": {...}, "steps": [...],
                           "params": ["W[1]", "b[1]", ...]},
      "training_state": null | {...},       # any JSON object (epoch, RNG state, ...)
      "preprocessing": null | {...},        # any JSON object (the command line's encoders)
      "metadata": {...}                     # str -> str, int, float, bool or null
    }

``tensors`` lists the network's ``state_dict()`` (``W[l]``, ``b[l]``, batch norm's
``gamma[l]``, ``beta[l]``, ``running_mean[l]``, ``running_var[l]``) and then, under the
prefix ``optimizer/``, the optimizer's state arrays (``optimizer/v.0``, …). Offsets are
relative to the payload; the tensors follow each other in the order listed, with no gap
and no overlap, and the last one ends where the file ends. dtypes come from the closed set
``<f4``, ``<f8``, ``<i8``.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from typing import Any

from vecnn.backend.host import xp
from vecnn.data import TASKS as TASKS  # a network config's task is one of these (or null)

MAGIC = b"VECNNMF\x00"
"""The first 8 bytes of every vecnn model file."""

FORMAT_VERSION = 1
"""The format version this vecnn writes, and the newest it reads."""

_PREFIX = struct.Struct("<8sIQ")
PREFIX_SIZE = _PREFIX.size
"""Magic (8 bytes), format version (u32) and header length (u64): 20 bytes."""

MAX_HEADER_BYTES = 16 * 2**20
"""The largest header accepted (ours are a few kilobytes)."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects accepted in the header."""

MAX_RANK = 8
"""The most dimensions a tensor may have."""

MAX_DIM = 2**40
"""The largest single dimension."""

MAX_TENSOR_BYTES = 2**40
"""The largest tensor (1 TiB); the real bound is the file's size, checked too."""

MAX_LAYERS = 4096
"""The most layers a network config may list."""

_SLACK_VALUES = 2**16
"""How many more parameter values the config may declare than the file stores (so that a
few missing tensors are reported by name instead of refused as an absurd architecture)."""

OPTIMIZER_PREFIX = "optimizer/"
"""The prefix of the optimizer's state arrays among the tensors."""

DTYPES: Mapping[str, Any] = {
    "<f4": xp.dtype("<f4"),
    "<f8": xp.dtype("<f8"),
    "<i8": xp.dtype("<i8"),
}
"""The closed set of dtypes a tensor may have, by their little-endian codes."""


_HEADER_KEYS = (
    "format_version",
    "vecnn_version",
    "config",
    "classes_dtype",
    "tensors",
    "payload_sha256",
    "optimizer",
    "training_state",
    "preprocessing",
    "metadata",
)
_CONFIG_KEYS = ("layers", "task", "classes")
_OPTIONAL_CONFIG_KEYS = ("threshold",)  # written only when it is not the default 0.5
_LAYER_ENTRY_KEYS = ("type", "config")
_TENSOR_KEYS = ("dtype", "shape", "offset_begin", "offset_end")
_OPTIMIZER_KEYS = ("type", "hyper", "steps", "params")
_SCALARS = (str, int, float, bool, type(None))
_MAX_INT_BITS = 13_000
"""Python reads back at most 4300 decimal digits of an int from text; stay below that."""

_CLASSES_DTYPE = re.compile(r"\|b1|<[iu][1248]|\|[iu]1|<f[48]|<U[1-9][0-9]{0,3}|\|O")
"""The dtypes ``classes_`` may have: an object array holds the JSON values themselves."""
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION_TEXT = re.compile(r"[0-9A-Za-z.+!_-]{1,64}")
_STATE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63})\.(0|[1-9][0-9]{0,8})")

_EXPECTED_ERRORS = (ValueError, TypeError, ArithmeticError, LookupError)
"""What building from a (validated) config may raise for values no check foresaw."""


# ------------------------------------------------------------ plain JSON, when writing
def _check_json(value: Any, where: str, max_depth: int) -> None:
    """ValueError unless ``value`` is plain JSON (str keys, finite floats), ≤ ``max_depth`` deep.

    Iterative, so a deeply nested or self-containing value is refused, not a RecursionError.
    """
    stack = [(value, where, 1)]
    while stack:
        item, place, depth = stack.pop()
        if item is None or isinstance(item, (bool, str)):
            continue
        if isinstance(item, int):
            if item.bit_length() > _MAX_INT_BITS:
                raise ValueError(f"{place} is an int too large to store ({item.bit_length()} bits)")
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{place} is {item}; JSON has no NaN or infinity")
            continue
        if not isinstance(item, (dict, list, tuple)):
            raise ValueError(
                f"{place} is a {type(item).__name__}, not a JSON value (dict, list, str, int, "
                "float, bool, None); convert it first (e.g. int(x), x.tolist())"
            )
        if depth > max_depth:
            raise ValueError(f"{place} is nested more than {max_depth} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise ValueError(f"{place} has a key {key!r}; JSON object keys are strings")
                stack.append((child, f"{place}[{key!r}]", depth + 1))
        else:
            stack.extend((child, f"{place}[{i}]", depth + 1) for i, child in enumerate(item))


def _is_int(value: Any) -> bool:
    return type(value) is int
