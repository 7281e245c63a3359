"""``vecnn predict`` (streamed in chunks) and ``vecnn evaluate``."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from vecnn import io as model_io
from vecnn.backend.host import xp
from vecnn.cli.common import Model, class_probabilities, load_model, parse_target
from vecnn.cli.train import drop_rows_without_target, scores_for
from vecnn.csvfile import Chunk, CSVReader, read_csv
from vecnn.errors import DataError

CHUNK_ROWS = 10_000
"""Rows read, predicted and written at a time: memory stays bounded for any file size."""


def _header(model: Model) -> list[str]:
    target, network = model.target, model.network
    if target.task == "regression":
        names = target.names
        return ["prediction"] if len(names) == 1 else [f"prediction_{n}" for n in names]
    if target.task == "multilabel":
        return [f"prediction_{n}" for n in target.names] + [f"proba_{n}" for n in target.names]
    return ["prediction"] + [f"proba_{label}" for label in network.classes_.tolist()]


def _p(value: Any) -> str:
    """A probability or a value as written out: 6 significant digits."""
    return f"{float(value):.6g}"


def _rows(model: Model, chunk: Chunk, path: Any) -> list[list[Any]]:
    """The output rows for ``chunk``: the prediction, then one probability per class."""
    target, network = model.target, model.network
    X = model.preprocessing.transform(chunk, path)
    if target.task == "regression":
        values = target.decode(network.predict_proba(X).astype(xp.float64))
        return [[repr(float(v)) for v in column] for column in values.T]  # values: all digits
    if target.task == "multilabel":
        proba = network.predict_proba(X)
        fired = network.predict(X)
        return [
            [int(v) for v in on] + [_p(p) for p in p_col]
            for on, p_col in zip(fired.T, proba.T, strict=True)
        ]
    labels = network.predict(X)
    proba = class_probabilities(network, X)
    return [
        [label, *(_p(p) for p in column)]
        for label, column in zip(labels.tolist(), proba.T, strict=True)
    ]


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    with model_io.output_file("-" if path is None else path, text=True, newline="") as handle:
        yield handle


def predict(
    model_path: str,
    data: str,
    out: str | None,
    delimiter: str | None,
    keep: list[str] = (),
) -> int:
    """Write predictions for every row of ``data``, reading and writing in chunks.

    ``keep``: input columns copied to the output first (an ID, say). Columns the model
    does not use are ignored: the target silently, any other with a note on standard error.
    """
    model = load_model(model_path)
    with CSVReader(data, delimiter) as reader:
        model.preprocessing.check_columns(reader.columns, data, allow=reader.columns)
        absent = [name for name in keep if name not in reader.columns]
        if absent:
            raise DataError(
                f"--keep names columns not in the file: {', '.join(absent)}; available "
                f"columns: {', '.join(reader.columns)}",
                data,
            )
        used = {*model.preprocessing.feature_columns, *model.target.names, *keep}
        ignored = [name for name in reader.columns if name not in used]
        if ignored:
            print(
                f"vecnn: note: columns the model does not use are ignored: {', '.join(ignored)}",
                file=sys.stderr,
            )
        with _output(out) as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([*keep, *_header(model)])
            rows = 0
            for chunk in reader.chunks(CHUNK_ROWS):
                kept = [chunk.column(name) for name in keep]
                predicted = _rows(model, chunk, data)
                writer.writerows(
                    [*(column[i] for column in kept), *row] for i, row in enumerate(predicted)
                )
                rows += len(chunk)
            if rows == 0:
                raise DataError("no data rows (the file has a header only)", data)
    if out is not None and out not in model_io.STANDARD_OUTPUT:
        print(f"{rows} predictions written to {out}", file=sys.stderr)
    return 0


def evaluate(
    model_path: str,
    data: str,
    target: str | list[str] | None,
    as_json: bool,
    delimiter: str | None,
) -> int:
    """Print the model's metrics on ``data`` (which must have the target column)."""
    model = load_model(model_path)
    if target is not None:
        names = parse_target(target)
        if names != model.target.names:
            raise DataError(
                f"the model was trained on target {', '.join(model.target.names)}; got "
                f"--target {', '.join(names)}"
            )
    # Numbers as float64, 8 bytes each, as vecnn train reads them: how they were written
    # is not needed to score (labels come from the numbers, "1.0" → "1", either way).
    table = read_csv(data, delimiter, keep_text=False)
    missing = [name for name in model.target.names if name not in table.columns]
    if missing:
        raise DataError(
            f"target column {missing[0]!r} not found; available columns: "
            f"{', '.join(table.columns)}",
            data,
        )
    model.preprocessing.check_columns(table.columns, data, allow=model.target.names)
    notes: list[str] = []
    table = drop_rows_without_target(table, model.target.names, notes)
    for note in notes:
        print(f"vecnn: {note}", file=sys.stderr)  # stdout stays the scores (or JSON)
    if not len(table):
        raise DataError("no row has a target value to score against", data)
    scores = scores_for(model.network, model.preprocessing, table, data)
    scores["examples"] = len(table)
    if as_json:
        print(json.dumps(scores, indent=2, default=str))
        return 0
    width = max(len(key) for key in scores)
    for key, value in scores.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
    return 0
