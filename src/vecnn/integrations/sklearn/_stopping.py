"""scikit-learn's stopping rule for its MLP, as a callback of ``Network.fit``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vecnn.autodiff.mode import no_grad
from vecnn.backend.host import Array, xp
from vecnn.data import SparseColumns, minibatches
from vecnn.integrations.sklearn._compat import issparse
from vecnn.train import Callback, Network


def as_columns(X: Any) -> Any:
    """Rows ``X (m, n[0])`` as vecnn's ``X (n[0], m)``: the view ``X.T``, or for a sparse
    matrix a ``SparseColumns``, which ``fit`` densifies one mini-batch at a time."""
    return SparseColumns(X) if issparse(X) else X.T


def logits_of_rows(network: Network, X: Any, batch_rows: int) -> Array:
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
class HeldOut:
    """The validation examples as rows: ``X (m, n[0])`` (dense or sparse), ``Y (m, n[L])``,
    the labels or targets ``y`` and their weights ``w`` (or None)."""

    X: Array
    Y: Array
    y: Array
    w: Array | None


class StoppingRule(Callback):
    """After each epoch: the estimator's records, then scikit-learn's rule.

    ``loss_curve_`` gets the epoch's loss (``J`` with the ``alpha`` penalty), and
    ``validation_loss_curve_`` the validation loss. Training stops once the loss (with
    ``early_stopping``, the validation score) has not improved by ``tol`` for more than
    ``n_iter_no_change`` epochs; with ``early_stopping`` the best-scoring weights are put
    back at the end.
    """

    def __init__(self, estimator: Any, m: int, held_out: HeldOut | None, early_stopping: bool):
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
        Z = logits_of_rows(network, held_out.X, est._prediction_rows())
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
