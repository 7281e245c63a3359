"""``check_fused_loss``: what every fused loss promises, checked in one place.

As tinygrad's ``helper_test_op``: the fused node against an independent NumPy value of
``J = Σ_i s_i L_i / Σ_i s_i`` (``L_i`` per example), its closed-form gradients against
finite differences in float64 (weighted and not), unit weights equal to none, and the
dtype kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import vecnn
from vecnn import Tensor


def check_fused_loss(
    loss: Callable[..., Tensor],
    per_example: Callable[[np.ndarray, np.ndarray], np.ndarray],
    targets: Callable[[np.random.Generator, int, int], np.ndarray],
    shape: tuple[int, int] = (3, 5),
) -> None:
    """``loss(Z, Y, sample_weight)`` against ``per_example(Z, Y) -> L (m,)``."""
    K, m = shape
    rng = np.random.default_rng(K * 100 + m)
    Z, Y, s = rng.normal(size=shape) * 2, targets(rng, K, m), rng.random(m) + 0.1
    for weights in (None, s):
        expected = per_example(Z, Y)
        expected = expected.mean() if weights is None else (s * expected).sum() / s.sum()
        assert loss(Tensor(Z), Y, weights).item() == pytest.approx(expected, rel=1e-12)
        Zt, Yt = Tensor(Z, requires_grad=True), Tensor(Y, requires_grad=True)
        assert vecnn.grad_check(lambda z, y, w=weights: loss(z, y, w), Zt, Yt) < 1e-7
    unit = loss(Tensor(Z), Y, np.ones(m)).item()
    assert unit == pytest.approx(loss(Tensor(Z), Y).item(), rel=1e-14)
    Z32 = Tensor(Z.astype(np.float32), requires_grad=True)
    J = loss(Z32, Y, s)
    J.backward()
    assert J.dtype == np.float32 and Z32.grad.dtype == np.float32
