"""MLPClassifier and NeuronClassifier."""

from __future__ import annotations

import math
from typing import Any

from vecnn.backend.host import Array
from vecnn.integrations.sklearn._base import Architecture
from vecnn.integrations.sklearn._checks import _check_real
from vecnn.integrations.sklearn._classifier import _VecnnClassifier
from vecnn.train import Network


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

    def _architecture(self) -> Architecture:
        return Architecture((), "linear", 0.0, False)

    def _draw_initial_weights(self, network: Network, seed: int) -> None:
        """``w = 0``, ``b = 0``: the cost is convex in them, and from zero every early step
        follows the gradient (as ``LogisticRegression`` and ``SGDClassifier`` start)."""
        for p in network.parameters():
            p.data[...] = 0

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
