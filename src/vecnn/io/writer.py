"""Saving: ``save`` checks and encodes everything before it touches the file system, then
writes the file atomically."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vecnn._version import __version__
from vecnn.backend.host import xp
from vecnn.io.atomic import atomic_write
from vecnn.io.format import (
    _CLASSES_DTYPE,
    _PREFIX,
    _SCALARS,
    DTYPES,
    FORMAT_VERSION,
    MAGIC,
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    MAX_RANK,
    OPTIMIZER_PREFIX,
    _check_json,
)
from vecnn.nn.sequential import Sequential
from vecnn.optim import Optimizer


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
    network: Any, optimizer: Any, training_state: Any, metadata: Any, preprocessing: Any = None
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


def _optimizer_part(network: Any, optimizer: Any) -> tuple[dict[str, Any], dict[str, Any]]:
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


def _classes_dtype(network: Any) -> str | None:
    classes = getattr(network, "classes_", None)
    if classes is None:
        return None
    code = xp.asarray(classes).dtype.str
    return code if _CLASSES_DTYPE.fullmatch(code) else None
