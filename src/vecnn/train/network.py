"""``vecnn.Network``: a stack of layers that learns from labelled data and predicts labels."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

from vecnn import metrics
from vecnn.autodiff.mode import no_grad
from vecnn.backend import dtype_name, to_numpy
from vecnn.backend.host import Array, ArrayLike, xp
from vecnn.data import TASKS, Task, check_X, encode_targets
from vecnn.losses import Loss, get_loss
from vecnn.nn.layer import Generator, Layer, Seed
from vecnn.nn.sequential import Sequential
from vecnn.train.fit import evaluate_arrays, fit


class Network(Sequential):
    """A feed-forward network in the notation, with training and prediction.

    ``Network(layers, seed=None)`` or ``Network.from_sizes([n0, …, nL], hidden, output,
    seed)``. ``X`` is always ``(n[0], m)``: examples are columns. After ``fit``, ``task``
    is one of ``binary``, ``multiclass``, ``multilabel``, ``regression`` and
    ``classes_`` holds the labels (in sorted order) that ``predict`` maps back to.
    ``threshold`` is ``θ``, where sigmoid units fire (saved in the config).
    """

    def __init__(self, layers: Iterable[Layer], seed: Seed = None) -> None:
        super().__init__(layers, seed=seed)
        self._task: Task | None = None
        self.classes_: Array | None = None
        self.threshold: float | list[float] = THRESHOLD
        self.stop_training = False

    # ------------------------------------------------------------ the threshold
    @property
    def threshold(self) -> float | list[float]:
        """``θ`` in ``(0, 1)``: a binary network's unit fires (second class) where
        ``a ≥ θ``, a multi-label network's unit k where ``a_k ≥ θ_k`` (one number for all
        the units, or one per unit). ``predict`` and the training accuracy use it; raising
        it trades recall of the firing class for precision."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float | list[float]) -> None:
        theta = _check_threshold(value, self.n_outputs)
        known = self._task or ("multiclass" if self.output_activation == "softmax" else None)
        if theta != THRESHOLD and known in ("multiclass", "regression"):
            raise _meaningless_threshold(known, value)
        self._threshold = theta

    def output_threshold(self, logits: bool) -> float | Array:
        """``θ`` on the scale of an output: ``logit θ = log(θ/(1 − θ))`` for ``Z[L]``
        (``a ≥ θ`` is ``z ≥ logit θ``), ``θ`` itself for ``A[L]``; a column ``(n[L], 1)``
        for one per unit."""
        theta = self._threshold
        if isinstance(theta, list):
            column = xp.asarray(theta, dtype=xp.float64).reshape(-1, 1)
            return xp.log(column) - xp.log1p(-column) if logits else column
        return math.log(theta) - math.log1p(-theta) if logits else theta

    # ---------------------------------------------------------------- the task
    @property
    def task(self) -> Task:
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
    def task(self, value: Task) -> None:
        self._task = value

    def _classes(self) -> Array:
        if self.classes_ is not None:
            return self.classes_
        return xp.arange(2 if self.n_outputs == 1 else self.n_outputs)

    def set_rng(self, rng: Generator) -> None:
        """Make ``rng`` the generator that dropout and shuffling draw from."""
        self.rng = rng
        for layer in self.layers:
            if layer.stochastic:
                layer.rng = rng

    # ---------------------------------------------------------------- training
    fit = fit  # train.fit.fit, whose first parameter is the network: the method itself

    def check_X(self, X: ArrayLike, name: str = "X", sparse: bool = False) -> Array:
        """``X`` as finite floats ``(n[0], m)`` in the network's dtype (``data.check_X``;
        ``sparse``: a ``SparseColumns`` too, which fit alone takes); the first ``X`` also
        gives ``n[0]`` to a network made with ``Dense(n_out)`` first."""
        X = check_X(X, self.sizes[0], dtype=dtype_name(self.dtype), name=name, sparse=sparse)
        if not self.built:
            self.build(X.shape[0])
        return X

    # -------------------------------------------------------------- prediction
    def predict_proba(self, X: ArrayLike) -> Array:
        """``A[L] (n[L], m)`` in inference mode: each column the output for one example.

        For a sigmoid output, row k is P(class k) of unit k (with one unit, P of the
        second class); for a softmax each column sums to 1.
        """
        X = self.check_X(X)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return to_numpy(self.forward(X).data)
        finally:
            self.train(was_training)

    def predict(self, X: ArrayLike, threshold: float | list[float] | None = None) -> Array:
        """Predictions for ``X (n[0], m)``, as the labels ``fit`` saw.

        - binary: the neuron fires (second class) where ``a ≥ θ``: ``(m,)``;
        - multi-class (softmax, or one-vs-rest sigmoid units): the class of the largest
          output: ``(m,)``;
        - multi-label: ``(n[L], m)`` of 0/1, unit k on where ``a_k ≥ θ_k``;
        - regression: ``A[L]``, as ``(m,)`` when there is one output.

        ``θ`` is ``threshold`` (a number, or one per unit) when given, else the network's.
        """
        return self._predict_from(self.predict_proba(X), threshold)

    def _predict_from(self, A: Array, threshold: float | list[float] | None = None) -> Array:
        """``predict`` from the output ``A[L] (n[L], m)``."""
        task = self.task
        if threshold is None:
            threshold = self._threshold
        elif task in ("multiclass", "regression"):
            raise _meaningless_threshold(task, threshold)
        else:
            threshold = _check_threshold(threshold, self.n_outputs)
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

    def evaluate(
        self, X: ArrayLike, Y: ArrayLike, loss: str | Loss | None = None
    ) -> dict[str, Any]:
        """Metrics on ``X (n[0], m)`` and ``Y`` (as given to ``fit``), in inference mode.

        ``loss`` (the cost of the network's loss), then the task's metric set, the one
        ``vecnn train`` reports (``metrics.task_scores``): classification ``accuracy``,
        ``precision``/``recall``/``f1`` (binary: of the second class; otherwise
        macro-averaged), ``f1_macro``, ``log_loss``; multi-label ``accuracy`` (exact
        match), ``f1_macro``, ``log_loss``; regression ``r2``, ``mse``, ``mae``.
        """
        loss_fn = get_loss(loss, self.output_activation)
        X = self.check_X(X)
        task = self.task
        known = self.classes_ if task in ("binary", "multiclass") else None
        targets = encode_targets(Y, X.shape[1], self.n_outputs, loss_fn.name, known)
        cost = evaluate_arrays(self, loss_fn, X, targets.matrix.astype(X.dtype), task)["loss"]
        proba = self.predict_proba(X)
        predicted = self._predict_from(proba)
        truth = targets.matrix
        if task in ("binary", "multiclass"):
            truth = self._classes()[_class_index(targets.matrix)]
        scores = metrics.task_scores(task, truth, predicted, proba, self._classes())
        return {"loss": cost, **scores}

    # --------------------------------------------------------------------- state
    def config(self) -> dict[str, Any]:
        """The architecture plus the task, classes and threshold (when it is not 0.5), as
        plain JSON values."""
        config = super().config()
        config["task"] = self._task
        config["classes"] = None if self.classes_ is None else self.classes_.tolist()
        if self._threshold != THRESHOLD:
            config["threshold"] = self._threshold
        return config

    @classmethod
    def from_config(cls, config: Any) -> Network:
        """The network ``config()`` describes: its layers (the weights are not in it:
        ``load_state_dict``), the task ``fit`` learned (None: not fitted), ``classes`` and
        ``threshold``. What a model file and a pickled estimator are loaded through."""
        network = cls(cls.layers_from_config(config))
        task = config.get("task")
        if task is not None and task not in TASKS:
            raise ValueError(f"unknown task {task!r} in the network config")
        network._task = task
        network.threshold = config.get("threshold", THRESHOLD)
        classes = config.get("classes")
        if classes is not None:
            if not isinstance(classes, list) or not all(
                isinstance(c, (str, int, float, bool)) for c in classes
            ):
                raise ValueError("'classes' in the network config must be a list of plain values")
            network.classes_ = xp.asarray(classes)
        return network


THRESHOLD = 0.5
"""The default ``θ``: a sigmoid unit fires where ``a ≥ 0.5``, i.e. ``z ≥ 0``."""


def _meaningless_threshold(task: str, threshold: Any) -> ValueError:
    how = "the class of the largest output" if task == "multiclass" else "the output"
    return ValueError(
        f"threshold has no meaning for a {task} network (it predicts {how}); got {threshold!r:.80}"
    )


def _check_threshold(value: Any, n_outputs: int) -> float | list[float]:
    """``θ`` as a float, or a list of one float per output unit, each in ``(0, 1)``."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a 0-d array, as a NumPy scalar
    several = isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0
    values = list(value) if several else None
    numbers = [value] if values is None else values
    good = bool(numbers) and all(
        isinstance(v, Real) and not isinstance(v, bool) and 0 < v < 1 for v in numbers
    )
    if not good or (values is not None and len(values) != n_outputs):
        raise ValueError(
            f"threshold must be a number in (0, 1), or a list of {n_outputs} (one per output "
            f"unit); got {value!r}"
        )
    return float(value) if values is None else [float(v) for v in values]


def _class_index(Y: Array) -> Array:
    """The class index of each column of an encoded ``Y (n[L], m)``."""
    if Y.shape[0] == 1:
        return (Y[0] >= 0.5).astype(xp.intp)
    return Y.argmax(axis=0)
