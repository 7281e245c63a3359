"""MLPRegressor."""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.tensor import Tensor
from vecnn.backend.host import Array, xp
from vecnn.integrations.sklearn._base import _VecnnMLP
from vecnn.integrations.sklearn._compat import (
    RegressorMixin,
    r2_score,
)
from vecnn.losses import MeanSquaredError


class HalfSquaredError(MeanSquaredError):
    """Half the mean squared error, scikit-learn's ``MLPRegressor`` cost:
    ``L_i = (1/(2 n[L])) Σ_k (a_k − y_k)²``."""

    def __call__(self, A: Any, Y: Any, sample_weight: Any = None) -> Tensor:
        return super().__call__(A, Y, sample_weight) * 0.5


class MLPRegressor(RegressorMixin, _VecnnMLP):
    """A multi-layer perceptron regressor trained by vecnn, with scikit-learn's interface.

    Linear output units and half the squared error (as scikit-learn's ``MLPRegressor``);
    ``y`` is ``(n_samples,)`` or ``(n_samples, n_targets)``. Parameters and fitted attributes
    as ``MLPClassifier`` (no ``head``, ``class_weight``, ``classes_``); the validation score
    of early stopping is R².
    """

    _score_function = staticmethod(r2_score)
    _loss = HalfSquaredError()

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batch_norm = batch_norm

    def _encode(self, y: Array, mode: str, classes: Any) -> tuple[Array, str, str, None]:
        Y = y.reshape(len(y), -1).astype(xp.float64, copy=False)
        if mode != "new" and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} targets; the network was fit on {self.n_outputs_}"
            )
        return Y, "linear", "regression", None

    def _predict_from_logits(self, Z: Array) -> Array:
        return Z[0] if Z.shape[0] == 1 else Z.T

    def fit(self, X: Any, y: Any, sample_weight: Any = None, validation_data: Any = None) -> Any:
        """Train on ``X (n_samples, n_features)`` and targets ``y``; return ``self``.

        ``sample_weight`` weights each example's squared error. ``validation_data=(X_val,
        y_val)`` is evaluated after each epoch (``validation_loss_curve_``); with
        ``early_stopping`` it replaces the ``validation_fraction`` split.
        """
        return self._fit(X, y, sample_weight=sample_weight, validation_data=validation_data)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """One epoch over ``X, y``."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X: Any) -> Array:
        """``(n_samples,)`` for one target, else ``(n_samples, n_targets)``."""
        return self._predict_from_logits(self._logits(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
