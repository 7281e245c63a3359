"""Per-example weights: ``J = Σ s_i L_i / Σ s_i`` in the fused losses and in ``fit``."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import vecnn
from vecnn import Network, ops

LOSSES = {
    "bce": ops.binary_cross_entropy_with_logits,
    "softmax_ce": ops.softmax_cross_entropy_with_logits,
    "mse": ops.mean_squared_error,
}


def _per_example_losses(loss: str, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``L_i (m,)`` computed independently of vecnn, in float64."""
    if loss == "bce":
        return (np.logaddexp(0.0, Z) - Y * Z).sum(axis=0)
    if loss == "softmax_ce":
        top = Z.max(axis=0)
        log_probs = Z - (top + np.log(np.exp(Z - top).sum(axis=0)))
        return -(Y * log_probs).sum(axis=0)
    return ((Z - Y) ** 2).mean(axis=0)


def _targets(loss: str, rng: np.random.Generator, K: int, m: int) -> np.ndarray:
    if loss == "bce":
        return (rng.random((K, m)) < 0.5).astype(float)
    if loss == "softmax_ce":
        return np.eye(K)[:, rng.integers(0, K, size=m)]
    return rng.normal(size=(K, m))


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_weighted_loss_is_the_weighted_mean_of_the_examples_losses(loss):
    rng = np.random.default_rng(1)
    K, m = 3, 7
    Z, Y, s = rng.normal(size=(K, m)) * 3, _targets(loss, rng, K, m), rng.random(m) * 2
    J = LOSSES[loss](vecnn.Tensor(Z), Y, s).item()
    expected = (s * _per_example_losses(loss, Z, Y)).sum() / s.sum()
    assert J == pytest.approx(expected, rel=1e-13)
    # unit weights are the plain mean, and the weights' scale does not matter
    assert LOSSES[loss](vecnn.Tensor(Z), Y, np.ones(m)).item() == pytest.approx(
        LOSSES[loss](vecnn.Tensor(Z), Y).item(), rel=1e-14
    )
    assert LOSSES[loss](vecnn.Tensor(Z), Y, 5 * s).item() == pytest.approx(J, rel=1e-13)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_weighted_loss_gradients_match_finite_differences(loss):
    rng = np.random.default_rng(2)
    K, m = 4, 6
    Z = vecnn.Tensor(rng.normal(size=(K, m)) * 2, requires_grad=True)
    Y = vecnn.Tensor(_targets(loss, rng, K, m), requires_grad=True)
    s = rng.random(m) * 3
    s[1] = 0.0  # an example that weighs nothing has no gradient
    assert vecnn.grad_check(lambda Z, Y: LOSSES[loss](Z, Y, s), Z, Y) < 1e-7
    LOSSES[loss](Z, Y, s).backward()
    assert not Z.grad[:, 1].any()


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_weight_of_two_is_a_repeated_example(loss):
    rng = np.random.default_rng(3)
    K, m = 3, 5
    Z, Y = rng.normal(size=(K, m)), _targets(loss, rng, K, m)
    weighted = vecnn.Tensor(Z, requires_grad=True)
    LOSSES[loss](weighted, Y, np.array([2.0, 1, 1, 1, 1])).backward()
    repeated = vecnn.Tensor(np.column_stack([Z, Z[:, :1]]), requires_grad=True)
    J = LOSSES[loss](repeated, np.column_stack([Y, Y[:, :1]]))
    J.backward()
    assert J.item() == pytest.approx(LOSSES[loss](vecnn.Tensor(Z), Y, [2, 1, 1, 1, 1]).item())
    expected = repeated.grad[:, :m].copy()
    expected[:, 0] += repeated.grad[:, m]
    np.testing.assert_allclose(weighted.grad, expected, rtol=1e-12)


def test_bad_weights_for_a_loss_are_named():
    Z, Y = vecnn.Tensor(np.zeros((1, 3))), np.zeros((1, 3))
    with pytest.raises(vecnn.ShapeError, match=r"sample_weight must be \(m,\) = \(3,\)"):
        ops.binary_cross_entropy_with_logits(Z, Y, np.ones(4))
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        ops.mean_squared_error(Z, Y, np.zeros(3))
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        ops.mean_squared_error(Z, Y, [1.0, -1.0, 1.0])


def test_float32_weighted_losses_stay_float32():
    Z = vecnn.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    J = ops.softmax_cross_entropy_with_logits(Z, np.eye(2)[:, [0, 1, 1]], [1.0, 2.0, 3.0])
    J.backward()
    assert J.dtype == np.float32 and Z.grad.dtype == np.float32


# ------------------------------------------------------------------------------ fit
def _data(m=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    y = (X[0] + X[1] > 0).astype(int)
    return X, y


def _trained(X, y, **options):
    net = Network.from_sizes([3, 4, 1], hidden="tanh", output="sigmoid", seed=0, dtype="float64")
    settings = dict(optimizer="sgd", lr=0.3, epochs=5, batch_size=None, shuffle=False)
    history = net.fit(X, y, **{**settings, "verbose": 0, **options})
    return net, history


def test_fit_with_integer_weights_is_fit_on_repeated_examples():
    """Full-batch gradient descent: a weight of k is the example k times, step for step
    (with l2 the penalty's m is Σ s_i, the repeated data's m)."""
    X, y = _data()
    counts = np.arange(len(y)) % 3  # 0, 1 or 2 copies
    weighted, history = _trained(X, y, sample_weight=counts, l2=0.5)
    repeated, expected = _trained(np.repeat(X, counts, axis=1), np.repeat(y, counts), l2=0.5)
    for mine, theirs in zip(weighted.parameters(), repeated.parameters(), strict=True):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-10, atol=1e-12)
    # the epoch's loss is the mean J per example of the batch: one batch here
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-10)


def test_weights_whose_sum_overflows_are_refused_naming_the_fix():
    X, y = _data()
    with pytest.raises(ValueError, match=r"too large.*divide the weights by a common factor"):
        _trained(X, y, sample_weight=np.full(len(y), 1e308))
    big, _ = _trained(X, y, sample_weight=np.full(len(y), 1e290))  # the sums stay finite
    assert all(np.isfinite(p.data).all() for p in big.parameters())


def test_unit_weights_are_the_unweighted_fit_exactly():
    X, y = _data()
    plain, _ = _trained(X, y, batch_size=8, shuffle=True)
    ones, _ = _trained(X, y, batch_size=8, shuffle=True, sample_weight=np.ones(len(y)))
    for a, b in zip(plain.parameters(), ones.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_batch_whose_weights_are_all_zero_makes_no_step():
    X, y = _data(m=8)
    steps = []

    class Steps(vecnn.Callback):
        def on_batch_end(self, network, step, logs):
            steps.append(step)

    weights = np.array([0, 0, 0, 0, 1, 2, 1, 1], dtype=float)
    net, _ = _trained(X, y, batch_size=4, epochs=1, sample_weight=weights, callbacks=[Steps()])
    alone, _ = _trained(X[:, 4:], y[4:], batch_size=4, epochs=1, sample_weight=weights[4:])
    assert steps == [0]
    for a, b in zip(net.parameters(), alone.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_skipped_batch_leaves_the_epochs_loss_and_accuracy_alone():
    X, y = _data(m=8)
    weights = np.array([0, 0, 0, 0, 1, 2, 1, 1], dtype=float)
    _, history = _trained(X, y, batch_size=4, epochs=2, sample_weight=weights)
    _, alone = _trained(X[:, 4:], y[4:], batch_size=4, epochs=2, sample_weight=weights[4:])
    assert history["loss"] == alone["loss"]  # not diluted by the 4 examples never trained on
    assert history["accuracy"] == alone["accuracy"]


@pytest.mark.parametrize("side", ["training", "validation"])
def test_validation_split_refuses_a_side_whose_weights_are_all_zero(side, monkeypatch):
    fit_module = sys.modules["vecnn.train.fit"]  # (vecnn.train.fit is the function)
    X, y = _data()
    held_out = lambda m, fraction, rng, labels=None: (np.arange(30), np.arange(30, 40))  # noqa: E731
    monkeypatch.setattr(fit_module, "split_validation", held_out)
    weights = np.zeros(40)
    weights[30:] = 1.0 if side == "training" else 0.0
    weights[:30] = 1.0 if side == "validation" else 0.0
    net = Network.from_sizes([3, 4, 1], output="sigmoid", seed=0)
    with pytest.raises(ValueError, match=f"every {side} example.*validation_split=0.25"):
        net.fit(X, y, validation_split=0.25, sample_weight=weights, verbose=0)


def test_validation_weights_weigh_the_validation_loss():
    X, y = _data()
    s_val = np.linspace(0, 2, len(y))
    net, history = _trained(X, y, validation_data=(X, y, s_val), epochs=1)
    with vecnn.no_grad():
        Z = net.logits(X).data
    L = np.logaddexp(0.0, Z[0]) - y * Z[0]
    assert history["val_loss"][0] == pytest.approx((s_val * L).sum() / s_val.sum(), rel=1e-12)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.ones(3), r"sample_weight.shape == \(3,\), expected \(40,\)"),
        (np.ones((40, 1)), "1D array or scalar"),
        (-np.ones(40), "Negative values"),
        (np.zeros(40), "at least one non-zero"),
        (np.full(40, np.nan), "sample_weight contains NaN"),
    ],
)
def test_bad_sample_weights_are_refused_naming_the_problem(weights, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        _trained(X, y, sample_weight=weights)


def test_a_number_weighs_every_example_alike():
    X, y = _data()
    plain, _ = _trained(X, y)
    scaled, _ = _trained(X, y, sample_weight=3.0)  # Σ s L / Σ s: the same cost
    for a, b in zip(plain.parameters(), scaled.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
