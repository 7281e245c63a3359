"""Adam: momentum and RMSProp together, with the bias of their zero start corrected."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor
from vecnn.backend import Array, kernels, xp
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

    def _rule(
        self, W: Array, dW: Array, state: dict[str, Array], t: int, scratch: tuple[Array, ...]
    ) -> None:
        self._adam(W, dW, state, t, scratch, l2=self.weight_decay, shrink=1.0)

    def _adam(
        self,
        W: Array,
        dW: Array,
        state: dict[str, Array],
        t: int,
        scratch: tuple[Array, ...],
        l2: float,
        shrink: float,
    ) -> None:
        """``W ← shrink·W``, then the Adam step with ``dW + l2·W``, as ``W``'s ``t``-th update.

        One compiled pass when the kernels are on (``vecnn.backend.kernels``), else the
        NumPy calls below, which are the reference: both do the same operations in order.
        """
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**t)
        inv_sqrt_bc2 = 1.0 / math.sqrt(1.0 - beta2**t)
        v, s = state["v"], state["s"]
        scalars = (
            beta1,
            beta2,
            1.0 - beta1,
            1.0 - beta2,
            step_size,
            inv_sqrt_bc2,
            self.eps,
            l2,
            shrink,
        )
        if kernels.adam(W, dW, v, s, scalars):
            return
        a, b = scratch
        if shrink != 1.0:
            W *= shrink
        if l2:
            xp.multiply(W, l2, out=a)
            a += dW
            dW = a
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
