"""Adam: momentum and RMSProp together, with the bias of their zero start corrected."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor
from vecnn.backend import Array, xp
from vecnn.optim import _checks
from vecnn.optim.base import Optimizer


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (weight decay is an L2 term added to the gradient).

    With ``t`` the number of updates this parameter has had, this one included::

        dW ← dW + λW
        v  ← β₁v + (1−β₁)dW             (v, s start at 0)
        s  ← β₂s + (1−β₂)dW²
        v̂  = v/(1−β₁ᵗ),  ŝ = s/(1−β₂ᵗ)
        W  ← W − α v̂/(√ŝ + ε)

    State: ``v`` and ``s`` per parameter. For decay decoupled from the gradient, AdamW.
    """

    _hyper_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "clip_norm",
    )

    betas: tuple[float, float]
    eps: float

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, clip_norm=clip_norm
        )

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        checked = super()._check_hyper(hyper)
        owner = type(self).__name__
        betas = hyper["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (β₁, β₂), got {betas!r}")
        checked["betas"] = (
            _checks.unit_interval(owner, "betas[0]", betas[0]),
            _checks.unit_interval(owner, "betas[1]", betas[1]),
        )
        checked["eps"] = _checks.positive(owner, "eps", hyper["eps"])
        return checked

    def _state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return ("v", "s")

    def _update(self, active: list[tuple[int, Array, Array]]) -> None:
        lr, wd = self.lr, self.weight_decay
        for i, W, dW in active:
            a, b = self._scratch[i]
            if wd:
                xp.multiply(W, wd, out=a)
                a += dW
                dW = a
            self._adam(i, W, dW, b, lr)

    def _adam(self, i: int, W: Array, dW: Array, b: Array, lr: float) -> None:
        """The moments and the bias-corrected step for parameter ``i``; ``b`` is scratch."""
        beta1, beta2 = self.betas
        t = self._steps[i] + 1
        step_size = lr / (1.0 - beta1**t)
        inv_sqrt_bc2 = 1.0 / math.sqrt(1.0 - beta2**t)
        v, s = self._state["v"][i], self._state["s"][i]
        v *= beta1
        xp.multiply(dW, 1.0 - beta1, out=b)
        v += b
        s *= beta2
        xp.multiply(dW, dW, out=b)
        b *= 1.0 - beta2
        s += b
        xp.sqrt(s, out=b)
        b *= inv_sqrt_bc2
        b += self.eps
        xp.divide(v, b, out=b)
        b *= step_size
        W -= b
