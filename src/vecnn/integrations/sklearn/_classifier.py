"""The classifiers' shared base: labels, class weights and their outputs."""

from __future__ import annotations

from typing import Any

from vecnn.backend.host import Array, xp
from vecnn.integrations.sklearn._base import _VecnnMLP
from vecnn.integrations.sklearn._checks import (
    HEADS,
    _bad,
    _check_choice,
    _unique_labels,
)
from vecnn.integrations.sklearn._compat import (
    ClassifierMixin,
    accuracy_score,
    check_classification_targets,
    type_of_target,
)
from vecnn.ops.elementwise import stable_sigmoid
from vecnn.ops.softmax import log_softmax_and_softmax


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
