"""The fast paths compute what the plain path computes.

The optimizers step each dtype's parameters as one flat buffer, and, with Numba
installed, in one compiled pass; the per-parameter NumPy path is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn.backend import kernels

OPTIMIZERS = [
    (vecnn.optim.Adam, {"lr": 1e-2}),
    (vecnn.optim.Adam, {"lr": 1e-2, "weight_decay": 0.1}),
    (vecnn.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.1}),
    (vecnn.optim.SGD, {"lr": 1e-2, "momentum": 0.9, "nesterov": True}),
    (vecnn.optim.RMSProp, {"lr": 1e-2}),
]
SHAPES = [(300, 400), (300, 1), (7, 300), (7, 1)]  # one large enough for the parallel kernel


def _train(cls, kwargs, dtype, kernels_on, per_parameter=False, steps=12, load=False):
    kernels.use_kernels(kernels_on)
    if load:  # the compiled kernel from the first step (not after the NumPy path's rent)
        assert kernels.load()
    try:
        rng = np.random.default_rng(0)
        params = [
            vecnn.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in SHAPES
        ]
        optimizer = cls(params, **kwargs)
        for _ in range(steps):
            for p in params:
                p.grad = rng.standard_normal(p.shape).astype(dtype)
            if per_parameter:  # a parameter whose data was replaced takes the plain path
                params[0].data = params[0].data.copy()
            optimizer.step()
        return [p.data.copy() for p in params], optimizer.state_dict()["arrays"]
    finally:
        kernels.use_kernels(True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS)
def test_flat_step_equals_per_parameter_step(cls, kwargs, dtype):
    flat, flat_state = _train(cls, kwargs, dtype, kernels_on=False)
    plain, plain_state = _train(cls, kwargs, dtype, kernels_on=False, per_parameter=True)
    for a, b in zip(flat, plain, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in flat_state:
        np.testing.assert_array_equal(flat_state[key], plain_state[key])


@pytest.mark.skipif(not kernels.available(), reason="Numba is not installed (extra 'fast')")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS)
def test_compiled_kernel_equals_numpy(cls, kwargs, dtype):
    compiled, compiled_state = _train(cls, kwargs, dtype, kernels_on=True, load=True)
    numpy_path, numpy_state = _train(cls, kwargs, dtype, kernels_on=False)
    for a, b in zip(compiled, numpy_path, strict=True):
        np.testing.assert_array_equal(a, b)  # same operations in the same order: bit for bit
    for key in compiled_state:
        np.testing.assert_array_equal(compiled_state[key], numpy_state[key])


@pytest.mark.parametrize("chunk_bytes", [None, 4004])  # 4004: 1,001 float32, 500 float64
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS[:3])
def test_the_in_place_numpy_path_equals_the_rule(cls, kwargs, dtype, chunk_bytes, monkeypatch):
    monkeypatch.setattr(kernels, "_numba", False)  # as without the 'fast' extra
    if chunk_bytes is not None:  # chunks that do not divide the 122,407 parameters
        monkeypatch.setattr(kernels, "ADAM_CHUNK_BYTES", chunk_bytes)
    assert not kernels.available()
    in_place, in_place_state = _train(cls, kwargs, dtype, kernels_on=True)
    rule, rule_state = _train(cls, kwargs, dtype, kernels_on=False)
    for a, b in zip(in_place, rule, strict=True):
        np.testing.assert_array_equal(a, b)  # the rule's operations in its order: bit for bit
    for key in in_place_state:
        np.testing.assert_array_equal(in_place_state[key], rule_state[key])


@pytest.fixture
def chunk_sizes(monkeypatch):
    """Without Numba; the list of the sizes of the chunks the in-place path steps."""
    monkeypatch.setattr(kernels, "_numba", False)
    sizes = []
    adam_chunk = kernels._adam_chunk

    def counted(W, *args):
        sizes.append(W.size)
        adam_chunk(W, *args)

    monkeypatch.setattr(kernels, "_adam_chunk", counted)
    return sizes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_in_place_path_steps_the_flat_buffer_chunk_by_chunk(dtype, chunk_sizes, monkeypatch):
    monkeypatch.setattr(kernels, "ADAM_CHUNK_BYTES", 800)  # 200 float32 or 100 float64
    chunk = 800 // np.dtype(dtype).itemsize
    params = [vecnn.Tensor(np.ones((7, 73), dtype), requires_grad=True)]  # 511 values
    optimizer = vecnn.optim.AdamW(params, lr=0.1)
    params[0].grad = np.ones((7, 73), dtype)
    optimizer.step()
    assert chunk_sizes == [chunk] * (511 // chunk) + [511 % chunk]
    scratch = list(optimizer._scratch_arrays.values())
    assert [a.shape for pair in scratch for a in pair] == [(chunk,), (chunk,)]  # not 511
    np.testing.assert_allclose(params[0].data, 1 - 0.1 * 0.01 - 0.1, rtol=1e-6)


@pytest.mark.parametrize("size", [10, 262_144])
def test_one_chunk_covers_a_float32_buffer_up_to_a_mebibyte(size, chunk_sizes):
    assert kernels.chunk_length(np.float32) == 262_144
    assert kernels.chunk_length(np.float64) == 131_072
    p = vecnn.Tensor(np.zeros(size, np.float32), requires_grad=True)
    optimizer = vecnn.optim.Adam([p])
    p.grad = np.ones(size, np.float32)
    optimizer.step()
    assert chunk_sizes == [size]


class _CountingNumpy:
    """NumPy, counting the calls of ``numpy.divide``."""

    def __init__(self):
        self.divisions = 0

    def divide(self, *args, **kwargs):
        self.divisions += 1
        return np.divide(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS[:3])
def test_the_in_place_path_skips_dividing_by_a_bias_correction_once_it_rounds_to_one(
    cls, kwargs, dtype, monkeypatch
):
    # β₁ = 0.5, β₂ = 0.6: 1 − βᵗ rounds to 1 from step 25 and 34 (float32), 54 and 74
    # (float64); 80 steps cover before, between and after, in chunks of 1,001 or 500.
    monkeypatch.setattr(kernels, "_numba", False)
    monkeypatch.setattr(kernels, "ADAM_CHUNK_BYTES", 4004)
    kwargs = {**kwargs, "betas": (0.5, 0.6)}
    in_place, in_place_state = _train(cls, kwargs, dtype, kernels_on=True, steps=80)
    rule, rule_state = _train(cls, kwargs, dtype, kernels_on=False, steps=80)
    for a, b in zip(in_place, rule, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in in_place_state:
        np.testing.assert_array_equal(in_place_state[key], rule_state[key])
    counting = _CountingNumpy()
    monkeypatch.setattr(kernels, "numpy", counting)
    n, s = 100, np.ones(100, dtype)
    chunk = (np.empty(n, dtype), np.empty(n, dtype))
    for t, divisions in [(24, 2), (25 if dtype == np.float32 else 54, 1), (80, 0)]:
        counting.divisions = 0
        numbers = (0.5, 0.6, 1e-3, 1e-8, 0.0, 0.0, 1 - 0.5**t, 1 - 0.6**t, 0.5, 0.4)
        kernels._adam_in_place(s.copy(), s, s.copy(), s.copy(), numbers, chunk)
        assert counting.divisions == divisions, t  # v/bc1 and s/bc2, or fewer


def test_parameters_without_a_gradient_keep_their_own_step_count():
    rng = np.random.default_rng(1)
    a = vecnn.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = vecnn.Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    optimizer = vecnn.optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones((3, 2)), None
    optimizer.step()
    before = b.data.copy()
    b.grad = np.ones((3, 1))
    optimizer.step()
    assert optimizer.state_dict()["steps"] == [2, 1]
    # b's first update: Adam's first step moves each entry by lr against the gradient's sign
    np.testing.assert_allclose(b.data, before - 0.1, rtol=1e-6)


def test_mixed_dtypes_are_grouped_separately():
    a = vecnn.Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    b = vecnn.Tensor(np.ones((2, 1), dtype=np.float64), requires_grad=True)
    optimizer = vecnn.optim.SGD([a, b], lr=0.5)
    a.grad, b.grad = np.ones((2, 2), np.float32), np.ones((2, 1))
    optimizer.step()
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_array_equal(a.data, 0.5)
    np.testing.assert_array_equal(b.data, 0.5)


@pytest.mark.parametrize("copy", ["pickle", "deepcopy"])
def test_a_copied_optimizer_still_updates_its_copied_parameters(copy):
    import copy as copying
    import pickle

    net = vecnn.Network.from_sizes([3, 4, 2], output="softmax", seed=0)
    net.optimizer_ = vecnn.optim.Adam(net.parameters(), lr=0.1)
    twin = pickle.loads(pickle.dumps(net)) if copy == "pickle" else copying.deepcopy(net)
    for p in twin.parameters():
        p.grad = np.ones_like(p.data)
    before = [p.data.copy() for p in twin.parameters()]
    twin.optimizer_.step()
    for p, old in zip(twin.parameters(), before, strict=True):
        np.testing.assert_allclose(p.data, old - 0.1, rtol=1e-5)  # Adam's first step: α·sign


def test_a_networks_parameters_are_stepped_in_place_so_handles_stay_live():
    net = vecnn.Network.from_sizes([2, 3, 2], output="softmax", seed=0)
    handle = net.layers[0].W.numpy()
    before = handle.copy()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2, 20)), rng.integers(0, 2, size=20)
    net.fit(X, y, epochs=2, verbose=0)
    net.fit(X, y, epochs=1, optimizer="sgd", lr=0.1, verbose=0)  # a second optimizer
    assert handle is net.layers[0].W.data or np.shares_memory(handle, net.layers[0].W.data)
    assert not np.array_equal(handle, before)  # the handle saw the updates


def test_a_trained_network_pickles_and_trains_on_like_the_original():
    # Arrays over 1,000 bytes unpickle (protocol < 5) as views of the pickle's bytes: the
    # optimizer rebuilt on load must not take those bytes for a flat buffer.
    import pickle

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 200))
    y = (X[0] + X[1] > 0).astype(int)

    def network():
        return vecnn.Network(
            [
                vecnn.nn.Dense(20, 64, activation="relu"),
                vecnn.nn.BatchNorm(64),
                vecnn.nn.Dropout(0.2),
                vecnn.nn.Dense(64, 1, activation="sigmoid"),
            ],
            seed=0,
        )

    net = network()
    net.fit(X, y, epochs=2, verbose=0)
    twin = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(twin.predict_proba(X), net.predict_proba(X))
    net.fit(X, y, epochs=2, verbose=0)
    twin.fit(X, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(twin.predict_proba(X), net.predict_proba(X))
    fresh = pickle.loads(pickle.dumps(network()))  # untrained, too
    fresh.fit(X, y, epochs=1, verbose=0)
    assert np.isfinite(fresh.predict_proba(X)).all()


@pytest.mark.skipif(not kernels.available(), reason="Numba is not installed (extra 'fast')")
def test_numba_is_loaded_only_once_the_numpy_path_has_cost_as_much(monkeypatch):
    """The ski-rental rule: the in-place NumPy path steps first, and the kernel is loaded
    when the path's extra cost reaches the cost of loading it; the numbers are those of
    the NumPy path all along."""
    monkeypatch.setattr(kernels, "_compiled", {})  # as in a process that never loaded it
    monkeypatch.setattr(kernels, "_rented", 0.0)
    per_step = kernels.RENT_PER_CALL_SECONDS + kernels.RENT_PER_VALUE_SECONDS[4] * 122_407
    monkeypatch.setattr(kernels, "NUMBA_LOAD_SECONDS", 5.5 * per_step)
    switching, _ = _train(vecnn.optim.Adam, {"lr": 1e-2}, np.float32, kernels_on=True, steps=5)
    assert "adam" not in kernels._compiled  # five steps cost less than loading Numba
    switching, switching_state = _train(
        vecnn.optim.Adam, {"lr": 1e-2}, np.float32, kernels_on=True, steps=12
    )
    assert "adam" in kernels._compiled  # loaded at the sixth step of all
    monkeypatch.setattr(kernels, "_numba", False)
    numpy_path, numpy_state = _train(
        vecnn.optim.Adam, {"lr": 1e-2}, np.float32, kernels_on=True, steps=12
    )
    for a, b in zip(switching, numpy_path, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in switching_state:
        np.testing.assert_array_equal(switching_state[key], numpy_state[key])


def test_load_says_whether_a_compiled_kernel_can_be_used(monkeypatch):
    monkeypatch.setattr(kernels, "_numba", False)  # as without the 'fast' extra
    assert kernels.load() is False
    monkeypatch.setattr(kernels, "_enabled", False)
    assert kernels.load() is False


def test_the_rent_charges_float64_bytes_more_than_float32_bytes(monkeypatch):
    """float64's NumPy passes cost about twice float32's per byte (benchmarks/NOTES.md):
    charging both at float32's rate would load Numba late for float64 networks."""
    monkeypatch.setattr(kernels, "_compiled", {})
    monkeypatch.setattr(kernels, "_numba", None)
    charged = {}
    for dtype in (np.float32, np.float64):
        monkeypatch.setattr(kernels, "_rented", 0.0)
        W = np.zeros(80_000 // np.dtype(dtype).itemsize, dtype)  # the same 80 kB
        assert kernels._rent(W)  # far below the cost of loading Numba: NumPy steps
        charged[dtype] = kernels._rented - kernels.RENT_PER_CALL_SECONDS
    assert charged[np.float64] > 1.5 * charged[np.float32]
