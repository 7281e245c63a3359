"""What every layer provides: forward on Tensors, its parameters, its mode, its config, and
its own description (summary row, equations, ONNX nodes, the checks of its config and state).

A new layer type is one class: ``summary``, ``vecnn explain``, the ONNX export and the
model file's validation ask the layer, never switch on its type.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any, ClassVar, Protocol

from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array
from vecnn.backend.host import xp as host_xp
from vecnn.errors import ShapeError

Generator = host_xp.random.Generator
"""The random generator of initialization, shuffling and dropout (``numpy.random.Generator``)."""

Seed = int | Generator | None
"""A seed: an int, a generator to draw from, or None for fresh entropy."""


def as_generator(seed: Seed) -> Generator:
    """A ``numpy.random.Generator`` from a seed (int or None) or the Generator itself."""
    if isinstance(seed, host_xp.random.Generator):
        return seed
    try:
        if isinstance(seed, bool):
            raise TypeError  # NumPy would take True as 1
        return host_xp.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValueError(
            f"seed must be None, a non-negative integer or a numpy.random.Generator; got {seed!r}"
        ) from None


def shape_text(rows: int | str | None, cols: int | str | None) -> str:
    """``(rows×cols)`` as the equations print a shape; ``?`` for a size not known yet."""
    return f"({'?' if rows is None else rows}×{'?' if cols is None else cols})"


def is_positive_int(value: Any) -> bool:
    """True for an int ≥ 1 (not a bool): a size as a config may give it."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def stored_size(config: dict[str, Any], key: str) -> int:
    """``config[key]``, a size of a saved layer: an int ≥ 1, or a ValueError naming the key
    (a layer is saved built, so its stored sizes are all known: ``null`` is no size)."""
    value = config.get(key)
    if not is_positive_int(value):
        found = "nothing" if key not in config else json.dumps(value)[:80]
        raise ValueError(
            f"config key {key!r} must be a positive integer (a saved layer knows all its "
            f"sizes); found {found}"
        )
    return int(value)


class GraphBuilder(Protocol):
    """What ``Layer.onnx_nodes`` is handed by the ONNX exporter (which alone imports onnx).

    Names are made unique by the builder; each method returns the name it used.
    """

    def constant(self, base: str, values: Any) -> str:
        """An initializer holding ``values`` (in the graph's float type)."""
        ...

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        """One node of the standard operator ``op``."""
        ...

    def activation(self, name: str, Z: str, output: str) -> str:
        """The node of ``vecnn.nn.ACTIVATIONS[name]`` applied to ``Z`` (rows: axis 1 units)."""
        ...


class Layer:
    """Base class: maps ``A[l-1] (n[l-1], m)`` to ``A[l] (n[l], m)``.

    Subclasses set ``kind`` (the name under which model files record them), implement
    ``forward`` and ``config``, and list their trained Tensors in ``params`` (a dict from
    a short name, ``"W"``, ``"b"``, ``"gamma"``, to the Tensor) and their untrained state in
    ``buffer_arrays`` (e.g. running statistics). They describe themselves by overriding
    what differs from the defaults below: ``summary_cells``, ``equations``, ``flops``,
    ``onnx_nodes``, ``state_shapes`` (and ``config_keys`` when the constructor's arguments
    are not the config). ``vecnn.nn.register_layer`` lets model files name the type.
    """

    kind: ClassVar[str] = "layer"
    numbered: ClassVar[bool] = False
    """True for a layer that starts a new ``l`` of the notation (``W[l]``, ``b[l]``): Dense."""
    stochastic: ClassVar[bool] = False
    """True for a layer that draws from the network's generator in training (Dropout)."""
    min_batch: ClassVar[int] = 1
    """The fewest examples a training batch may have (batch norm estimates a variance: 2)."""
    replayable: ClassVar[bool] = False
    """True for a layer whose training forward is graph operations only, the same ones at
    every step (no draw, no state changed outside the graph): ``fit`` may then record one
    step and replay it (``autodiff/plan.py``). Dense and Activation are."""
    activation: str = "linear"
    dtype: Any = None
    """The parameters' dtype; None for a layer without parameters."""
    seeded: bool = True
    """False for a layer whose initial draw a seeded network makes for it (a Dense made
    without a seed): the network redraws it from its own generator, in layer order."""
    global_batch: Any = None
    """Set by data-parallel training for a fit: the global batch's width and this rank's
    columns, for the layers whose forward depends on the whole batch (dropout's mask,
    batch norm's statistics)."""

    def __init__(self) -> None:
        self.training = True
        self.params: dict[str, Tensor] = {}
        self.buffer_arrays: dict[str, Array] = {}
        self.rng: Generator | None = None

    # --------------------------------------------------------------- sizes
    @property
    def n_in(self) -> int | None:
        """``n[l-1]``, the number of inputs; None when any number works (dropout) or
        when it is found at the first call (``Dense(n_out)``)."""
        return None

    @property
    def n_out(self) -> int | None:
        """``n[l]``, the number of units; None when equal to the input (dropout)."""
        return None

    @property
    def built(self) -> bool:
        """True once the layer has its parameters (always, but for a deferred input size)."""
        return True

    def build(self, n_in: int, rng: Generator | None = None) -> None:
        """Make the parameters for ``n_in`` inputs, drawing from ``rng`` (None: the
        layer's own seed). Nothing to do once built (a ShapeError for another ``n_in``)."""
        if self.built:
            if self.n_in is not None and n_in != self.n_in:
                raise ShapeError(f"{self.kind}: built for {self.n_in} inputs; got {n_in}")
            return
        self.make_parameters(n_in, rng)

    def make_parameters(self, n_in: int, rng: Generator | None) -> None:
        """What ``build`` does for a layer made without its input size (which also says
        ``built``: False until then), e.g. ``Dense(n_out)``."""
        raise NotImplementedError(f"{self.kind} cannot be built for an input size")

    def reset_parameters(self, rng: Generator) -> None:
        """Draw the initial parameters afresh from ``rng`` (nothing to draw by default)."""

    # ------------------------------------------------------------ computing
    def forward(self, A_prev: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, A_prev: Tensor) -> Tensor:
        return self.forward(A_prev)

    def logits(self, A_prev: Tensor) -> Tensor:
        """The output before the layer's activation ``g`` (``Z[l]`` for Dense): what the
        fused losses take from the last layer. The output itself for a layer without one."""
        return self.forward(A_prev)

    @property
    def final_activation(self) -> str | None:
        """The activation the output ends with (``"linear"`` for none); None for a layer that
        passes its input through in inference (dropout), so the layer before decides."""
        return "linear"

    # ---------------------------------------------------------------- config
    def config(self) -> dict[str, Any]:
        """The layer's settings as plain JSON values (what ``from_config`` takes back)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    @classmethod
    def config_keys(cls) -> tuple[str, ...]:
        """The keys a config may have: the constructor's arguments, but never a seed (a
        model file checks every layer's config against them)."""
        parameters = inspect.signature(cls.__init__).parameters.values()
        return tuple(
            p.name
            for p in parameters
            if p.name not in ("self", "seed")
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    @classmethod
    def state_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        """The shapes of the parameters and buffers that ``config`` asks for, by short name,
        computed without making the layer (a model file's header is checked against them
        before anything is allocated). A size that is not a positive int (``null``, a
        string) is a ValueError naming its key: ``stored_size`` does both."""
        return {}

    @classmethod
    def declared_values(cls, config: dict[str, Any]) -> int:
        """How many parameter and buffer values ``config`` asks to allocate."""
        return sum(math.prod(shape) for shape in cls.state_shapes(config).values())

    # ----------------------------------------------------------- description
    def summary_cells(self) -> tuple[str, str, str]:
        """The summary's ``W[l]``, ``b[l]`` and ``activation`` cells: by default the first
        two parameters as ``name (shape)`` and the activation of a layer that has one."""
        shapes = [f"{name} {tuple(p.shape)}" for name, p in self.params.items()]
        first, second = [*shapes, "", ""][:2]
        return first, second, "" if self.activation == "linear" else self.activation

    def flops(self, n_prev: int) -> int:
        """Floating-point operations per example of the forward pass (counted for dense)."""
        return 0

    def equations(self, l: int, n_prev: int, loss: str | None = None) -> list[str]:
        """The layer's lines of ``vecnn explain``, with the network's shapes: ``l`` is its
        index in the notation, ``n_prev`` its input size, ``loss`` the network's loss name
        when this is the last layer (None otherwise)."""
        n = self.n_out if self.n_out is not None else n_prev
        line = f"  {self.kind}: A {shape_text(n_prev, 'm')} → {shape_text(n, 'm')}"
        if self.params:
            shapes = ", ".join(f"{key}[{l}] {tuple(p.shape)}" for key, p in self.params.items())
            line += f"; trained: {shapes}"
        return [line]

    def onnx_nodes(self, graph: GraphBuilder, A_prev: str, l: int) -> str:
        """Add the layer's inference nodes to ``graph`` on ``A_prev``, rows ``(batch, n[l-1])``
        (the transpose of the notation's columns); return the name of ``A[l]ᵀ``."""
        raise NotImplementedError(f"{self.kind} has no onnx_nodes")

    # ------------------------------------------------------------------ mode
    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)
