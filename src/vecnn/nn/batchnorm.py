"""Batch normalization: each unit normalized across the ``m`` examples of the batch."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import dtype_name, xp
from vecnn.nn.dense import check_dtype
from vecnn.nn.layer import Layer


class BatchNorm(Layer):
    """``A = γ ⊙ (Z − μ)/√(σ² + ε) + β`` per unit, for ``Z (n, m)``; ``γ, β`` are ``(n, 1)``.

    In training ``μ`` and ``σ²`` are the batch's, and running estimates follow them
    (``r ← (1 − momentum) r + momentum · batch``); in inference (``eval()``) the running
    estimates are used, so a single example can be predicted. In data-parallel training
    ``global_batch`` (set by ``vecnn.distributed``) makes the statistics those of the
    global batch (synchronized batch norm).
    """

    kind = "BatchNorm"

    def __init__(
        self, n: int, momentum: float = 0.1, eps: float = 1e-5, dtype: Any = "float32"
    ) -> None:
        super().__init__()
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"BatchNorm: n must be a positive integer; got {n!r}")
        n = int(n)
        if not 0 < momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in (0, 1]; got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be positive; got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.dtype = check_dtype(dtype)
        self.params = {
            "gamma": Tensor(xp.ones((n, 1), dtype=self.dtype), requires_grad=True, name="gamma"),
            "beta": Tensor(xp.zeros((n, 1), dtype=self.dtype), requires_grad=True, name="beta"),
        }
        self.buffer_arrays = {
            "running_mean": xp.zeros((n, 1), dtype=self.dtype),
            "running_var": xp.ones((n, 1), dtype=self.dtype),
        }
        self.global_batch: Any = None

    @property
    def n_in(self) -> int:
        return self.params["gamma"].shape[0]

    @property
    def n_out(self) -> int:
        return self.n_in

    def forward(self, A_prev: Tensor) -> Tensor:
        return ops.batch_norm(
            A_prev,
            self.params["gamma"],
            self.params["beta"],
            self.buffer_arrays["running_mean"],
            self.buffer_arrays["running_var"],
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
            sync=self.global_batch,
        )

    def config(self) -> dict[str, Any]:
        return {
            "n": self.n_in,
            "momentum": self.momentum,
            "eps": self.eps,
            "dtype": dtype_name(self.dtype),
        }
