"""Adam: momentum and RMSProp together, with the bias of their zero start corrected."""

from __future__ import annotations

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
        self._scratch_arrays: dict[Any, tuple[Array, Array]] = {}
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

    def _scratch(self, W: Array) -> tuple[Array, Array]:
        """Two arrays like ``W`` (one chunk of a flat buffer) for the in-place fast path,
        made on their first use and kept."""
        key = (W.shape, W.dtype)
        if key not in self._scratch_arrays:
            self._scratch_arrays[key] = (xp.empty_like(W), xp.empty_like(W))
        return self._scratch_arrays[key]

    def _rule(self, W: Array, g: Array, state: dict[str, Array], t: int) -> None:
        self._adam(W, g, state, t, l2=self.weight_decay, decay=0.0)

    def _adam(
        self, W: Array, g: Array, state: dict[str, Array], t: int, l2: float, decay: float
    ) -> None:
        """``W ← W − decay·W``, then the Adam step with ``g + l2·W``, as ``W``'s ``t``-th
        update (Adam: ``decay = 0``; AdamW: ``l2 = 0``).

        The lines below are the rule; a fast path (``vecnn.backend.kernels``: Numba or
        in-place NumPy, an element-wise CUDA kernel on CuPy) may do the same operations
        in the same order instead.
        """
        (β1, β2), α, ε = self.betas, self.lr, self.eps
        v, s = state["v"], state["s"]
        numbers = (β1, β2, α, ε, l2, decay, 1 - β1**t, 1 - β2**t)
        if kernels.adam(W, g, v, s, numbers, self._scratch):
            return
        if decay:
            W -= decay * W
        if l2:
            g = g + l2 * W
        v[...] = β1 * v + (1 - β1) * g
        s[...] = β2 * s + (1 - β2) * (g * g)
        v_hat = v / (1 - β1**t)
        s_hat = s / (1 - β2**t)
        W -= α * v_hat / (xp.sqrt(s_hat) + ε)
