"""The model file format: its layout, the limits and closed sets a header is checked against,
the JSON a header may hold, and both directions: ``save`` writes a file; ``read`` and
``load`` check one and build the network (the sections below follow the loader's order:
the header parsed as strict and bounded JSON, every key and value validated, the tensor
table as a plan, a generator's state, then writing and reading).

Layout (every integer little-endian; see ``docs/model-format.md``)::

    offset   size  field
    0        8     magic b"VECNNMF\x00"
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

import contextlib
import hashlib
import json
import math
import os
import re
import stat
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecnn._version import __version__
from vecnn.backend.host import Array, xp
from vecnn.data import TASKS as TASKS  # a network config's task is one of these (or null)
from vecnn.errors import ModelFormatError
from vecnn.io.files import atomic_write
from vecnn.nn.registry import LAYER_TYPES
from vecnn.nn.sequential import Sequential
from vecnn.optim import OPTIMIZERS, Optimizer
from vecnn.train.network import Network

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


# ----------------------------------------------------------------------------
# A header's bytes to a dict: strict UTF-8 JSON, nested at most ``MAX_JSON_DEPTH`` deep, with
# no duplicate keys, no NaN or Infinity and no number that overflows.

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


# ----------------------------------------------------------------------------
# Every key and value of a parsed header, checked before the payload is read.
#
# ``_check_header`` returns a ``_Plan``: where each tensor's bytes lie in the payload.


@dataclass
class _TensorSpec:
    name: str
    dtype: Any
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass
class _Plan:
    tensors: list[_TensorSpec]
    payload_size: int


def _fail(reason: str, shown: Any) -> ModelFormatError:
    return ModelFormatError(reason, shown)


def _exact_keys(
    found: Any, expected: tuple[str, ...], where: str, shown: Any, optional: tuple[str, ...] = ()
) -> None:
    if not isinstance(found, dict):
        raise _fail(f"{where} must be a JSON object, found {_json_type(found)}", shown)
    unknown = [key for key in found if key not in expected and key not in optional]
    missing = [key for key in expected if key not in found]
    if unknown:
        raise _fail(
            f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; the keys are "
            f"{', '.join(expected)} (nothing in a file may change how it is loaded)",
            shown,
        )
    if missing:
        raise _fail(f"{where} lacks {', '.join(map(repr, missing))}", shown)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    if type(value) in names:
        return names[type(value)]
    return "number"


def _check_header(header: dict[str, Any], shown: Any) -> _Plan:
    """Every key and value of the header, before the payload is read."""
    _exact_keys(header, _HEADER_KEYS, "the header", shown)
    if header["format_version"] != FORMAT_VERSION or not _is_int(header["format_version"]):
        raise _fail(
            f"the header says format version {header['format_version']!r} but the prefix says "
            f"{FORMAT_VERSION}",
            shown,
        )
    version = header["vecnn_version"]
    if not isinstance(version, str) or not _VERSION_TEXT.fullmatch(version):
        raise _fail(f"vecnn_version must be a short version string, found {version!r:.80}", shown)
    digest = header["payload_sha256"]
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise _fail("payload_sha256 must be 64 lowercase hex digits", shown)
    plan = _check_tensors(header["tensors"], shown)
    stored_values = sum(
        math.prod(spec.shape) for spec in plan.tensors if not spec.name.startswith(OPTIMIZER_PREFIX)
    )
    _check_config(header["config"], stored_values, shown)
    _check_classes_dtype(header["classes_dtype"], shown)
    _check_classes(header["config"]["classes"], header["classes_dtype"], shown)
    optimizer = header["optimizer"]
    if optimizer is not None:
        _check_optimizer_header(optimizer, shown)
    elif any(spec.name.startswith(OPTIMIZER_PREFIX) for spec in plan.tensors):
        raise _fail(f"tensors under {OPTIMIZER_PREFIX!r} but no optimizer section", shown)
    for section in ("training_state", "preprocessing"):
        value = header[section]
        if value is not None and not isinstance(value, dict):
            raise _fail(f"{section} must be an object or null, found {_json_type(value)}", shown)
    metadata = header["metadata"]
    if not isinstance(metadata, dict):
        raise _fail(f"metadata must be an object, found {_json_type(metadata)}", shown)
    for key, value in metadata.items():
        if not isinstance(value, _SCALARS):
            raise _fail(
                f"metadata[{key!r}] is a JSON {_json_type(value)}; metadata values are plain "
                "strings, numbers, booleans or null",
                shown,
            )
    return plan


def _check_tensors(table: Any, shown: Any) -> _Plan:
    if not isinstance(table, dict):
        raise _fail(f"tensors must be a JSON object, found {_json_type(table)}", shown)
    specs = []
    position = 0
    for name, entry in table.items():
        label = f"tensor {name!r:.200}"
        if not name or len(name) > 256:
            raise _fail(f"{label}: a tensor name has 1 to 256 characters", shown)
        _exact_keys(entry, _TENSOR_KEYS, label, shown)
        code = entry["dtype"]
        if not isinstance(code, str) or code not in DTYPES:
            hint = ""
            if isinstance(code, str) and code.startswith(">"):
                hint = " (big-endian: vecnn files are little-endian)"
            elif isinstance(code, str) and "O" in code:
                hint = " (object arrays would need pickle, which vecnn never uses)"
            raise _fail(
                f"{label}: unsupported dtype {code!r:.80}{hint}; supported: {', '.join(DTYPES)}",
                shown,
            )
        dtype = DTYPES[code]
        shape = entry["shape"]
        if not isinstance(shape, list):
            raise _fail(f"{label}: shape must be a list of dims, found {_json_type(shape)}", shown)
        if len(shape) > MAX_RANK:
            raise _fail(f"{label}: rank {len(shape)} is over the limit {MAX_RANK}", shown)
        for dim in shape:
            if not _is_int(dim) or not 0 <= dim <= MAX_DIM:
                raise _fail(
                    f"{label}: shape {shape!r:.200} has dim {dim!r:.60}; each dim must be an "
                    f"integer in [0, {MAX_DIM}]",
                    shown,
                )
        nbytes = math.prod(shape) * dtype.itemsize
        # A zero-size tensor allocates nothing, but NumPy refuses dims whose product
        # (zeros left out) overflows: bound that product as well.
        if math.prod(max(dim, 1) for dim in shape) * dtype.itemsize > MAX_TENSOR_BYTES:
            raise _fail(
                f"{label}: shape {shape} of {code} needs {nbytes} bytes, over the "
                f"{MAX_TENSOR_BYTES}-byte limit",
                shown,
            )
        begin, end = entry["offset_begin"], entry["offset_end"]
        if not _is_int(begin) or not _is_int(end):
            raise _fail(f"{label}: offsets must be integers", shown)
        if begin < position:
            raise _fail(
                f"{label}: invalid offset {begin}: overlaps the previous tensor, which ends at "
                f"{position}",
                shown,
            )
        if begin > position:
            raise _fail(
                f"{label}: invalid offset {begin}: a gap of {begin - position} bytes after "
                f"the previous tensor, which ends at {position}",
                shown,
            )
        if end - begin != nbytes:
            raise _fail(
                f"{label}: declares {end - begin} bytes (offsets {begin}..{end}) but shape "
                f"{shape} of {code} needs {nbytes}",
                shown,
            )
        specs.append(_TensorSpec(name, dtype, tuple(shape), begin, end))
        position = end
    return _Plan(specs, position)


def _check_config(config: Any, stored_values: int, shown: Any) -> None:
    _exact_keys(config, _CONFIG_KEYS, "the network config", shown, _OPTIONAL_CONFIG_KEYS)
    layers = config["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
        raise _fail(f"the network config must list 1 to {MAX_LAYERS} layers", shown)
    declared = 0
    for position, entry in enumerate(layers, start=1):
        where = f"layer {position}"
        _exact_keys(entry, _LAYER_ENTRY_KEYS, where, shown)
        kind = entry["type"]
        if not isinstance(kind, str) or kind not in LAYER_TYPES:
            raise _fail(
                f"{where}: unknown layer type {kind!r:.80}; known: {', '.join(LAYER_TYPES)}",
                shown,
            )
        settings = entry["config"]
        if not isinstance(settings, dict):
            raise _fail(f"{where} ({kind}): config must be an object", shown)
        allowed = LAYER_TYPES[kind].config_keys()
        for key, value in settings.items():
            if key not in allowed:
                raise _fail(
                    f"{where} ({kind}): config key {key!r:.80} is not allowed; a {kind} takes "
                    f"{', '.join(allowed)} (nothing in a file may name code, a path or a policy)",
                    shown,
                )
            if not isinstance(value, _SCALARS):
                raise _fail(
                    f"{where} ({kind}): {key} must be a plain value, found a JSON "
                    f"{_json_type(value)}",
                    shown,
                )
        try:
            declared += LAYER_TYPES[kind].declared_values(settings)
        except _EXPECTED_ERRORS as error:  # a size that is null, missing or not an integer
            raise _fail(f"{where} ({kind}): {error}", shown) from None
    if declared > stored_values + _SLACK_VALUES:
        raise _fail(
            f"the architecture declares {declared} parameter values but the file stores "
            f"{stored_values}",
            shown,
        )
    task = config["task"]
    if task is not None and task not in TASKS:
        raise _fail(f"unknown task {task!r:.80}; known: {', '.join(TASKS)}", shown)
    classes = config["classes"]
    if classes is not None and (
        not isinstance(classes, list)
        or not classes
        or not all(isinstance(c, (str, int, float)) for c in classes)
    ):
        raise _fail("classes must be null or a non-empty list of strings or numbers", shown)
    threshold = config.get("threshold", 0.5)
    thresholds = threshold if isinstance(threshold, list) else [threshold]
    if not thresholds or not all(
        isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t < 1 for t in thresholds
    ):
        raise _fail("threshold must be a number in (0, 1) or a list of them", shown)


MAX_CLASSES_BYTES = 16 * 2**20
"""What ``classes_`` may take in memory beyond 16 times their length in the header."""


def _check_classes(classes: Any, code: Any, shown: Any) -> None:
    """Classes of one type, distinct, and a ``classes_dtype`` whose array stays in
    proportion to the header (``<U9999`` for one-letter classes would take 40 KB each)."""
    if classes is None:
        return
    kinds = {
        "text" if isinstance(c, str) else "bool" if isinstance(c, bool) else "number"
        for c in classes
    }
    if len(kinds) > 1:
        raise _fail(f"classes mix types ({', '.join(sorted(kinds))}); they must share one", shown)
    seen: set[Any] = set()
    for label in classes:
        if label in seen:
            raise _fail(f"duplicate class {label!r:.80}", shown)
        seen.add(label)
    match = re.fullmatch(r"<U([0-9]+)", code or "")
    if match is None:
        return
    width = int(match.group(1))
    if kinds != {"text"}:
        raise _fail(f"classes_dtype {code} is for text classes; these are {kinds.pop()}s", shown)
    longest = max(len(label) for label in classes)
    size = 4 * width * len(classes)
    stored = sum(len(label) + 3 for label in classes)
    if width > longest or size > max(MAX_CLASSES_BYTES, 16 * stored):
        raise _fail(
            f"classes_dtype {code} would take {size} bytes for {len(classes)} classes of at "
            f"most {longest} characters; the widest class decides the width",
            shown,
        )


def _check_classes_dtype(code: Any, shown: Any) -> None:
    if code is not None and (not isinstance(code, str) or not _CLASSES_DTYPE.fullmatch(code)):
        raise _fail(
            f"classes_dtype {code!r:.80} is not one of bool, int, uint, float, '<U<n>', object",
            shown,
        )


def _optimizer_types() -> tuple[str, ...]:
    return tuple(sorted({f.__name__ for f in OPTIMIZERS.values() if isinstance(f, type)}))


def _check_optimizer_header(part: Any, shown: Any) -> None:
    _exact_keys(part, _OPTIMIZER_KEYS, "the optimizer section", shown)
    known = _optimizer_types()
    if part["type"] not in known:
        raise _fail(
            f"unknown optimizer type {part['type']!r:.80}; known: {', '.join(known)}", shown
        )
    if not isinstance(part["hyper"], dict):
        raise _fail("the optimizer's hyper must be an object", shown)
    steps, params = part["steps"], part["params"]
    if not isinstance(steps, list) or not all(_is_int(t) and t >= 0 for t in steps):
        raise _fail("the optimizer's steps must be a list of non-negative integers", shown)
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise _fail("the optimizer's params must be a list of parameter names", shown)
    if len(params) != len(steps) or len(set(params)) != len(params):
        raise _fail("the optimizer's params must be distinct, one per step count", shown)


# ----------------------------------------------------------------------------
# A ``numpy.random.Generator``'s state as JSON (``rng_state``), and a generator made from
# such a state (``generator_from_state``).

_BIT_GENERATORS = {"PCG64": xp.random.PCG64, "PCG64DXSM": xp.random.PCG64DXSM}
"""The bit generators whose state ``rng_state`` records (their states are plain ints)."""


def rng_state(generator: xp.random.Generator) -> dict[str, Any]:
    """The JSON-able state of a ``numpy.random.Generator`` on PCG64 (NumPy's default).

    Its 128-bit integers are plain Python ints, which JSON stores exactly.
    """
    state = generator.bit_generator.state
    if state.get("bit_generator") not in _BIT_GENERATORS:
        raise ValueError(
            f"cannot record a {state.get('bit_generator')} generator; checkpoints support "
            f"{', '.join(_BIT_GENERATORS)} (numpy.random.default_rng's)"
        )
    _check_json(state, "the generator state", 8)
    return json.loads(json.dumps(state))


def generator_from_state(state: Any) -> Any:
    """A new ``numpy.random.Generator`` in the recorded ``state`` (see ``rng_state``)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"unknown generator state {name!r:.80}; known: {', '.join(_BIT_GENERATORS)}"
        )
    bit_generator = _BIT_GENERATORS[name]()
    try:
        bit_generator.state = state
    except _EXPECTED_ERRORS as error:
        raise ValueError(f"invalid {name} generator state: {error}") from None
    return xp.random.Generator(bit_generator)


# ----------------------------------------------------------------------------
# Saving: ``save`` checks and encodes everything before it touches the file system, then
# writes the file atomically.


def save(
    network: Sequential,
    path: str | os.PathLike[str],
    *,
    optimizer: Optimizer | None = None,
    training_state: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    preprocessing: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``network`` (architecture and every array of ``state_dict()``) to ``path``.

    - ``optimizer``: an optimizer over (some of) the network's parameters; its state
      (hyperparameters, step counts, moment arrays) is saved too, for resuming.
    - ``training_state``: a JSON object (dict with str keys; values dict, list, str, int
      of any size, finite float, bool, None), e.g. the epoch and the generator's state.
    - ``metadata``: a dict of str to str, int, float, bool or None.
    - ``preprocessing``: a JSON object describing how raw data becomes ``X`` (the command
      line stores its column encoders here); the loader only checks it is plain JSON.

    Everything is checked and encoded before the file system is touched: a value that is
    not JSON, a NaN or infinite weight, or a header over the limits is a ``ValueError``
    and nothing is written. The write is atomic (see ``atomic_write``). Returns the path.
    """
    pieces = _encode(network, optimizer, training_state, metadata, preprocessing)
    target = Path(os.fspath(path))
    with atomic_write(target) as handle:
        for piece in pieces:
            handle.write(piece)
    return target


def _encode(
    network: Sequential,
    optimizer: Optimizer | None,
    training_state: Any,
    metadata: Any,
    preprocessing: Any = None,
) -> list[bytes]:
    if not isinstance(network, Sequential):
        raise TypeError(f"save: expected a vecnn Network, got {type(network).__name__}")
    config = dict(network.config())
    config.setdefault("task", None)
    config.setdefault("classes", None)
    _check_json(config, "the network config", MAX_JSON_DEPTH - 1)
    tensors: dict[str, dict[str, Any]] = {}
    blobs: list[bytes] = []
    position = 0

    def add(name: str, array: Any) -> None:
        nonlocal position
        code, data, shape = _tensor_bytes(name, array)
        tensors[name] = {
            "dtype": code,
            "shape": shape,
            "offset_begin": position,
            "offset_end": position + len(data),
        }
        position += len(data)
        blobs.append(data)

    for name, array in network.state_dict().items():
        add(name, array)
    optimizer_header = None
    if optimizer is not None:
        optimizer_header, arrays = _optimizer_part(network, optimizer)
        for key, array in arrays.items():
            add(OPTIMIZER_PREFIX + key, array)
    training_state = _json_object(training_state, "training_state")
    preprocessing = _json_object(preprocessing, "preprocessing")
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, Mapping):
        raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
    metadata = dict(metadata)
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"metadata keys must be strings; got {key!r}")
        if not isinstance(value, _SCALARS):
            raise ValueError(
                f"metadata[{key!r}] is a {type(value).__name__}; metadata values are plain "
                "str, int, float, bool or None"
            )
        _check_json(value, f"metadata[{key!r}]", 1)
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(blob)
    header = {
        "format_version": FORMAT_VERSION,
        "vecnn_version": __version__,
        "config": config,
        "classes_dtype": _classes_dtype(network),
        "tensors": tensors,
        "payload_sha256": digest.hexdigest(),
        "optimizer": optimizer_header,
        "training_state": training_state,
        "preprocessing": preprocessing,
        "metadata": metadata,
    }
    text = json.dumps(header, allow_nan=False, ensure_ascii=True, separators=(",", ":"))
    encoded = text.encode("ascii")
    if len(encoded) > MAX_HEADER_BYTES:
        raise ValueError(
            f"the header would be {len(encoded)} bytes, over the {MAX_HEADER_BYTES}-byte limit "
            "(is training_state or metadata very large?)"
        )
    return [_PREFIX.pack(MAGIC, FORMAT_VERSION, len(encoded)), encoded, *blobs]


def _json_object(value: Any, name: str) -> dict[str, Any] | None:
    """``value`` as a dict of plain JSON (or None); a ValueError naming ``name`` otherwise."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a dict, got {type(value).__name__}")
    value = dict(value)
    _check_json(value, name, MAX_JSON_DEPTH - 1)
    return value


def _tensor_bytes(name: str, array: Any) -> tuple[str, bytes, list[int]]:
    """The dtype code, little-endian C-order bytes and shape of one array to save."""
    array = xp.asarray(array)
    kind, size = array.dtype.kind, array.dtype.itemsize
    code = {("f", 4): "<f4", ("f", 8): "<f8", ("i", 8): "<i8"}.get((kind, size))
    if code is None:
        raise ValueError(
            f"cannot save {name}: dtype {array.dtype} is not one of float32, float64, int64"
        )
    if array.ndim > MAX_RANK:
        raise ValueError(f"cannot save {name}: rank {array.ndim} is over the limit {MAX_RANK}")
    if kind == "f" and not bool(xp.isfinite(array).all()):
        raise ValueError(
            f"refusing to save: {name} contains NaN or infinity (the loader rejects such "
            "weights); keep the last good weights instead"
        )
    data = xp.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    return code, data, [int(d) for d in array.shape]


def _optimizer_part(
    network: Sequential, optimizer: Optimizer
) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"save: optimizer must be a vecnn Optimizer, got {type(optimizer).__name__}"
        )
    names = {id(tensor): name for name, tensor in network.named_parameters().items()}
    params = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in names:
            raise ValueError(
                f"save: the optimizer's parameter {i} ({p.name or 'unnamed'}) is not one of "
                "the network's parameters; build the optimizer on network.parameters()"
            )
        params.append(names[id(p)])
    state = optimizer.state_dict()
    part = {
        "type": state["type"],
        "hyper": state["hyper"],
        "steps": list(state["steps"]),
        "params": params,
    }
    _check_json(part, "the optimizer state", MAX_JSON_DEPTH - 1)
    return part, dict(state["arrays"])


def _classes_dtype(network: Sequential) -> str | None:
    classes = getattr(network, "classes_", None)
    if classes is None:
        return None
    code = xp.asarray(classes).dtype.str
    return code if _CLASSES_DTYPE.fullmatch(code) else None


# ----------------------------------------------------------------------------
# Loading: ``read`` (everything a model file holds, as a ``ModelFile``) and ``load``.
#
# The loader checks, in this order and before allocating anything large: the magic bytes;
# the version; the header length (against the cap and the file size); the header as strict
# UTF-8 JSON (depth ≤ 64, no duplicate keys, no NaN/Infinity); every key and value of the
# header (closed sets of keys, layer types from the registry, layer settings among the
# constructor's own arguments, dtypes, rank ≤ 8, dims, sizes, offsets); the file length
# (truncation, trailing bytes); the checksum; finite weights; and the weights against the
# architecture (``load_state_dict(strict=True)``). Every failure is a ``ModelFormatError``
# naming the path and the reason; ``OSError`` (missing file, directory, permission) passes
# through unchanged.


@dataclass
class ModelFile:
    """Everything a model file holds, as ``read`` returns it.

    ``network`` is a ``vecnn.Network`` in eval mode. ``optimizer_state`` is None or the
    dict ``Optimizer.load_state_dict`` takes (``type``, ``hyper``, ``steps``,
    ``arrays``); ``optimizer_params`` names the network parameter of each optimizer slot.
    """

    network: Network
    optimizer_state: dict[str, Any] | None
    training_state: dict[str, Any] | None
    metadata: dict[str, Any]
    format_version: int
    vecnn_version: str
    optimizer_params: list[str] | None = None
    path: str | None = None
    preprocessing: dict[str, Any] | None = None

    def restore_optimizer(self, optimizer: Optimizer) -> Optimizer:
        """Load the saved optimizer state into ``optimizer``, built on ``self.network``.

        Its parameters must be the saved ones in the saved order (checked by name); a
        mismatch, or a state the optimizer refuses, is a ``ModelFormatError``.
        """
        if self.optimizer_state is None or self.optimizer_params is None:
            raise ModelFormatError("the file holds no optimizer state", self.path)
        names = {id(t): name for name, t in self.network.named_parameters().items()}
        given = [names.get(id(p), "<not a parameter of this network>") for p in optimizer.params]
        if given != self.optimizer_params:
            raise ModelFormatError(
                f"the optimizer's parameters {given} are not the saved ones "
                f"{self.optimizer_params}; build it on the loaded network's parameters",
                self.path,
            )
        try:
            optimizer.load_state_dict(self.optimizer_state)
        except (ValueError, TypeError) as error:
            raise ModelFormatError(
                f"the optimizer state does not fit: {error}", self.path
            ) from None
        return optimizer

    def restore_rng(self) -> Any:
        """Give ``network`` the generator recorded in ``training_state["rng"]``; return it."""
        state = (self.training_state or {}).get("rng")
        if state is None:
            raise ModelFormatError("the training state records no generator ('rng')", self.path)
        try:
            generator = generator_from_state(state)
        except ValueError as error:
            raise ModelFormatError(str(error), self.path) from None
        self.network.set_rng(generator)
        return generator


def load(path: str | os.PathLike[str]) -> Network:
    """The ``vecnn.Network`` saved at ``path``, in eval mode (see ``read``)."""
    return read(path).network


def _refuse_a_stream(path: Any, shown: Any) -> None:
    """A FIFO, a socket or a device is refused before it is opened (opening a FIFO with no
    writer would wait for ever); the size of a model file must be known first."""
    info = os.stat(path)  # a missing file: the ordinary FileNotFoundError
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise ModelFormatError(
            "is not a regular file (a pipe, socket or device); vecnn reads a model only "
            "from a file, whose size it checks first: save the stream to a file",
            shown,
        )


def read(path: str | os.PathLike[str]) -> ModelFile:
    """Read and check a model file; ``ModelFormatError`` for anything malformed.

    No code from the file runs: JSON and raw little-endian arrays only. Global state (the
    NumPy random state, warnings, settings) is not touched.
    """
    shown = os.fspath(path)
    _refuse_a_stream(path, shown)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(PREFIX_SIZE)
        version, header_length = _check_prefix(prefix, shown)
        available = max(size - PREFIX_SIZE, 0)
        if version > FORMAT_VERSION:
            raise _newer_version(handle, version, header_length, available, shown)
        if header_length > MAX_HEADER_BYTES:
            raise ModelFormatError(
                f"header length {header_length} bytes is over the {MAX_HEADER_BYTES}-byte "
                f"limit (the file has {size} bytes)",
                shown,
            )
        if header_length > available:
            raise ModelFormatError(
                f"truncated: expected at least {PREFIX_SIZE + header_length} bytes (a "
                f"{header_length}-byte header), file has {size}",
                shown,
            )
        raw_header = _read_exact(handle, header_length, PREFIX_SIZE + header_length, shown)
        header = _parse_header(raw_header, shown)
        plan = _check_header(header, shown)
        expected = PREFIX_SIZE + header_length + plan.payload_size
        if size < expected:
            raise ModelFormatError(f"truncated: expected {expected} bytes, file has {size}", shown)
        if size > expected:
            raise ModelFormatError(
                f"{size - expected} trailing bytes after the last tensor (expected "
                f"{expected} bytes, file has {size})",
                shown,
            )
        payload = _read_exact(handle, plan.payload_size, expected, shown)
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise ModelFormatError(
            "corrupted (checksum mismatch): the payload's SHA-256 differs", shown
        )
    arrays = _decode_tensors(payload, plan.tensors, shown)
    network = _build_network(header, arrays, plan, shown)
    optimizer_state, optimizer_params = _optimizer_state(
        header["optimizer"], arrays, network, shown
    )
    return ModelFile(
        network=network,
        optimizer_state=optimizer_state,
        training_state=header["training_state"],
        metadata=header["metadata"],
        format_version=header["format_version"],
        vecnn_version=header["vecnn_version"],
        optimizer_params=optimizer_params,
        path=shown,
        preprocessing=header["preprocessing"],
    )


def _check_prefix(prefix: bytes, shown: Any) -> tuple[int, int]:
    if prefix[: len(MAGIC)] != MAGIC[: len(prefix)]:
        raise ModelFormatError("not a vecnn model file (bad magic bytes)", shown)
    if len(prefix) < PREFIX_SIZE:
        raise ModelFormatError(f"truncated header ({len(prefix)} bytes, need {PREFIX_SIZE})", shown)
    _, version, header_length = _PREFIX.unpack(prefix)
    if version < 1:
        raise ModelFormatError(f"unknown format version {version}", shown)
    return version, header_length


def _newer_version(
    handle: Any, version: int, header_length: int, available: int, shown: Any
) -> ModelFormatError:
    writer = "a newer vecnn"
    if 0 < header_length <= min(MAX_HEADER_BYTES, available):
        with contextlib.suppress(ModelFormatError):
            found = _parse_header(handle.read(header_length), shown).get("vecnn_version")
            if isinstance(found, str) and _VERSION_TEXT.fullmatch(found):
                writer = f"vecnn {found}"
    return ModelFormatError(
        f"written by {writer} (format v{version}); this version (vecnn {__version__}) "
        f"reads ≤ v{FORMAT_VERSION}; upgrade vecnn",
        shown,
    )


def _read_exact(handle: Any, count: int, expected_size: int, shown: Any) -> bytes:
    data = handle.read(count)
    if len(data) != count:  # the file shrank while being read
        raise ModelFormatError(
            f"truncated: expected {expected_size} bytes, file has "
            f"{expected_size - count + len(data)}",
            shown,
        )
    return data


# ------------------------------------------------------------------ arrays and network
def _decode_tensors(payload: bytes, specs: list[_TensorSpec], shown: Any) -> dict[str, Array]:
    arrays = {}
    bad = []
    for spec in specs:
        count = math.prod(spec.shape)
        native = spec.dtype.newbyteorder("=")
        if count == 0:
            array = xp.zeros(spec.shape, dtype=native)
        else:
            array = (
                xp.frombuffer(payload, dtype=spec.dtype, count=count, offset=spec.begin)
                .reshape(spec.shape)
                .astype(native)
            )
        if array.dtype.kind == "f" and not bool(xp.isfinite(array).all()):
            bad.append(spec.name)
        arrays[spec.name] = array
    if bad:
        raise ModelFormatError(
            f"non-finite weights: tensor(s) {', '.join(map(repr, bad))} contain NaN or infinity",
            shown,
        )
    return arrays


def _build_network(
    header: dict[str, Any], arrays: dict[str, Array], plan: _Plan, shown: Any
) -> Network:
    config = header["config"]
    try:
        network = Network.from_config(config)
    except _EXPECTED_ERRORS as error:
        raise ModelFormatError(f"bad network config: {error}", shown) from None
    code = header["classes_dtype"]
    if network.classes_ is not None and code is not None:
        try:
            classes = xp.asarray(config["classes"], dtype=xp.dtype(code))
        except _EXPECTED_ERRORS as error:
            raise ModelFormatError(
                f"classes do not fit classes_dtype {code}: {error}", shown
            ) from None
        if classes.tolist() != config["classes"]:
            raise ModelFormatError(f"classes do not fit classes_dtype {code}", shown)
        network.classes_ = classes
    _check_task(network, shown)
    state = {name: a for name, a in arrays.items() if not name.startswith(OPTIMIZER_PREFIX)}
    try:
        network.load_state_dict(state, strict=True)
    except ValueError as error:
        raise ModelFormatError(f"the weights do not fit the architecture: {error}", shown) from None
    negative = [
        name
        for name, array in network.state_dict().items()  # NumPy, whatever the backend
        if name.startswith("running_var[") and bool((array < 0).any())
    ]
    if negative:
        raise ModelFormatError(
            f"tensor(s) {', '.join(map(repr, negative))}: a running variance cannot be negative",
            shown,
        )
    network.eval()
    return network


def _check_task(network: Network, shown: Any) -> None:
    """The task, the classes and the output layer must agree (a file may say anything)."""
    task, output, n_out = network.task, network.output_activation, network.n_outputs
    classes = network.classes_
    if output == "linear" and task != "regression":
        raise ModelFormatError(
            f"a {task} network needs a sigmoid or softmax output layer, not a linear one", shown
        )
    if classes is None:
        return
    if task == "regression" or output == "linear":
        raise ModelFormatError(
            f"{len(classes)} classes on a regression network (linear output or task "
            "'regression'): a regression network has no classes",
            shown,
        )
    wanted = 2 if task == "binary" else n_out
    if (task == "binary" and n_out != 1) or len(classes) != wanted:
        raise ModelFormatError(
            f"{len(classes)} classes for a {task} network with {n_out} output unit(s); "
            f"expected {wanted}" + (" classes and 1 output unit" if task == "binary" else ""),
            shown,
        )


def _optimizer_state(
    part: Any, arrays: dict[str, Array], network: Network, shown: Any
) -> tuple[dict[str, Any] | None, list[str] | None]:
    if part is None:
        return None, None
    named = network.named_parameters()
    params = part["params"]
    unknown = [name for name in params if name not in named]
    if unknown:
        raise ModelFormatError(
            f"the optimizer names parameters the network lacks: {', '.join(unknown)}", shown
        )
    state_arrays = {}
    for name, array in arrays.items():
        if not name.startswith(OPTIMIZER_PREFIX):
            continue
        key = name[len(OPTIMIZER_PREFIX) :]
        match = _STATE_KEY.fullmatch(key)
        if match is None or int(match.group(2)) >= len(params):
            raise ModelFormatError(
                f"tensor {name!r}: an optimizer array is named '<state>.<index>' with index "
                f"below {len(params)}",
                shown,
            )
        expected = named[params[int(match.group(2))]].shape
        if array.shape != expected:
            raise ModelFormatError(
                f"tensor {name!r}: expected shape {expected} (of "
                f"{params[int(match.group(2))]}), found {array.shape}",
                shown,
            )
        state_arrays[key] = array
    state = {
        "type": part["type"],
        "hyper": part["hyper"],
        "steps": list(part["steps"]),
        "arrays": state_arrays,
    }
    return state, list(params)
