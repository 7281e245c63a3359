"""The estimators' shared base: parameters, the network, prediction, pickling."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

from vecnn.autodiff.mode import no_grad
from vecnn.backend import Array, xp
from vecnn.integrations.sklearn._checks import (
    _FLOATS,
    ACTIVATION_NAMES,
    SOLVERS,
    _bad,
    _check_bool,
    _check_choice,
    _check_int,
    _check_real,
    _hidden_sizes,
)
from vecnn.integrations.sklearn._compat import (
    BaseEstimator,
    check_is_fitted,
    validate_data,
)
from vecnn.integrations.sklearn._loop import _TrainingLoop
from vecnn.integrations.sklearn._pickling import _freeze, _thaw
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.optim import SGD, Adam, AdamW, Optimizer, RMSProp
from vecnn.train import History, Network

# The output activation as scikit-learn's ``out_activation_`` names it.
_OUT_NAMES = {"softmax": "softmax", "sigmoid": "logistic", "linear": "identity"}


# ------------------------------------------------------------------------ the base
class _VecnnMLP(_TrainingLoop, BaseEstimator):
    """What the three estimators share: checks, the network, the training loop, pickling."""

    _is_classifier = False

    # Each subclass lists its own parameters in ``__init__`` (scikit-learn reads them from
    # the signature); these give the architecture.
    def _architecture(self) -> tuple[tuple[int, ...], str, float, bool]:
        """``(hidden sizes, hidden activation, dropout rate, batch_norm)``."""
        return (
            _hidden_sizes(self.hidden_layer_sizes),
            ACTIVATION_NAMES[_check_choice("activation", self.activation, ACTIVATION_NAMES)],
            _check_real("dropout", self.dropout, 0.0, 1.0, "left"),
            _check_bool("batch_norm", self.batch_norm),
        )

    def _check_hyperparameters(self) -> None:
        """A ValueError naming the parameter, its value and the allowed range (in fit)."""
        self._architecture()
        _check_choice("solver", self.solver, SOLVERS)
        _check_real("alpha", self.alpha, 0.0, math.inf, "left")
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _check_int("batch_size", self.batch_size, 1)
        _check_real("learning_rate_init", self.learning_rate_init, 0.0, math.inf, "neither")
        _check_int("max_iter", self.max_iter, 1)
        _check_bool("shuffle", self.shuffle)
        _check_real("tol", self.tol, 0.0, math.inf, "left")
        _check_bool("early_stopping", self.early_stopping)
        fraction = _check_real("validation_fraction", self.validation_fraction, 0.0, 1.0, "left")
        if self.early_stopping and fraction == 0:
            raise _bad("validation_fraction", "in (0, 1) with early_stopping=True", fraction)
        _check_int("n_iter_no_change", self.n_iter_no_change, 1)
        _check_bool("warm_start", self.warm_start)
        _check_real("momentum", self.momentum, 0.0, 1.0, "both")
        _check_bool("nesterovs_momentum", self.nesterovs_momentum)
        _check_real("beta_1", self.beta_1, 0.0, 1.0, "left")
        _check_real("beta_2", self.beta_2, 0.0, 1.0, "left")
        _check_real("epsilon", self.epsilon, 0.0, math.inf, "neither")
        if not isinstance(self.verbose, (bool, Integral)):
            raise _bad("verbose", "a bool or an int", self.verbose)

    # --------------------------------------------------------------- the network
    def _layers(self, n_features: int, n_outputs: int, output: str, dtype: Any, rng: Any) -> list:
        sizes, activation, rate, batch_norm = self._architecture()
        layers: list[Any] = []
        n_prev = n_features
        for n in sizes:
            if batch_norm:
                layers += [
                    Dense(n_prev, n, None, seed=rng, dtype=dtype),
                    BatchNorm(n, dtype=dtype),
                    Activation(activation),
                ]
            else:
                layers.append(Dense(n_prev, n, activation, seed=rng, dtype=dtype))
            if rate > 0:
                layers.append(Dropout(rate))
            n_prev = n
        layers.append(Dense(n_prev, n_outputs, output, seed=rng, dtype=dtype))
        return layers

    def _spec(self, n_features: int, n_outputs: int, output: str) -> tuple:
        return (n_features, n_outputs, output, *self._architecture())

    def _initialize(
        self, n_features: int, n_outputs: int, output: str, task: str, dtype: Any, seed: int
    ) -> None:
        """A fresh network (seeded by ``seed``) and fresh records of training."""
        rng = xp.random.default_rng(seed)
        layers = self._layers(n_features, n_outputs, output, dtype, rng)
        network = Network(layers, seed=rng)
        network.task = task
        network.classes_ = getattr(self, "classes_", None)
        network.history_ = History()
        network.optimizer_ = None
        network.eval()
        self.network_ = network
        self._fitted_spec = self._spec(n_features, n_outputs, output)
        self.n_outputs_ = n_outputs
        self.out_activation_ = _OUT_NAMES[output]
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self.validation_loss_curve_: list[float] | None = None
        self._no_improvement_count = 0
        self._best_weights: dict[str, Array] | None = None
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -math.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = math.inf

    def _make_optimizer(self) -> Optimizer:
        params = self.network_.parameters()
        lr = float(self.learning_rate_init)
        if self.solver == "sgd":
            nesterov = bool(self.nesterovs_momentum) and self.momentum > 0
            return SGD(params, lr, momentum=float(self.momentum), nesterov=nesterov)
        if self.solver == "rmsprop":
            return RMSProp(params, lr, eps=float(self.epsilon))
        kind = Adam if self.solver == "adam" else AdamW
        betas = (float(self.beta_1), float(self.beta_2))
        return kind(params, lr, betas=betas, eps=float(self.epsilon))

    # --------------------------------------------------------------- prediction
    def _logits(self, X: Any) -> Array:
        """``Z[L] (n[L], m)`` for ``X (m, n[0])`` after the checks, in inference mode."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        network = self.network_
        was_training = network.training
        network.eval()
        try:
            with no_grad():
                return network.logits(X.T).data
        finally:
            network.train(was_training)

    # ------------------------------------------------------------- fitted views
    @property
    def coefs_(self) -> list[Array]:
        """Each dense layer's ``W[l]ᵀ``, ``(n[l-1], n[l])`` as scikit-learn lays it out (views)."""
        check_is_fitted(self, "network_")
        return [layer.W.data.T for layer in self.network_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[Array]:
        """Each dense layer's ``b[l]`` as a vector ``(n[l],)`` (views)."""
        check_is_fitted(self, "network_")
        return [layer.b.data[:, 0] for layer in self.network_.layers if isinstance(layer, Dense)]

    # ----------------------------------------------------------------- pickling
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        network = state.pop("network_", None)
        if network is not None:
            state["_network_frozen"] = _freeze(network)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        frozen = state.pop("_network_frozen", None)
        if frozen is not None:
            state["network_"] = _thaw(frozen)
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
