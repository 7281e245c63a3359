"""``check_layer``: what every layer type promises, checked in one place.

As Keras's ``run_layer_test`` and Chainer's ``check_backward``: given a layer and an input
size, it checks the output shape ``(n[l], m)``, every parameter's gradient against finite
differences in float64, the config and state round trips, and the train/eval modes.
"""

from __future__ import annotations

import numpy as np

import vecnn
from vecnn import Tensor
from vecnn.nn import LAYER_TYPES, Layer


def _fixed_randomness(layer: Layer) -> None:
    """The same dropout mask at every call, so finite differences see one function."""
    if layer.rng is not None or layer.kind == "Dropout":
        layer.rng = np.random.default_rng(0)


def _run(layer: Layer, A_prev: np.ndarray) -> np.ndarray:
    _fixed_randomness(layer)
    with vecnn.no_grad():
        return layer(Tensor(A_prev)).data


def check_layer(layer: Layer, n_in: int, m: int = 6, tolerance: float = 1e-6) -> None:
    """Assert the layer contract for ``layer`` (float64) on inputs ``(n_in, m)``."""
    rng = np.random.default_rng(1)
    A_prev = rng.normal(size=(n_in, m))
    n_out = layer.n_out if layer.n_out is not None else n_in

    # the shape in the notation, in both modes, and the output's dtype
    for training in (True, False):
        layer.train(training)
        A = _run(layer, A_prev)
        assert A.shape == (n_out, m), f"{layer.kind}: {A.shape} != (n[l], m) = {(n_out, m)}"
        assert A.dtype == np.float64

    # every parameter's gradient (and the input's) against finite differences
    layer.train(True)
    upstream = rng.normal(size=(n_out, m))
    originals = dict(layer.params)
    names = list(originals)

    def cost(A_prev: Tensor, *values: Tensor) -> Tensor:
        layer.params.update(zip(names, values, strict=True))  # the checked copies
        _fixed_randomness(layer)
        saved = {name: array.copy() for name, array in layer.buffer_arrays.items()}
        out = layer(A_prev)
        for name, array in saved.items():  # running statistics: not part of the function
            layer.buffer_arrays[name][...] = array
        return (out * upstream).sum()

    try:
        error = vecnn.grad_check(cost, A_prev, *originals.values())
    finally:
        layer.params.update(originals)
    assert error < tolerance, f"{layer.kind}: gradient check {error:.2e} ≥ {tolerance}"

    # config: plain JSON values from which the registry rebuilds an equal layer
    config = layer.config()
    assert all(isinstance(v, (str, int, float, bool, type(None))) for v in config.values())
    twin = LAYER_TYPES[layer.kind].from_config(config)
    assert twin.config() == config

    # state: the twin with the layer's parameters and buffers computes the same output
    for name, p in layer.params.items():
        twin.params[name].data[...] = p.data
    for name, array in layer.buffer_arrays.items():
        twin.buffer_arrays[name][...] = array
    layer.eval()
    twin.eval()
    np.testing.assert_array_equal(_run(twin, A_prev), _run(layer, A_prev))

    # eval mode is deterministic and leaves the state alone
    before = {name: array.copy() for name, array in layer.buffer_arrays.items()}
    np.testing.assert_array_equal(_run(layer, A_prev), _run(layer, A_prev))
    for name, array in layer.buffer_arrays.items():
        np.testing.assert_array_equal(array, before[name])
