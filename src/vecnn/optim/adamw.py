"""AdamW: Adam with the weight decay decoupled from the gradient."""

from __future__ import annotations

from collections.abc import Iterable

from vecnn.autodiff import Tensor
from vecnn.backend import Array
from vecnn.optim.adam import Adam


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: the decay shrinks W directly, outside the moments.

    With ``t`` the number of updates this parameter has had, this one included::

        W  ← W − αλW                    (decoupled weight decay)
        v  ← β₁v + (1−β₁)dW             (v, s start at 0)
        s  ← β₂s + (1−β₂)dW²
        v̂  = v/(1−β₁ᵗ),  ŝ = s/(1−β₂ᵗ)
        W  ← W − α v̂/(√ŝ + ε)

    State: ``v`` and ``s`` per parameter.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, clip_norm=clip_norm
        )

    def _rule(self, W: Array, g: Array, state: dict[str, Array], t: int) -> None:
        self._adam(W, g, state, t, l2=0.0, decay=self.lr * self.weight_decay)
