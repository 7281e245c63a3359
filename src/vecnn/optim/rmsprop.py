"""RMSProp: each weight's step divided by a running root mean square of its gradients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor
from vecnn.backend import Array, xp
from vecnn.optim import _checks
from vecnn.optim.base import Optimizer


class RMSProp(Optimizer):
    """RMSProp: the rule of ``torch.optim.RMSprop`` with ``alpha=rho`` (not centered, no
    momentum, ε outside the square root), with Keras's defaults ``lr=1e-3``, ``rho=0.9``
    (PyTorch's are ``lr=1e-2``, ``alpha=0.99``) and PyTorch's ``eps=1e-8`` (Keras: 1e-7).

    With ``ρ`` the decay of the running average and ``λ`` the weight decay (L2)::

        dW ← dW + λW
        s  ← ρs + (1−ρ)dW²              (s starts at 0)
        W  ← W − α dW/(√s + ε)

    ε is added outside the square root, as PyTorch does. State: ``s`` per parameter.
    """

    _hyper_names: ClassVar[tuple[str, ...]] = ("lr", "rho", "eps", "weight_decay", "clip_norm")

    rho: float
    eps: float

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(
            params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, clip_norm=clip_norm
        )

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        checked = super()._check_hyper(hyper)
        owner = type(self).__name__
        checked["rho"] = _checks.unit_interval(owner, "rho", hyper["rho"])
        checked["eps"] = _checks.positive(owner, "eps", hyper["eps"])
        return checked

    def _state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return ("s",)

    def _rule(self, W: Array, g: Array, state: dict[str, Array], t: int) -> None:
        α, ρ, ε, λ = self.lr, self.rho, self.eps, self.weight_decay
        if λ:
            g = g + λ * W
        s = state["s"]
        s[...] = ρ * s + (1 - ρ) * (g * g)
        W -= α * g / (xp.sqrt(s) + ε)
