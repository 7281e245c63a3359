"""The search space of ``vecnn tune``: ``--param NAME=SPEC``, checked before Ray starts.

SPEC is ``a:b`` (uniform), ``a:b:log`` (log-uniform), ``v1|v2|…`` (a choice) or one value
(fixed). Numbers are checked here, so a bad ``--param`` is a usage error (exit 2) and Ray
never starts for it; ``to_ray`` turns the space into Ray Tune's samplers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vecnn.cli.common import UsageError
from vecnn.cli.train import parse_layers
from vecnn.nn import ACTIVATIONS
from vecnn.optim import OPTIMIZERS

HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")

NUMERIC = {"lr": "float", "dropout": "float", "l2": "float", "batch-size": "int"}
"""The settings a range may search, and the kind of number each takes."""
CATEGORICAL = ("layers", "activation", "optimizer")
NAMES = (*NUMERIC, *CATEGORICAL)

DEFAULT_SPACE = ("lr=1e-4:1e-1:log", "layers=32|64,32|128,64", "dropout=0:0.3")
"""The space without ``--param``: learning rate, three layer shapes, dropout."""


@dataclass(frozen=True)
class Dimension:
    """One searched setting: ``kind`` is "uniform", "log" (log-uniform) or "choice".

    ``low``/``high`` bound a range; ``values`` are a choice's values (layers as written,
    e.g. "64,32"). ``integer`` ranges draw whole numbers (``batch-size``).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()
    integer: bool = False

    @property
    def key(self) -> str:
        """The name as a Python identifier (the key in a trial's config)."""
        return self.name.replace("-", "_")

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.name} in {{{', '.join(str(v) for v in self.values)}}}"
        scale = "log-uniform" if self.kind == "log" else "uniform"
        return f"{self.name} {scale} in [{self.low:g}, {self.high:g}]"


def _number(name: str, text: str, spec: str) -> float:
    try:
        value = int(text) if NUMERIC[name] == "int" else float(text)
    except ValueError:
        kind = "a whole number" if NUMERIC[name] == "int" else "a number"
        raise UsageError(f"--param {name}={spec}: {text!r} is not {kind}") from None
    if not math.isfinite(value):
        raise UsageError(f"--param {name}={spec}: {text!r} is not a finite number")
    return value


def _check_value(name: str, value: float, spec: str) -> None:
    """The range each setting allows (as ``vecnn train``'s options do)."""
    allowed = {
        "lr": (value > 0, "> 0"),
        "dropout": (0 <= value < 1, "in [0, 1)"),
        "l2": (value >= 0, "≥ 0"),
        "batch-size": (value >= 1, "≥ 1"),
    }
    ok, rule = allowed[name]
    if not ok:
        raise UsageError(f"--param {name}={spec}: {name} must be {rule}; got {value:g}")


def _categorical(name: str, text: str, spec: str) -> str:
    text = text.strip()
    if not text:
        raise UsageError(
            f"--param {name}={spec}: an empty choice between '|'"
            + ("; write 'none' for no hidden layer" if name == "layers" else "")
        )
    if name == "layers":
        if text.lower() == "none":
            return ""
        try:
            parse_layers(text)
        except UsageError as error:
            message = str(error).replace("--layers", "layers")
            raise UsageError(f"--param {name}={spec}: {message}") from None
        return ",".join(part.strip() for part in text.split(","))
    known = HIDDEN_ACTIVATIONS if name == "activation" else tuple(OPTIMIZERS)
    if text not in known:
        raise UsageError(
            f"--param {name}={spec}: unknown {name} {text!r}; choose from {', '.join(known)}"
        )
    return text


def parse_param(text: str) -> Dimension:
    """``NAME=SPEC`` → a ``Dimension``; a ``UsageError`` that names the problem otherwise."""
    name, equals, spec = text.partition("=")
    name = name.strip()
    if not equals or not spec.strip():
        raise UsageError(f"--param takes NAME=SPEC, e.g. lr=1e-4:1e-1:log; got {text!r}")
    if name not in NAMES:
        raise UsageError(f"--param: unknown setting {name!r}; searchable: {', '.join(NAMES)}")
    spec = spec.strip()
    if "|" in spec or ":" not in spec:
        parts = spec.split("|")
        if name in NUMERIC:
            values: list[Any] = [_number(name, part.strip(), spec) for part in parts]
            for value in values:
                _check_value(name, value, spec)
        else:
            values = [_categorical(name, part, spec) for part in parts]
        return Dimension(name, "choice", values=tuple(dict.fromkeys(values)))
    if name in CATEGORICAL:
        raise UsageError(
            f"--param {name}={spec}: {name} takes a choice, e.g. {name}="
            + ("64|64,32|128,64" if name == "layers" else "|".join(_examples(name)))
        )
    parts = spec.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2].strip() != "log"):
        raise UsageError(
            f"--param {name}={spec}: a range is a:b (uniform) or a:b:log (log-uniform)"
        )
    low, high = (_number(name, part.strip(), spec) for part in parts[:2])
    if low > high:
        raise UsageError(f"--param {name}={spec}: the range {low:g}:{high:g} has a > b")
    log = len(parts) == 3
    if log and low <= 0:
        raise UsageError(
            f"--param {name}={spec}: a log range needs a > 0; got {low:g} (use a:b for uniform)"
        )
    _check_value(name, low, spec)
    _check_value(name, high, spec)
    integer = NUMERIC[name] == "int"
    return Dimension(name, "log" if log else "uniform", low, high, integer=integer)


def _examples(name: str) -> tuple[str, ...]:
    return ("relu", "tanh") if name == "activation" else ("adam", "sgd")


def parse_space(params: Sequence[str] | None) -> list[Dimension]:
    """The ``--param`` options (the default space when none), one dimension per name."""
    dimensions: dict[str, Dimension] = {}
    for text in params or DEFAULT_SPACE:
        dimension = parse_param(text)
        if dimension.name in dimensions:
            raise UsageError(f"--param {dimension.name} is given twice")
        dimensions[dimension.name] = dimension
    return list(dimensions.values())


def settings_count(dimensions: Sequence[Dimension]) -> int | None:
    """How many distinct settings the space holds: None when a range makes it unbounded."""
    count = 1
    for d in dimensions:
        if d.kind != "choice":
            return None
        count *= len(d.values)
    return count


def to_ray(dimensions: Sequence[Dimension], tune: Any, grid: bool = False) -> dict[str, Any]:
    """The space as Ray Tune's ``param_space`` (keys: ``Dimension.key``); with ``grid``,
    every combination of the choices once (``tune.grid_search``) instead of draws."""
    space: dict[str, Any] = {}
    for d in dimensions:
        if d.kind == "choice" and len(d.values) > 1 and grid:
            space[d.key] = tune.grid_search(list(d.values))
        elif d.kind == "choice":
            space[d.key] = d.values[0] if len(d.values) == 1 else tune.choice(list(d.values))
        elif d.integer:
            sampler = tune.lograndint if d.kind == "log" else tune.randint
            space[d.key] = sampler(int(d.low), int(d.high) + 1)  # both ends included
        elif d.low == d.high:
            space[d.key] = d.low
        else:
            space[d.key] = (tune.loguniform if d.kind == "log" else tune.uniform)(d.low, d.high)
    return space
