"""Batch normalization as one node: each unit (row) normalized across the ``m`` columns."""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, xp
from vecnn.errors import ShapeError


class BatchNormalize(Function):
    """``out = γ ⊙ Ẑ + β`` with ``Ẑ = (Z − μ) / √(σ² + ε)``, ``μ``, ``σ²`` per row of ``Z (n, m)``.

    In training the statistics are the batch's (``σ²`` the biased variance) and the
    running ones move towards them: ``r ← (1 − momentum) r + momentum · batch`` (the
    running variance uses the unbiased ``m/(m−1)`` estimate, as PyTorch). In inference the
    running statistics are used. Backward (training), with ``dẐ = dout ⊙ γ``:
    ``dZ = (1/(m √(σ²+ε))) (m dẐ − Σ dẐ − Ẑ ⊙ Σ (dẐ ⊙ Ẑ))``, ``dγ = Σ dout ⊙ Ẑ``, ``dβ = Σ dout``
    (sums over the columns).

    With ``sync`` (data-parallel training: ``Z`` holds this rank's columns of a global batch
    of ``sync.width``), ``m`` is the global batch's and every column sum above is summed over
    the ranks with ``sync.allreduce_``: ``Σ Z``, then ``Σ (Z − μ)²`` (the same two passes),
    and in backward ``Σ dẐ`` with ``Σ dẐ ⊙ Ẑ`` in one call (synchronized batch norm).
    """

    name = "batch_norm"

    def __init__(
        self,
        running_mean: Array,
        running_var: Array,
        training: bool,
        momentum: float,
        eps: float,
        sync: Any = None,
    ) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps
        self.sync = sync if training else None

    def forward(self, Z: Array, gamma: Array, beta: Array) -> Array:
        n = Z.shape[0]
        if Z.ndim != 2 or gamma.shape != (n, 1) or beta.shape != (n, 1):
            raise ShapeError(
                f"batch_norm: Z must be (n, m) with gamma and beta (n, 1); got Z {Z.shape}, "
                f"gamma {gamma.shape}, beta {beta.shape}"
            )
        if self.training:
            m = Z.shape[1] if self.sync is None else self.sync.width
            if m < 2:
                raise ValueError(
                    "batch_norm in training needs at least 2 examples (columns) per batch to "
                    f"estimate a variance; got m = {m}. Use a larger batch or call eval()"
                )
            if self.sync is None:
                mean = xp.mean(Z, axis=1, keepdims=True)
                centered = Z - mean
                var = xp.mean(centered * centered, axis=1, keepdims=True)
            else:
                mean = self.sync.allreduce_(xp.sum(Z, axis=1, keepdims=True)) / m
                centered = Z - mean
                var = self.sync.allreduce_(xp.sum(centered * centered, axis=1, keepdims=True)) / m
            momentum = self.momentum
            self.running_mean *= 1 - momentum
            self.running_mean += momentum * mean
            self.running_var *= 1 - momentum
            self.running_var += (momentum * m / (m - 1)) * var
        else:
            centered = Z - self.running_mean
            var = self.running_var
        self.inv_std = 1 / xp.sqrt(var + self.eps)
        self.Z_hat = centered * self.inv_std
        self.gamma = gamma
        del self.running_mean, self.running_var
        return self.Z_hat * gamma + beta

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        need_Z, need_gamma, need_beta = self.needs_grad
        Z_hat = self.Z_hat
        dZ = None
        if need_Z:
            dZ_hat = dout * self.gamma
            if self.training:
                m = dout.shape[1]
                sums = (
                    xp.sum(dZ_hat, axis=1, keepdims=True),
                    xp.sum(dZ_hat * Z_hat, axis=1, keepdims=True),
                )
                if self.sync is not None:
                    m = self.sync.width
                    sums = self.sync.allreduce_(xp.stack(sums))
                dZ = (m * dZ_hat - sums[0] - Z_hat * sums[1]) * (self.inv_std / m)
            else:
                dZ = dZ_hat * self.inv_std
        return (
            dZ,
            xp.sum(dout * Z_hat, axis=1, keepdims=True) if need_gamma else None,
            xp.sum(dout, axis=1, keepdims=True) if need_beta else None,
        )


def batch_norm(
    Z: Any,
    gamma: Any,
    beta: Any,
    running_mean: Array,
    running_var: Array,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
    sync: Any = None,
) -> Tensor:
    """Normalize each row of ``Z (n, m)`` across the columns, then scale by γ and shift by β.

    ``running_mean`` and ``running_var`` (arrays ``(n, 1)``) are updated in place when
    ``training``; they are used instead of the batch statistics otherwise.
    """
    return BatchNormalize.apply(
        Z,
        gamma,
        beta,
        running_mean=running_mean,
        running_var=running_var,
        training=bool(training),
        momentum=float(momentum),
        eps=float(eps),
        sync=sync,
    )
