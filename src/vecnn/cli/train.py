"""``vecnn train`` and ``vecnn demo``: CSV in; model, metrics, history and report out."""

from __future__ import annotations

import contextlib
import csv
import io as text_io
import itertools
import math
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vecnn import io as model_io
from vecnn.backend.host import Array, xp
from vecnn.cli.common import (
    UsageError,
    bold,
    check_network_size,
    check_writable_folder,
    class_probabilities,
    say,
    warn,
    warnings_muted,
    write_json,
)
from vecnn.cli.progress import Progress
from vecnn.cli.resume import (
    BEST_FILE,
    CHECKPOINT_FILE,
    EpochCheckpoint,
    file_digest,
    fingerprint,
    refuse_unfinished_run,
    resume,
)
from vecnn.cli.summary import data_section, remove_stale_plots, rising_loss
from vecnn.csvfile import Chunk, read_csv
from vecnn.data import Task, hold_out, rare_classes_note
from vecnn.distributed import DistributedMismatchError
from vecnn.errors import DataError
from vecnn.metrics import task_scores
from vecnn.nn import Dense, Dropout
from vecnn.optim import get_optimizer
from vecnn.preprocessing import (
    MAX_CATEGORIES,
    DateFeature,
    Preprocessor,
    Target,
    imputation_notes,
    is_missing,
    missing_counts,
)
from vecnn.report import DecisionRegions, write_report
from vecnn.train.callbacks import EarlyStopping
from vecnn.train.fit import TrainingDivergedError
from vecnn.train.history import History
from vecnn.train.network import Network

MODEL_FILE = "model.vecnn"
DEFAULT_PATIENCE = 10
"""Early stopping's patience when there are validation rows and none was given."""
OUTPUT_FILES = (
    MODEL_FILE,
    "metrics.json",
    "history.csv",
    CHECKPOINT_FILE,
    BEST_FILE,
    "report.html",
    *(f"{plot}.png" for plot in ("loss", "metrics", "confusion", "predicted", "decision")),
)
"""The files ``vecnn train`` writes into ``--out`` (the report's plots included)."""


@dataclass
class Settings:
    """Everything ``vecnn train`` was asked for (the parsed command line)."""

    data: Path
    target: list[str]
    layers: list[int]
    activation: str = "relu"
    task: str = "auto"
    head: str = "softmax"
    optimizer: str = "adam"
    lr: float = 1e-3
    epochs: int = 50
    batch_size: int | None = 32
    val_split: float = 0.2
    early_stopping: int | None = None
    """Patience in epochs; None: ``DEFAULT_PATIENCE`` when there are validation rows; 0: off."""
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    out: Path = Path("vecnn-out")
    impute: str | None = None
    drop: list[str] = field(default_factory=list)
    """Columns left out of the features (``--drop``)."""
    max_categories: int | None = MAX_CATEGORIES
    delimiter: str | None = None
    quiet: bool = False
    resume: Path | None = None
    overwrite: bool = False
    """Start afresh even though ``out`` holds the checkpoint of an unfinished run."""
    command: str = ""
    held_out: str = "validation"
    """What the held-out rows are called in the output ("test" for the demo)."""
    distributed: str | None = None
    """``"mpi"``: data-parallel training over the ranks of ``mpiexec``."""
    threads: int | None = None


def parse_layers(text: str) -> list[int]:
    """``"64,32"`` → ``[64, 32]``; an empty string is no hidden layer (one neuron per output)."""
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(
            f"--layers takes sizes separated by commas, e.g. 64,32; got {text!r}"
        ) from None
    if any(size < 1 for size in sizes):
        raise UsageError(f"--layers sizes must be positive; got {text!r}")
    return sizes


def _split_rows(
    m: int, fraction: float, seed: int, labels: Array | None = None
) -> tuple[Array, Array, list[str]]:
    """Shuffled row indices ``(train, validation, rare)``: ``data.hold_out`` with the
    option's name, and at least 2 training rows; the validation part may be empty."""
    try:
        return hold_out(
            m, fraction, xp.random.default_rng(seed), labels, option="--val-split", min_train=2
        )
    except ValueError as error:
        raise DataError(str(error).replace("examples", "rows")) from None


def _output_activation(task: str, head: str) -> str:
    if task == "regression":
        return "linear"
    if task == "multiclass" and head == "softmax":
        return "softmax"
    return "sigmoid"


def build_network(settings: Settings, n_features: int, n_outputs: int, output: str) -> Network:
    """Dense layers ``n[0] → --layers … → n[L]``, with dropout after each hidden layer."""
    rng = xp.random.default_rng(settings.seed)
    layers: list[Any] = []
    sizes = [n_features, *settings.layers]
    for n_in, n_out in itertools.pairwise(sizes):
        layers.append(Dense(n_in, n_out, activation=settings.activation, seed=rng))
        if settings.dropout:
            layers.append(Dropout(settings.dropout))
    layers.append(Dense(sizes[-1], n_outputs, activation=output, seed=rng))
    return Network(layers, seed=rng)


def _n_outputs(preprocessing: Preprocessor) -> int:
    target = preprocessing.target
    if target.task == "regression" or target.task == "multilabel":
        return len(target.names)
    if target.task == "binary":
        return 1
    return len(target.classes)


@dataclass
class Outcome:
    """The network on labelled rows, computed once for the metrics and the report.

    ``X (n[0], m)`` as the network takes it; ``truth`` and ``predicted``: labels ``(m,)``
    (classification), an indicator ``(K, m)`` (multi-label), or values ``(n[L], m)`` in the
    target's units (regression); ``proba (K, m)`` the class probabilities (None for
    regression).
    """

    X: Array
    truth: Array
    predicted: Array
    proba: Array | None


def outcome(network: Network, preprocessing: Preprocessor, chunk: Chunk, path: Any) -> Outcome:
    """Predict the rows of ``chunk`` (the target must be present) and pair with the truth."""
    target = preprocessing.target
    X = preprocessing.transform(chunk, path)
    if target.task == "regression":
        truth = target.decode(target.encode(chunk, path))
        return Outcome(X, truth, target.decode(network.predict_proba(X).astype(xp.float64)), None)
    if target.task == "multilabel":
        predicted = network.predict(X).astype(float)
        proba = network.predict_proba(X).astype(xp.float64)
        return Outcome(X, target.encode(chunk, path), predicted, proba)
    return Outcome(X, target.labels(chunk), network.predict(X), class_probabilities(network, X))


def scores_of(result: Outcome, network: Network, task: Task) -> dict:
    """The metrics of the task for one ``Outcome`` (those of ``Network.evaluate``)."""
    return task_scores(task, result.truth, result.predicted, result.proba, network.classes_)


def scores_for(network: Network, preprocessing: Preprocessor, chunk: Chunk, path: Any) -> dict:
    """The metrics of ``network`` on the rows of ``chunk`` (the target must be present)."""
    result = outcome(network, preprocessing, chunk, path)
    return scores_of(result, network, preprocessing.target.task)


@dataclass
class Prepared:
    """The data of a run: the preprocessing learned on the training rows, and the rows.

    ``X (n[0], m)`` and ``Y`` (labels, an indicator, or scaled values) are the training
    rows as the network takes them; ``validation`` the same for the held-out rows (None
    with ``--val-split 0``).
    """

    preprocessing: Preprocessor
    train_rows: Chunk
    val_rows: Chunk | None
    X: Array
    Y: Array
    validation: tuple[Array, Array] | None
    notes: list[str] = field(default_factory=list)
    """What was done to the data, in sentences (printed, and shown in the report)."""
    warnings: list[str] = field(default_factory=list)
    """What may be wrong with the data (printed on standard error, shown in the report)."""
    rows_read: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    """Missing values per feature column (in the rows kept), filled by ``--impute``."""


def prepare(settings: Settings) -> Prepared:
    """Read ``settings.data``, split it, and learn the preprocessing on the training rows."""
    # Numbers as float64, 8 bytes each: how they were written is not needed for training.
    table = read_csv(settings.data, settings.delimiter, keep_text=False)
    rows_read = len(table)
    notes: list[str] = []
    table = _drop_columns(table, settings, notes)
    table = drop_rows_without_target(table, settings.target, notes)
    # Every row is checked first (a bad value anywhere is reported, and a target with one
    # class is one in the file); then the scaling and the classes are learned from the
    # training rows alone, for the task found on the whole file.
    whole = Preprocessor.fit(
        table,
        settings.target,
        settings.task,
        settings.impute,
        settings.data,
        settings.max_categories,
        refuse_identifiers=True,
    )
    classifying = whole.target.task in ("binary", "multiclass")
    train_index, val_index, rare = _split_rows(
        len(table),
        settings.val_split,
        settings.seed,
        whole.target.labels(table) if classifying else None,
    )
    warned = []
    if rare:
        warned.append(rare_classes_note(rare).replace("example", "row"))
        warn(warned[-1])
    train_rows = table.take(train_index)
    val_rows = table.take(val_index) if len(val_index) else None
    missing = missing_counts(table, whole.feature_columns)
    del table  # the rows live on in train_rows and val_rows
    try:
        preprocessing = Preprocessor.fit(
            train_rows,
            settings.target,
            whole.target.task,
            settings.impute,
            settings.data,
            settings.max_categories,
            refuse_identifiers=True,
        )
    except DataError as error:
        raise DataError(
            f"{error.reason}, in the {len(train_rows)} training rows that --val-split "
            f"{settings.val_split:g} leaves; use more rows or a smaller --val-split",
            error.path,
            error.line,
            error.column,
        ) from None
    target = preprocessing.target
    # Why the task is what it is, and how to change it: found on the whole file.
    target.reason, target.hint = whole.target.reason, whole.target.hint
    X = preprocessing.transform(train_rows, settings.data)
    Y = target.encode(train_rows, settings.data)  # labels, an indicator, or scaled values
    validation = None
    if val_rows is not None:
        X_val = preprocessing.transform(val_rows, settings.data)
        validation = (X_val, target.encode(val_rows, settings.data))
    notes += _feature_notes(preprocessing, missing, settings.impute)
    return Prepared(
        preprocessing, train_rows, val_rows, X, Y, validation, notes, warned, rows_read, missing
    )


def _drop_columns(table: Chunk, settings: Settings, notes: list[str]) -> Chunk:
    """``table`` without the ``--drop`` columns (each must exist and not be a target)."""
    if not settings.drop:
        return table
    unknown = [name for name in settings.drop if name not in table.columns]
    if unknown:
        raise DataError(
            f"--drop names columns not in the file: {', '.join(unknown)}; available columns: "
            f"{', '.join(table.columns)}",
            settings.data,
        )
    targets = [name for name in settings.drop if name in settings.target]
    if targets:
        raise UsageError(f"--drop names the target column {targets[0]!r}")
    notes.append(f"columns dropped (--drop): {', '.join(settings.drop)}")
    return table.select([name for name in table.columns if name not in settings.drop])


def drop_rows_without_target(table: Chunk, target: list[str], notes: list[str]) -> Chunk:
    """``table`` without the rows whose ``target`` is missing (a target cannot be imputed
    or scored); a note with their count and first lines goes to ``notes``."""
    names = [name for name in target if name in table.columns]
    missing = xp.zeros(len(table), dtype=bool)
    for name in names:
        if table.numbers(name) is None:  # numbers have no missing value
            missing |= xp.array([is_missing(value) for value in table.column(name)], dtype=bool)
    dropped = int(missing.sum())
    if not dropped:
        return table
    lines = [table.lines[i] for i in xp.flatnonzero(missing).tolist()]
    shown = ", ".join(map(str, lines[:10])) + (", …" if len(lines) > 10 else "")
    note = (
        f"{dropped} row{'s' if dropped > 1 else ''} dropped: the target is missing (line"
        f"{'s' if dropped > 1 else ''} {shown}); a target cannot be imputed"
    )
    notes.append(note)
    return table.take(xp.flatnonzero(~missing))


def _feature_notes(
    preprocessing: Preprocessor, missing: dict[str, int], impute: str | None
) -> list[str]:
    """What became of the date columns, and what ``--impute`` filled."""
    notes = [
        f"column {f.name!r}: ISO dates, used as {', '.join(f.parts)} (standardized)"
        for f in preprocessing.features
        if isinstance(f, DateFeature)
    ]
    if impute is not None:
        filled = imputation_notes(preprocessing.features, impute, missing)
        notes += [f"--impute {impute}: {note}" for note in filled]
    return notes


def train(settings: Settings) -> int:
    """Run ``vecnn train``; returns the exit status.

    With ``--distributed mpi`` every rank runs this; rank 0 alone prints and writes. An
    error on some ranks only ends the whole job (the others would wait for them forever).
    """
    distributed = connect(settings)
    if distributed is None or distributed.size == 1:
        return _train(settings, distributed)
    if distributed.rank != 0:
        settings.quiet = True  # and no warnings: rank 0 gives them once
    muted = warnings_muted() if distributed.rank != 0 else contextlib.nullcontext()
    try:
        with muted:
            return _train(settings, distributed)
    except (DistributedMismatchError, TrainingDivergedError):
        raise  # raised on every rank alike: each exits with its message
    except KeyboardInterrupt:
        distributed.abort(130)  # rank 0 said how to resume; a rank in a collective waits
        raise
    except BaseException as error:
        print(f"vecnn: error on rank {distributed.rank}: {error}", file=sys.stderr, flush=True)
        distributed.abort(1)
        raise


def connect(settings: Settings) -> Any:
    """``vecnn.distributed.MPI`` for ``--distributed mpi``, else None."""
    if settings.distributed is None:
        if settings.threads is not None:
            raise UsageError("--threads goes with --distributed mpi")
        return None
    if settings.threads is not None and settings.threads < 1:
        raise UsageError(f"--threads must be at least 1; got {settings.threads}")
    from vecnn.distributed import MPI

    return MPI(threads=settings.threads)


def _train(settings: Settings, distributed: Any) -> int:
    leader = distributed is None or distributed.rank == 0
    if settings.early_stopping and settings.val_split == 0:
        raise UsageError(
            "--early-stopping needs validation rows: use --val-split > 0 (or --early-stopping 0)"
        )
    out = check_writable_folder(settings.out) if leader else settings.out
    if leader:
        for name in OUTPUT_FILES:  # a read-only file, a device, the data: refused before work
            model_io.check_output_path(out / name)
        if settings.resume is None and not settings.overwrite:
            refuse_unfinished_run(out)
    data = prepare(settings)
    preprocessing, train_rows, X, Y = data.preprocessing, data.train_rows, data.X, data.Y
    target = preprocessing.target
    identity = fingerprint(settings, file_digest(settings.data))
    resumed = None
    if settings.resume is not None:
        resumed = resume(settings.resume, identity, settings.epochs)
        network = resumed.network
    else:
        output = _output_activation(target.task, settings.head)
        sizes = [X.shape[0], *settings.layers, _n_outputs(preprocessing)]
        # weights, gradients, two moments of Adam; the activations of a mini-batch
        check_network_size(sizes, min(settings.batch_size or X.shape[1], X.shape[1]), 4, 4)
        network = build_network(settings, X.shape[0], _n_outputs(preprocessing), output)
    validation = data.validation

    say(
        bold(
            f"vecnn: {target.task} on {len(train_rows)} rows of {settings.data}"
            f" (target {', '.join(target.names)}; {X.shape[0]} inputs)"
        ),
        settings.quiet,
    )
    say(_task_line(target), settings.quiet)
    for note in data.notes:
        say(note, settings.quiet)
    say(network.summary(layout_note=False), settings.quiet)
    say("", settings.quiet)

    batch = settings.batch_size or X.shape[1]
    stopper = _early_stopping(settings, validation is not None)
    optimizer = get_optimizer(settings.optimizer, network.parameters(), lr=settings.lr)
    earlier: dict[str, list[float]] = {}
    if resumed is not None:
        resumed.restore(optimizer, stopper)
        optimizer.lr = settings.lr  # the checkpoint's optimizer state holds the old one
        earlier = resumed.history
        say(f"resuming after epoch {resumed.epoch} from {settings.resume}", settings.quiet)
        if resumed.lr_before != settings.lr:
            say(
                f"learning rate {resumed.lr_before} before, {settings.lr:g} from epoch "
                f"{resumed.epoch + 1} (history.csv's lr column records each epoch's)",
                settings.quiet,
            )
    checkpoint = EpochCheckpoint(
        out, identity, preprocessing.config(), earlier, stopper, settings.epochs
    )
    if resumed is not None and resumed.training_done(settings.epochs, stopper):
        if not leader:
            return 0
        say(
            f"the checkpoint's run has no epoch left to train ({resumed.epoch} done): "
            "writing its outputs",
            settings.quiet,
        )
        checkpoint.saved_epoch = resumed.epoch
        history = _finished_history(network, resumed, stopper)
        return _write_and_say(settings, out, network, data, history, stopper, checkpoint)
    callbacks: list[Any] = [
        Progress(settings.epochs, math.ceil(X.shape[1] / batch), settings.quiet),
        *([stopper] if stopper is not None else []),
        *([checkpoint] if leader else []),  # after early stopping: its verdict is in
    ]
    try:
        history = network.fit(
            X,
            Y,
            optimizer=optimizer,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            seed=None if resumed is not None else settings.seed,
            validation_data=validation,
            callbacks=callbacks,
            verbose=0,
            l2=settings.l2,
            classes=target.classes,
            initial_epoch=0 if resumed is None else resumed.epoch,
            distributed=distributed,
        )
    except KeyboardInterrupt:
        if leader:
            _say_how_to_resume(settings, checkpoint)
        raise
    except OSError:  # e.g. the disk filled up while a checkpoint was written
        if leader:
            _say_how_to_resume(settings, checkpoint, "stopped by the error below")
        raise
    if not leader:
        return 0
    history.history = {
        key: [*earlier.get(key, []), *values] for key, values in history.history.items()
    }
    return _write_and_say(settings, out, network, data, history, stopper, checkpoint)


def _finished_history(network: Network, resumed: Any, stopper: EarlyStopping | None) -> History:
    """The state a run ends in, for a checkpoint with no epoch left: early stopping's best
    weights put back (as at the end of ``fit``) and the history of its epochs."""
    history = History()
    history.history = resumed.history
    if stopper is not None:
        stopper.on_train_begin(network)  # takes the resumed state
        if stopper.wait >= stopper.patience:
            history.stopped_epoch = resumed.epoch - 1
        stopper.on_train_end(network)
        history.best_epoch = stopper.best_epoch
    network.eval()
    return history


def _write_and_say(
    settings: Settings,
    out: Path,
    network: Network,
    data: Prepared,
    history: History,
    stopper: EarlyStopping | None,
    checkpoint: EpochCheckpoint,
) -> int:
    """Write the outputs of a trained run and say where they are (what was kept if not)."""
    training = [*_stopping_notes(stopper, history, settings.epochs), *rising_loss(history.history)]
    written: list[Path] = []
    try:
        scores, files, model_path = write_outputs(
            settings, out, network, data, history.history, training=training, written=written
        )
    except KeyboardInterrupt:
        _say_what_was_kept(settings, written, checkpoint)
        raise
    except OSError:
        _say_what_was_kept(settings, written, checkpoint, "stopped by the error below")
        raise
    shown = {k: v for k, v in scores.items() if isinstance(v, float)}
    say("", settings.quiet)
    for line in training:
        say(line, settings.quiet)
    say(
        bold(f"{scores['evaluated_on']} metrics ({scores['examples']} rows): ")
        + "  ".join(f"{k} {v:.4f}" for k, v in shown.items()),
        settings.quiet,
    )
    if "unseen_labels" in scores:
        say(f"labels never seen in training: {scores['unseen_labels']}", settings.quiet)
    say(f"model:   {model_path}", settings.quiet)
    say(f"report:  {files['report']}", settings.quiet)
    say(f"metrics: {out / 'metrics.json'}   history: {out / 'history.csv'}", settings.quiet)
    return 0


def write_outputs(
    settings: Settings,
    out: Path,
    network: Network,
    data: Prepared,
    history: dict[str, list[float]],
    training: list[str] = (),
    written: list[Path] | None = None,
) -> tuple[dict, dict, Path]:
    """What ``vecnn train`` leaves in ``out``: the model, metrics.json, history.csv and the
    report; returns the scores, the report's files and the model's path. ``training``:
    sentences about how training went (the best epoch kept), shown in the report. Each
    file is appended to ``written`` once it is written (to say what was kept on an
    interrupt)."""
    written = [] if written is None else written
    preprocessing, target = data.preprocessing, data.preprocessing.target
    val_rows, train_rows = data.val_rows, data.train_rows
    evaluated = val_rows if val_rows is not None else train_rows
    result = outcome(network, preprocessing, evaluated, settings.data)
    scores = scores_of(result, network, target.task)
    scores["evaluated_on"] = settings.held_out if val_rows is not None else "training"
    scores["examples"] = len(evaluated)
    model_path = model_io.save(
        network,
        out / MODEL_FILE,
        preprocessing=preprocessing.config(),
        metadata={"command": settings.command, "data": str(settings.data)},
    )
    written.append(model_path)
    write_json(out / "metrics.json", scores)
    written.append(out / "metrics.json")
    _write_history(out / "history.csv", history)
    written.append(out / "history.csv")
    files = write_report(
        out,
        title=f"vecnn: {', '.join(target.names)} from {Path(settings.data).name}",
        summary=network.summary(layout_note=False),
        metrics={k: v for k, v in scores.items() if isinstance(v, float)},
        history=history,
        task=target.task,
        classes=None if target.classes is None else list(target.classes),
        **_report_data(network, preprocessing, result),
        command=settings.command,
        training=list(training),
        data=data_section(data, settings),
        metrics_source=f"{scores['evaluated_on']} rows ({scores['examples']})",
    )
    remove_stale_plots(out, files)
    return scores, files, model_path


def _early_stopping(settings: Settings, validating: bool) -> EarlyStopping | None:
    """Early stopping on the validation loss, keeping the best epoch's weights: on by
    default (patience ``DEFAULT_PATIENCE``) whenever there are validation rows."""
    patience = settings.early_stopping
    if patience is None:
        patience = DEFAULT_PATIENCE
    if not patience or not validating:
        return None
    return EarlyStopping(patience=patience)


def _stopping_notes(stopper: EarlyStopping | None, history: Any, epochs: int) -> list[str]:
    """``best epoch N (val_loss X): its weights are kept``, and when training stopped early."""
    if stopper is None or stopper.best_epoch is None:
        return []
    notes = []
    if history.stopped_epoch is not None and history.stopped_epoch + 1 < epochs:
        notes.append(
            f"stopped after epoch {history.stopped_epoch + 1} of {epochs}: val_loss had not "
            f"improved for {stopper.patience} epochs"
        )
    notes.append(
        f"best epoch {stopper.best_epoch + 1} (val_loss {stopper.best:.4g}): its weights are kept"
    )
    return notes


def _task_line(target: Target) -> str:
    """The task decision and how to change it, e.g. ``task: regression (…; use --task …)``."""
    hint = f"; {target.hint}" if target.hint else ""
    return f"task: {target.task} ({target.reason}{hint})"


def _say_how_to_resume(
    settings: Settings, checkpoint: EpochCheckpoint, what: str = "interrupted"
) -> None:
    """After Ctrl-C, SIGTERM or an OS error: what was kept, and the command that goes on."""
    if checkpoint.saved_epoch is None:
        print(f"vecnn: {what} before the first epoch ended: nothing to resume", file=sys.stderr)
        return
    print(
        f"vecnn: {what}; the weights after epoch {checkpoint.saved_epoch} are saved in "
        f"{checkpoint.path}\nresume with: {resume_command(settings.command, checkpoint.path)}",
        file=sys.stderr,
    )


def _say_what_was_kept(
    settings: Settings, written: list[Path], checkpoint: EpochCheckpoint, what: str = "interrupted"
) -> None:
    """After Ctrl-C or SIGTERM once training ended: which outputs were written, and the
    command that writes them all from the final checkpoint (no training)."""
    kept = ", ".join(str(path) for path in written) or "none of the outputs"
    print(
        f"vecnn: {what} after training, while writing the outputs; written: {kept}. "
        f"The final epoch's checkpoint is {checkpoint.path}\n"
        f"write the outputs (report.html too) with: "
        f"{resume_command(settings.command, checkpoint.path)}",
        file=sys.stderr,
    )


def _report_data(network: Network, preprocessing: Preprocessor, result: Outcome) -> dict:
    """The arrays the report plots: true and predicted values, and decision regions."""
    if preprocessing.target.task == "multilabel":
        return {}
    data: dict[str, Any] = {"y_true": result.truth, "y_pred": result.predicted}
    numeric = [f for f in preprocessing.features if hasattr(f, "mean")]
    if len(preprocessing.features) == 2 and len(numeric) == 2:
        data["decision"] = _decision_regions(network, preprocessing, result)
    return data


def _decision_regions(
    network: Network, preprocessing: Preprocessor, result: Outcome
) -> DecisionRegions:
    first, second = preprocessing.features
    mean = xp.array([[first.mean], [second.mean]])
    std = xp.array([[first.std], [second.std]])
    # The points in the features' own units, missing values filled as in training
    # (--impute): the standardized inputs, scaled back.
    raw = result.X.astype(xp.float64) * std + mean

    def predict(points: Array) -> Array:
        output = network.predict((points - mean) / std)
        return output if output.ndim == 1 else output[0]

    return DecisionRegions((first.name, second.name), raw, result.truth, predict)


def _write_history(path: Path, history: dict[str, list[float]]) -> None:
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = list(history)
    writer.writerow(["epoch", *keys])
    for epoch in range(len(history[keys[0]]) if keys else 0):
        writer.writerow([epoch + 1, *(repr(history[key][epoch]) for key in keys)])
    model_io.atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))


def command_line(argv: list[str]) -> str:
    """The command as typed, to show in the report and to build the resume command."""
    return shlex.join(["vecnn", *argv])


def resume_command(command: str, checkpoint: Path) -> str:
    """``command`` with ``--resume checkpoint`` (in place of any earlier ``--resume``)."""
    words = shlex.split(command)
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word == "--resume":
            skip = True
            continue
        if word.startswith("--resume="):
            continue
        kept.append(word)
    return shlex.join([*kept, "--resume", str(checkpoint)])
