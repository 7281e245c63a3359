"""vecnn.grad_check: a public tool, so it must catch a wrong gradient, not only pass."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Function, Tensor


class WrongSquare(Function):
    """x² with a deliberately wrong derivative (x instead of 2x)."""

    name = "wrong_square"

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dout):
        return (dout * self.x,)


def test_small_for_a_correct_gradient():
    rng = np.random.default_rng(1)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    X = rng.normal(size=(4, 6))
    assert vecnn.grad_check(lambda W: (W @ X).tanh().sum(), W) < 1e-8


def test_large_for_a_wrong_gradient():
    x = Tensor(np.array([1.0, 2.0, -3.0]), requires_grad=True)
    error = vecnn.grad_check(lambda x: WrongSquare.apply(x).sum(), x)
    # analytic g = x, numeric ĝ = 2x: ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) = 1/3 (‖g‖ + ‖ĝ‖ > 1)
    assert error == pytest.approx(1 / 3, rel=1e-6)


def test_a_truly_zero_gradient_is_not_judged_by_round_off():
    # softmax is unchanged by adding the same b to every row: dJ/db is exactly 0
    z = Tensor(np.array([[0.1257], [-0.1321]]), requires_grad=True)
    b = Tensor(np.array([[0.6404]]), requires_grad=True)
    weights = np.array([[0.3], [-1.2]])
    assert vecnn.grad_check(lambda z, b: ((z + b).softmax() * weights).sum(), z, b) < 1e-8


def test_small_but_wrong_gradients_are_still_caught():
    x = Tensor(np.array([1e-3, -2e-3]), requires_grad=True)
    assert vecnn.grad_check(lambda x: WrongSquare.apply(x).sum(), x) > 1e-4


def test_report_names_the_worst_entry_per_input():
    a = Tensor(np.array([1.0, 5.0]), requires_grad=True, name="a")
    b = Tensor(np.array([2.0]), requires_grad=True, name="b")
    checks = vecnn.grad_check(
        lambda a, b: WrongSquare.apply(a).sum() + (b * b).sum(), a, b, report=True
    )
    assert [c.name for c in checks] == ["a", "b"]
    assert checks[0].worst_entry == (1,)
    assert checks[0].analytic == pytest.approx(5.0)
    assert checks[0].numeric == pytest.approx(10.0, rel=1e-6)
    assert checks[1].relative_error < 1e-8


def test_runs_in_float64_and_leaves_inputs_untouched():
    x = Tensor(np.array([0.3, 0.4], dtype=np.float32), requires_grad=True)
    seen = []

    def f(x):
        seen.append(x.dtype)
        return (x * x).sum()

    vecnn.grad_check(f, x)
    assert set(seen) == {np.dtype(np.float64)}
    assert x.grad is None and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, np.array([0.3, 0.4], dtype=np.float32))


def test_requires_a_scalar_output():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="scalar"):
        vecnn.grad_check(lambda x: x * 2, x)
