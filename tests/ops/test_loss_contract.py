"""Every fused loss keeps the loss contract (``check_fused_loss``)."""

from __future__ import annotations

import numpy as np
import pytest
from loss_contract import check_fused_loss

from vecnn import ops


def _log_softmax(Z):
    top = Z.max(axis=0)
    return Z - (top + np.log(np.exp(Z - top).sum(axis=0)))


LOSSES = {
    "binary_cross_entropy_with_logits": (
        ops.binary_cross_entropy_with_logits,
        lambda Z, Y: (np.logaddexp(0.0, Z) - Y * Z).sum(axis=0),
        lambda rng, K, m: (rng.random((K, m)) < 0.5).astype(float),
    ),
    "softmax_cross_entropy_with_logits": (
        ops.softmax_cross_entropy_with_logits,
        lambda Z, Y: -(Y * _log_softmax(Z)).sum(axis=0),
        lambda rng, K, m: rng.dirichlet(np.ones(K), size=m).T,  # soft labels: distributions
    ),
    "mean_squared_error": (
        ops.mean_squared_error,
        lambda A, Y: ((A - Y) ** 2).mean(axis=0),
        lambda rng, K, m: rng.normal(size=(K, m)),
    ),
}


@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (4, 1)], ids=str)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_fused_loss_keeps_the_contract(name, shape):
    check_fused_loss(*LOSSES[name], shape=shape)


def test_every_fused_loss_is_checked():
    fused = {name for name in ops.__all__ if name.endswith(("_with_logits", "squared_error"))}
    assert fused == set(LOSSES)
