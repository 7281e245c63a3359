"""Every key and value of a parsed header, checked before the payload is read.

``_check_header`` returns a ``_Plan``: where each tensor's bytes lie in the payload.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from vecnn.errors import ModelFormatError
from vecnn.io.format import (
    _CLASSES_DTYPE,
    _CONFIG_KEYS,
    _HEADER_KEYS,
    _LAYER_ENTRY_KEYS,
    _OPTIMIZER_KEYS,
    _OPTIONAL_CONFIG_KEYS,
    _SCALARS,
    _SHA256,
    _SLACK_VALUES,
    _TENSOR_KEYS,
    _VERSION_TEXT,
    DTYPES,
    FORMAT_VERSION,
    MAX_DIM,
    MAX_LAYERS,
    MAX_RANK,
    MAX_TENSOR_BYTES,
    OPTIMIZER_PREFIX,
    TASKS,
    _is_int,
)
from vecnn.nn.registry import LAYER_TYPES
from vecnn.optim import OPTIMIZERS


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
        declared += LAYER_TYPES[kind].declared_values(settings)
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
