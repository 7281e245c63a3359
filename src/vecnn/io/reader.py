"""Loading: ``read`` (everything a model file holds, as a ``ModelFile``) and ``load``.

The loader checks, in this order and before allocating anything large: the magic bytes;
the version; the header length (against the cap and the file size); the header as strict
UTF-8 JSON (depth ≤ 64, no duplicate keys, no NaN/Infinity); every key and value of the
header (closed sets of keys, layer types from the registry, layer settings among the
constructor's own arguments, dtypes, rank ≤ 8, dims, sizes, offsets); the file length
(truncation, trailing bytes); the checksum; finite weights; and the weights against the
architecture (``load_state_dict(strict=True)``). Every failure is a ``ModelFormatError``
naming the path and the reason; ``OSError`` (missing file, directory, permission) passes
through unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import stat
from dataclasses import dataclass
from typing import Any

from vecnn._version import __version__
from vecnn.backend.host import Array, xp
from vecnn.errors import ModelFormatError
from vecnn.io.format import (
    _EXPECTED_ERRORS,
    _PREFIX,
    _STATE_KEY,
    _VERSION_TEXT,
    FORMAT_VERSION,
    MAGIC,
    MAX_HEADER_BYTES,
    OPTIMIZER_PREFIX,
    PREFIX_SIZE,
)
from vecnn.io.parse import _parse_header
from vecnn.io.rng import generator_from_state
from vecnn.io.validate import _check_header, _Plan, _TensorSpec
from vecnn.optim import Optimizer
from vecnn.train.network import Network


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
