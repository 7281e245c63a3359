"""vecnn networks as scikit-learn estimators: MLPClassifier, MLPRegressor, NeuronClassifier.

Here ``X`` is ``(n_samples, n_features)``, one example per ROW, as in every scikit-learn
estimator. The adapter validates it with scikit-learn's ``validate_data`` and hands vecnn
``X.T``, a view with one example per column, ``(n[0], m)`` in the notation: the one
transposition, and no copy. Outputs come back as rows. A sparse ``X`` (CSR, CSC, or any
SciPy sparse matrix or array) goes to ``fit`` as a ``vecnn.data.SparseColumns`` and is
densified one mini-batch at a time (predictions too), as scikit-learn's MLP accepts it:
``make_pipeline(OneHotEncoder(), MLPClassifier())`` works, in the memory of the sparse data
plus a dense batch, with the numbers of the densified data.

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
- the initial weights are drawn as scikit-learn draws them (Glorot uniform, biases too,
  from ``RandomState(random_state)``: the same ``random_state`` gives the same start);
  ``NeuronClassifier``, a convex problem, starts from zero with ``learning_rate_init=0.01``;
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
``sample_weight`` by multiplication. Training is ``Network.fit`` (its mini-batches, its
``sample_weight`` and ``l2``, the fused losses), called by ``_fit_stochastic`` with
scikit-learn's stopping rule as a callback (``_StoppingRule``).

The modules: ``estimators.py`` (the three estimators; ``_MLP``, what they share; how they
train with ``Network.fit``), ``checks.py`` (parameters and data), ``pickling.py`` (the
fitted network as plain data).

dtype: the network computes in ``X``'s floating dtype, float32 or float64 (integers and
other inputs become float64), so float32 data stays float32 end to end.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "vecnn.sklearn needs scikit-learn, which is not installed: pip install vecnn[sklearn]"
    ) from error

from vecnn.integrations.sklearn.estimators import MLPClassifier, MLPRegressor, NeuronClassifier

__all__ = ["MLPClassifier", "MLPRegressor", "NeuronClassifier"]
