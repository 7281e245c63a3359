"""The estimators: MLPClassifier, NeuronClassifier and MLPRegressor, and ``_MLP``, what
they share (the parameters' checks, the network, fitting with ``Network.fit``, prediction,
pickling); last, how they train with ``Network.fit``: rows as vecnn's columns (sparse ones
densified a batch at a time), the held-out examples, and scikit-learn's stopping rule as a
callback (``_StoppingRule``).

Three levels: ``_MLP(BaseEstimator)``; ``MLPClassifier`` (labels, class weights, the
classifier's outputs) and ``MLPRegressor`` on it; ``NeuronClassifier`` is the
``MLPClassifier`` with no hidden layer, a threshold and two classes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Integral
from typing import Any, NamedTuple

from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from vecnn.autodiff.mode import no_grad
from vecnn.autodiff.tensor import Tensor
from vecnn.backend.host import Array, xp
from vecnn.data import SparseColumns, check_sample_weight, minibatches
from vecnn.integrations.sklearn.checks import (
    ACTIVATION_NAMES,
    FLOATS,
    HEADS,
    SOLVERS,
    SPARSE_FORMATS,
    bad_parameter,
    check_bool,
    check_choice,
    check_int,
    check_real,
    derive_seed,
    hidden_sizes,
    unique_labels,
    validate_data,
)
from vecnn.integrations.sklearn.pickling import freeze_network, thaw_network
from vecnn.losses import Loss, MeanSquaredError
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.nn.layer import Generator, Layer
from vecnn.ops.elementwise import stable_sigmoid
from vecnn.ops.softmax import log_softmax_and_softmax
from vecnn.optim import SGD, Adam, AdamW, Optimizer, RMSProp
from vecnn.train import Callback, History, Network, TrainingDivergedError


class _Architecture(NamedTuple):
    """The hidden layers an estimator's parameters ask for."""

    sizes: tuple[int, ...]
    activation: str
    dropout: float
    batch_norm: bool


# The output activation as scikit-learn's ``out_activation_`` names it.
_OUT_NAMES = {"softmax": "softmax", "sigmoid": "logistic", "linear": "identity"}


# ------------------------------------------------------------------------ the base
class _MLP(BaseEstimator):
    """What the three estimators share: checks, the network, fitting, prediction, pickling."""

    _is_classifier = False
    _loss: Loss | None = None  # None: the loss that goes with the output activation

    # Each subclass lists its own parameters in ``__init__`` (scikit-learn reads them from
    # the signature); these give the architecture.
    def _architecture(self) -> _Architecture:
        """The hidden layers' sizes, activation, dropout rate and batch normalization."""
        return _Architecture(
            hidden_sizes(self.hidden_layer_sizes),
            ACTIVATION_NAMES[check_choice("activation", self.activation, ACTIVATION_NAMES)],
            check_real("dropout", self.dropout, 0.0, 1.0, "left"),
            check_bool("batch_norm", self.batch_norm),
        )

    def _check_hyperparameters(self) -> None:
        """A ValueError naming the parameter, its value and the allowed range (in fit)."""
        self._architecture()
        check_choice("solver", self.solver, SOLVERS)
        check_real("alpha", self.alpha, 0.0, math.inf, "left")
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_int("batch_size", self.batch_size, 1)
        check_real("learning_rate_init", self.learning_rate_init, 0.0, math.inf, "neither")
        check_int("max_iter", self.max_iter, 1)
        check_bool("shuffle", self.shuffle)
        check_real("tol", self.tol, 0.0, math.inf, "left")
        check_bool("early_stopping", self.early_stopping)
        fraction = check_real("validation_fraction", self.validation_fraction, 0.0, 1.0, "left")
        if self.early_stopping and fraction == 0:
            raise bad_parameter(
                "validation_fraction", "in (0, 1) with early_stopping=True", fraction
            )
        check_int("n_iter_no_change", self.n_iter_no_change, 1)
        check_bool("warm_start", self.warm_start)
        check_real("momentum", self.momentum, 0.0, 1.0, "both")
        check_bool("nesterovs_momentum", self.nesterovs_momentum)
        check_real("beta_1", self.beta_1, 0.0, 1.0, "left")
        check_real("beta_2", self.beta_2, 0.0, 1.0, "left")
        check_real("epsilon", self.epsilon, 0.0, math.inf, "neither")
        if not isinstance(self.verbose, (bool, Integral)):
            raise bad_parameter("verbose", "a bool or an int", self.verbose)

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
            accept_sparse=SPARSE_FORMATS,
            dtype=FLOATS,
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
        seed = derive_seed(self.random_state)
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

    def _validation_data(self, validation_data: Any) -> _HeldOut:
        """``validation_data = (X_val, y_val)``, checked as ``X`` and ``y`` are."""
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val, y_val = validate_data(
            self,
            X_val,
            y_val,
            accept_sparse=SPARSE_FORMATS,
            dtype=FLOATS,
            multi_output=True,
            reset=False,
        )
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        return _HeldOut(X_val, self._encode(y_val, "subset", None)[0], y_val, None)

    def _validation_split(
        self, X: Array, y: Array, Y: Array, weights: Array | None, seed: int
    ) -> tuple[Array, _HeldOut]:
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
        return train, _HeldOut(X[val], Y[val], y[val], None if weights is None else weights[val])

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
        held_out: _HeldOut | None,
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
        rule = _StoppingRule(self, m, held_out, self.early_stopping and not incremental)
        validation = None
        if held_out is not None:
            w = held_out.w if held_out.w is not None and held_out.w.any() else None
            validation = (_as_columns(held_out.X), held_out.Y.T, w)
        if not incremental:
            self.n_iter_ = 0
        earlier = network.history_
        try:
            network.fit(
                _as_columns(X),
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
        X = validate_data(self, X, accept_sparse=SPARSE_FORMATS, dtype=FLOATS, reset=False)
        return _logits_of_rows(self.network_, X, self._prediction_rows())

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
            state["_network_frozen"] = freeze_network(network)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        frozen = state.pop("_network_frozen", None)
        if frozen is not None:
            state["network_"] = thaw_network(frozen)
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _MLP):
    """A multi-layer perceptron classifier trained by vecnn, with scikit-learn's interface.

    The parameters shared with ``sklearn.neural_network.MLPClassifier`` mean the same (see
    the module docstring); ``solver`` is ``"adam"``, ``"sgd"`` (with ``momentum``,
    ``nesterovs_momentum``), ``"rmsprop"`` or ``"adamw"``. In addition:

    - ``dropout``: the rate of an inverted dropout after each hidden layer (training only);
    - ``batch_norm``: batch normalization between each hidden layer's ``Z`` and activation;
    - ``head``: ``"softmax"`` (one softmax output, the categorical cross-entropy) or
      ``"ovr"`` (one sigmoid unit per class, each a logistic loss; ``predict_proba``
      normalizes them). Two classes always use one sigmoid unit, as scikit-learn does;
    - ``class_weight``: None, ``"balanced"`` (``n / (K · count(class))``) or
      ``{label: weight}``: the weight of each example's class in the cost.

    Fitted: ``network_`` (the ``vecnn.Network``; it predicts from ``X.T``), ``classes_``,
    ``n_features_in_``, ``feature_names_in_`` (for a DataFrame with string column names),
    ``loss_curve_``, ``validation_loss_curve_`` (None without validation data),
    ``validation_scores_``/``best_validation_score_`` (accuracy, with early stopping),
    ``best_loss_``, ``loss_``, ``n_iter_`` (epochs of the last fit; partial_fit adds one),
    ``t_`` (examples seen), ``n_outputs_``, ``out_activation_``, and ``coefs_``/
    ``intercepts_`` as views of the weights in scikit-learn's layout.
    """

    _is_classifier = True
    _binary_only = False
    _score_function = staticmethod(accuracy_score)

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
        head: str = "softmax",
        class_weight: Any = None,
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
        self.head = head
        self.class_weight = class_weight

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        self._head()

    def _head(self) -> str:
        return check_choice("head", self.head, HEADS)

    def _encode(self, y: Array, mode: str, classes: Any) -> tuple[Array, str, str, Array | None]:
        """``y`` as the target rows ``Y (m, n[L])``, the output activation, the task and
        each example's class index (None for multilabel ``y``).

        ``mode``: ``"new"`` learns ``classes_`` (from ``classes`` in a first partial_fit),
        ``"same"`` (warm start) needs the same classes, ``"subset"`` (partial_fit, validation
        data) labels among ``classes_``.
        """
        check_classification_targets(y)
        target = type_of_target(y, input_name="y")
        if self._binary_only and target != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{target}. {type(self).__name__} is a single logistic neuron; use "
                "MLPClassifier for more classes."
            )
        if target == "multilabel-indicator":
            return self._encode_multilabel(y, mode)
        if y.ndim != 1:
            raise ValueError(f"{type(self).__name__} does not support {target} targets")
        if mode == "new":
            found = unique_labels(y if classes is None else xp.asarray(classes))
            if len(found) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, but "
                    f"the data contains only one class: {found.tolist()[0]!r}"
                )
            if self._binary_only and len(found) != 2:
                raise ValueError(
                    "Only binary classification is supported. The type of the target is "
                    f"multiclass ({len(found)} classes in `classes`)."
                )
            self.classes_ = found
            self._multilabel = False
        elif self._multilabel:
            raise ValueError("y is a vector of labels, but the network was fit on multilabel y")
        else:
            if classes is not None and not xp.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {self.classes_!r}"
                )
            present = unique_labels(y)
            if mode == "same" and not xp.array_equal(present, self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {present}"
                )
            if not xp.isin(present, self.classes_).all():
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {present}."
                )
        index = xp.searchsorted(self.classes_, y)
        K = len(self.classes_)
        if K == 2:
            return (index == 1).astype(xp.float64).reshape(-1, 1), "sigmoid", "binary", index
        one_hot = xp.zeros((len(y), K))
        one_hot[xp.arange(len(y)), index] = 1.0
        output = "softmax" if self._head() == "softmax" else "sigmoid"
        return one_hot, output, "multiclass", index

    def _encode_multilabel(self, y: Array, mode: str) -> tuple[Array, str, str, None]:
        if self.class_weight is not None:
            raise ValueError("class_weight is not supported for multilabel y")
        K = y.shape[1]
        if mode == "new":
            self.classes_ = xp.arange(K)
            self._multilabel = True
        elif not self._multilabel or K != len(self.classes_):
            raise ValueError(
                f"y is a multilabel indicator of {K} labels; the network was fit on "
                + (f"{len(self.classes_)} labels" if self._multilabel else "a vector of labels")
            )
        return y.astype(xp.float64), "sigmoid", "multilabel", None

    def _class_weights(self, index: Array, incremental: bool) -> Array | None:
        """The weight of each example's class (``class_weight``), or None."""
        class_weight, K = self.class_weight, len(self.classes_)
        if class_weight is None:
            return None
        if isinstance(class_weight, str):
            check_choice("class_weight", class_weight, ("balanced",))
            if incremental:
                raise ValueError(
                    "class_weight='balanced' is not supported for partial_fit: the counts of "
                    "one batch are not those of the data. Compute the weights over all the "
                    "data (sklearn.utils.class_weight.compute_class_weight) and pass a dict"
                )
            counts = xp.bincount(index, minlength=K)
            per_class = len(index) / (K * xp.maximum(counts, 1))
        elif isinstance(class_weight, dict):
            labels = self.classes_.tolist()
            unknown = [label for label in class_weight if label not in labels]
            if unknown:
                raise ValueError(
                    f"class_weight has labels that are not classes: {unknown} (classes: {labels})"
                )
            per_class = xp.array([class_weight.get(label, 1.0) for label in labels], dtype=float)
            if not xp.isfinite(per_class).all() or (per_class < 0).any():
                raise bad_parameter("class_weight", "non-negative finite weights", class_weight)
        else:
            raise bad_parameter(
                "class_weight", "None, 'balanced' or a dict {class: weight}", class_weight
            )
        return per_class[index]

    # ------------------------------------------------------------- predictions
    def _predict_from_logits(self, Z: Array) -> Array:
        if self._multilabel:
            return (Z >= 0).T.astype(int)
        if Z.shape[0] == 1:
            return self.classes_[(Z[0] >= self._logit_threshold()).astype(xp.intp)]
        return self.classes_[Z.argmax(axis=0)]

    def _logit_threshold(self) -> float:
        return 0.0

    def fit(self, X: Any, y: Any, sample_weight: Any = None, validation_data: Any = None) -> Any:
        """Train on ``X (n_samples, n_features)`` and labels ``y``; return ``self``.

        ``sample_weight`` (per example, multiplied with ``class_weight``) weights the cost.
        ``validation_data=(X_val, y_val)`` is evaluated after each epoch
        (``validation_loss_curve_``); with ``early_stopping`` it replaces the
        ``validation_fraction`` split.
        """
        return self._fit(X, y, sample_weight=sample_weight, validation_data=validation_data)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Any:
        """One epoch over ``X, y``; ``classes`` (every label) is required on the first call."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def predict(self, X: Any) -> Array:
        """The class of each row of ``X`` (for multilabel ``y``, an indicator matrix)."""
        return self._predict_from_logits(self._logits(X))

    def decision_function(self, X: Any) -> Array:
        """The logits ``Z[L]ᵀ``: ``(n_samples,)`` for two classes, else ``(n_samples, n[L])``."""
        Z = self._logits(X)
        if Z.shape[0] == 1 and not self._multilabel:
            return Z[0] - Z.dtype.type(self._logit_threshold())
        return Z.T

    def predict_log_proba(self, X: Any) -> Array:
        """``log predict_proba(X)``, computed from the logits (finite where it underflows)."""
        return self._log_proba(self._logits(X)).T

    def predict_proba(self, X: Any) -> Array:
        """``(n_samples, n_classes)``: each row the probabilities of ``classes_``.

        Two classes: ``[1 − a, a]`` with ``a = σ(z)``; softmax: ``softmax(z)``; ``"ovr"``:
        the units' ``σ(z_k)`` divided by their sum; multilabel: each label's ``σ(z_k)``.
        """
        Z = self._logits(X)
        if self._multilabel:
            return stable_sigmoid(Z).T
        return xp.exp(self._log_proba(Z)).T

    def _log_proba(self, Z: Array) -> Array:
        if self._multilabel:
            return -xp.logaddexp(0, -Z)
        if Z.shape[0] == 1:
            return -xp.logaddexp(0, xp.concatenate([Z, -Z]))  # [log(1 − a), log a]
        if self.network_.output_activation == "softmax":
            return log_softmax_and_softmax(Z, axis=0)[0]
        log_units = -xp.logaddexp(0, -Z)  # one-vs-rest: log σ(z_k) − log Σ_j σ(z_j)
        top = log_units.max(axis=0, keepdims=True)
        return log_units - (top + xp.log(xp.exp(log_units - top).sum(axis=0, keepdims=True)))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = not self._binary_only
        tags.classifier_tags.multi_class = not self._binary_only
        return tags


class NeuronClassifier(MLPClassifier):
    """The single logistic neuron ``a = σ(wᵀx + b)``; it fires (second class) where ``a ≥ θ``.

    ``threshold`` is ``θ`` in ``(0, 1)``: raising it trades recall of the second class for
    precision. ``decision_function`` is ``wᵀx + b − logit(θ)`` (``logit θ = log(θ/(1 − θ))``),
    so it is positive exactly where the neuron fires. Binary targets only. It is the
    ``MLPClassifier`` with no hidden layer (no ``hidden_layer_sizes``, ``activation``,
    ``dropout``, ``batch_norm``, ``head``): the training parameters are its. Fitted: as
    ``MLPClassifier``, and ``coef_ (1, n_features)`` and ``intercept_ (1,)`` as
    ``LogisticRegression`` has them.

    Its cost is convex: it starts from ``w = 0``, ``b = 0`` (as ``LogisticRegression``
    does) and takes larger steps than a deep network, ``learning_rate_init=0.01``.
    """

    _binary_only = True

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate_init: float = 0.01,
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
        class_weight: Any = None,
    ) -> None:
        self.threshold = threshold
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
        self.class_weight = class_weight

    def _architecture(self) -> _Architecture:
        return _Architecture((), "linear", 0.0, False)

    def _draw_initial_weights(self, network: Network, seed: int) -> None:
        """``w = 0``, ``b = 0``: the cost is convex in them, and from zero every early step
        follows the gradient (as ``LogisticRegression`` and ``SGDClassifier`` start)."""
        for p in network.parameters():
            p.data[...] = 0

    def _head(self) -> str:
        return "softmax"

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        check_real("threshold", self.threshold, 0.0, 1.0, "neither")

    def _logit_threshold(self) -> float:
        theta = check_real("threshold", self.threshold, 0.0, 1.0, "neither")
        return math.log(theta) - math.log1p(-theta)

    @property
    def coef_(self) -> Array:
        """``w`` as a row, ``(1, n_features)`` (a view of ``W[1]``)."""
        return self.coefs_[0].T

    @property
    def intercept_(self) -> Array:
        """``b``, ``(1,)`` (a view of ``b[1]``)."""
        return self.intercepts_[0]


class HalfSquaredError(MeanSquaredError):
    """Half the mean squared error, scikit-learn's ``MLPRegressor`` cost:
    ``L_i = (1/(2 n[L])) Σ_k (a_k − y_k)²``."""

    def __call__(self, A: Any, Y: Any, sample_weight: Any = None) -> Tensor:
        return super().__call__(A, Y, sample_weight) * 0.5


class MLPRegressor(RegressorMixin, _MLP):
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


# ------------------------------------------------------ training with Network.fit
def _as_columns(X: Any) -> Any:
    """Rows ``X (m, n[0])`` as vecnn's ``X (n[0], m)``: the view ``X.T``, or for a sparse
    matrix a ``SparseColumns``, which ``fit`` densifies one mini-batch at a time."""
    return SparseColumns(X) if issparse(X) else X.T


def _logits_of_rows(network: Network, X: Any, batch_rows: int) -> Array:
    """``Z[L] (n[L], m)`` for rows ``X (m, n[0])`` in inference mode: in one pass, or for a
    sparse ``X`` ``batch_rows`` rows at a time (each densified)."""
    was_training = network.training
    network.eval()
    try:
        with no_grad():
            if not issparse(X):
                return network.logits(X.T).data
            columns = SparseColumns(X)
            parts = [
                network.logits(columns.dense_rows(index).T).data
                for index in minibatches(X.shape[0], batch_rows, None, shuffle=False)
            ]
            return xp.concatenate(parts, axis=1)
    finally:
        network.train(was_training)


@dataclass
class _HeldOut:
    """The validation examples as rows: ``X (m, n[0])`` (dense or sparse), ``Y (m, n[L])``,
    the labels or targets ``y`` and their weights ``w`` (or None)."""

    X: Array
    Y: Array
    y: Array
    w: Array | None


class _StoppingRule(Callback):
    """After each epoch: the estimator's records, then scikit-learn's rule.

    ``loss_curve_`` gets the epoch's loss (``J`` with the ``alpha`` penalty), and
    ``validation_loss_curve_`` the validation loss. Training stops once the loss (with
    ``early_stopping``, the validation score) has not improved by ``tol`` for more than
    ``n_iter_no_change`` epochs; with ``early_stopping`` the best-scoring weights are put
    back at the end.
    """

    def __init__(self, estimator: Any, m: int, held_out: _HeldOut | None, early_stopping: bool):
        self.estimator, self.m, self.held_out = estimator, m, held_out
        self.early_stopping = early_stopping
        self.stopped = False

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> bool:
        est = self.estimator
        est.n_iter_ += 1
        est.t_ += self.m
        est.loss_ = logs["loss"]
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if "val_loss" in logs:
            est.validation_loss_curve_.append(logs["val_loss"])
        if self.early_stopping:
            self._update_best_score(network)
        else:
            self._update_best_loss()
        self.stopped = est._no_improvement_count > est.n_iter_no_change
        if self.stopped and est.verbose:
            what = "Validation score" if self.early_stopping else "Training loss"
            print(
                f"{what} did not improve more than tol={est.tol:f} for "
                f"{est.n_iter_no_change} consecutive epochs. Stopping."
            )
        return self.stopped

    def on_train_end(self, network: Network) -> None:
        best = self.estimator._best_weights
        if self.early_stopping and best is not None:
            network.load_state_dict(best)

    def _update_best_score(self, network: Network) -> None:
        est, held_out = self.estimator, self.held_out
        Z = _logits_of_rows(network, held_out.X, est._prediction_rows())
        predicted = est._predict_from_logits(Z)
        if xp.issubdtype(predicted.dtype, xp.floating) and not xp.isfinite(predicted).all():
            score = math.nan
        else:
            score = float(est._score_function(held_out.y, predicted, sample_weight=held_out.w))
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_weights = network.copy_weights()

    def _update_best_loss(self) -> None:
        est = self.estimator
        if est.best_loss_ is None:  # early stopping in an earlier fit of a warm start
            est.best_loss_ = math.inf
        if est.loss_curve_[-1] > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])
