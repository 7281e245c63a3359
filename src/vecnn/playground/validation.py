"""What a request may ask for: strict JSON, known fields, values within the limits.

Every problem is a ``RequestError`` whose message the page shows as it is; the server
answers it with HTTP 400. Nothing from a request is ever evaluated as code.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from vecnn.playground.datasets import DATASETS

MAX_UNITS = 256  # n[l]
MAX_LAYERS = 8  # L, the output layer included
MAX_EXAMPLES = 10_000  # m
MAX_CLASSES = 8
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_JSON_BYTES = 64 * 1024

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
HEADS = ("sigmoid", "ovr", "softmax")
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")
ACTIONS = ("train", "pause", "step", "reset")


class RequestError(ValueError):
    """A request the playground refuses; the message says what and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """One run: the data, the network ``n[0]=2 → hidden… → n[L]`` and the training."""

    dataset: str = "xor"
    m: int = 400
    noise: float = 0.1
    classes: int = 3
    validation: float = 0.2
    hidden: tuple[int, ...] = (8,)
    activation: str = "tanh"
    head: str = "sigmoid"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int | None = 16
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    speed: int = 30  # optimizer steps per second while training; 0: as fast as it goes
    target: str | None = None  # the target column of an uploaded CSV
    csv_name: str | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


FIELDS = {f.name for f in fields(Settings)}


def parse_json(body: bytes, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The JSON object in ``body``; a RequestError for anything else."""
    if len(body) > limit:
        raise RequestError(f"the request is {len(body):,} bytes; the limit is {limit:,}")
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"malformed JSON: {error}") from None
    if not isinstance(value, dict):
        raise RequestError(f"the request must be a JSON object; got {type(value).__name__}")
    return value


def _no_constant(name: str) -> Any:
    raise RequestError(f"malformed JSON: {name} is not a number JSON allows")


def parse_settings(data: dict[str, Any], base: Settings | None = None) -> Settings:
    """``base`` (or the defaults) with the fields of ``data`` replaced, each checked."""
    unknown = sorted(set(data) - FIELDS - {"csv_name"})
    if unknown:
        raise RequestError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}"
        )
    values = (base or Settings()).as_json()
    values.update(data)
    checked = {
        "dataset": _choice(values, "dataset", (*DATASETS, "csv")),
        "m": _integer(values, "m", 10, MAX_EXAMPLES),
        "noise": _number(values, "noise", 0.0, 1.0),
        "classes": _integer(values, "classes", 2, MAX_CLASSES),
        "validation": _number(values, "validation", 0.0, 0.5),
        "hidden": _hidden(values["hidden"]),
        "activation": _choice(values, "activation", ACTIVATIONS),
        "head": _choice(values, "head", HEADS),
        "loss": _choice(values, "loss", LOSSES),
        "optimizer": _choice(values, "optimizer", OPTIMIZERS),
        "lr": _number(values, "lr", 1e-6, 10.0),
        "batch_size": None
        if values["batch_size"] is None
        else _integer(values, "batch_size", 1, MAX_EXAMPLES),
        "l2": _number(values, "l2", 0.0, 10.0),
        "dropout": _number(values, "dropout", 0.0, 0.9),
        "seed": _integer(values, "seed", 0, 2**32 - 1),
        "speed": _integer(values, "speed", 0, 1000),
        "target": _text(values, "target"),
        "csv_name": _text(values, "csv_name"),
    }
    return Settings(**checked)


def parse_action(data: dict[str, Any]) -> tuple[str, int]:
    """``{"action": "train"|"pause"|"step"|"reset", "steps": k}`` (steps only for step)."""
    unknown = sorted(set(data) - {"action", "steps"})
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(unknown)}; known: action, steps")
    action = _choice({"action": data.get("action")}, "action", ACTIONS)
    steps = _integer({"steps": data.get("steps", 1)}, "steps", 1, 10_000)
    return action, steps


def parse_upload(data: dict[str, Any]) -> tuple[str, str | None, str]:
    """``{"csv": text, "target": column or null, "name": file name}``."""
    unknown = sorted(set(data) - {"csv", "target", "name"})
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(unknown)}; known: csv, name, target")
    text = data.get("csv")
    if not isinstance(text, str) or not text.strip():
        raise RequestError("csv must be the text of a CSV file with a header row")
    name = _text(data, "name") or "upload.csv"
    return text, _text(data, "target"), name


def parse_theta(query: dict[str, list[str]]) -> float | None:
    """The threshold θ of ``?theta=``, in (0, 1), or None when not given."""
    values = query.get("theta")
    if not values:
        return None
    try:
        theta = float(values[0])
    except ValueError:
        raise RequestError(f"theta must be a number in (0, 1); got {values[0]!r}") from None
    if not 0 < theta < 1:
        raise RequestError(f"theta must be in (0, 1); got {values[0]!r}")
    return theta


def _choice(values: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = values.get(name)
    if value not in allowed:
        raise RequestError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value  # type: ignore[no-any-return]


def _integer(values: dict[str, Any], name: str, low: int, high: int) -> int:
    value = values.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be an integer; got {value!r}")
    if not low <= value <= high:
        raise RequestError(f"{name} must be between {low:,} and {high:,}; got {value:,}")
    return value


def _number(values: dict[str, Any], name: str, low: float, high: float) -> float:
    value = values.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{name} must be a finite number; got {value!r}")
    if isinstance(value, int) and not low <= value <= high:  # also beyond float's range
        raise RequestError(f"{name} must be between {low:g} and {high:g}; got {value:,}")
    if not math.isfinite(value):
        raise RequestError(f"{name} must be a finite number; got {value!r}")
    if not low <= value <= high:
        raise RequestError(f"{name} must be between {low:g} and {high:g}; got {value:g}")
    return float(value)


def _text(values: dict[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise RequestError(f"{name} must be a string of at most 200 characters; got {value!r}")
    return value


def _hidden(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise RequestError(f"hidden must be a list of layer sizes n[1..L-1]; got {value!r}")
    if len(value) > MAX_LAYERS - 1:
        raise RequestError(
            f"at most {MAX_LAYERS} layers (L ≤ {MAX_LAYERS}): {len(value)} hidden layers and "
            "the output layer make too many"
        )
    for l, n in enumerate(value, start=1):
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_UNITS:
            raise RequestError(f"n[{l}] must be an integer between 1 and {MAX_UNITS}; got {n!r}")
    return tuple(value)
