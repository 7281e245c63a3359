"""The anomaly mode names the operation that first produces NaN or infinity."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Tensor


def test_forward_anomaly_names_the_operation():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    with (
        vecnn.detect_anomaly(),
        np.errstate(invalid="ignore"),
        pytest.raises(FloatingPointError, match="'log' produced NaN"),
    ):
        (x * 2).log()


def test_backward_anomaly_names_the_operation():
    # sqrt(x²) at x = 0: the forward is finite, sqrt's derivative 1/(2√0) is infinite
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with vecnn.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = (x * x).sqrt().sum()
        with pytest.raises(
            FloatingPointError, match="'sqrt' produced an infinite value in its backward"
        ):
            y.backward()


def test_only_the_first_operation_is_blamed_and_the_mode_is_scoped():
    x = Tensor(np.array([np.nan, 1.0]), requires_grad=True)
    with vecnn.detect_anomaly():
        (x * 2).exp()  # given NaN: not the first to produce it
    assert not vecnn.autodiff.is_anomaly_enabled()
    with np.errstate(invalid="ignore"):
        Tensor(np.array([-1.0])).log()  # outside the mode: NumPy's NaN, no error


def test_fit_stops_on_a_non_finite_gradient_before_changing_the_weights(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2, 40)), rng.integers(0, 2, size=40)
    net = vecnn.Network.from_sizes([2, 3, 1], seed=0)
    before = {k: v.copy() for k, v in net.state_dict().items()}
    from vecnn.ops.fused import Dense

    original = Dense.backward

    def poisoned(self, dZ):
        grads = list(original(self, dZ))
        if grads[0] is not None:
            grads[0] = grads[0] * np.nan
        return tuple(grads)

    monkeypatch.setattr(Dense, "backward", poisoned)
    with pytest.raises(vecnn.TrainingDivergedError, match="gradient became infinite or NaN"):
        net.fit(X, y, epochs=2, verbose=0)
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
