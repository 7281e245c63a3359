"""Inverted dropout: in training, each unit is kept with probability ``1 − rate``."""

from __future__ import annotations

from numbers import Real
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import dtype_name, to_device
from vecnn.backend.host import xp as host_xp
from vecnn.nn.layer import GraphBuilder, Layer, Seed, as_generator


class Dropout(Layer):
    """``A = A_prev ⊙ D / (1 − rate)`` with ``D`` a fresh 0/1 mask each forward in training.

    Dividing by the keep probability keeps the expected activation unchanged, so
    inference (``eval()``) passes ``A_prev`` through untouched. The mask comes from the
    network's random generator (or ``seed`` when the layer is used alone). In data-parallel
    training ``global_batch`` (set by ``vecnn.distributed``) has the global batch's width
    ``B`` and this rank's ``columns``: the mask is drawn ``(n, B)`` and those columns kept.
    """

    kind = "Dropout"
    stochastic = True

    def __init__(self, rate: float, seed: Seed = None) -> None:
        super().__init__()
        if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1); got {rate!r}")
        self.rate = float(rate)
        self.rng = as_generator(seed)

    def forward(self, A_prev: Tensor) -> Tensor:
        if not self.training or self.rate == 0.0:
            return A_prev
        keep = 1.0 - self.rate
        data = A_prev.data if isinstance(A_prev, Tensor) else A_prev
        dtype = host_xp.dtype(dtype_name(data.dtype))
        # drawn on the host, so that a seed gives the same masks on every backend
        if self.global_batch is None:
            drawn = self.rng.random(data.shape, dtype=dtype)
        else:
            shape = (data.shape[0], self.global_batch.width)
            drawn = self.rng.random(shape, dtype=dtype)[:, self.global_batch.columns]
        mask = (drawn < keep) / dtype.type(keep)
        return ops.mul(A_prev, to_device(mask.astype(dtype, copy=False)))

    @property
    def final_activation(self) -> None:
        return None  # the identity in inference: the layer before decides

    def config(self) -> dict[str, Any]:
        return {"rate": self.rate}

    def summary_cells(self) -> tuple[str, str, str]:
        return "", "", f"rate {self.rate:g}"

    def equations(self, l: int, n_prev: int, loss: str | None = None) -> list[str]:
        return [f"  dropout: A = A ⊙ D / (1 − {self.rate:g}) in training, D a random 0/1 mask"]

    def onnx_nodes(self, graph: GraphBuilder, A_prev: str, l: int) -> str:
        return graph.node("Identity", [A_prev], f"A_{l}")  # inverted dropout: inference
