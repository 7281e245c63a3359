"""``vecnn.Network``: a stack of layers that learns from labelled data and predicts labels."""

from __future__ import annotations

from typing import Any

from vecnn import metrics
from vecnn.autodiff.mode import no_grad
from vecnn.backend import Array, xp
from vecnn.data import check_X, encode_targets
from vecnn.losses import get_loss
from vecnn.nn.dropout import Dropout
from vecnn.nn.sequential import Sequential
from vecnn.train.fit import evaluate_arrays, fit


class Network(Sequential):
    """A feed-forward network in the notation, with training and prediction.

    ``Network(layers, seed=None)`` or ``Network.from_sizes([n0, …, nL], hidden, output,
    seed)``. ``X`` is always ``(n[0], m)``: examples are columns. After ``fit``, ``task``
    is one of ``binary``, ``multiclass``, ``multilabel``, ``regression`` and
    ``classes_`` holds the labels (in sorted order) that ``predict`` maps back to.
    """

    def __init__(self, layers: Any, seed: Any = None) -> None:
        super().__init__(layers, seed=seed)
        self._task: str | None = None
        self.classes_: Array | None = None
        self.stop_training = False

    # ---------------------------------------------------------------- the task
    @property
    def task(self) -> str:
        """The task fit learned, or, before fit, the one the output layer suggests."""
        if self._task is not None:
            return self._task
        output = self.output_activation
        if output == "softmax":
            return "multiclass"
        if output == "sigmoid":
            return "binary" if self.n_outputs == 1 else "multilabel"
        return "regression"

    @task.setter
    def task(self, value: str) -> None:
        self._task = value

    def _classes(self) -> Array:
        if self.classes_ is not None:
            return self.classes_
        return xp.arange(2 if self.n_outputs == 1 else self.n_outputs)

    def set_rng(self, rng: Any) -> None:
        """Make ``rng`` the generator that dropout and shuffling draw from."""
        self.rng = rng
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    # ---------------------------------------------------------------- training
    fit = fit  # train.fit.fit, whose first parameter is the network: the method itself

    # -------------------------------------------------------------- prediction
    def predict_proba(self, X: Any) -> Array:
        """``A[L] (n[L], m)`` in inference mode: each column the output for one example.

        For a sigmoid output, row k is P(class k) of unit k (with one unit, P of the
        second class); for a softmax each column sums to 1.
        """
        X = check_X(X, self.n_features, dtype=self.dtype)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self.forward(X).data
        finally:
            self.train(was_training)

    def predict(self, X: Any, threshold: Any = 0.5) -> Array:
        """Predictions for ``X (n[0], m)``, as the labels ``fit`` saw.

        - binary: the neuron fires (second class) where ``a ≥ θ = threshold``: ``(m,)``;
        - multi-class (softmax, or one-vs-rest sigmoid units): the class of the largest
          output: ``(m,)``;
        - multi-label: ``(n[L], m)`` of 0/1, unit k on where ``a_k ≥ θ_k`` (``threshold`` a
          number or one per unit);
        - regression: ``A[L]``, as ``(m,)`` when there is one output.
        """
        A = self.predict_proba(X)
        task = self.task
        if task == "binary":
            return self._classes()[(A[0] >= threshold).astype(xp.intp)]
        if task == "multiclass":
            return self._classes()[A.argmax(axis=0)]
        if task == "multilabel":
            theta = xp.asarray(threshold, dtype=A.dtype)
            if theta.ndim == 1:
                theta = theta.reshape(-1, 1)
            return (A >= theta).astype(xp.intp)
        return A[0] if A.shape[0] == 1 else A

    def evaluate(self, X: Any, Y: Any, loss: Any = None) -> dict[str, float]:
        """Metrics on ``X (n[0], m)`` and ``Y`` (as given to ``fit``), in inference mode.

        Classification: ``loss``, ``accuracy``, ``precision``/``recall``/``f1`` (binary of
        the second class, otherwise macro-averaged); regression: ``loss``, ``mse``,
        ``mae``, ``r2``.
        """
        loss_fn = get_loss(loss, self.output_activation)
        X = check_X(X, self.n_features, dtype=self.dtype)
        known = self.classes_ if self.task in ("binary", "multiclass") else None
        targets = encode_targets(Y, X.shape[1], self.n_outputs, loss_fn.name, known)
        results = evaluate_arrays(self, loss_fn, X, targets.matrix.astype(self.dtype), self.task)
        if self.task == "regression":
            predicted = self.predict_proba(X)
            truth = targets.matrix
            results["mse"] = metrics.mean_squared_error(truth, predicted)
            results["mae"] = metrics.mean_absolute_error(truth, predicted)
            results["r2"] = metrics.r2_score(truth, predicted)
            return results
        if self.task == "multilabel":
            return results
        truth = self._classes()[_class_index(targets.matrix)]
        predicted = self.predict(X)
        average = "binary" if self.task == "binary" else "macro"
        options: dict[str, Any] = {"average": average}
        if average == "binary":
            options["pos_label"] = self._classes()[1]
        results["precision"] = metrics.precision_score(truth, predicted, **options)
        results["recall"] = metrics.recall_score(truth, predicted, **options)
        results["f1"] = metrics.f1_score(truth, predicted, **options)
        return results

    # --------------------------------------------------------------------- state
    def config(self) -> dict[str, Any]:
        """The architecture plus the task and classes, as plain JSON values."""
        config = super().config()
        config["task"] = self._task
        config["classes"] = None if self.classes_ is None else self.classes_.tolist()
        return config

    @classmethod
    def from_config(cls, config: Any) -> Network:
        network = cls(cls.layers_from_config(config))
        task = config.get("task")
        if task is not None and task not in ("binary", "multiclass", "multilabel", "regression"):
            raise ValueError(f"unknown task {task!r} in the network config")
        network._task = task
        classes = config.get("classes")
        if classes is not None:
            if not isinstance(classes, list) or not all(
                isinstance(c, (str, int, float, bool)) for c in classes
            ):
                raise ValueError("'classes' in the network config must be a list of plain values")
            network.classes_ = xp.asarray(classes)
        return network


def _class_index(Y: Array) -> Array:
    """The class index of each column of an encoded ``Y (n[L], m)``."""
    if Y.shape[0] == 1:
        return (Y[0] >= 0.5).astype(xp.intp)
    return Y.argmax(axis=0)
