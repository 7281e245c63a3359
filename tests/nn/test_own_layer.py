"""A layer type defined here, in the test, gets everything a built-in one has: the layer
contract, ``summary``, ``vecnn explain``'s equations, the model file (save, validation,
load) and the ONNX export, without any change to those modules."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from layer_contract import check_layer

import vecnn
import vecnn.onnx
from vecnn import Tensor, ops
from vecnn.backend import dtype_name, float_dtype, to_numpy, xp
from vecnn.equations import equations
from vecnn.errors import ModelFormatError
from vecnn.nn import LAYER_TYPES, Dense, Layer, register_layer
from vecnn.nn.layer import is_positive_int


class Scale(Layer):
    """``A = s ⊙ A_prev`` with one trained factor per unit, ``s (n, 1)``."""

    kind = "Scale"

    def __init__(self, n: int, dtype: str = "float32") -> None:
        super().__init__()
        self.dtype = float_dtype(dtype)
        self.params = {"s": Tensor(xp.ones((n, 1), dtype=self.dtype), requires_grad=True)}

    @property
    def n_in(self) -> int:
        return self.params["s"].shape[0]

    @property
    def n_out(self) -> int:
        return self.n_in

    def forward(self, A_prev):
        return ops.mul(A_prev, self.params["s"])

    def config(self):
        return {"n": self.n_in, "dtype": dtype_name(self.dtype)}

    @classmethod
    def state_shapes(cls, config):
        return {"s": (config["n"], 1)} if is_positive_int(config.get("n")) else {}

    def onnx_nodes(self, graph, A_prev, l):
        s = graph.constant(f"s_{l}", to_numpy(self.params["s"].data).reshape(-1))
        return graph.node("Mul", [A_prev, s], f"A_{l}")


@pytest.fixture
def scale_registered():
    """``register_layer(Scale)``, undone after the test (the registry is process-wide)."""
    register_layer(Scale)
    yield Scale
    del LAYER_TYPES["Scale"]


def _network(dtype="float32"):
    network = vecnn.Network(
        [
            Dense(3, 4, "tanh", dtype=dtype),
            Scale(4, dtype=dtype),
            Dense(4, 1, "sigmoid", dtype=dtype),
        ],
        seed=0,
    )
    network.layers[1].params["s"].data[...] = xp.asarray([[0.5], [-1.0], [2.0], [1.5]])
    return network


def _X(m=7):
    return np.random.default_rng(1).normal(size=(3, m))


def test_the_layer_keeps_the_contract(scale_registered):
    check_layer(Scale(4, dtype="float64"), n_in=4)


def test_summary_and_equations_describe_it(scale_registered):
    network = _network()
    text = network.summary()
    assert "Scale" in text and "s (4, 1)" in text
    assert f"total parameters: {4 * 3 + 4 + 4 + 4 + 1:,}" in text
    lines = equations(network)
    assert "  Scale: A (4×m) → (4×m); trained: s[1] (4, 1)" in lines
    assert any(line.startswith("layer 2: dense, sigmoid") for line in lines)
    assert "s[1]" in network.named_parameters()


def test_a_model_file_saves_checks_and_loads_it(scale_registered, tmp_path):
    network = _network()
    path = tmp_path / "scale.vecnn"
    vecnn.save(network, path)
    loaded = vecnn.load(path)
    assert isinstance(loaded.layers[1], Scale)
    np.testing.assert_array_equal(loaded.predict_proba(_X()), network.predict_proba(_X()))


def test_the_model_file_refuses_a_key_the_layer_does_not_take(scale_registered, tmp_path):
    config = _network().config()
    config["layers"][1]["config"]["code"] = "import os"
    with pytest.raises(ValueError, match="bad config"):
        vecnn.Network.from_config(config)
    network = _network()
    path = tmp_path / "scale.vecnn"
    vecnn.save(network, path)
    data = path.read_bytes()
    doctored = data.replace(b'"n":4,"dtype"', b'"m":4,"dtype"', 1)  # same length
    assert doctored != data
    (tmp_path / "bad.vecnn").write_bytes(doctored)
    with pytest.raises(
        ModelFormatError, match=r"layer 2 \(Scale\): config key 'm'.*takes n, dtype"
    ):
        vecnn.load(tmp_path / "bad.vecnn")


def test_the_model_file_checks_the_values_its_config_declares(scale_registered, tmp_path):
    """``Scale.state_shapes`` tells the header's check how much a config asks for, before
    anything is allocated: a doctored ``n`` of 10⁸ is refused, not made."""
    path = tmp_path / "scale.vecnn"
    vecnn.save(_network(), path)
    data = path.read_bytes()
    length = struct.unpack("<Q", data[12:20])[0]
    header = data[20 : 20 + length].replace(b'"n":4,', b'"n":100000000,', 1)
    doctored = data[:12] + struct.pack("<Q", len(header)) + header + data[20 + length :]
    (tmp_path / "huge.vecnn").write_bytes(doctored)
    with pytest.raises(
        ModelFormatError, match="declares 100000021 parameter values but the file stores 25"
    ):
        vecnn.load(tmp_path / "huge.vecnn")


def test_without_registration_a_file_cannot_make_it(tmp_path):
    network = _network()
    with pytest.raises(ValueError, match="unknown layer type 'Scale'"):
        vecnn.Network.from_config(network.config())


def test_register_layer_refuses_what_is_not_a_layer_or_a_second_class_of_a_kind(
    scale_registered,
):
    with pytest.raises(TypeError, match="Layer subclass"):
        register_layer(int)

    class Other(Scale):
        kind = "Scale"

    with pytest.raises(ValueError, match="already"):
        register_layer(Other)
    assert register_layer(Scale) is Scale  # registering again is harmless


def test_the_onnx_export_takes_its_nodes(scale_registered, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    network = _network()
    path = vecnn.onnx.export(network, tmp_path / "scale.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = _X()
    probabilities = session.run(["probabilities"], {"input": X.T.astype(np.float32)})[0]
    np.testing.assert_allclose(probabilities[:, 1], network.predict_proba(X)[0], rtol=1e-5)
