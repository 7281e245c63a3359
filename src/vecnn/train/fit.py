"""The training loop: mini-batches, forward, cost, backward, optimizer step; per epoch, logs.

One step on a batch of ``m_b`` examples (columns ``X_b (n[0], m_b)``, ``Y_b (n[L], m_b)``):
``J = loss(Z[L], Y_b) + (λ/(2 m_b)) Σ ‖W[l]‖²``, ``J.backward()``, ``optimizer.step()``;
with example weights ``s_b``, ``J = Σ s_i L_i / Σ s_i + (λ/(2 Σ s_i)) Σ ‖W[l]‖²``.

``fit`` checks and prepares the data and settings once; a ``TrainingRun`` holds them and
runs the loop: ``train`` (epochs) → ``train_epoch`` → per batch ``compute_gradients``
then ``apply_step``.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from vecnn.autodiff.anomaly import is_anomaly_enabled
from vecnn.autodiff.mode import no_grad
from vecnn.autodiff.plan import StepPlan, plans_enabled
from vecnn.backend import Array, dtype_name, errstate, sum_all, to_device, xp
from vecnn.backend.host import xp as host_xp
from vecnn.data import (
    SparseColumns,
    Task,
    check_sample_weight,
    encode_targets,
    minibatches,
    split_validation,
)
from vecnn.distributed import DataParallel
from vecnn.distributed.parallel import digest
from vecnn.losses import Loss, get_loss, l2_penalty
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
from vecnn.train.example_rows import checked_columns
from vecnn.train.history import History

if TYPE_CHECKING:
    from vecnn.autodiff.tensor import Tensor
    from vecnn.train.network import Network


class TrainingDivergedError(FloatingPointError):
    """The cost became NaN or infinite; the weights are those before the failing step.

    ``where`` says what happened and when (``"the cost became nan at epoch 3, step 40"``).
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where or message


def _make_optimizer(optimizer: str | Optimizer, network: Network, lr: float) -> Optimizer:
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
    schedule: str | Callable[[int], float] | LRScheduler | None,
    optimizer: Optimizer,
    epochs: int,
    initial_epoch: int = 0,
    lr: float = 1e-3,
) -> LRScheduler | _FunctionSchedule | None:
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

    def __init__(
        self, optimizer: Optimizer, function: Callable[[int], float], epoch: int = 0
    ) -> None:
        self.optimizer, self.function, self.epoch = optimizer, function, epoch
        optimizer.lr = float(function(epoch))

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = float(self.function(self.epoch))


def _callbacks(
    early_stopping: int | EarlyStopping | None, callbacks: Iterable[Callback]
) -> list[Callback]:
    chosen = list(callbacks)
    for callback in chosen:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be vecnn Callback objects; got {callback!r}")
    if early_stopping is None or early_stopping is False:
        return chosen
    if isinstance(early_stopping, EarlyStopping):
        return [*chosen, early_stopping]
    return [*chosen, EarlyStopping(patience=early_stopping)]


def _correct(output: Array, Y: Array, task: Task, threshold: float | Array = 0.5) -> Array:
    """How many examples' predictions from ``output (n[L], m)`` match ``Y`` (a 0-d integer
    array, left on the device).

    ``output`` is ``A[L]`` or the logits ``Z[L]``: both give the same argmax, and for
    sigmoid units ``a ≥ θ`` is ``z ≥ logit θ``; ``threshold`` is ``θ`` on the scale of
    ``output`` (``Network.output_threshold``), a number or a column ``(n[L], 1)``.
    """
    if task == "binary":
        return xp.count_nonzero((output >= threshold) == (Y >= 0.5))
    if task == "multiclass":
        return xp.count_nonzero(xp.argmax(output, axis=0) == xp.argmax(Y, axis=0))
    return xp.count_nonzero(xp.all((output >= threshold) == (Y >= 0.5), axis=0))


def evaluate_arrays(
    network: Network,
    loss: Loss,
    X: Array,
    Y: Array,
    task: Task,
    sample_weight: Array | None = None,
) -> dict[str, float]:
    """Cost and accuracy of ``network`` (in inference mode) on ``X``, ``Y`` in the notation.

    ``sample_weight (m,)`` weighs the cost (``Σ s_i L_i / Σ s_i``); accuracy counts examples.
    """
    was_training = network.training
    network.eval()
    try:
        with no_grad():
            Y = to_device(Y)
            output = network.logits(X) if loss.takes_logits else network.forward(X)
            cost = loss(output, Y, sample_weight).item()
    finally:
        network.train(was_training)
    logs = {"loss": cost}
    if task != "regression":
        threshold = network.output_threshold(loss.takes_logits)
        logs["accuracy"] = int(_correct(output.data, Y, task, threshold)) / Y.shape[1]
    return logs


def fit(
    network: Network,
    X: Any,
    Y: Any,
    loss: str | Loss | None = None,
    optimizer: str | Optimizer = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: int | host_xp.random.Generator | None = None,
    validation_data: tuple[Any, ...] | None = None,
    validation_split: float = 0.0,
    early_stopping: int | EarlyStopping | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    l2: float = 0.0,
    classes: Any = None,
    schedule: str | Callable[[int], float] | LRScheduler | None = None,
    initial_epoch: int = 0,
    sample_weight: Any = None,
    distributed: Any = None,
) -> History:
    """Train on ``X (n[0], m)`` and ``Y``; return the per-epoch ``History``.

    This function is ``Network.fit`` (the network is ``self`` there).

    - ``X``: an array ``(n[0], m)``, or a ``vecnn.data.SparseColumns`` (the examples as the
      rows of a SciPy sparse matrix), densified one mini-batch at a time; a plain sparse
      matrix is refused.

    - ``Y``: labels of length ``m`` (any values: strings too) or an indicator/one-hot
      matrix ``(n[L], m)`` for classification; ``(n[L], m)`` or ``(m,)`` for regression.
    - ``loss``: ``"binary_cross_entropy"`` (sigmoid outputs: binary, one-vs-rest,
      multi-label), ``"categorical_cross_entropy"`` (softmax), ``"mse"``; None picks
      the one that goes with the output activation.
    - ``optimizer``: a name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``) used with
      ``lr``, or an optimizer built on ``network.parameters()``.
    - ``batch_size=None`` is full-batch gradient descent; ``shuffle`` reshuffles each
      epoch; ``seed`` restarts the network's generator (shuffling and dropout).
    - ``validation_data=(X_val, Y_val)`` (or ``(X_val, Y_val, s_val)`` with weights) or
      ``validation_split`` (the last fraction, after a shuffle; stratified by class for
      classification, a class with one example staying in training with a warning) adds
      ``val_loss``/``val_accuracy`` to the history.
    - ``early_stopping``: a patience (int) or an ``EarlyStopping``; it restores the best
      weights by default. ``callbacks``: ``Callback`` objects.
    - ``l2``: λ of the penalty ``(λ/(2m)) Σ ‖W[l]‖²``. ``classes``: all the labels, when
      ``Y`` may lack some (their order is kept).
    - ``schedule``: the learning rate per epoch: ``"cosine"``, ``"exponential"``,
      ``"inverse_time"`` (the textbook's ``α₀/(1 + decay·epoch)``), ``"step"``, a function
      ``epoch → lr``, or an ``LRScheduler`` built on ``optimizer``.
    - ``initial_epoch``: the epoch to start from when resuming (epochs before it are
      taken as done: the schedule and the history's epoch numbers continue from it).
    - ``sample_weight``: one non-negative weight ``s_i`` per example (``(m,)``, or a
      number). A batch's cost is then ``J = Σ s_i L_i / Σ s_i + (λ/(2 Σ s_i)) Σ ‖W[l]‖²``
      (its examples' weights; unit weights give the plain mean and ``m``); a batch whose
      weights are all 0 is skipped. Accuracy counts examples, unweighted.
    - ``distributed``: ``vecnn.distributed.MPI()`` under ``mpiexec``: each mini-batch is
      spread over the ranks, which reach the one-process weights (docs/distributed.md).

    The history's ``loss`` is the mean over the epoch's examples of their batch's ``J``,
    the cost the optimizer minimizes (the penalty included), as ``on_batch_end`` sees it;
    ``val_loss`` is the data cost alone.

    The optimizer used is ``network.optimizer_`` and the history ``network.history_``,
    also after an interruption: on ``KeyboardInterrupt`` (or any error) training stops,
    the network keeps its best weights (with early stopping) and the exception goes on.
    A cost or gradient that becomes NaN or infinite stops training with a
    ``TrainingDivergedError`` naming the epoch and step, before that step changes the
    weights.

    ``fit`` trains on the examples as contiguous rows: a C-ordered ``X (n[0], m)`` is
    copied once into that layout, and the copy is kept while ``X`` lives, so that further
    ``fit`` calls on the same, unchanged ``X`` (``fit(epochs=1)`` in a loop) neither copy
    nor check it again (``vecnn.train.example_rows.forget_kept_rows()`` frees it sooner).

    A later ``fit`` continues from the current weights and keeps the classes the first
    one learned (so the output units keep their meaning): ``Y`` may lack some of them,
    and a label that is not among them is a ValueError; pass ``classes`` to relabel.
    """
    _check_settings(epochs, batch_size, lr, l2, validation_split)
    if not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epochs:
        raise ValueError(f"initial_epoch must be in [0, epochs); got {initial_epoch!r}")
    if classes is None and network._task in ("binary", "multiclass"):
        classes = network.classes_
    loss_fn = get_loss(loss, network.output_activation)
    # checked (a network made with Dense(n_out) first is built here), as example rows
    X = checked_columns(
        X,
        lambda X: network.check_X(X, sparse=True),
        network.sizes[0],
        dtype_name(network.dtype),
    )
    if isinstance(X, SparseColumns) and distributed is not None:
        raise ValueError("distributed training takes dense X: SparseColumns is for one process")
    m = X.shape[1]
    targets = encode_targets(Y, m, network.n_outputs, loss_fn.name, classes)
    weights = check_sample_weight(sample_weight, m)
    network.task, network.classes_ = targets.task, targets.classes
    rng = network.rng if seed is None else as_generator(seed)
    if seed is not None:
        network.set_rng(rng)

    data = Examples(X, targets.matrix, weights, dtype_name(network.dtype))
    validation = None
    if validation_data is not None:
        validation = _validation_examples(network, loss_fn, validation_data, targets.classes)
    elif validation_split:
        if distributed is not None and distributed.shard == "given":
            raise ValueError(
                "validation_split needs shard='split' (every rank the same data); with "
                "shard='given' pass each rank's own validation_data"
            )
        train_index, val_index = split_validation(m, validation_split, rng, labels=_strata(targets))
        data, validation = data.subset(train_index), data.subset(val_index)
        _check_split_weights(data, validation, validation_split)

    parallel = None if distributed is None else DataParallel(distributed, data.m)
    if parallel is not None and parallel.rank != 0:
        verbose = 0  # rank 0 alone prints
    run = TrainingRun(
        network=network,
        loss=loss_fn,
        optimizer=_make_optimizer(optimizer, network, lr),
        data=data,
        validation=validation,
        task=targets.task,
        batch_size=batch_size,
        shuffle=shuffle,
        rng=rng,
        l2=l2,
        callbacks=_callbacks(early_stopping, callbacks),
        verbose=verbose,
        parallel=parallel,
    )
    run.scheduler = _make_schedule(schedule, run.optimizer, epochs, initial_epoch, lr)
    if parallel is None:
        return run.train(initial_epoch, epochs)
    settings = {"epochs": epochs, "batch_size": batch_size, "shuffle": shuffle, "l2": l2}
    settings.update(initial_epoch=initial_epoch, schedule=repr(schedule))
    parallel.check(_identity(run, settings))
    parallel.start(network)
    try:
        return run.train(initial_epoch, epochs)
    finally:
        parallel.finish(network)


def _identity(run: TrainingRun, settings: dict[str, Any]) -> dict[str, Any]:
    """What every rank of a data-parallel fit must share (compared before the first step)."""
    network, parallel, data = run.network, run.parallel, run.data
    validation = run.validation
    identity = {
        **settings,
        "network": network.config(),
        "optimizer": repr(run.optimizer),
        "loss": run.loss.name,
        "task": run.task,
        "classes": None if network.classes_ is None else [str(c) for c in network.classes_],
        "generator": digest(xp.frombuffer(repr(run.rng.bit_generator.state).encode(), "u1")),
        "shard": parallel.distributed.shard,
        "ranks": parallel.size,
        "weighted": data.weights is not None,
        "validation": None if validation is None else validation.X_rows.shape[1],
    }
    if parallel.distributed.shard == "split":
        identity["data"] = digest(*_arrays(data))
        if validation is not None:
            identity["validation"] = digest(*_arrays(validation))
    return identity


def _arrays(examples: Examples) -> list[Array]:
    weights = [] if examples.weights is None else [examples.weights]
    return [examples.X_rows, examples.Y_rows, *weights]


class Examples:
    """Training examples kept example-contiguous: ``X`` and ``Y`` as C-ordered rows.

    ``X_rows (m, n[0])`` and ``Y_rows (m, n[L])`` are the transposes of ``X (n[0], m)`` and
    ``Y (n[L], m)``: a mini-batch is a gather of rows, and its transposed view is the
    ``(n, m_b)`` matrix of the notation, with no further copy. ``weights (m,)`` or None.
    Made on the host from NumPy arrays; ``on_device()`` moves them, once per ``fit``.
    A sparse ``X`` (``SparseColumns``) stays sparse on the host in ``X_rows``: each
    mini-batch is densified and moved when it is taken.
    """

    def __init__(self, X: Array | SparseColumns, Y: Array, weights: Array | None, dtype: Any):
        if isinstance(X, SparseColumns):
            self.X_rows: Any = X.astype(dtype)
        else:
            self.X_rows = host_xp.ascontiguousarray(X.T, dtype=dtype)
        self.Y_rows = host_xp.ascontiguousarray(Y.T, dtype=dtype)
        self.weights = weights

    @property
    def sparse(self) -> bool:
        return isinstance(self.X_rows, SparseColumns)

    def on_device(self) -> Examples:
        """The same examples as arrays of the backend, on its device."""
        moved = copy.copy(self)
        if not self.sparse:
            moved.X_rows = to_device(self.X_rows)
        moved.Y_rows = to_device(self.Y_rows)
        if self.weights is not None:
            moved.weights = to_device(self.weights.astype(self.Y_rows.dtype, copy=False))
        return moved

    @property
    def m(self) -> int:
        return self.Y_rows.shape[0]

    def columns(self, index: Array | None = None) -> tuple[Array, Array, Array | None]:
        """``(X, Y, s)`` of the examples ``index`` (all when None) as ``(n, m_b)`` columns."""
        X_b = to_device(self.X_rows.dense_rows(index)).T if self.sparse else None
        if index is None:
            return self.X_rows.T if X_b is None else X_b, self.Y_rows.T, self.weights
        index = to_device(index)
        s = None if self.weights is None else xp.take(self.weights, index, axis=0)
        if X_b is None:
            X_b = xp.take(self.X_rows, index, axis=0).T
        return X_b, xp.take(self.Y_rows, index, axis=0).T, s

    def subset(self, index: Array) -> Examples:
        """The examples ``index``, on the host (before the data cross to the device)."""
        s = None if self.weights is None else self.weights[index]
        X = self.X_rows.subset(index) if self.sparse else self.X_rows[index].T
        return Examples(X, self.Y_rows[index].T, s, self.Y_rows.dtype)


def _validation_examples(
    network: Network, loss: Loss, validation_data: Any, classes: Array | None
) -> Examples:
    """``validation_data = (X_val, Y_val)`` or ``(X_val, Y_val, s_val)``, checked and encoded."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a pair (X_val, Y_val) or a triple (X_val, Y_val, s_val)"
        )
    X_val, Y_val, *s_val = validation_data
    X_val = network.check_X(X_val, name="X_val", sparse=True)
    m_val = X_val.shape[1]
    Y_val = encode_targets(Y_val, m_val, network.n_outputs, loss.name, classes).matrix
    weights = check_sample_weight(s_val[0], m_val, "s_val") if s_val else None
    return Examples(X_val, Y_val, weights, dtype_name(network.dtype))


@dataclass
class EpochTotals:
    """What an epoch adds up over its batches: ``Σ m_b J_b``, correct predictions, examples."""

    cost: Any = 0.0  # these two are summed on the device (0-d arrays) and read once per epoch
    correct: Any = 0
    examples: int = 0


@dataclass(eq=False)
class TrainingRun:
    """One call of ``fit``: the prepared data and settings, and the loop over epochs.

    ``train`` runs the epochs, ``train_epoch`` one pass over ``batches()``; per batch,
    ``compute_gradients`` (forward, cost, backward: each parameter's ``.grad``) then
    ``apply_step`` (the optimizer's update). ``network.history_`` is the ``History``
    being filled and ``network.optimizer_`` the optimizer: both stay reachable when
    training stops early or is interrupted.
    """

    network: Network
    loss: Loss
    optimizer: Optimizer
    data: Examples
    validation: Examples | None
    task: Task
    batch_size: int | None
    shuffle: bool
    rng: host_xp.random.Generator
    l2: float
    callbacks: list[Callback]
    verbose: int
    parallel: DataParallel | None = None
    scheduler: LRScheduler | _FunctionSchedule | None = None
    history: History = field(default_factory=History)
    epoch: int = 0  # the epoch being trained
    step: int = 0  # optimizer steps so far in this fit

    def __post_init__(self) -> None:
        network = self.network
        network.history_ = self.history
        network.optimizer_ = self.optimizer
        self.weights = [p for name, p in network.named_parameters().items() if name[0] == "W"]
        self.data = self.data.on_device()  # the one crossing of the training data
        if self.validation is not None:
            self.validation = self.validation.on_device()
        self.threshold = network.output_threshold(self.loss.takes_logits)
        # batch norm estimates a variance: a last batch of one example joins the one before
        self.smallest_batch = max(layer.min_batch for layer in network.layers)
        # the callbacks that look at each batch's cost (the loop reads it only for them)
        self.batch_listeners = [
            c for c in self.callbacks if type(c).on_batch_end is not Callback.on_batch_end
        ]
        # Batch norm's running statistics move in the forward pass: kept to put them back
        # when that step turns out to diverge (they are (n, 1) columns: cheap to copy).
        self.buffers = list(network.named_buffers().values())
        self.buffers_before: list[Array] = []
        # One recorded step per batch shape, replayed (autodiff/plan.py) when every layer's
        # training forward is plain graph operations; None: every step through the engine.
        replayable = all(layer.replayable for layer in network.layers)
        self.plans: dict[tuple, StepPlan] | None = (
            {} if plans_enabled() and replayable and self.parallel is None else None
        )

    # ------------------------------------------------------------------- epochs
    def train(self, first: int, epochs: int) -> History:
        """Epochs ``first … epochs − 1``; on an interruption, the best weights, then re-raise."""
        network = self.network
        network.stop_training = False
        network.train()
        for callback in self.callbacks:
            callback.on_train_begin(network)
        try:
            # The loop finds NaN and infinity itself (and stops on them): no NumPy warnings.
            with errstate(over="ignore", invalid="ignore", divide="ignore"):
                for epoch in range(first, epochs):
                    self.epoch = epoch
                    if self.train_epoch(epochs):
                        self.history.stopped_epoch = epoch
                        break
        finally:  # also on KeyboardInterrupt or divergence: the best weights, then eval mode
            for callback in self.callbacks:
                callback.on_train_end(network)
                if isinstance(callback, EarlyStopping) and callback.restore_best_weights:
                    self.history.best_epoch = callback.best_epoch
            network.eval()
        return self.history

    def train_epoch(self, epochs: int) -> bool:
        """One pass over the data with its callbacks and record; True when training should stop."""
        network, epoch = self.network, self.epoch
        for callback in self.callbacks:
            callback.on_epoch_begin(network, epoch)
        started = time.perf_counter()
        totals = EpochTotals()
        for X_b, Y_b, s_b in self.batches():
            if self.parallel is not None:
                self.train_shard(X_b, Y_b, s_b, totals)
                continue
            if s_b is not None and not bool(xp.any(s_b)):
                continue  # every example of the batch weighs 0: nothing to learn from it
            totals.examples += X_b.shape[1]
            cost, output = self.compute_gradients(X_b, Y_b, s_b)
            self.apply_step(cost)
            totals.cost = totals.cost + xp.astype(cost, xp.float64) * X_b.shape[1]
            if self.task != "regression":
                totals.correct = totals.correct + _correct(output, Y_b, self.task, self.threshold)
            if self.batch_listeners:  # only they make the loop read each batch's cost
                logs = {"loss": float(cost)}
                for callback in self.batch_listeners:
                    callback.on_batch_end(network, self.step, logs)
            self.step += 1
        logs = self.epoch_logs(totals, started)
        self.history.record(epoch, logs)
        if self.verbose:
            _print_epoch(epoch, epochs, logs)
        stop = False
        for callback in self.callbacks:
            stop = bool(callback.on_epoch_end(network, epoch, logs)) or stop
        return stop or network.stop_training

    def batches(self) -> Iterator[tuple[Array, Array, Array | None]]:
        """``(X_b, Y_b, s_b)`` of each mini-batch of one epoch, as ``(n, m_b)`` columns.

        Full-batch gradient descent without shuffling uses the data as it is, with no
        copy. A last batch smaller than ``smallest_batch`` joins the one before.
        """
        m, batch_size, parallel = self.data.m, self.batch_size, self.parallel
        if parallel is None and (batch_size is None or batch_size >= m) and not self.shuffle:
            yield self.data.columns()
            return
        if parallel is not None:  # the global batches; this rank's part of each
            m = parallel.examples
        indices = list(minibatches(m, batch_size, self.rng, self.shuffle))
        if len(indices) > 1 and len(indices[-1]) < self.smallest_batch:
            indices[-2:] = [host_xp.concatenate(indices[-2:])]
        for index in indices:
            yield self.data.columns(index if parallel is None else parallel.shard(index))

    # -------------------------------------------------------------------- steps
    def compute_gradients(self, X_b: Array, Y_b: Array, s_b: Array | None) -> tuple[Array, Array]:
        """Forward, cost ``J`` and backward on one batch; ``J`` (a 0-d array) and the output
        ``(n[L], m_b)``, both left on the device.

        Each parameter's ``.grad`` then holds ``∂J/∂p``; ``apply_step`` checks ``J`` and the
        gradients before the update. An unweighted step is recorded once per batch shape
        and then replayed (``StepPlan``: the engine's numbers, bit for bit, without it).
        """
        if self.buffers:
            self.buffers_before = [xp.asarray(b, copy=True) for b in self.buffers]
        self.optimizer.zero_grad()
        if self.plans is None or s_b is not None or is_anomaly_enabled():
            return self.engine_step(X_b, Y_b, s_b)
        key = (X_b.shape, Y_b.shape, X_b.dtype, Y_b.dtype)
        plan = self.plans.get(key)
        if plan is None and len(self.plans) < 4:  # (the full batches and the last one)
            plan, (J, output) = StepPlan.record(self.forward_cost, (X_b, Y_b))
            if plan is None:
                self.plans = None  # a graph that cannot be replayed: the engine from now on
                J.backward()
            elif plan.ready():
                self.plans[key] = plan
                plan.backward()
            else:  # a parameter kept an earlier gradient: the engine adds to it
                J.backward()
            return J.data, output.data
        if plan is not None and plan.ready():
            return tuple(plan.replay(X_b, Y_b))
        return self.engine_step(X_b, Y_b, s_b)

    def engine_step(self, X_b: Array, Y_b: Array, s_b: Array | None) -> tuple[Array, Array]:
        """``compute_gradients`` through the graph engine: forward, ``J``, ``J.backward()``."""
        J, output = self.forward_cost(X_b, Y_b, s_b)
        J.backward()
        return J.data, output.data

    def forward_cost(
        self, X_b: Array, Y_b: Array, s_b: Array | None = None
    ) -> tuple[Tensor, Tensor]:
        """The forward pass and ``J = loss(output, Y_b) + (λ/(2 m_b)) Σ ‖W[l]‖²``: the
        Tensors ``J`` and the output (``Z[L]`` for a loss from logits, else ``A[L]``)."""
        network, loss = self.network, self.loss
        output = network.logits(X_b) if loss.takes_logits else network.forward(X_b)
        J = loss(output, Y_b, s_b)
        m_b = X_b.shape[1] if s_b is None else float(xp.sum(s_b))
        penalty = l2_penalty(self.weights, self.l2, m_b)
        if penalty is not None:
            J = J + penalty
        return J, output

    def apply_step(self, cost: Array | float) -> None:
        """The optimizer's update, unless the cost or a gradient is NaN or infinite: a
        ``TrainingDivergedError`` then, before the weights change. The step's one read from
        the device is this test."""
        if not _finite(cost, self.optimizer):
            value = float(cost)
            if not math.isfinite(value):
                raise self.diverged(f"the cost became {value}")
            raise self.diverged(f"a gradient became infinite or NaN (cost {value:.4g})")
        self.optimizer.step()

    # ------------------------------------------------------- data-parallel steps
    def train_shard(self, X_b: Array, Y_b: Array, s_b: Array | None, totals: EpochTotals) -> None:
        """One data-parallel step: this rank's columns of the global batch.

        Its cost is scaled so that the ranks' costs sum to the batch's ``J``; after backward
        the gradients and the logs are summed over the ranks, then the L2 term, the
        finiteness checks and the step act on the sums, alike on every rank.
        """
        parallel, network, loss = self.parallel, self.network, self.loss
        width = parallel.batch.width
        mine = X_b.shape[1] if s_b is None else float(s_b.sum())
        total = width if s_b is None else parallel.reduce_sums(mine)[0]
        if total == 0:
            return  # every example of the batch weighs 0: nothing to learn from it
        totals.examples += width
        if self.buffers:
            self.buffers_before = [buffer.copy() for buffer in self.buffers]
        output = network.logits(X_b) if loss.takes_logits else network.forward(X_b)
        J = parallel.local_cost(loss(output, Y_b, s_b), output, mine / total)
        self.optimizer.zero_grad()
        J.backward()
        parallel.reduce_gradients(self.optimizer)
        correct = 0
        if self.task != "regression":
            correct = _correct(output.data, Y_b, self.task, self.threshold)
        cost, correct = parallel.reduce_sums(J.item(), correct)
        cost += parallel.add_l2(self.weights, self.l2, total)
        if not math.isfinite(cost):
            raise self.diverged(f"the cost became {cost}")
        self.apply_step(cost)
        totals.cost += cost * width
        totals.correct += round(correct)
        for callback in self.callbacks:
            callback.on_batch_end(network, self.step, {"loss": cost})
        self.step += 1

    def reduced_validation(self) -> dict[str, float]:
        """The validation logs, each rank evaluating its columns, the sums reduced."""
        columns = self.parallel.validation_columns(self.validation.m)
        X_val, Y_val, s_val = self.validation.columns()
        X_val, Y_val = X_val[:, columns], Y_val[:, columns]
        s_val = None if s_val is None else s_val[columns]
        sums = self.evaluation_sums(X_val, Y_val, s_val)
        return self.logs_of_sums(*self.parallel.reduce_sums(*sums))

    def validation_logs(self) -> dict[str, float]:
        """``loss`` and ``accuracy`` on the validation data: sparse data one batch at a
        time (their sums added up), data-parallel by the ranks, else in one pass."""
        if self.parallel is not None:
            return self.reduced_validation()
        if not self.validation.sparse:
            X_val, Y_val, s_val = self.validation.columns()
            return evaluate_arrays(self.network, self.loss, X_val, Y_val, self.task, s_val)
        sums = [0.0, 0, 0.0, 0]
        for index in minibatches(self.validation.m, self.batch_size, self.rng, shuffle=False):
            part = self.evaluation_sums(*self.validation.columns(index))
            sums = [total + value for total, value in zip(sums, part, strict=True)]
        return self.logs_of_sums(*sums)

    def evaluation_sums(self, X: Array, Y: Array, s: Array | None) -> list[float]:
        """``[Σ s_i L_i, correct, Σ s_i, m]`` on the columns ``X``, ``Y``: what the batches
        of sparse validation data, or the ranks, add up (``s_i = 1`` without weights)."""
        m = X.shape[1]
        weight = m if s is None else float(xp.sum(s))
        part = {"loss": 0.0, "accuracy": 0.0}
        if weight:
            part.update(evaluate_arrays(self.network, self.loss, X, Y, self.task, s))
        return [part["loss"] * weight, round(part["accuracy"] * m), weight, m]

    def logs_of_sums(self, cost: float, correct: float, weight: float, m: int) -> dict[str, float]:
        logs = {"loss": cost / weight}
        if self.task != "regression":
            logs["accuracy"] = correct / m
        return logs

    def epoch_logs(self, totals: EpochTotals, started: float) -> dict[str, float]:
        """The epoch's logs: ``loss``, ``accuracy``, validation, ``lr``, ``time``; then the
        schedule moves the learning rate on for the next epoch."""
        logs = {"loss": float(totals.cost) / totals.examples}  # the epoch's reads
        if self.task != "regression":
            logs["accuracy"] = int(totals.correct) / totals.examples
        if self.validation is not None:
            logs.update({f"val_{key}": value for key, value in self.validation_logs().items()})
        logs["lr"] = self.optimizer.lr
        logs["time"] = time.perf_counter() - started
        if self.scheduler is not None:
            self.scheduler.step()
        return logs

    def diverged(self, what: str) -> TrainingDivergedError:
        """The error for a step that diverged; batch norm's statistics as before that step."""
        for buffer, before in zip(self.buffers, self.buffers_before, strict=False):
            buffer[...] = before  # the failing step leaves no trace
        where = f"{what} at epoch {self.epoch + 1}, step {self.step + 1}"
        return TrainingDivergedError(
            f"{where}: training stopped before that step changed the weights. Try a lower "
            f"learning rate (lr={self.optimizer.lr:g} now) or scale the inputs (standardize "
            "each feature)",
            where=where,
        )


def _finite(cost: Array, optimizer: Optimizer) -> bool:
    """True when ``cost`` and every gradient are finite: one reduction over each flat
    gradient buffer (backward wrote every gradient there) and one read from the device.
    NaN and ±inf make the sum of everything non-finite; a sum of finite values that
    overflows gets a closer look."""
    grads = optimizer.flat.gather_grads()  # the buffers (zeros where a grad is None)
    total = cost  # a 0-d array, or a float (data-parallel)
    for g in grads:
        total = total + sum_all(g)
    if math.isfinite(float(total)):
        return True
    return bool(xp.isfinite(xp.asarray(cost))) and all(bool(xp.all(xp.isfinite(g))) for g in grads)


def _check_settings(epochs: Any, batch_size: Any, lr: Any, l2: Any, validation_split: Any) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, Integral) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive integer, or None for full-batch gradient descent; "
            f"got {batch_size!r}"
        )
    if not isinstance(lr, Real) or not 0 < lr < math.inf:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if not isinstance(l2, Real) or not 0 <= l2 < math.inf:
        raise ValueError(f"l2 must be a non-negative number; got {l2!r}")
    if not isinstance(validation_split, Real) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1); got {validation_split!r}")


def _check_split_weights(data: Examples, validation: Examples, fraction: float) -> None:
    """Refuse a validation split that leaves one side with every weight 0."""
    for side, examples, what in (
        ("training", data, "learn from"),
        ("validation", validation, "validate on"),
    ):
        if examples.weights is not None and not examples.weights.any():
            raise ValueError(
                f"sample_weight is 0 for every {side} example that validation_split={fraction} "
                f"leaves ({examples.m} examples): there is nothing to {what}. Give some of "
                "them a weight, or pass validation_data=(X_val, Y_val, s_val)"
            )


def _strata(targets: Any) -> Array | None:
    """The class label of each example, to stratify the validation split (None: not
    classes); a soft target counts for the class it leans to (``a ≥ 0.5``, the argmax)."""
    if targets.task == "binary":
        return targets.classes[(targets.matrix[0] >= 0.5).astype(host_xp.intp)]
    if targets.task == "multiclass":
        return targets.classes[targets.matrix.argmax(axis=0)]
    return None


def _print_epoch(epoch: int, epochs: int, logs: dict[str, float]) -> None:
    shown = "  ".join(
        f"{key} {value:.4f}" for key, value in logs.items() if key not in ("lr", "time")
    )
    width = len(str(epochs))
    print(f"epoch {epoch + 1:>{width}}/{epochs}  {shown}  ({logs['time']:.2f} s)", file=sys.stdout)
