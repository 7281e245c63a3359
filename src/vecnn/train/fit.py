"""The training loop: mini-batches, forward, cost, backward, optimizer step; per epoch, logs.

One step on a batch of ``m_b`` examples (columns ``X_b (n[0], m_b)``, ``Y_b (n[L], m_b)``):
``J = loss(Z[L], Y_b) + (λ/(2 m_b)) Σ ‖W[l]‖²``, ``J.backward()``, ``optimizer.step()``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from typing import Any

from vecnn.autodiff.mode import no_grad
from vecnn.backend import Array, errstate, xp
from vecnn.data import check_X, encode_targets, minibatches, split_validation
from vecnn.losses import Loss, get_loss, l2_penalty
from vecnn.nn.batchnorm import BatchNorm
from vecnn.nn.layer import as_generator
from vecnn.optim import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeDecay,
    LRScheduler,
    Optimizer,
    StepLR,
    get_optimizer,
)
from vecnn.train.callbacks import Callback, EarlyStopping
from vecnn.train.history import History


class TrainingDivergedError(FloatingPointError):
    """The cost became NaN or infinite; the weights are those before the failing step."""


def _examples_as_rows(matrix: Array, dtype: Any) -> Array:
    """The C-ordered ``(m, n)`` array whose transpose is ``matrix (n, m)``.

    Gathering a mini-batch is then a gather of contiguous rows, and the batch's
    transposed view is the ``(n, m_b)`` matrix of the notation, with no further copy.
    """
    return xp.ascontiguousarray(matrix.T, dtype=dtype)


def _make_optimizer(optimizer: Any, network: Any, lr: float) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        own = {id(p) for p in network.parameters()}
        if not all(id(p) in own for p in optimizer.params):
            raise ValueError(
                "the optimizer was built on other parameters: build it on network.parameters()"
            )
        return optimizer
    return get_optimizer(optimizer, network.parameters(), lr=lr)


SCHEDULES = ("cosine", "exponential", "inverse_time", "step")


def _make_schedule(
    schedule: Any, optimizer: Optimizer, epochs: int, initial_epoch: int = 0, lr: float = 1e-3
) -> Any:
    """The learning-rate schedule stepped after each epoch, or None.

    ``schedule`` is an ``LRScheduler`` built on the optimizer, a function ``epoch → lr``
    (epochs count from 0), or a name: ``"cosine"`` (to 0 over the epochs), ``"exponential"``
    (×0.95 per epoch), ``"inverse_time"`` (``α₀ / (1 + 0.1·epoch)``), ``"step"`` (×0.1
    every third of the epochs). A named schedule resumed at ``initial_epoch > 0`` starts
    from ``lr``, fit's learning rate (the optimizer's own has moved on by then).
    """
    if schedule is None:
        return None
    if isinstance(schedule, LRScheduler):
        if schedule.optimizer is not optimizer:
            raise ValueError("the schedule was built on another optimizer than the one fit uses")
        return schedule
    if isinstance(schedule, str):
        makers = {
            "cosine": lambda: CosineAnnealingLR(optimizer, T_max=epochs),
            "exponential": lambda: ExponentialLR(optimizer, gamma=0.95),
            "inverse_time": lambda: InverseTimeDecay(optimizer, decay=0.1),
            "step": lambda: StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1),
        }
        if schedule not in makers:
            known = ", ".join(SCHEDULES)
            raise ValueError(f"unknown schedule {schedule!r}; choose one of: {known}")
        if initial_epoch:
            optimizer.lr = lr
        made = makers[schedule]()
        for _ in range(initial_epoch):  # resuming: the schedule is where the epochs left it
            made.step()
        return made
    if callable(schedule):
        return _FunctionSchedule(optimizer, schedule, initial_epoch)
    raise TypeError(
        f"schedule must be a name, a function epoch → lr or an LRScheduler; got {schedule!r}"
    )


class _FunctionSchedule:
    """``lr = f(epoch)``: set before the first epoch, then after each one for the next."""

    def __init__(self, optimizer: Optimizer, function: Any, epoch: int = 0) -> None:
        self.optimizer, self.function, self.epoch = optimizer, function, epoch
        optimizer.lr = float(function(epoch))

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = float(self.function(self.epoch))


def _callbacks(early_stopping: Any, callbacks: Iterable[Callback]) -> list[Callback]:
    chosen = list(callbacks)
    for callback in chosen:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be vecnn Callback objects; got {callback!r}")
    if early_stopping is None or early_stopping is False:
        return chosen
    if isinstance(early_stopping, EarlyStopping):
        return [*chosen, early_stopping]
    return [*chosen, EarlyStopping(patience=early_stopping)]


def _correct(output: Array, Y: Array, task: str, threshold: float = 0.5) -> int:
    """How many examples' predictions from ``output (n[L], m)`` match ``Y``.

    ``output`` is ``A[L]`` or the logits ``Z[L]``: both give the same argmax, and for
    sigmoid units ``a ≥ 0.5`` is ``z ≥ 0``; ``threshold`` is the one for ``output``.
    """
    if task == "binary":
        return int(xp.count_nonzero((output >= threshold) == (Y >= 0.5)))
    if task == "multiclass":
        return int(xp.count_nonzero(output.argmax(axis=0) == Y.argmax(axis=0)))
    return int(xp.count_nonzero(((output >= threshold) == (Y >= 0.5)).all(axis=0)))


def evaluate_arrays(network: Any, loss: Loss, X: Array, Y: Array, task: str) -> dict[str, float]:
    """Cost and accuracy of ``network`` (in inference mode) on ``X``, ``Y`` in the notation."""
    was_training = network.training
    network.eval()
    try:
        with no_grad():
            output = network.logits(X) if loss.takes_logits else network.forward(X)
            cost = loss(output, Y).item()
    finally:
        network.train(was_training)
    logs = {"loss": cost}
    if task != "regression":
        threshold = 0.0 if loss.takes_logits else 0.5
        logs["accuracy"] = _correct(output.data, Y, task, threshold) / Y.shape[1]
    return logs


def fit(
    network: Any,
    X: Any,
    Y: Any,
    loss: Any = None,
    optimizer: Any = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: Any = None,
    validation_data: Any = None,
    validation_split: float = 0.0,
    early_stopping: Any = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    l2: float = 0.0,
    classes: Any = None,
    schedule: Any = None,
    initial_epoch: int = 0,
) -> History:
    """Train ``network`` on ``X (n[0], m)`` and ``Y``; see ``Network.fit`` for the arguments."""
    _check_settings(epochs, batch_size, lr, l2, validation_split)
    if not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epochs:
        raise ValueError(f"initial_epoch must be in [0, epochs); got {initial_epoch!r}")
    loss_fn = get_loss(loss, network.output_activation)
    X = check_X(X, network.n_features, dtype=network.dtype)
    m = X.shape[1]
    targets = encode_targets(Y, m, network.n_outputs, loss_fn.name, classes)
    network.task, network.classes_ = targets.task, targets.classes
    rng = network.rng if seed is None else as_generator(seed)
    if seed is not None:
        network.set_rng(rng)

    X_val = Y_val = None
    if validation_data is not None:
        X_val, Y_raw = _unpack_validation(validation_data)
        X_val = check_X(X_val, network.n_features, dtype=network.dtype, name="X_val")
        Y_val = encode_targets(
            Y_raw, X_val.shape[1], network.n_outputs, loss_fn.name, targets.classes
        ).matrix.astype(network.dtype)
    elif validation_split:
        train_index, val_index = split_validation(m, validation_split, rng)
        X_val, Y_val = X[:, val_index], targets.matrix[:, val_index].astype(network.dtype)
        X, targets.matrix = X[:, train_index], targets.matrix[:, train_index]

    run = _Run(
        network=network,
        loss=loss_fn,
        optimizer=_make_optimizer(optimizer, network, lr),
        X_rows=_examples_as_rows(X, network.dtype),
        Y_rows=_examples_as_rows(targets.matrix, network.dtype),
        validation=None if X_val is None else (X_val, Y_val),
        task=targets.task,
        batch_size=batch_size,
        shuffle=shuffle,
        rng=rng,
        l2=l2,
        hooks=_callbacks(early_stopping, callbacks),
        verbose=verbose,
    )
    run.scheduler = _make_schedule(schedule, run.optimizer, epochs, initial_epoch, lr)
    return run.epochs(initial_epoch, epochs)


class _Run:
    """One call of ``fit``: the prepared data and settings, and the loop over epochs.

    ``network.history_`` is the ``History`` being filled and ``network.optimizer_`` the
    optimizer: both stay reachable when training stops early or is interrupted.
    """

    def __init__(self, **settings: Any) -> None:
        self.__dict__.update(settings)
        self.scheduler: Any = None
        self.history = History()
        self.step = 0
        self.weights = [
            p for name, p in self.network.named_parameters().items() if name.startswith("W[")
        ]
        self.threshold = 0.0 if self.loss.takes_logits else 0.5
        self.network.history_ = self.history
        self.network.optimizer_ = self.optimizer
        self.smallest = (
            2 if any(isinstance(layer, BatchNorm) for layer in self.network.layers) else 1
        )
        # Batch norm's running statistics move in the forward pass: kept to put them back
        # when that step turns out to diverge (they are (n, 1) columns: cheap to copy).
        self.buffers = list(self.network.named_buffers().values())
        self.buffers_before: list[Array] = []

    def epochs(self, first: int, epochs: int) -> History:
        """Epochs ``first … epochs − 1``; on an interruption, the best weights, then re-raise."""
        network, hooks = self.network, self.hooks
        network.stop_training = False
        network.train()
        for hook in hooks:
            hook.on_train_begin(network)
        try:
            # The loop finds NaN and infinity itself (and stops on them): no NumPy warnings.
            with errstate(over="ignore", invalid="ignore", divide="ignore"):
                for epoch in range(first, epochs):
                    if self.epoch(epoch, epochs):
                        self.history.stopped_epoch = epoch
                        break
        finally:  # also on KeyboardInterrupt or divergence: the best weights, then eval mode
            for hook in hooks:
                hook.on_train_end(network)
                if isinstance(hook, EarlyStopping) and hook.restore_best_weights:
                    self.history.best_epoch = hook.best_epoch
            network.eval()
        return self.history

    def epoch(self, epoch: int, epochs: int) -> bool:
        """One epoch with its callbacks and record; True when training should stop."""
        network, hooks = self.network, self.hooks
        for hook in hooks:
            hook.on_epoch_begin(network, epoch)
        logs = self.one_epoch(epoch)
        self.history.record(epoch, logs)
        if self.verbose:
            _print_epoch(epoch, epochs, logs)
        stop = False
        for hook in hooks:
            stop = bool(hook.on_epoch_end(network, epoch, logs)) or stop
        return stop or network.stop_training

    def one_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the data in mini-batches; the epoch's logs."""
        network, loss, opt = self.network, self.loss, self.optimizer
        classifying = self.task != "regression"
        started = time.perf_counter()
        total_cost, total_correct = 0.0, 0
        batches = _batches(
            self.X_rows, self.Y_rows, self.batch_size, self.rng, self.shuffle, self.smallest
        )
        for X_b, Y_b in batches:
            m_b = X_b.shape[1]
            if self.buffers:
                self.buffers_before = [buffer.copy() for buffer in self.buffers]
            output = network.logits(X_b) if loss.takes_logits else network.forward(X_b)
            cost = loss(output, Y_b)
            penalty = l2_penalty(self.weights, self.l2, m_b)
            J = cost if penalty is None else cost + penalty
            value = J.item()
            cost_value = value if penalty is None else cost.item()
            if not math.isfinite(value):
                raise self.diverged(epoch, f"the cost became {value}")
            opt.zero_grad()
            J.backward()
            if not _finite_gradients(opt):
                raise self.diverged(epoch, f"a gradient became infinite or NaN (cost {value:.4g})")
            opt.step()
            total_cost += cost_value * m_b
            if classifying:
                total_correct += _correct(output.data, Y_b, self.task, self.threshold)
            for hook in self.hooks:
                hook.on_batch_end(network, self.step, {"loss": value})
            self.step += 1
        m = self.X_rows.shape[0]
        logs = {"loss": total_cost / m}
        if classifying:
            logs["accuracy"] = total_correct / m
        if self.validation is not None:
            val = evaluate_arrays(network, loss, *self.validation, self.task)
            logs.update({f"val_{key}": value for key, value in val.items()})
        logs["lr"] = opt.lr
        logs["time"] = time.perf_counter() - started
        if self.scheduler is not None:
            self.scheduler.step()
        return logs

    def diverged(self, epoch: int, what: str) -> TrainingDivergedError:
        for buffer, before in zip(self.buffers, self.buffers_before, strict=False):
            xp.copyto(buffer, before)  # the failing step leaves no trace
        return TrainingDivergedError(
            f"{what} at epoch {epoch + 1}, step {self.step + 1}: training stopped before that "
            f"step changed the weights. Try a lower learning rate (lr={self.optimizer.lr:g} "
            "now) or scale the inputs (standardize each feature)"
        )


def _finite_gradients(optimizer: Optimizer) -> bool:
    """True when every gradient is finite (one reduction per gradient: NaN and ±inf
    make the sum non-finite)."""
    for p in optimizer.params:
        g = p.grad
        if g is not None and not math.isfinite(float(g.sum())) and not xp.isfinite(g).all():
            return False  # (a sum of finite values can overflow: then the closer look passes)
    return True


def _batches(
    X_rows: Array,
    Y_rows: Array,
    batch_size: int | None,
    rng: Any,
    shuffle: bool,
    smallest: int = 1,
) -> Any:
    """``(X_b, Y_b)`` of each mini-batch of one epoch, as ``(n, m_b)`` views of gathered rows.

    Full-batch gradient descent without shuffling uses the data as it is, with no copy. A
    last batch smaller than ``smallest`` joins the one before (batch norm needs 2 examples
    to estimate a variance).
    """
    m = X_rows.shape[0]
    if (batch_size is None or batch_size >= m) and not shuffle:
        yield X_rows.T, Y_rows.T
        return
    indices = list(minibatches(m, batch_size, rng, shuffle))
    if len(indices) > 1 and len(indices[-1]) < smallest:
        indices[-2:] = [xp.concatenate(indices[-2:])]
    for index in indices:
        yield X_rows[index].T, Y_rows[index].T


def _check_settings(epochs: Any, batch_size: Any, lr: Any, l2: Any, validation_split: Any) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive integer, or None for full-batch gradient descent; "
            f"got {batch_size!r}"
        )
    if not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if not isinstance(l2, (int, float)) or l2 < 0:
        raise ValueError(f"l2 must be a non-negative number; got {l2!r}")
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1); got {validation_split!r}")


def _unpack_validation(validation_data: Any) -> tuple[Any, Any]:
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, Y_val)") from None
    return X_val, Y_val


def _print_epoch(epoch: int, epochs: int, logs: dict[str, float]) -> None:
    shown = "  ".join(
        f"{key} {value:.4f}" for key, value in logs.items() if key not in ("lr", "time")
    )
    width = len(str(epochs))
    print(f"epoch {epoch + 1:>{width}}/{epochs}  {shown}  ({logs['time']:.2f} s)", file=sys.stdout)
