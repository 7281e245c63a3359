"""Batch normalization: each unit normalized across the ``m`` examples of the batch."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import dtype_name, to_numpy, xp
from vecnn.nn.dense import check_dtype
from vecnn.nn.layer import Generator, GraphBuilder, Layer, shape_text, stored_size


class BatchNorm(Layer):
    """``A = γ ⊙ (Z − μ)/√(σ² + ε) + β`` per unit, for ``Z (n, m)``; ``γ, β`` are ``(n, 1)``.

    In training ``μ`` and ``σ²`` are the batch's, and running estimates follow them
    (``r ← (1 − momentum) r + momentum · batch``); in inference (``eval()``) the running
    estimates are used, so a single example can be predicted. In data-parallel training
    ``global_batch`` (set by ``vecnn.distributed``) makes the statistics those of the
    global batch (synchronized batch norm). ``BatchNorm()`` (``n`` None) takes ``n`` from
    the layer before it, or from the first ``X``, as ``Dense(n_out)`` does.
    """

    kind = "BatchNorm"
    min_batch = 2  # a variance needs two examples

    def __init__(
        self,
        n: int | None = None,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        if n is not None and (isinstance(n, bool) or not isinstance(n, Integral) or n < 1):
            raise ValueError(f"BatchNorm: n must be a positive integer; got {n!r}")
        if not 0 < momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in (0, 1]; got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be positive; got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.dtype = check_dtype(dtype)
        if n is not None:
            self.build(int(n))

    @property
    def built(self) -> bool:
        return bool(self.params)

    def make_parameters(self, n_in: int, rng: Generator | None) -> None:
        """``γ = 1``, ``β = 0`` and the running statistics (mean 0, variance 1), ``(n, 1)``."""
        n = n_in
        self.params = {
            "gamma": Tensor(xp.ones((n, 1), dtype=self.dtype), requires_grad=True, name="gamma"),
            "beta": Tensor(xp.zeros((n, 1), dtype=self.dtype), requires_grad=True, name="beta"),
        }
        self.buffer_arrays = {
            "running_mean": xp.zeros((n, 1), dtype=self.dtype),
            "running_var": xp.ones((n, 1), dtype=self.dtype),
        }

    @property
    def n_in(self) -> int | None:
        return self.params["gamma"].shape[0] if self.params else None

    @property
    def n_out(self) -> int | None:
        return self.n_in

    def forward(self, A_prev: Tensor) -> Tensor:
        if not self.params:  # alone, the first call sizes it (a network sizes it before)
            self.build(A_prev.shape[0])
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

    @classmethod
    def state_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        n = stored_size(config, "n")
        return {key: (n, 1) for key in ("gamma", "beta", "running_mean", "running_var")}

    def summary_cells(self) -> tuple[str, str, str]:
        shape = f"({self.n_in or '?'}, 1)"
        return f"γ {shape}", f"β {shape}", ""

    def equations(self, l: int, n_prev: int, loss: str | None = None) -> list[str]:
        return [
            f"  batch norm on layer {l}: Ẑ = (Z − μ) / √(σ² + ε), A = γ ⊙ Ẑ + β, with μ, σ² "
            f"over the m columns; γ[{l}], β[{l}] {shape_text(self.n_in, 1)}"
        ]

    def onnx_nodes(self, graph: GraphBuilder, A_prev: str, l: int) -> str:
        """``BatchNormalization`` with the running statistics: the inference form."""
        arrays = {**{key: p.data for key, p in self.params.items()}, **self.buffer_arrays}
        inputs = [A_prev] + [
            graph.constant(f"{key}_{l}", to_numpy(arrays[key]).reshape(-1))
            for key in ("gamma", "beta", "running_mean", "running_var")
        ]
        return graph.node("BatchNormalization", inputs, f"A_{l}", epsilon=self.eps)
