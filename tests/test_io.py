"""Model files: round trips, atomic saves, and every hostile file of ROBUSTNESS.md A and B.

The catalogue numbers (A1 … A21, B22 … B29) are ROBUSTNESS.md's. Hostile files are made
from a valid one: ``parse`` splits it into its JSON header and payload, the test edits
them, and ``pack`` puts them back (recomputing the checksum unless told not to), so each
test reaches the check it is about.
"""

from __future__ import annotations

import ast
import builtins
import errno
import hashlib
import json
import marshal
import os
import pickle
import stat
import struct
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vecnn
from vecnn import ModelFormatError, Network
from vecnn import io as vio
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.optim import Adam

MAGIC = vio.MAGIC
PREFIX = vio.PREFIX_SIZE
SOURCES = sorted(Path(vio.__file__).parent.glob("*.py"))  # the modules of the vecnn.io package


# ======================================================================== helpers
def parse(data: bytes) -> tuple[dict, bytes]:
    """The header (as a dict) and the payload of a valid file's bytes."""
    (length,) = struct.unpack_from("<Q", data, 12)
    return json.loads(data[PREFIX : PREFIX + length]), data[PREFIX + length :]


def pack(
    header,
    payload: bytes,
    *,
    fix_sha: bool = True,
    version: int = 1,
    magic: bytes = MAGIC,
    header_length: int | None = None,
) -> bytes:
    """File bytes from a header (dict, or raw bytes used as they are) and a payload."""
    if isinstance(header, dict):
        if fix_sha:
            header = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest()}
        header = json.dumps(header).encode()
    length = len(header) if header_length is None else header_length
    return magic + struct.pack("<IQ", version, length) + header + payload


def with_arrays(header: dict, arrays: dict) -> tuple[dict, bytes]:
    """``header`` with its tensor table (and the payload) remade from ``arrays``."""
    table, blobs, position = {}, [], 0
    for name, array in arrays.items():
        array = np.asarray(array)
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        table[name] = {
            "dtype": array.dtype.newbyteorder("<").str,
            "shape": list(array.shape),
            "offset_begin": position,
            "offset_end": position + len(data),
        }
        position += len(data)
        blobs.append(data)
    return {**header, "tensors": table}, b"".join(blobs)


def tiny(dtype="float32") -> Network:
    """Two dense layers, 2 → 3 → 1: 13 weights, a payload of 52 bytes in float32."""
    return Network(
        [Dense(2, 3, "relu", seed=0, dtype=dtype), Dense(3, 1, "sigmoid", seed=1, dtype=dtype)]
    )


@pytest.fixture
def valid(tmp_path) -> tuple[Path, bytes]:
    path = vecnn.save(tiny(), tmp_path / "model.vecnn")
    return path, path.read_bytes()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def refused(path: Path, *fragments: str) -> str:
    """Read ``path``, expecting a ModelFormatError naming the path and every fragment."""
    with pytest.raises(ModelFormatError) as caught:
        vio.read(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def same_state(a: Network, b: Network) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        assert sa[name].tobytes() == sb[name].tobytes(), name


def same_arrays(x, y) -> None:
    assert x.dtype == y.dtype and x.shape == y.shape
    if x.dtype == object:  # the bytes of an object array are pointers
        assert x.tolist() == y.tolist()
    else:
        assert x.tobytes() == y.tobytes()


X4 = np.random.default_rng(7).normal(size=(4, 9))


# ===================================================================== round trips (B29)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_of_every_layer_type(tmp_path, dtype):
    rng = np.random.default_rng(3)
    net = Network(
        [
            Dense(4, 5, "relu", seed=rng, dtype=dtype),
            BatchNorm(5, dtype=dtype),
            Activation("tanh"),
            Dropout(0.3),
            Dense(5, 6, "leaky_relu", seed=rng, dtype=dtype),
            Dense(6, 3, "sigmoid", seed=rng, dtype=dtype),
            Dense(3, 4, "linear", seed=rng, dtype=dtype),
            Dense(4, 3, "tanh", seed=rng, dtype=dtype),
            Dense(3, 3, "softmax", seed=rng, dtype=dtype),
        ],
        seed=0,
    )
    net.train()
    for _ in range(3):  # running statistics that are not the initial 0 and 1
        net.forward(X4.astype(dtype) * 3 + 1)
    mean = net.named_buffers()["running_mean[1]"]
    assert not np.all(mean == 0)
    path = vecnn.save(net, tmp_path / "all.vecnn")
    loaded = vecnn.load(path)
    assert isinstance(loaded, Network) and not loaded.training
    assert loaded.config() == net.config()
    same_state(net, loaded)
    same_arrays(net.predict_proba(X4), loaded.predict_proba(X4))
    assert loaded.predict_proba(X4).dtype == np.dtype(dtype)


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_of_each_dense_activation(tmp_path, activation, dtype):
    net = Network([Dense(4, 2, activation, seed=5, dtype=dtype)])
    loaded = vecnn.load(vecnn.save(net, tmp_path / "d.vecnn"))
    same_state(net, loaded)
    same_arrays(net.predict_proba(X4), loaded.predict_proba(X4))


@pytest.mark.parametrize(
    ("labels", "sizes", "output"),
    [
        (np.array(["cat", "dog", "emu"]), [4, 5, 3], "softmax"),
        (np.array(["no", "yes"]), [4, 3, 1], "sigmoid"),
        (np.array([3, 7, 11], dtype=np.int32), [4, 3, 3], "softmax"),
        (np.array(["a", "bb", "c"], dtype=object), [4, 3, 3], "softmax"),
    ],
)
def test_fitted_classifier_predicts_the_same_labels(tmp_path, labels, sizes, output):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 30))
    y = labels[rng.integers(0, len(labels), size=30)]
    net = Network.from_sizes(sizes, output=output, seed=1)
    net.fit(X, y, epochs=2, verbose=0)
    loaded = vecnn.load(vecnn.save(net, tmp_path / "clf.vecnn"))
    assert loaded.task == net.task
    same_arrays(net.classes_, loaded.classes_)
    same_arrays(net.predict(X), loaded.predict(X))
    same_arrays(net.predict_proba(X), loaded.predict_proba(X))
    assert net.evaluate(X, y) == loaded.evaluate(X, y)


def test_metadata_and_training_state_round_trip(tmp_path):
    rng = np.random.default_rng(123)
    state = {
        "epoch": 4,
        "rng": rng.bit_generator.state,  # 128-bit integers
        "huge": 2**200,
        "nested": {"a": [1, 2.5, None, True, "x"], "b": {"c": []}},
        "unicode": "θ → σ \ud800",
    }
    metadata = {"author": "me", "accuracy": 0.875, "n": 3, "ok": True, "none": None}
    path = vecnn.save(tiny(), tmp_path / "m.vecnn", training_state=state, metadata=metadata)
    model = vio.read(path)
    assert model.training_state == state
    assert model.metadata == metadata
    assert model.format_version == vio.FORMAT_VERSION
    assert model.vecnn_version == vecnn.__version__
    assert model.optimizer_state is None
    restored = vio.generator_from_state(model.training_state["rng"])
    assert restored.random() == rng.random()


def test_brackets_and_quotes_inside_strings_do_not_count_as_nesting(tmp_path):
    text = '[{"\\"' * 500 + "]}" * 500
    path = vecnn.save(tiny(), tmp_path / "s.vecnn", metadata={"text": text})
    assert vio.read(path).metadata["text"] == text


def test_optimizer_state_round_trip_continues_identically(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3, 40))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, size=40)]

    def make():
        return Network(
            [
                Dense(3, 6, "relu", seed=0),
                BatchNorm(6),
                Dropout(0.2),
                Dense(6, 3, "softmax", seed=1),
            ],
            seed=9,
        )

    net = make()
    opt = Adam(net.parameters(), lr=0.01)
    net.fit(X, y, optimizer=opt, epochs=2, batch_size=8, verbose=0)
    path = vecnn.save_checkpoint(net, tmp_path / "ckpt.vecnn", opt, epoch=2, extra={"note": "x"})
    net.fit(X, y, optimizer=opt, epochs=2, batch_size=8, verbose=0)  # uninterrupted

    model = vecnn.load_checkpoint(path)
    assert model.training_state["epoch"] == 2 and model.training_state["note"] == "x"
    assert model.optimizer_state["type"] == "Adam"
    assert model.optimizer_params == list(model.network.named_parameters())
    resumed = model.network
    opt2 = model.restore_optimizer(Adam(resumed.parameters(), lr=0.5))
    assert opt2.lr == 0.01
    resumed.fit(X, y, optimizer=opt2, epochs=2, batch_size=8, verbose=0)
    same_state(net, resumed)
    for key, array in opt.state_dict()["arrays"].items():
        same_arrays(array, opt2.state_dict()["arrays"][key])


def test_restore_optimizer_refuses_other_parameters(tmp_path):
    net = tiny()
    opt = Adam(net.parameters())
    path = vecnn.save(net, tmp_path / "o.vecnn", optimizer=opt)
    model = vio.read(path)
    with pytest.raises(ModelFormatError, match="not the saved ones"):
        model.restore_optimizer(Adam(tiny().parameters()))
    with pytest.raises(ModelFormatError, match="not the saved ones"):
        model.restore_optimizer(Adam(model.network.parameters()[:2]))
    with pytest.raises(ModelFormatError, match="no optimizer state"):
        vio.read(vecnn.save(net, tmp_path / "p.vecnn")).restore_optimizer(opt)


def test_save_refuses_an_optimizer_of_another_network(tmp_path):
    with pytest.raises(ValueError, match="not one of the network's parameters"):
        vecnn.save(tiny(), tmp_path / "x.vecnn", optimizer=Adam(tiny().parameters()))
    assert not list(tmp_path.iterdir())


def test_big_endian_arrays_are_converted_on_save(tmp_path):
    net = tiny("float64")
    W = net.layers[0].W
    W.data = W.data.astype(">f8")
    path = vecnn.save(net, tmp_path / "be.vecnn")
    header, _ = parse(path.read_bytes())
    assert {t["dtype"] for t in header["tensors"].values()} == {"<f8"}
    assert vio.load(path).state_dict()["W[1]"].tolist() == W.data.tolist()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"training_state": {"x": object()}}, "not a JSON value"),
        ({"training_state": {"x": np.int64(3)}}, "int64, not a JSON value"),
        ({"training_state": {"x": float("nan")}}, "no NaN"),
        ({"training_state": {1: "a"}}, "keys are strings"),
        ({"training_state": [1, 2]}, "must be a dict"),
        ({"training_state": {"x": 10**5000}}, "too large"),
        ({"metadata": {"x": [1]}}, "plain"),
        ({"metadata": {"x": float("inf")}}, "no NaN"),
        ({"metadata": {2: "x"}}, "keys must be strings"),
    ],
)
def test_save_refuses_values_that_are_not_json_before_writing(tmp_path, kwargs, fragment):
    target = tmp_path / "x.vecnn"
    with pytest.raises(ValueError, match=fragment):
        vecnn.save(tiny(), target, **kwargs)
    assert not list(tmp_path.iterdir())


def test_save_refuses_deep_or_cyclic_training_state(tmp_path):
    deep: list = []
    for _ in range(100):
        deep = [deep]
    cycle: list = []
    cycle.append(cycle)
    for state in ({"d": deep}, {"c": cycle}):
        with pytest.raises(ValueError, match="nested more than"):
            vecnn.save(tiny(), tmp_path / "x.vecnn", training_state=state)
    assert not list(tmp_path.iterdir())


def test_save_refuses_non_finite_weights(tmp_path):
    net = tiny()
    net.layers[1].b.data[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"b\[2\] contains NaN"):
        vecnn.save(net, tmp_path / "x.vecnn")
    assert not list(tmp_path.iterdir())


def test_loading_changes_no_global_state(valid):
    path, _ = valid
    np.random.seed(1234)
    before, errors = np.random.get_state(), np.geterr()
    vio.read(path)
    after = np.random.get_state()
    assert before[0] == after[0] and (before[1] == after[1]).all() and before[2:] == after[2:]
    assert np.geterr() == errors


# ============================================================ A. model files (load)
class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a1_pickle_payload_is_rejected_by_magic_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path / "evil.vecnn", pickle.dumps(_Evil(marker)))
    refused(path, "not a vecnn model file (bad magic bytes)")
    assert not marker.exists()


def test_a2_config_naming_a_callable_is_refused_listing_allowed_names(valid, tmp_path):
    _, data = valid
    header, payload = parse(data)
    header["config"]["layers"][0]["config"]["activation"] = "os.system"
    path = write(tmp_path / "a2.vecnn", pack(header, payload))
    refused(path, "unknown activation 'os.system'", "relu", "sigmoid", "softmax")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda h: h["config"]["layers"][0]["config"].update(module="this"), "'module'"),
        (lambda h: h["config"]["layers"][0].update(class_name="os.system"), "'class_name'"),
        (lambda h: h["config"]["layers"][0]["config"].update(function="eval"), "'function'"),
        (lambda h: h["config"]["layers"][0].update(type="subprocess.Popen"), "unknown layer type"),
        (lambda h: h["config"].update(module="this"), "'module'"),
        (lambda h: h.update(module="this"), "'module'"),
    ],
)
def test_a2_code_naming_keys_are_refused_and_nothing_is_imported(valid, tmp_path, edit, fragment):
    path, data = valid
    vio.read(path)  # warm up: everything loading needs is imported now
    header, payload = parse(data)
    edit(header)
    hostile = write(tmp_path / "a2.vecnn", pack(header, payload))
    modules = set(sys.modules)
    message = refused(hostile, fragment)
    assert set(sys.modules) == modules
    if "unknown layer type" in message:
        assert "Dense, Activation, Dropout, BatchNorm" in message


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: h.update(safe_mode=False),
        lambda h: h.update(allow_unsafe=True),
        lambda h: h["config"].update(safe_mode=False),
        lambda h: h["config"]["layers"][1]["config"].update(safe_mode=False),
        lambda h: h["config"]["layers"][1].update(allow_pickle=True),
    ],
)
def test_a3_policy_flipping_keys_are_refused(valid, tmp_path, edit):
    header, payload = parse(valid[1])
    edit(header)
    path = write(tmp_path / "a3.vecnn", pack(header, payload))
    refused(path, "nothing in a file may")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda h: h.update(weights_file="../../etc/passwd"), "'weights_file'"),
        (lambda h: h["config"].update(weights_file="/etc/passwd"), "'weights_file'"),
        (
            lambda h: h["config"]["layers"][0]["config"].update(weights_file="../../etc/passwd"),
            "'weights_file'",
        ),
        (lambda h: h["tensors"]["W[1]"].update(file="/etc/passwd"), "'file'"),
    ],
)
def test_a4_external_paths_are_refused_and_never_opened(
    valid, tmp_path, monkeypatch, edit, fragment
):
    header, payload = parse(valid[1])
    edit(header)
    path = write(tmp_path / "a4.vecnn", pack(header, payload))
    opened = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    refused(path, fragment)
    assert opened == [str(path)]


def test_a5_empty_file(tmp_path):
    refused(write(tmp_path / "empty.vecnn", b""), f"truncated header (0 bytes, need {PREFIX})")


def test_a5_file_shorter_than_the_prefix(tmp_path):
    refused(write(tmp_path / "s.vecnn", MAGIC[:5]), f"truncated header (5 bytes, need {PREFIX})")
    refused(write(tmp_path / "t.vecnn", MAGIC + b"\x01\x00"), "(10 bytes, need 20)")
    refused(write(tmp_path / "u.vecnn", b"PK\x03"), "bad magic bytes")


@pytest.mark.parametrize("length", [2**64 - 1, 2**40, vio.MAX_HEADER_BYTES + 1])
def test_a6_huge_header_length_is_refused_before_allocating(valid, tmp_path, length):
    header, payload = parse(valid[1])
    data = pack(header, payload, header_length=length)
    path = write(tmp_path / "a6.vecnn", data)
    tracemalloc.start()
    try:
        refused(path, f"header length {length} bytes is over the", f"file has {len(data)} bytes")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_a6_header_length_beyond_the_file(valid, tmp_path):
    header, payload = parse(valid[1])
    data = pack(header, payload, header_length=100_000)
    path = write(tmp_path / "a6.vecnn", data)
    refused(path, "truncated: expected at least 100020 bytes", f"file has {len(data)}")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"\xff\xfe{}", "header is not valid UTF-8 JSON object (at byte 0"),
        (b'{"a": "\xc3\x28"}', "header is not valid UTF-8 JSON object (at byte 7"),
        (b'{"a": 1,,}', "header is not valid UTF-8 JSON object (at byte 8"),
        (b"", "header is not valid UTF-8 JSON object (at byte 0"),
        (b"[]", "expected an object"),
        (b'"text"', "expected an object"),
        (b"17", "expected an object"),
        (b'{"a": NaN}', "NaN is not allowed"),
        (b'{"a": -Infinity}', "-Infinity is not allowed"),
        (b'{"a": 1e400}', "overflows to infinity"),
        (b'{"a": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_a7_header_not_utf8_json_object(tmp_path, raw, fragment):
    refused(write(tmp_path / "a7.vecnn", pack(raw, b"")), fragment)


@pytest.mark.parametrize("opener", [b"[", b"{", b'{"a":'])
def test_a8_deeply_nested_json_is_bounded(tmp_path, opener):
    raw = opener * 100_000
    refused(write(tmp_path / "a8.vecnn", pack(raw, b"")), "nested deeper than 64 levels")


def test_a8_depth_65_is_refused_and_64_is_parsed(tmp_path):
    refused(write(tmp_path / "d.vecnn", pack(b"[" * 65 + b"]" * 65, b"")), "nested deeper")
    refused(write(tmp_path / "e.vecnn", pack(b"[" * 64 + b"]" * 64, b"")), "expected an object")


def test_a9_duplicate_tensor_names(valid, tmp_path):
    header, payload = parse(valid[1])
    text = json.dumps(header)
    entry = json.dumps(header["tensors"]["W[1]"])
    text = text.replace('"tensors": {', f'"tensors": {{"W[1]": {entry}, ', 1)
    path = write(tmp_path / "a9.vecnn", pack(text.encode(), payload))
    refused(path, "duplicate key 'W[1]'")


def test_a9_duplicate_header_keys(valid, tmp_path):
    header, payload = parse(valid[1])
    text = json.dumps(header)[:-1] + ', "metadata": {"x": 1}}'
    refused(write(tmp_path / "a9.vecnn", pack(text.encode(), payload)), "duplicate key 'metadata'")


@pytest.mark.parametrize(
    ("dtype", "fragment"),
    [
        ("<f2", "unsupported dtype '<f2'"),
        (">f4", "big-endian"),
        ("|O", "pickle"),
        ("O", "pickle"),
        ("float32", "unsupported dtype 'float32'"),
        (4, "unsupported dtype 4"),
        (None, "unsupported dtype None"),
    ],
)
def test_a10_unknown_big_endian_or_object_dtype(valid, tmp_path, dtype, fragment):
    header, payload = parse(valid[1])
    header["tensors"]["W[2]"]["dtype"] = dtype
    path = write(tmp_path / "a10.vecnn", pack(header, payload))
    refused(path, "tensor 'W[2]'", fragment, "supported: <f4, <f8, <i8")


@pytest.mark.parametrize(
    ("shape", "fragment"),
    [
        ([-1, 3], "has dim -1"),
        ([1.5, 2], "has dim 1.5"),
        ([3.0, 2], "has dim 3.0"),
        ([True, 3], "has dim True"),
        (["3", 2], "has dim '3'"),
        ([10**18, 10**18], "has dim 1000000000000000000"),
        ([2**40, 2**40], "over the 1099511627776-byte limit"),
        ([1] * 9, "rank 9 is over the limit 8"),
        ("3x2", "shape must be a list"),
        ({"0": 3}, "shape must be a list"),
    ],
)
def test_a11_negative_float_or_absurd_dims(valid, tmp_path, shape, fragment):
    header, payload = parse(valid[1])
    header["tensors"]["W[1]"]["shape"] = shape
    path = write(tmp_path / "a11.vecnn", pack(header, payload))
    tracemalloc.start()
    try:
        refused(path, "tensor 'W[1]'", fragment)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_a12_overlapping_offsets(valid, tmp_path):
    header, payload = parse(valid[1])
    header["tensors"]["b[1]"]["offset_begin"] -= 4
    header["tensors"]["b[1]"]["offset_end"] -= 4
    path = write(tmp_path / "a12.vecnn", pack(header, payload))
    refused(path, "tensor 'b[1]': invalid offset 20: overlaps the previous tensor")


def test_a12_gapped_offsets(valid, tmp_path):
    header, payload = parse(valid[1])
    for name in ("b[1]", "W[2]", "b[2]"):
        header["tensors"][name]["offset_begin"] += 4
        header["tensors"][name]["offset_end"] += 4
    path = write(tmp_path / "a12.vecnn", pack(header, payload + b"\0" * 4))
    refused(path, "tensor 'b[1]': invalid offset 28: a gap of 4 bytes")


def test_a12_offsets_out_of_order(valid, tmp_path):
    header, payload = parse(valid[1])
    tensors = header["tensors"]
    header["tensors"] = {"b[1]": tensors["b[1]"], "W[1]": tensors["W[1]"]} | tensors
    path = write(tmp_path / "a12.vecnn", pack(header, payload))
    refused(path, "tensor 'b[1]': invalid offset 24: a gap of 24 bytes")


def test_a12_offsets_beyond_the_file_end(valid, tmp_path):
    header, payload = parse(valid[1])
    header["tensors"]["b[2]"]["shape"] = [1, 1000]
    header["tensors"]["b[2]"]["offset_end"] += 999 * 4
    data = pack(header, payload)
    path = write(tmp_path / "a12.vecnn", data)
    refused(path, f"truncated: expected {len(data) + 999 * 4} bytes, file has {len(data)}")


@pytest.mark.parametrize(
    ("begin", "end", "fragment"),
    [
        (0, 28, "declares 28 bytes (offsets 0..28) but shape [3, 2] of <f4 needs 24"),
        (0, 20, "declares 20 bytes"),
        (0, -4, "declares -4 bytes"),
        (0, 24.0, "offsets must be integers"),
        (False, 24, "offsets must be integers"),
        ("0", 24, "offsets must be integers"),
    ],
)
def test_a13_declared_bytes_differ_from_the_shape(valid, tmp_path, begin, end, fragment):
    header, payload = parse(valid[1])
    header["tensors"]["W[1]"].update(offset_begin=begin, offset_end=end)
    refused(write(tmp_path / "a13.vecnn", pack(header, payload)), "tensor 'W[1]'", fragment)


def test_a14_trailing_bytes_are_rejected(valid, tmp_path):
    path, data = valid
    refused(write(path, data + b"\0"), "1 trailing bytes after the last tensor")
    polyglot = data + b"PK\x05\x06" + b"\0" * 18
    refused(write(path, polyglot), "22 trailing bytes", f"file has {len(polyglot)}")


def test_a15_truncation_at_every_byte_offset(valid):
    path, data = valid
    for cut in range(len(data)):
        message = refused(write(path, data[:cut]), "truncated")
        if cut >= PREFIX and cut < len(data):
            assert f"file has {cut}" in message
    write(path, data)
    vio.read(path)


def test_a16_a_bit_flip_anywhere_in_the_payload_is_a_checksum_error(valid):
    path, data = valid
    _, payload = parse(data)
    start = len(data) - len(payload)
    for index in range(start, len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[index] ^= 1 << bit
            refused(write(path, bytes(flipped)), "corrupted (checksum mismatch)")


def test_a16_a_wrong_checksum_in_the_header(valid, tmp_path):
    header, payload = parse(valid[1])
    header["payload_sha256"] = "0" * 64
    path = write(tmp_path / "a16.vecnn", pack(header, payload, fix_sha=False))
    refused(path, "corrupted (checksum mismatch)")
    header["payload_sha256"] = "ABC"
    path = write(tmp_path / "a16.vecnn", pack(header, payload, fix_sha=False))
    refused(path, "payload_sha256 must be 64 lowercase hex digits")


def test_a17_wrong_shapes_missing_and_unexpected_tensors_listed_together(valid, tmp_path):
    header, _ = parse(valid[1])
    state = tiny().state_dict()
    arrays = {
        "W[1]": state["W[1]"],
        "W[2]": state["W[2]"].T.copy(),  # (3, 1) where the architecture says (1, 3)
        "b[2]": np.zeros((2, 1), np.float32),
        "extra": np.zeros((1, 1), np.float32),
    }
    header, payload = with_arrays(header, arrays)
    message = refused(
        write(tmp_path / "a17.vecnn", pack(header, payload)),
        "the weights do not fit the architecture",
        "missing: b[1]",
        "unexpected: extra",
        "W[2]: expected shape (1, 3), found (3, 1)",
        "b[2]: expected shape (1, 1), found (2, 1)",
    )
    assert message.count("expected shape") == 2


def test_a17_wrong_dtype_for_the_architecture(valid, tmp_path):
    header, _ = parse(valid[1])
    state = {k: v.astype(np.float64) if k == "b[1]" else v for k, v in tiny().state_dict().items()}
    header, payload = with_arrays(header, state)
    path = write(tmp_path / "a17.vecnn", pack(header, payload))
    refused(path, "b[1]: expected dtype float32, found float64")


def test_a17_absurd_layer_sizes_are_refused_before_building(valid, tmp_path):
    header, payload = parse(valid[1])
    header["config"]["layers"][0]["config"].update(n_in=10**6, n_out=10**6)
    path = write(tmp_path / "a17.vecnn", pack(header, payload))
    refused(path, "declares 1000001000004 parameter values but the file stores 13")


@pytest.mark.parametrize("layer, key", [(0, "n_in"), (1, "n_in"), (1, "n_out")])
@pytest.mark.parametrize("value", [None, "3", 2.5, True, 0, "missing"])
def test_a_null_or_non_integer_size_is_a_malformed_file_naming_layer_and_key(
    valid, tmp_path, layer, key, value
):
    """A saved layer knows its sizes: ``"n_in": null`` is a bad file, not a layer that
    waits for its first call (whose message, meant for code, asked to call it on X)."""
    header, payload = parse(valid[1])
    settings = header["config"]["layers"][layer]["config"]
    if value == "missing":
        del settings[key]
    else:
        settings[key] = value
    path = write(tmp_path / "sizes.vecnn", pack(header, payload))
    found = "nothing" if value == "missing" else json.dumps(value)
    message = refused(
        path, f"layer {layer + 1} (Dense): config key {key!r} must be a positive integer"
    )
    assert message.endswith(f"found {found}") and "network(X)" not in message


def test_a_null_batch_norm_size_is_a_malformed_file(tmp_path):
    net = Network([Dense(2, 3, seed=0), BatchNorm(3), Dense(3, 1, "sigmoid", seed=1)])
    header, payload = parse(vecnn.save(net, tmp_path / "bn.vecnn").read_bytes())
    header["config"]["layers"][1]["config"]["n"] = None
    path = write(tmp_path / "bn.vecnn", pack(header, payload))
    refused(path, "layer 2 (BatchNorm): config key 'n' must be a positive integer", "found null")


def test_negative_running_variance_is_rejected(tmp_path):
    net = Network([Dense(2, 3, seed=0), BatchNorm(3), Dense(3, 1, "sigmoid", seed=1)])
    header, _ = parse(vecnn.save(net, tmp_path / "bn.vecnn").read_bytes())
    state = net.state_dict()
    state["running_var[1]"] = np.array([[1.0], [-0.5], [2.0]], np.float32)
    header, payload = with_arrays(header, state)
    path = write(tmp_path / "bn.vecnn", pack(header, payload))
    refused(path, "'running_var[1]': a running variance cannot be negative")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a18_non_finite_weights_are_rejected_naming_the_tensor(valid, tmp_path, bad, dtype):
    header, _ = parse(valid[1])
    state = {k: v.astype(dtype) for k, v in tiny().state_dict().items()}
    state["W[2]"][0, 1] = bad
    header, payload = with_arrays(header, state)
    path = write(tmp_path / "a18.vecnn", pack(header, payload))
    refused(path, "non-finite weights: tensor(s) 'W[2]' contain NaN or infinity")


def test_a19_newer_format_version(valid, tmp_path):
    header, payload = parse(valid[1])
    header["vecnn_version"] = "9.9.9"
    path = write(tmp_path / "a19.vecnn", pack(header, payload, version=3))
    refused(
        path,
        "written by vecnn 9.9.9 (format v3); this version (vecnn "
        f"{vecnn.__version__}) reads ≤ v1; upgrade vecnn",
    )
    garbled = write(tmp_path / "b.vecnn", pack(b"\xff not json", b"", version=2))
    refused(garbled, "written by a newer vecnn (format v2)", "upgrade vecnn")
    huge = write(tmp_path / "c.vecnn", pack(b"{}", b"", version=2, header_length=2**64 - 1))
    refused(huge, "written by a newer vecnn (format v2)")


def test_a19_version_zero_and_a_header_that_disagrees_with_the_prefix(valid, tmp_path):
    header, payload = parse(valid[1])
    refused(write(tmp_path / "z.vecnn", pack(header, payload, version=0)), "format version 0")
    header["format_version"] = 2
    path = write(tmp_path / "m.vecnn", pack(header, payload))
    refused(path, "the header says format version 2 but the prefix says 1")


def test_a20_directory_and_missing_file_raise_the_ordinary_oserror(tmp_path):
    with pytest.raises(IsADirectoryError) as caught:
        vio.read(tmp_path)
    assert not isinstance(caught.value, ModelFormatError)
    missing = tmp_path / "missing.vecnn"
    with pytest.raises(FileNotFoundError) as caught:
        vecnn.load(missing)
    assert caught.value.filename == str(missing)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads all")
def test_a20_no_read_permission_raises_permission_error(valid):
    path, _ = valid
    path.chmod(0)
    try:
        with pytest.raises(PermissionError):
            vio.read(path)
    finally:
        path.chmod(0o644)


def test_a21_no_fallback_parser_when_the_safe_one_fails(valid, monkeypatch):
    path, _ = valid

    def boom(*args, **kwargs):
        raise AssertionError("an unsafe loader was tried")

    def failing_parser(raw, shown):
        raise ModelFormatError("forced failure", shown)

    monkeypatch.setattr(vio.format, "_parse_header", failing_parser)  # where read finds it
    for module, name in [
        (pickle, "load"),
        (pickle, "loads"),
        (pickle, "Unpickler"),
        (marshal, "loads"),
        (np, "load"),
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "__import__"),
    ]:
        monkeypatch.setattr(module, name, boom)
    with pytest.raises(ModelFormatError, match="forced failure"):
        vio.read(path)


def test_a21_the_loader_source_uses_no_code_loading_facility():
    trees = [ast.parse(source.read_text(encoding="utf-8")) for source in SOURCES]
    imported, names, attributes = set(), set(), set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            constant = len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
            if not (node.func.id == "getattr" and constant):  # getattr(os, "O_CLOEXEC", 0)
                names.add(node.func.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attributes.add(node.func.attr)
    forbidden = {"pickle", "marshal", "shelve", "importlib", "dill", "numpy", "ctypes"}
    assert not imported & forbidden
    assert not names & {"eval", "exec", "compile", "__import__", "getattr", "globals"}
    assert not attributes & {"load", "import_module", "Unpickler", "fromfile", "memmap"}


def test_config_values_must_be_plain(valid, tmp_path):
    header, payload = parse(valid[1])
    header["config"]["layers"][0]["config"]["dtype"] = {"names": ["a"], "formats": ["O"]}
    refused(write(tmp_path / "c.vecnn", pack(header, payload)), "dtype must be a plain value")
    header["config"]["layers"][0]["config"]["dtype"] = "object"
    refused(write(tmp_path / "c.vecnn", pack(header, payload)), "bad network config")


def test_seed_in_a_layer_config_is_refused(valid, tmp_path):
    header, payload = parse(valid[1])
    header["config"]["layers"][0]["config"]["seed"] = 1
    refused(write(tmp_path / "c.vecnn", pack(header, payload)), "config key 'seed'")


def test_classes_must_fit_the_task_and_their_dtype(tmp_path):
    net = Network.from_sizes([4, 3, 3], output="softmax", seed=1)
    rng = np.random.default_rng(0)
    net.fit(rng.normal(size=(4, 12)), np.array(["a", "b", "c"] * 4), epochs=1, verbose=0)
    header, payload = parse(vecnn.save(net, tmp_path / "c.vecnn").read_bytes())
    header["config"]["classes"] = ["a", "b"]
    refused(write(tmp_path / "d.vecnn", pack(header, payload)), "2 classes for a multiclass")
    header["config"]["classes"] = ["a", "b", "long label"]
    refused(write(tmp_path / "e.vecnn", pack(header, payload)), "do not fit classes_dtype <U1")
    header["config"]["classes"] = [1, 2, 300]
    header["classes_dtype"] = "|i1"
    refused(write(tmp_path / "f.vecnn", pack(header, payload)), "classes_dtype |i1")
    header["classes_dtype"] = "<c16"
    refused(write(tmp_path / "g.vecnn", pack(header, payload)), "classes_dtype '<c16'")


def test_optimizer_section_is_checked(tmp_path):
    net = tiny()
    opt = Adam(net.parameters())
    header, payload = parse(vecnn.save(net, tmp_path / "o.vecnn", optimizer=opt).read_bytes())
    cases = [
        (lambda h: h["optimizer"].update(type="os.system"), "unknown optimizer type"),
        (lambda h: h["optimizer"].update(steps=[-1, 0, 0, 0]), "non-negative integers"),
        (lambda h: h["optimizer"].update(params=["W[1]", "W[1]", "b[1]", "b[2]"]), "distinct"),
        (lambda h: h["optimizer"].update(params=["W[1]", "b[1]", "W[2]", "q"]), "lacks: q"),
        (lambda h: h.update(optimizer=None), "no optimizer section"),
    ]
    for edit, fragment in cases:
        changed = json.loads(json.dumps(header))
        edit(changed)
        refused(write(tmp_path / "x.vecnn", pack(changed, payload)), fragment)
    tensors = header["tensors"]
    header["tensors"] = {
        (k.replace("v.0", "v.7") if k.startswith("optimizer/") else k): v
        for k, v in tensors.items()
    }
    refused(write(tmp_path / "y.vecnn", pack(header, payload)), "index below 4")


def test_restore_optimizer_reports_a_state_the_optimizer_refuses(tmp_path):
    net = tiny()
    path = vecnn.save(net, tmp_path / "o.vecnn", optimizer=Adam(net.parameters()))
    header, payload = parse(path.read_bytes())
    header["optimizer"]["hyper"]["betas"] = [2.0, 0.5]
    model = vio.read(write(path, pack(header, payload)))
    with pytest.raises(ModelFormatError, match="optimizer state does not fit"):
        model.restore_optimizer(Adam(model.network.parameters()))


def test_checkpoint_with_a_bad_generator_state(tmp_path):
    net = tiny()
    path = vecnn.save_checkpoint(net, tmp_path / "c.vecnn", epoch=0)
    header, payload = parse(path.read_bytes())
    for rng in [{"bit_generator": "MT19937"}, {"bit_generator": "PCG64", "state": 3}, "x"]:
        header["training_state"]["rng"] = rng
        with pytest.raises(ModelFormatError, match="generator"):
            vecnn.load_checkpoint(write(path, pack(header, payload)))
    with pytest.raises(ValueError, match="epoch"):
        vecnn.save_checkpoint(net, tmp_path / "d.vecnn", epoch=-1)
    mt = Network([Dense(2, 1)], seed=np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match="PCG64"):
        vecnn.save_checkpoint(mt, tmp_path / "e.vecnn", epoch=1)


# ============================================================= B. model files (save)
def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


class _FailingWriter:
    """A binary file that raises ``error`` once ``limit`` bytes have been written."""

    def __init__(self, handle, limit: int, error: BaseException) -> None:
        self._handle, self._left, self._error = handle, limit, error

    def write(self, data: bytes) -> int:
        if len(data) >= self._left:
            self._handle.write(data[: self._left])
            raise self._error
        self._left -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device")]
)
def test_b22_b23_b24_failure_half_way_through_the_write(valid, monkeypatch, error):
    path, old = valid
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        os, "fdopen", lambda *a, **k: _FailingWriter(real_fdopen(*a, **k), len(old) // 2, error)
    )
    net = tiny("float64")
    with pytest.raises(type(error)):
        vecnn.save(net, path, metadata={"new": True})
    assert path.read_bytes() == old
    assert listing(path.parent) == [path.name]


@pytest.mark.parametrize("where", ["fsync", "replace"])
@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device")]
)
def test_b22_b23_b24_failure_at_fsync_or_replace(valid, monkeypatch, where, error):
    path, old = valid

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, where, fail)
    with pytest.raises(type(error)) as caught:
        vecnn.save(tiny("float64"), path)
    if isinstance(error, OSError):
        assert caught.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert listing(path.parent) == [path.name]


def test_b22_interrupt_inside_atomic_write(tmp_path):
    target = vio.atomic_write_bytes(tmp_path / "log.csv", b"old\n")
    with pytest.raises(KeyboardInterrupt), vio.atomic_write(target, text=True, newline="") as f:
        f.write("a,b\r\n" * 1000)
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old\n"
    assert listing(tmp_path) == ["log.csv"]
    with vio.atomic_write(target, text=True, newline="") as f:
        f.write("a,b\r\n")
    assert target.read_bytes() == b"a,b\r\n"


def test_b25_the_temporary_file_lives_in_the_target_directory(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path / "nonexistent"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "nonexistent"))
    moves = []
    real_replace = os.replace

    def spy(src, dst, *args, **kwargs):
        moves.append((Path(src), Path(dst)))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    target = tmp_path / "sub" / "m.vecnn"
    target.parent.mkdir()
    vecnn.save(tiny(), target)
    [(src, dst)] = moves
    assert src.parent == dst.parent == target.parent
    assert listing(target.parent) == ["m.vecnn"]


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o755])
def test_b26_overwriting_keeps_the_mode_bits(valid, mode):
    path, _ = valid
    path.chmod(mode)
    vecnn.save(tiny("float64"), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert vio.load(path).dtype == np.float64


def test_b26_a_new_file_gets_the_mode_open_would_give(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = vecnn.save(tiny(), tmp_path / "new.vecnn")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_b27_a_symlink_target_is_refused(valid, tmp_path):
    path, old = valid
    link = tmp_path / "link.vecnn"
    link.symlink_to(path)
    with pytest.raises(OSError, match="symbolic link") as caught:
        vecnn.save(tiny("float64"), link)
    assert caught.value.errno == errno.ELOOP
    assert path.read_bytes() == old and link.is_symlink()
    dangling = tmp_path / "dangling.vecnn"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OSError, match="symbolic link"):
        vecnn.save(tiny(), dangling)
    assert not (tmp_path / "nowhere").exists()


def test_b27_missing_parent_directory(tmp_path):
    parent = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as caught:
        vecnn.save(tiny(), parent / "m.vecnn")
    assert caught.value.filename == str(parent)
    assert "does not exist" in str(caught.value)


def test_b27_target_is_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError):
        vecnn.save(tiny(), tmp_path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes all")
def test_b27_read_only_directory(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            vecnn.save(tiny(), directory / "m.vecnn")
    finally:
        directory.chmod(0o755)
    assert listing(directory) == []


# ========================================================================== fuzzing
_BASE: dict[str, bytes] = {}


def base_file() -> bytes:
    """A small checkpoint: every layer type, fitted string classes, Adam state."""
    if "data" not in _BASE:
        import tempfile

        rng = np.random.default_rng(0)
        net = Network(
            [
                Dense(3, 4, "relu", seed=0),
                BatchNorm(4),
                Activation("tanh"),
                Dropout(0.1),
                Dense(4, 3, "softmax", seed=1),
            ],
            seed=0,
        )
        opt = Adam(net.parameters(), lr=0.01)
        net.fit(
            rng.normal(size=(3, 12)),
            np.array(["x", "y", "z"] * 4),
            optimizer=opt,
            epochs=1,
            verbose=0,
        )
        with tempfile.TemporaryDirectory() as directory:
            path = vecnn.save_checkpoint(
                net, Path(directory) / "b.vecnn", opt, epoch=1, metadata={"k": "v"}
            )
            _BASE["data"] = path.read_bytes()
    return _BASE["data"]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value, prefix=()):
    """Every path (tuple of keys/indices) into a JSON value, iteratively."""
    found, stack = [], [(value, prefix)]
    while stack:
        item, path = stack.pop()
        found.append(path)
        if isinstance(item, dict):
            stack.extend((v, (*path, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(item))
    return found


def _get(value, path):
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated_files(draw):
    data = base_file()
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "header", "payload"]))
    if kind == "flip":
        flipped = bytearray(data)
        for index in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=4)):
            flipped[index] ^= 1 << draw(st.integers(0, 7))
        return bytes(flipped)
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    header, payload = parse(data)
    if kind == "payload":
        changed = bytearray(payload)
        for index in draw(st.lists(st.integers(0, len(payload) - 1), min_size=1, max_size=3)):
            changed[index] = draw(st.integers(0, 255))
        return pack(header, bytes(changed))  # a valid checksum over the changed payload
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(header)))
        if not path:
            continue
        parent, key = _get(header, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "nudge", "delete", "add"]))
        old = parent[key]
        if action == "nudge" and type(old) is int:
            parent[key] = old + draw(st.sampled_from([-1, 1, -4, 4, 2**63, -(2**40)]))
        elif action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif action == "add" and isinstance(old, dict):
            old[draw(st.text(max_size=6))] = draw(_JSON)
        else:
            parent[key] = draw(_JSON)
    return pack(header, payload, fix_sha=False)  # the edit may have changed the checksum


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated_files())
def test_fuzz_the_loader_raises_only_model_format_error(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.vecnn"
    path.write_bytes(data)
    try:
        model = vio.read(path)
    except ModelFormatError as error:
        assert str(path) in str(error)
        return
    # What loads is a working network.
    model.network.predict_proba(np.zeros((model.network.n_features, 2)))


def test_the_base_file_of_the_fuzzer_is_valid(tmp_path):
    model = vio.read(write(tmp_path / "b.vecnn", base_file()))
    assert model.optimizer_state is not None and model.training_state["epoch"] == 1


def test_preprocessing_section_round_trips_and_must_be_an_object(valid, tmp_path):
    steps = {"features": [{"name": "age", "kind": "numeric", "mean": 40.5, "std": 9.0}]}
    path = vecnn.save(tiny(), tmp_path / "p.vecnn", preprocessing=steps)
    assert vio.read(path).preprocessing == steps
    assert vio.read(valid[0]).preprocessing is None
    with pytest.raises(ValueError, match="preprocessing must be a dict"):
        vecnn.save(tiny(), tmp_path / "q.vecnn", preprocessing=[1, 2])
    header, payload = parse(valid[1])
    header["preprocessing"] = [1, 2]
    refused(write(tmp_path / "r.vecnn", pack(header, payload)), "preprocessing must be an object")


# ============================================== issue 11: headers out of proportion or
# contradicting themselves (items 6, 7, 16)
def _classes_file(tmp_path, classes, code, net=None, task=None, name="c.vecnn") -> Path:
    path = vecnn.save(net or tiny(), tmp_path / name)
    header, payload = parse(path.read_bytes())
    header["config"]["classes"], header["classes_dtype"] = classes, code
    header["config"]["task"] = task
    return write(path, pack(header, payload))


_LIMITED_READ = """
import resource, sys
import vecnn
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 600 * 2**20, resource.RLIM_INFINITY))
try:
    vecnn.io.read(sys.argv[1])
except vecnn.ModelFormatError as error:
    print("refused:", error)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("long_class", [False, True])
def test_wide_classes_dtype_is_refused_before_allocating(tmp_path, long_class):
    """Item 6: `<U9999` over 28,000 short classes asked for 1.1 GB from a 200 KB file."""
    import subprocess

    classes = [f"c{i}" for i in range(28_000)] + (["x" * 9999] if long_class else [])
    path = _classes_file(tmp_path, classes, "<U9999")
    assert path.stat().st_size < 300_000
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_READ, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "classes_dtype <U9999 would take" in done.stdout


def test_classes_dtype_wider_than_needed_is_refused(tmp_path):
    refused(_classes_file(tmp_path, ["ab", "cd"], "<U50"), "classes_dtype <U50 would take")
    assert vio.read(_classes_file(tmp_path, ["ab", "cd"], "<U2", name="ok.vecnn")).network


def test_a_zero_size_tensor_with_huge_dims_is_a_model_format_error(tmp_path):
    """Item 7: NumPy refused `[0, 2**40, 2**40]` with its own ValueError."""
    path = vecnn.save(tiny(), tmp_path / "z.vecnn")
    header, payload = parse(path.read_bytes())
    header["tensors"]["W[1]"]["shape"] = [0, 2**40, 2**40]
    header["tensors"]["W[1]"]["offset_end"] = 0
    for spec in list(header["tensors"].values())[1:]:
        spec["offset_begin"] -= 24
        spec["offset_end"] -= 24
    refused(write(path, pack(header, payload[24:])), "tensor 'W[1]'", "over the")


def test_self_contradictory_headers_are_refused(tmp_path):
    """Item 16: each of these loaded before."""
    refused(_classes_file(tmp_path, ["a", "a"], "<U1"), "duplicate class 'a'")
    refused(_classes_file(tmp_path, ["a", 1], "|O"), "classes mix types (number, text)")
    refused(_classes_file(tmp_path, [0, 1], "<i8", task="regression"), "regression network")
    linear = Network([Dense(2, 3, "relu", seed=0), Dense(3, 1, "linear", seed=1)])
    refused(_classes_file(tmp_path, [0, 1], "<i8", net=linear), "linear output")
    refused(_classes_file(tmp_path, None, None, net=linear, task="binary"), "not a linear one")
    refused(_classes_file(tmp_path, [0, 1, 2], "<i8"), "3 classes for a binary network")
    three = Network([Dense(2, 3, "relu", seed=0), Dense(3, 3, "sigmoid", seed=1)])
    refused(_classes_file(tmp_path, [0, 1], "<i8", net=three, task="multilabel"), "expected 3")


def test_preprocessing_that_disagrees_with_the_network_is_refused(tmp_path):
    """Item 16: the command line's preprocessing must make n[0] inputs and name the classes."""
    from vecnn.cli import main
    from vecnn.cli.common import load_model

    rows = ["x1,x2,label"] + [f"{i % 7},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(40)]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    assert (
        main(["train", str(data), "--target", "label", "--epochs", "1", "-q", "--out", str(out)])
        == 0
    )
    model = out / "model.vecnn"
    good = model.read_bytes()
    load_model(model)

    header, payload = parse(good)
    header["preprocessing"]["target"]["classes"] = ["nay", "yea"]
    write(model, pack(header, payload))
    with pytest.raises(ModelFormatError, match=r"classes \['nay', 'yea'\] are not the network's"):
        load_model(model)

    header, payload = parse(good)
    header["preprocessing"]["features"] = header["preprocessing"]["features"][:1]
    write(model, pack(header, payload))
    with pytest.raises(ModelFormatError, match=r"makes 1 inputs but the network takes n\[0\] = 2"):
        load_model(model)
