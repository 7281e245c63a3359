"""The data losses of the training loop, weighted per example."""

from __future__ import annotations

from typing import Any

from vecnn import ops
from vecnn.autodiff.function import Function
from vecnn.backend import Array, xp
from vecnn.ops.elementwise import stable_sigmoid


# ----------------------------------------------------------------------------- losses
class _WeightedSigmoidCrossEntropy(Function):
    """``J = (1/m) Σ_i s_i Σ_k [max(z, 0) − z y + log(1 + e^(−|z|))]`` for ``Z, Y (n[L], m)``.

    The stable logistic loss of ``ops.binary_cross_entropy_with_logits`` with a weight
    ``s_i`` per column (``s`` is ``(1, m)``); ``dZ = s ⊙ (σ(Z) − Y) / m``.
    """

    name = "weighted_sigmoid_cross_entropy"

    def forward(self, Z: Array, Y: Array, s: Array) -> Array:
        self.Z, self.Y, self.s, self.m = Z, Y, s, Z.shape[1]
        self.e = xp.exp(-xp.abs(Z))
        losses = xp.maximum(Z, 0) - Z * Y + xp.log1p(self.e)
        return xp.asarray((losses * s).sum() / self.m, dtype=Z.dtype)

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        dZ = None
        if self.needs_grad[0]:
            dZ = (stable_sigmoid(self.Z, self.e) - self.Y) * (self.s * (dout / self.m))
        return (dZ, None, None)


def _data_loss(output: str, Z: Any, Y: Array, s: Array | None) -> Any:
    """The mean loss of the columns of ``Z (n[L], m)`` against ``Y``, weighted by ``s (1, m)``.

    ``s`` (or None for unit weights) is scaled so that its mean is 1: the result is then
    ``Σ s_i L_i / Σ s_i``, scikit-learn's weighted average.
    """
    if output == "softmax":
        return ops.softmax_cross_entropy_with_logits(Z, Y if s is None else Y * s)
    if output == "sigmoid":
        if s is None:
            return ops.binary_cross_entropy_with_logits(Z, Y)
        return _WeightedSigmoidCrossEntropy.apply(Z, Y, s)
    if s is None:  # half the squared error, averaged over the outputs (scikit-learn's)
        return ops.mean_squared_error(Z, Y) * 0.5
    root = xp.sqrt(s)
    return ops.mean_squared_error(ops.mul(Z, root), Y * root) * 0.5
