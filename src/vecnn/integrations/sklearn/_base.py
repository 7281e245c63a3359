"""The estimators' shared base: parameters, the network, fitting, prediction, pickling."""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import Any, NamedTuple

from vecnn.backend.host import Array, xp
from vecnn.data import check_sample_weight
from vecnn.integrations.sklearn._checks import (
    _FLOATS,
    ACTIVATION_NAMES,
    SOLVERS,
    _bad,
    _check_bool,
    _check_choice,
    _check_int,
    _check_real,
    _derive_seed,
    _hidden_sizes,
)
from vecnn.integrations.sklearn._compat import (
    BaseEstimator,
    ConvergenceWarning,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    issparse,
    train_test_split,
    validate_data,
)
from vecnn.integrations.sklearn._pickling import _freeze, _thaw
from vecnn.integrations.sklearn._stopping import (
    HeldOut,
    StoppingRule,
    as_columns,
    logits_of_rows,
)
from vecnn.losses import Loss
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.nn.layer import Generator, Layer
from vecnn.optim import SGD, Adam, AdamW, Optimizer, RMSProp
from vecnn.train import History, Network, TrainingDivergedError


class Architecture(NamedTuple):
    """The hidden layers an estimator's parameters ask for."""

    sizes: tuple[int, ...]
    activation: str
    dropout: float
    batch_norm: bool


# Sparse X is accepted in these formats (others are converted to CSR), as scikit-learn's MLP.
_SPARSE = ("csr", "csc")

# The output activation as scikit-learn's ``out_activation_`` names it.
_OUT_NAMES = {"softmax": "softmax", "sigmoid": "logistic", "linear": "identity"}


# ------------------------------------------------------------------------ the base
class _VecnnMLP(BaseEstimator):
    """What the three estimators share: checks, the network, fitting, pickling."""

    _is_classifier = False
    _loss: Loss | None = None  # None: the loss that goes with the output activation

    # Each subclass lists its own parameters in ``__init__`` (scikit-learn reads them from
    # the signature); these give the architecture.
    def _architecture(self) -> Architecture:
        """The hidden layers' sizes, activation, dropout rate and batch normalization."""
        return Architecture(
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
    def _layers(
        self, n_features: int, n_outputs: int, output: str, dtype: Any, rng: Generator
    ) -> list[Layer]:
        """The layers (their weights are then drawn by ``_draw_initial_weights``)."""
        sizes, activation, rate, batch_norm = self._architecture()
        glorot = {"seed": rng, "dtype": dtype, "init": "xavier_uniform"}
        layers: list[Any] = []
        n_prev = n_features
        for n in sizes:
            if batch_norm:
                layers += [
                    Dense(n_prev, n, None, **glorot),
                    BatchNorm(n, dtype=dtype),
                    Activation(activation),
                ]
            else:
                layers.append(Dense(n_prev, n, activation, **glorot))
            if rate > 0:
                layers.append(Dropout(rate))
            n_prev = n
        layers.append(Dense(n_prev, n_outputs, output, **glorot))
        return layers

    def _draw_initial_weights(self, network: Network, seed: int) -> None:
        """Each dense layer's ``W[l]`` and ``b[l]`` drawn as scikit-learn's MLP draws them:
        ``U(±√(f/(n[l-1] + n[l])))`` with ``f = 6`` (``f = 2`` for logistic hidden units),
        layer by layer, ``W[l]ᵀ`` then ``b[l]``, from ``RandomState(random_state)``. With an
        int ``random_state`` both start from the same weights."""
        state = check_random_state(
            self.random_state if isinstance(self.random_state, Integral) else seed
        )
        factor = 2.0 if self._architecture().activation == "sigmoid" else 6.0
        for layer in network.layers:
            if isinstance(layer, Dense):
                bound = math.sqrt(factor / (layer.n_in + layer.n_out))
                coef = state.uniform(-bound, bound, (layer.n_in, layer.n_out))
                layer.W.data[...] = coef.T
                layer.b.data[...] = state.uniform(-bound, bound, layer.n_out)[:, None]

    def _spec(self, n_features: int, n_outputs: int, output: str) -> tuple:
        return (n_features, n_outputs, output, *self._architecture())

    def _initialize(
        self, n_features: int, n_outputs: int, output: str, task: str, dtype: Any, seed: int
    ) -> None:
        """A fresh network (seeded by ``seed``) and fresh records of training."""
        rng = xp.random.default_rng(seed)
        layers = self._layers(n_features, n_outputs, output, dtype, rng)
        network = Network(layers, seed=rng)
        self._draw_initial_weights(network, seed)
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

    # ------------------------------------------------------------------ fitting
    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        validation_data: Any = None,
        incremental: bool = False,
        classes: Any = None,
    ) -> Any:
        """``fit`` (``incremental=False``) and ``partial_fit``: checks, then ``_fit_stochastic``."""
        self._check_hyperparameters()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        if incremental and first and self._is_classifier and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=_SPARSE,
            dtype=_FLOATS,
            multi_output=True,
            y_numeric=not self._is_classifier,
            reset=first,
        )
        if issparse(X):
            X = X.tocsr()  # a mini-batch (and the validation split) is a gather of rows
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        mode = "new" if first else ("subset" if incremental else "same")
        Y, output, task, index = self._encode(y, mode, classes)
        class_weights = None if index is None else self._class_weights(index, incremental)
        weights = check_sample_weight(sample_weight, X.shape[0])
        if class_weights is not None:
            weights = class_weights if weights is None else weights * class_weights
        if weights is not None and (weights == 1).all():
            weights = None  # unit weights: exactly the unweighted computation
        seed = _derive_seed(self.random_state)
        if first:
            self._initialize(X.shape[1], Y.shape[1], output, task, X.dtype, seed)
        elif self._spec(X.shape[1], Y.shape[1], output) != self._fitted_spec:
            raise ValueError(
                "warm_start/partial_fit: the network's architecture (hidden_layer_sizes, "
                "activation, dropout, batch_norm, outputs) changed since the last fit; set "
                "warm_start=False to start again"
            )
        elif self.early_stopping and self.validation_scores_ is None:
            self.validation_scores_, self.best_validation_score_ = [], -math.inf
        network = self.network_
        network.threshold = float(getattr(self, "threshold", network.threshold))  # the neuron's θ
        if not incremental or network.optimizer_ is None:
            network.optimizer_ = self._make_optimizer()
        held_out = None
        if validation_data is not None:
            held_out = self._validation_data(validation_data)
        elif self.early_stopping and not incremental:
            train, held_out = self._validation_split(X, y, Y, weights, seed)
            X, Y, weights = X[train], Y[train], None if weights is None else weights[train]
        if held_out is not None and self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
        self._fit_stochastic(X, Y, weights, held_out, incremental)
        return self

    def _validation_data(self, validation_data: Any) -> HeldOut:
        """``validation_data = (X_val, y_val)``, checked as ``X`` and ``y`` are."""
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val, y_val = validate_data(
            self, X_val, y_val, accept_sparse=_SPARSE, dtype=_FLOATS, multi_output=True, reset=False
        )
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        return HeldOut(X_val, self._encode(y_val, "subset", None)[0], y_val, None)

    def _validation_split(
        self, X: Array, y: Array, Y: Array, weights: Array | None, seed: int
    ) -> tuple[Array, HeldOut]:
        """``validation_fraction`` of the examples held out (stratified for labels): the
        indices of the rest, and the held-out examples."""
        stratify = y if self._is_classifier and y.ndim == 1 else None
        train, val = train_test_split(
            xp.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=seed,
            stratify=stratify,
        )
        if len(val) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        return train, HeldOut(X[val], Y[val], y[val], None if weights is None else weights[val])

    def _batch_size(self, m: int) -> int:
        """The mini-batch size: ``min(200, m)`` for ``"auto"``, as scikit-learn's MLP."""
        if isinstance(self.batch_size, str):
            return min(200, m)
        if self.batch_size > m:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=5,
            )
        return min(int(self.batch_size), m)

    def _fit_stochastic(
        self,
        X: Array,
        Y: Array,
        weights: Array | None,
        held_out: HeldOut | None,
        incremental: bool,
    ) -> None:
        """``Network.fit`` on ``X (m, n[0])``, ``Y (m, n[L])`` (rows; it gets ``X.T``, ``Y.T``)
        until scikit-learn's stopping rule holds; one epoch for ``partial_fit``."""
        network = self.network_
        m = X.shape[0]
        if m < 2 and self._architecture().batch_norm:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to train; got n_samples = {m}"
            )
        rule = StoppingRule(self, m, held_out, self.early_stopping and not incremental)
        validation = None
        if held_out is not None:
            w = held_out.w if held_out.w is not None and held_out.w.any() else None
            validation = (as_columns(held_out.X), held_out.Y.T, w)
        if not incremental:
            self.n_iter_ = 0
        earlier = network.history_
        try:
            network.fit(
                as_columns(X),
                Y.T,
                loss=self._loss,
                optimizer=network.optimizer_,
                epochs=1 if incremental else self.max_iter,
                batch_size=self._batch_size(m),
                shuffle=self.shuffle,
                validation_data=validation,
                callbacks=[rule],
                verbose=0,
                l2=float(self.alpha),
                classes=getattr(self, "classes_", None) if self._task_has_classes() else None,
                sample_weight=weights,
            )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        except TrainingDivergedError as error:
            raise TrainingDivergedError(
                f"{error.where}: training stopped before that step changed the weights. Try a "
                f"lower learning_rate_init ({network.optimizer_.lr:g} now) or scale the inputs "
                "(e.g. StandardScaler in a Pipeline)",
                where=error.where,
            ) from None
        finally:  # partial_fit and warm starts add their epochs to the earlier ones
            if network.history_ is not earlier:
                earlier.extend(network.history_)
                network.history_ = earlier
        if not incremental and not rule.stopped and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _task_has_classes(self) -> bool:
        return self._is_classifier and not getattr(self, "_multilabel", False)

    # --------------------------------------------------------------- prediction
    def _logits(self, X: Any) -> Array:
        """``Z[L] (n[L], m)`` for ``X (m, n[0])`` after the checks, in inference mode."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, accept_sparse=_SPARSE, dtype=_FLOATS, reset=False)
        return logits_of_rows(self.network_, X, self._prediction_rows())

    def _prediction_rows(self) -> int:
        """How many rows of a sparse ``X`` are densified at a time: a training batch."""
        return 200 if isinstance(self.batch_size, str) else int(self.batch_size)

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
        tags.input_tags.sparse = True
        return tags
