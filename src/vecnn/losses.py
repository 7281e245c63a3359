"""Loss objects: each turns the network's output and ``Y (n[L], m)`` into the cost ``J``.

Each calls one fused node. The cross-entropies take the logits ``Z[L]`` (the network's
forward pass without its output activation), which is exact for any ``Z``; the squared
error takes ``A[L]``. ``sample_weight`` (``(m,)``, non-negative) makes the mean over the
examples a weighted one, ``J = Σ_i s_i L_i / Σ_i s_i``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import ArrayLike


class Loss:
    """``J = loss(output, Y, sample_weight=None)``; ``takes_logits`` says whether ``output``
    is ``Z[L]`` or ``A[L]``."""

    name: ClassVar[str] = "loss"
    takes_logits: ClassVar[bool] = True
    output_activations: ClassVar[tuple[str, ...]] = ()

    def __call__(
        self, output: Tensor, Y: Tensor | ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Tensor:
        raise NotImplementedError

    def check_output_activation(self, activation: str) -> None:
        """A ValueError when the network's ``g[L]`` does not go with this loss.

        A cross-entropy refuses a linear output: it would train the logits well, but
        ``predict`` and ``predict_proba`` would then read logits as probabilities.
        """
        if activation not in self.output_activations:
            allowed = " or ".join(self.output_activations)
            options = " or ".join(f'output="{name}"' for name in self.output_activations)
            raise ValueError(
                f"the loss '{self.name}' needs a {allowed} output layer; this network's output "
                f"activation is '{activation}', so predict and predict_proba would read its "
                f"outputs (logits) as probabilities. Build the last layer with "
                f'activation="{self.output_activations[0]}" (Network.from_sizes(..., '
                f"{options})); the loss still takes the logits Z[L], so training is unchanged"
            )


class BinaryCrossEntropy(Loss):
    """``J = (1/m) Σ −[y log a + (1 − y) log(1 − a)]`` over sigmoid units, from logits.

    With ``n[L] = 1`` the binary case; with ``n[L] = K`` a collection of K logistic units
    (one-vs-rest multi-class, or multi-label).
    """

    name = "binary_cross_entropy"
    output_activations = ("sigmoid",)

    def __call__(
        self, Z: Tensor, Y: Tensor | ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Tensor:
        return ops.binary_cross_entropy_with_logits(Z, Y, sample_weight)


class CategoricalCrossEntropy(Loss):
    """``J = −(1/m) Σ Y ⊙ log softmax(Z)`` for a softmax output and one-hot ``Y (K, m)``."""

    name = "categorical_cross_entropy"
    output_activations = ("softmax",)

    def __call__(
        self, Z: Tensor, Y: Tensor | ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Tensor:
        return ops.softmax_cross_entropy_with_logits(Z, Y, sample_weight)


class MeanSquaredError(Loss):
    """``J = (1/(m n[L])) Σ (A − Y)²`` for regression (several outputs too)."""

    name = "mse"
    takes_logits = False
    output_activations = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")

    def __call__(
        self, A: Tensor, Y: Tensor | ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Tensor:
        return ops.mean_squared_error(A, Y, sample_weight)


LOSSES: dict[str, type[Loss]] = {
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "categorical_cross_entropy": CategoricalCrossEntropy,
    "cross_entropy": CategoricalCrossEntropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}

DEFAULT_LOSS_FOR_OUTPUT = {
    "sigmoid": "binary_cross_entropy",
    "softmax": "categorical_cross_entropy",
}


def get_loss(loss: Any, output_activation: str) -> Loss:
    """The loss named ``loss`` (or the object itself); None picks one from ``g[L]``.

    A sigmoid output gets the binary cross-entropy, a softmax the categorical one, any
    other the mean squared error.
    """
    if isinstance(loss, Loss):
        chosen = loss
    elif loss is None:
        chosen = LOSSES[DEFAULT_LOSS_FOR_OUTPUT.get(output_activation, "mse")]()
    elif isinstance(loss, str) and loss.lower() in LOSSES:
        chosen = LOSSES[loss.lower()]()
    else:
        known = ", ".join(LOSSES)
        raise ValueError(f"unknown loss {loss!r}; choose one of: {known}")
    chosen.check_output_activation(output_activation)
    return chosen


def l2_penalty(weights: Iterable[Tensor], lam: float, m: float) -> Tensor | None:
    """``(λ / (2m)) Σ_l ‖W[l]‖²`` (the squared Frobenius norms), or None when ``λ = 0``.

    With weighted examples ``m`` is their total weight ``Σ s_i``.
    """
    if lam == 0:
        return None
    total = None
    for W in weights:
        term = (W * W).sum()
        total = term if total is None else total + term
    return None if total is None else total * (lam / (2 * m))
