"""vecnn networks as scikit-learn estimators: MLPClassifier, MLPRegressor, NeuronClassifier.

Here ``X`` is ``(n_samples, n_features)``, one example per ROW, as in every scikit-learn
estimator. The adapter validates it with scikit-learn's ``validate_data`` and hands vecnn
``X.T``, a view with one example per column, ``(n[0], m)`` in the notation: the one
transposition, and no copy. Outputs come back as rows.

The parameters are scikit-learn's ``MLPClassifier``/``MLPRegressor`` where the meaning is
the same (``hidden_layer_sizes``, ``activation``, ``solver``, ``alpha``, ``batch_size``,
``learning_rate_init``, ``max_iter``, ``shuffle``, ``random_state``, ``tol``,
``early_stopping``, ``validation_fraction``, ``n_iter_no_change``, ``warm_start``,
``verbose``, ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``, ``epsilon``), and
so are the cost and the stopping rule:

- cost of a mini-batch of ``m_b`` examples with weights ``s_i`` (all 1 unless
  ``sample_weight``/``class_weight``): ``J = Σ s_i L_i / Σ s_i + (α / (2 Σ s_i)) Σ_l ‖W[l]‖²``,
  ``L`` the cross-entropy (classifiers) or half the squared error averaged over the outputs
  (regressor). With unit weights this is vecnn's ``l2`` penalty with ``λ = alpha``;
- an epoch is one pass in mini-batches of ``batch_size`` (``"auto"``: ``min(200, n)``);
  ``loss_curve_`` records the mean of ``J`` over the epoch; training stops once the loss
  (or, with ``early_stopping``, the validation score) has not improved by ``tol`` for more
  than ``n_iter_no_change`` epochs, and a ``ConvergenceWarning`` says when ``max_iter``
  epochs were not enough.

What scikit-learn's MLP lacks: ``dropout`` (rate after each hidden layer), ``batch_norm``
(between each hidden layer's ``Z`` and its activation), ``head`` (``"softmax"``, or
``"ovr"``: one sigmoid unit per class), ``class_weight``, the solvers ``"rmsprop"`` and
``"adamw"``, ``validation_data=(X_val, y_val)`` in ``fit`` and ``validation_loss_curve_``.
``NeuronClassifier`` is the single logistic neuron ``a = σ(wᵀx + b)`` that fires where
``a ≥ threshold``.

Class weights are per-example weights on the cost (``s_i`` above), combined with
``sample_weight`` by multiplication: a weighted one-hot ``Y`` for the softmax (the fused
loss computes ``softmax(Z) Σ_k y_k − Y`` already), a weighted logistic loss node
(``_WeightedSigmoidCrossEntropy``) for sigmoid units, ``√s`` on both sides of the squared
error for the regressor. The training loop is the adapter's own, built from vecnn's
pieces (``Network.logits``, the fused losses, ``l2_penalty``, the optimizers,
``minibatches``): ``Network.fit`` has no sample weights and a Keras-style stopping rule.

dtype: the network computes in ``X``'s floating dtype, float32 or float64 (integers and
other inputs become float64), so float32 data stays float32 end to end.
"""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral, Real
from typing import Any

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "vecnn.sklearn needs scikit-learn, which is not installed: pip install vecnn[sklearn]"
    ) from error

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6

    def validate_data(estimator: Any, X: Any, y: Any = "no_validation", **options: Any) -> Any:
        return estimator._validate_data(X, y, **options)


from vecnn import ops
from vecnn.autodiff.function import Function
from vecnn.autodiff.mode import no_grad
from vecnn.backend import Array, xp
from vecnn.data import minibatches
from vecnn.losses import l2_penalty
from vecnn.nn import Activation, BatchNorm, Dense, Dropout
from vecnn.ops.elementwise import stable_sigmoid
from vecnn.ops.softmax import log_softmax_and_softmax
from vecnn.optim import SGD, Adam, AdamW, Optimizer, RMSProp
from vecnn.train import History, Network, TrainingDivergedError

__all__ = ["MLPClassifier", "MLPRegressor", "NeuronClassifier"]

SOLVERS = ("adam", "sgd", "rmsprop", "adamw")
HEADS = ("softmax", "ovr")
# scikit-learn's names for the hidden activations, and vecnn's own.
ACTIVATION_NAMES = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "linear": "linear",
    "sigmoid": "sigmoid",
    "leaky_relu": "leaky_relu",
}
# The output activation as scikit-learn's ``out_activation_`` names it.
_OUT_NAMES = {"softmax": "softmax", "sigmoid": "logistic", "linear": "identity"}
_FLOATS = (xp.float64, xp.float32)
_OPTIMIZER_TYPES: dict[str, type[Optimizer]] = {
    "SGD": SGD,
    "RMSProp": RMSProp,
    "Adam": Adam,
    "AdamW": AdamW,
}


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


# ------------------------------------------------------------------ parameter checks
def _bad(name: str, allowed: str, value: Any) -> ValueError:
    return ValueError(f"The '{name}' parameter must be {allowed}; got {value!r}.")


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise _bad(name, f"an int in the range [{low}, inf)", value)
    return int(value)


def _check_real(name: str, value: Any, low: float, high: float, closed: str) -> float:
    """``value`` as a float in the interval from ``low`` to ``high``; ``closed`` says which
    ends belong to it: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        above = value >= low if closed in ("both", "left") else value > low
        below = value <= high if closed in ("both", "right") else value < high
        ok = above and below
    if not ok:
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        raise _bad(name, f"a float in the range {left}{low}, {high}{right}", value)
    return float(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, xp.bool_)):
        raise _bad(name, "True or False", value)
    return bool(value)


def _check_choice(name: str, value: Any, choices: Any) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in choices)
        raise _bad(name, allowed, value)
    return value


def _hidden_sizes(value: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int means one layer)."""
    sizes = [value] if isinstance(value, Integral) and not isinstance(value, bool) else value
    if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
        raise _bad("hidden_layer_sizes", "an int or a sequence of ints", value)
    sizes = list(sizes)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise _bad("hidden_layer_sizes", "positive ints (units per hidden layer)", value)
    return tuple(int(size) for size in sizes)


def _derive_seed(random_state: Any) -> int:
    """An int seed for vecnn's ``numpy.random.Generator``, derived from ``random_state``.

    An int or a ``RandomState`` gives the same seed each time (``check_random_state``);
    None draws fresh entropy, leaving the global NumPy state alone.
    """
    if random_state is None:
        return int(xp.random.SeedSequence().generate_state(1)[0] >> 1)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _unique_labels(labels: Any) -> Array:
    """The sorted distinct labels; a ValueError when they mix types (strings and numbers)."""
    try:
        return xp.unique(xp.asarray(labels))
    except TypeError:
        raise ValueError(
            "Mix of label input types (string and number): give all labels one type"
        ) from None


def _check_sample_weight(sample_weight: Any, m: int, dtype: Any) -> Array | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        return xp.full(m, sample_weight, dtype=dtype)
    weights = check_array(
        sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight", order="C"
    )
    if weights.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar; got shape {weights.shape} instead."
        )
    if weights.shape[0] != m:
        raise ValueError(
            f"sample_weight.shape == {weights.shape}, expected ({m},): one weight per sample."
        )
    if not xp.isfinite(weights).all():
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if (weights < 0).any():
        raise ValueError("Negative values in data passed to sample_weight.")
    if not weights.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weights


# ------------------------------------------------------------------------- pickling
def _freeze(network: Network) -> dict[str, Any]:
    """The network as plain data: its config, a copy of its arrays, generator, optimizer.

    (Pickling the optimizer object itself would break the link between its flat buffers
    and the parameters' data, so it travels as its ``state_dict()``.)
    """
    optimizer = getattr(network, "optimizer_", None)
    return {
        "config": network.config(),
        "arrays": network.copy_weights(),
        "task": network._task,
        "classes": network.classes_,
        "rng": network.rng,
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "history": getattr(network, "history_", None),
    }


def _thaw(frozen: dict[str, Any]) -> Network:
    network = Network(Network.layers_from_config(frozen["config"]))
    network.load_state_dict(frozen["arrays"])
    network._task, network.classes_ = frozen["task"], frozen["classes"]
    network.set_rng(frozen["rng"])
    network.eval()
    network.history_ = frozen["history"]
    network.optimizer_ = None
    state = frozen["optimizer"]
    if state is not None:
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in state["hyper"].items()}
        optimizer = _OPTIMIZER_TYPES[state["type"]](network.parameters(), **hyper)
        optimizer.load_state_dict(state)
        network.optimizer_ = optimizer
    return network


# ------------------------------------------------------------------------ the base
class _VecnnMLP(BaseEstimator):
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

    # ------------------------------------------------------------------- fitting
    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        validation_data: Any = None,
        incremental: bool = False,
        classes: Any = None,
    ) -> Any:
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
            dtype=_FLOATS,
            multi_output=True,
            y_numeric=not self._is_classifier,
            reset=first,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        mode = "new" if first else ("subset" if incremental else "same")
        Y, output, task, index = self._encode(y, mode, classes)
        class_weights = None if index is None else self._class_weights(index, incremental)
        weights = _check_sample_weight(sample_weight, X.shape[0], X.dtype)
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
        if not incremental or network.optimizer_ is None:
            network.optimizer_ = self._make_optimizer()
        dtype = network.dtype
        X = xp.ascontiguousarray(X, dtype=dtype)
        Y = xp.ascontiguousarray(Y, dtype=dtype)
        validation = self._validation_set(X, y, Y, weights, validation_data, seed)
        if validation is not None:
            X, Y, weights = validation.pop("train")
            if self.validation_loss_curve_ is None:
                self.validation_loss_curve_ = []
        self._train(X, Y, weights, validation, incremental)
        return self

    def _validation_set(
        self, X: Array, y: Array, Y: Array, weights: Any, validation_data: Any, seed: int
    ) -> dict[str, Any] | None:
        """The held-out data (``validation_data``, or ``validation_fraction`` of ``X`` with
        ``early_stopping``) as ``{"X", "Y", "y", "w", "train": (X, Y, w)}``, or None."""
        if validation_data is not None:
            try:
                X_val, y_val = validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be a pair (X_val, y_val)") from None
            X_val, y_val = validate_data(
                self, X_val, y_val, dtype=_FLOATS, multi_output=True, reset=False
            )
            if y_val.ndim == 2 and y_val.shape[1] == 1:
                y_val = column_or_1d(y_val, warn=True)
            Y_val = self._encode(y_val, "subset", None)[0]
            return {
                "X": xp.ascontiguousarray(X_val, dtype=self.network_.dtype),
                "Y": Y_val.astype(self.network_.dtype),
                "y": y_val,
                "w": None,
                "train": (X, Y, weights),
            }
        if not self.early_stopping:
            return None
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
        w = (None, None) if weights is None else (weights[train], weights[val])
        return {
            "X": X[val],
            "Y": Y[val],
            "y": y[val],
            "w": w[1],
            "train": (X[train], Y[train], w[0]),
        }

    def _batch_size(self, m: int) -> int:
        if isinstance(self.batch_size, str):
            return min(200, m)
        if self.batch_size > m:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )
        return min(int(self.batch_size), m)

    def _batches(self, m: int, batch_size: int, rng: Any) -> list[Array]:
        """The index arrays of one epoch's mini-batches. With batch normalization, a last
        batch of one example (whose variance is not defined) joins the batch before it."""
        batches = list(minibatches(m, batch_size, rng, self.shuffle))
        if len(batches) > 1 and len(batches[-1]) == 1 and self._architecture()[3]:
            last = batches.pop()
            batches[-1] = xp.concatenate([batches[-1], last])
        return batches

    def _train(
        self,
        X: Array,
        Y: Array,
        weights: Array | None,
        validation: dict[str, Any] | None,
        incremental: bool,
    ) -> None:
        """Epochs of mini-batch steps on ``X (m, n[0])``, ``Y (m, n[L])`` (rows), until the
        stopping rule holds; one epoch for ``partial_fit``."""
        network = self.network_
        optimizer = network.optimizer_
        output = network.output_activation
        m = X.shape[0]
        if m < 2 and self._architecture()[3]:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to train; got n_samples = {m}"
            )
        batch_size = self._batch_size(m)
        W = [p for name, p in network.named_parameters().items() if name.startswith("W[")]
        alpha = float(self.alpha)
        early_stopping = self.early_stopping and not incremental
        epochs = 1 if incremental else self.max_iter
        if not incremental:
            self.n_iter_ = 0
        try:
            for _ in range(epochs):
                started = time.perf_counter()
                network.train()
                total = 0.0
                for index in self._batches(m, batch_size, network.rng):
                    s = None if weights is None else weights[index]
                    total += self._step(X[index].T, Y[index].T, s, output, W, alpha, optimizer)
                network.eval()
                self.n_iter_ += 1
                self.t_ += m
                self.loss_ = total / m
                self.loss_curve_.append(self.loss_)
                logs = {"loss": self.loss_}
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if validation is not None:
                    logs.update(self._validate(validation, early_stopping))
                if not early_stopping:
                    self._update_best_loss()
                logs["lr"], logs["time"] = optimizer.lr, time.perf_counter() - started
                network.history_.record(len(network.history_), logs)
                if self._no_improvement_count > self.n_iter_no_change:
                    if self.verbose:
                        what = "Validation score" if early_stopping else "Training loss"
                        print(
                            f"{what} did not improve more than tol={self.tol:f} for "
                            f"{self.n_iter_no_change} consecutive epochs. Stopping."
                        )
                    break
                if not incremental and self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                        "the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=3,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=3)
        if early_stopping and self._best_weights is not None:
            network.load_state_dict(self._best_weights)

    def _step(
        self,
        X_b: Array,
        Y_b: Array,
        s: Array | None,
        output: str,
        W: list,
        alpha: float,
        optimizer: Optimizer,
    ) -> float:
        """One optimizer step on the columns ``X_b (n[0], m_b)``; ``m_b`` times its cost."""
        m_b = X_b.shape[1]
        total_weight: float = m_b
        if s is not None:
            total_weight = float(s.sum())
            if total_weight <= 0:
                return 0.0  # every example of the batch has weight 0: nothing to learn
            s = (s * (m_b / total_weight)).reshape(1, m_b)
        network = self.network_
        J = _data_loss(output, network.logits(X_b), Y_b, s)
        penalty = l2_penalty(W, alpha, total_weight)
        if penalty is not None:
            J = J + penalty
        value = J.item()
        if not math.isfinite(value):
            raise self._diverged(f"the cost became {value}", optimizer)
        optimizer.zero_grad()
        J.backward()
        for p in optimizer.params:
            g = p.grad  # one reduction per gradient; a closer look only when the sum is not finite
            if g is not None and not math.isfinite(float(g.sum())) and not xp.isfinite(g).all():
                what = f"a gradient became infinite or NaN (cost {value:.4g})"
                raise self._diverged(what, optimizer)
        optimizer.step()
        return value * m_b

    def _diverged(self, what: str, optimizer: Optimizer) -> TrainingDivergedError:
        return TrainingDivergedError(
            f"{what} at epoch {self.n_iter_ + 1}: training stopped before that step changed the "
            f"weights. Try a lower learning_rate_init ({optimizer.lr:g} now) or scale the "
            "inputs (e.g. StandardScaler in a Pipeline)"
        )

    def _validate(self, validation: dict[str, Any], early_stopping: bool) -> dict[str, float]:
        """The validation loss (and, with early stopping, score) of this epoch."""
        network = self.network_
        X_val, w = validation["X"], validation["w"]
        s = None
        if w is not None and float(w.sum()) > 0:
            s = (w * (len(w) / float(w.sum()))).reshape(1, -1)
        with no_grad():
            Z = network.logits(X_val.T)
            loss = _data_loss(network.output_activation, Z, validation["Y"].T, s).item()
        self.validation_loss_curve_.append(loss)
        logs = {"val_loss": loss}
        if early_stopping:
            predicted = self._predict_from_logits(Z.data)
            if xp.issubdtype(predicted.dtype, xp.floating) and not xp.isfinite(predicted).all():
                score = math.nan
            else:
                score = float(self._score_function(validation["y"], predicted, sample_weight=w))
            self.validation_scores_.append(score)
            logs["val_score"] = score
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = network.copy_weights()
        return logs

    def _update_best_loss(self) -> None:
        if self.best_loss_ is None:  # early stopping in an earlier fit of a warm start
            self.best_loss_ = math.inf
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

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


# ----------------------------------------------------------------------- classifiers
class _VecnnClassifier(ClassifierMixin, _VecnnMLP):
    """Labels, class weights and the classifier's outputs."""

    _is_classifier = True
    _binary_only = False
    _score_function = staticmethod(accuracy_score)

    def _head(self) -> str:
        return _check_choice("head", self.head, HEADS)

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
            found = _unique_labels(y if classes is None else xp.asarray(classes))
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
            if classes is not None and not xp.array_equal(_unique_labels(classes), self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {self.classes_!r}"
                )
            present = _unique_labels(y)
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
            _check_choice("class_weight", class_weight, ("balanced",))
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
                raise _bad("class_weight", "non-negative finite weights", class_weight)
        else:
            raise _bad("class_weight", "None, 'balanced' or a dict {class: weight}", class_weight)
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


class MLPClassifier(_VecnnClassifier):
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


class NeuronClassifier(_VecnnClassifier):
    """The single logistic neuron ``a = σ(wᵀx + b)``; it fires (second class) where ``a ≥ θ``.

    ``threshold`` is ``θ`` in ``(0, 1)``: raising it trades recall of the second class for
    precision. ``decision_function`` is ``wᵀx + b − logit(θ)`` (``logit θ = log(θ/(1 − θ))``),
    so it is positive exactly where the neuron fires. Binary targets only; the training
    parameters are ``MLPClassifier``'s. Fitted: as ``MLPClassifier``, and ``coef_ (1,
    n_features)`` and ``intercept_ (1,)`` as ``LogisticRegression`` has them.
    """

    _binary_only = True

    def __init__(
        self,
        threshold: float = 0.5,
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

    def _architecture(self) -> tuple[tuple[int, ...], str, float, bool]:
        return ((), "linear", 0.0, False)

    def _head(self) -> str:
        return "softmax"

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        _check_real("threshold", self.threshold, 0.0, 1.0, "neither")

    def _logit_threshold(self) -> float:
        theta = _check_real("threshold", self.threshold, 0.0, 1.0, "neither")
        return math.log(theta) - math.log1p(-theta)

    @property
    def coef_(self) -> Array:
        """``w`` as a row, ``(1, n_features)`` (a view of ``W[1]``)."""
        return self.coefs_[0].T

    @property
    def intercept_(self) -> Array:
        """``b``, ``(1,)`` (a view of ``b[1]``)."""
        return self.intercepts_[0]


# ------------------------------------------------------------------------- regressor
class MLPRegressor(RegressorMixin, _VecnnMLP):
    """A multi-layer perceptron regressor trained by vecnn, with scikit-learn's interface.

    Linear output units and half the squared error (as scikit-learn's ``MLPRegressor``);
    ``y`` is ``(n_samples,)`` or ``(n_samples, n_targets)``. Parameters and fitted attributes
    as ``MLPClassifier`` (no ``head``, ``class_weight``, ``classes_``); the validation score
    of early stopping is R².
    """

    _score_function = staticmethod(r2_score)

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
