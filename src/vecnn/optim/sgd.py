"""Stochastic gradient descent, with optional momentum (heavy ball or Nesterov)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor
from vecnn.backend import Array
from vecnn.optim import _checks
from vecnn.optim.base import Optimizer


class SGD(Optimizer):
    """Gradient descent, as ``torch.optim.SGD`` (no dampening).

    With ``λ`` the weight decay (an L2 term added to the gradient) and ``μ`` the momentum::

        dW ← dW + λW
        v  ← μv + dW                    (only when μ > 0; v starts at 0)
        W  ← W − α v                    (momentum)
        W  ← W − α (dW + μv)            (nesterov=True)
        W  ← W − α dW                   (μ = 0: plain gradient descent)

    State: ``v`` per parameter when ``momentum > 0``.
    """

    _hyper_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "momentum",
        "nesterov",
        "weight_decay",
        "clip_norm",
    )

    momentum: float
    nesterov: bool

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            nesterov=nesterov,
            weight_decay=weight_decay,
            clip_norm=clip_norm,
        )

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        checked = super()._check_hyper(hyper)
        checked["momentum"] = _checks.non_negative("SGD", "momentum", hyper["momentum"])
        if not isinstance(hyper["nesterov"], bool):
            raise TypeError(f"SGD: nesterov must be True or False, got {hyper['nesterov']!r}")
        checked["nesterov"] = hyper["nesterov"]
        if checked["nesterov"] and checked["momentum"] <= 0.0:
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 (allowed range (0, ∞)), "
                f"got momentum={hyper['momentum']!r}"
            )
        return checked

    def _state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return ("v",) if hyper["momentum"] > 0.0 else ()

    def _rule(self, W: Array, g: Array, state: dict[str, Array], t: int) -> None:
        α, μ, λ = self.lr, self.momentum, self.weight_decay
        if λ:
            g = g + λ * W
        if μ:
            v = state["v"]
            v[...] = μ * v + g
            g = g + μ * v if self.nesterov else v
        W -= α * g
