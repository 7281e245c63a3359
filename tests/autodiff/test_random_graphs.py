"""Hypothesis: random shapes and random compositions of operations back-propagate correctly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import vecnn
from vecnn import Tensor

# Smooth unary steps that keep values in a range where every later step is defined.
UNARY = {
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "exp_of_bounded": lambda t: (t.tanh() * 2).exp(),  # bounded: exp of exp cannot overflow
    "log_of_positive": lambda t: (t * t + 1).log(),
    "sqrt_of_positive": lambda t: (t * t + 0.5).sqrt(),
    "square_of_bounded": lambda t: (t.tanh() * 2) ** 2,  # bounded: four t² would give t¹⁶
    "softmax": lambda t: t.softmax(axis=0),
    "log_softmax": lambda t: t.log_softmax(axis=0),
    "transpose_twice": lambda t: t.T.T,
    "negate": lambda t: -t,
    "scale": lambda t: 1.5 * t - 0.25,
    "divide": lambda t: t / (t * t + 2),
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
}

dims = st.integers(min_value=1, max_value=4)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: the bias (n, 1), a row (1, m), a scalar, …"""
    n, m = draw(dims), draw(dims)
    full = (n, m)
    choices = [(n, m), (n, 1), (1, m), (1, 1), (m,), ()]
    return full, draw(st.sampled_from(choices))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    steps=st.lists(st.sampled_from(sorted(UNARY)), min_size=1, max_size=5),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_compositions_match_finite_differences(data, steps, seed):
    shapes = data.draw(broadcast_pair())
    binary = data.draw(st.sampled_from(sorted(BINARY)))
    rng = np.random.default_rng(seed)
    a = Tensor(rng.normal(size=shapes[0]), requires_grad=True)
    b = Tensor(rng.normal(size=shapes[1]), requires_grad=True)
    weights = rng.normal(size=shapes[0])

    def f(a, b):
        out = BINARY[binary](a, b)
        for step in steps:
            out = UNARY[step](out)
        return (out * weights).sum()

    # A wrong derivative gives an error of order 1; compositions whose gradients are all
    # near zero (log of log of t² + 1 at t ≈ 0) leave finite differences ~1e-5 relative.
    assert vecnn.grad_check(f, a, b) < 1e-4


@settings(max_examples=30, deadline=None)
@given(n=dims, n_prev=dims, m=dims, seed=st.integers(0, 2**31 - 1))
def test_random_dense_stacks_match_finite_differences(n, n_prev, m, seed):
    rng = np.random.default_rng(seed)
    W1 = Tensor(rng.normal(size=(n, n_prev)), requires_grad=True)
    b1 = Tensor(rng.normal(size=(n, 1)), requires_grad=True)
    W2 = Tensor(rng.normal(size=(2, n)), requires_grad=True)
    b2 = Tensor(rng.normal(size=(2, 1)), requires_grad=True)
    X = rng.normal(size=(n_prev, m))
    Y = np.eye(2)[:, rng.integers(0, 2, size=m)]

    def cost(W1, b1, W2, b2):
        A1 = vecnn.ops.dense(W1, X, b1).tanh()
        return vecnn.ops.softmax_cross_entropy_with_logits(vecnn.ops.dense(W2, A1, b2), Y)

    assert vecnn.grad_check(cost, W1, b1, W2, b2) < 1e-6
