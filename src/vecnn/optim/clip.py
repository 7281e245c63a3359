"""Gradient clipping by the global norm over all parameters (``clip_grad_norm_`` in PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from vecnn.autodiff import Tensor
from vecnn.backend import Array, xp
from vecnn.optim import _checks


def clip_grad_norm(params: Tensor | Iterable[Tensor], max_norm: float) -> float:
    """Scale the gradients in place so that their global norm is at most ``max_norm``.

    With ``‖g‖ = √(Σ_params Σ dW²)`` over every parameter that has a gradient (those whose
    ``grad`` is None are skipped), each gradient becomes ``dW · max_norm / (‖g‖ + 1e-6)``
    when that factor is below 1, and is left alone otherwise. Returns ``‖g‖`` before
    clipping, as a Python float (0.0 when no parameter has a gradient).
    """
    max_norm = _checks.positive("clip_grad_norm", "max_norm", max_norm)
    if isinstance(params, Tensor):
        params = [params]
    grads = []
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm: expected Tensors, got {type(p).__name__}")
        if p.grad is None:
            continue
        if not isinstance(p.grad, Array):  # a NumPy scalar cannot be scaled in place
            p.grad = xp.asarray(p.grad)
        grads.append(p.grad)
    return clip_arrays(grads, max_norm)


def clip_arrays(grads: Sequence[Array], max_norm: float) -> float:
    """``clip_grad_norm`` on the gradient arrays themselves (the optimizers' step uses it)."""
    total = 0.0
    for g in grads:
        flat = xp.reshape(g, (-1,))
        total += float(xp.vecdot(flat, flat))
    total_norm = math.sqrt(total)
    coef = max_norm / (total_norm + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total_norm
