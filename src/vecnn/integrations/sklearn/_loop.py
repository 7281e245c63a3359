"""The adapter's training loop, a mixin of the estimators' base."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

from vecnn.autodiff.mode import no_grad
from vecnn.backend import Array, xp
from vecnn.data import minibatches
from vecnn.integrations.sklearn._checks import (
    _FLOATS,
    _check_sample_weight,
    _derive_seed,
)
from vecnn.integrations.sklearn._compat import (
    ConvergenceWarning,
    column_or_1d,
    train_test_split,
    validate_data,
)
from vecnn.integrations.sklearn._losses import _data_loss
from vecnn.losses import l2_penalty
from vecnn.optim import Optimizer
from vecnn.train import TrainingDivergedError


class _TrainingLoop:
    """Fitting: data checks, mini-batches, weighted losses, convergence and early stopping."""

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
