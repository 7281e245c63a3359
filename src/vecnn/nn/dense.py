"""The dense layer: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``."""

from __future__ import annotations

import inspect
from numbers import Integral
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, dtype_name, float_dtype, to_device, to_numpy, xp
from vecnn.nn import init as initializers
from vecnn.nn.activation import ACTIVATIONS, DERIVATIVES, LEAKY_RELU_ALPHA, check_activation
from vecnn.nn.layer import (
    Generator,
    GraphBuilder,
    Layer,
    Seed,
    as_generator,
    shape_text,
    stored_size,
)
from vecnn.ops.fused import DENSE_ACTIVATIONS


def check_dtype(dtype: Any) -> Any:
    """The backend's float32 or float64 for ``dtype``; ValueError for any other."""
    return float_dtype(dtype)


class Dense(Layer):
    """A fully connected layer of ``n_out`` units on ``n_in`` inputs.

    ``W`` is ``(n_out, n_in)`` = ``(n[l], n[l-1])`` and ``b`` is ``(n_out, 1)``; the layer
    maps ``A_prev (n_in, m)`` to ``(n_out, m)``. ``init="auto"`` is He for ReLU-family
    activations and Xavier/Glorot otherwise; biases start at zero. ``seed`` is an int, a
    ``numpy.random.Generator`` (a network passes its own), or None: fresh entropy, and,
    once the layer joins a ``Network`` given a seed, a draw from the network's generator.
    Parameters are float32 unless ``dtype`` says otherwise.

    ``Dense(n_out)`` (or ``Dense(n_out, activation)``, ``Dense(None, n_out)``) leaves ``n_in``
    to be found at the first call, as Keras's ``build`` and Chainer's ``Linear(None, n)``:
    the network sizes it from the layer before or from the first ``X`` it sees (a call or
    ``fit``), and only then draws ``W``. The draws are those of the explicit layer: from
    the layer's own seed, or, in a seeded network, from the network's generator in layer
    order (every draw of such a network waits until its last size is known), so
    ``Dense(n_out)`` and ``Dense(n_in, n_out)`` with the same seeds give the same weights.
    A lone size is the units: ``Dense(n_in=3)`` (no ``n_out``) is refused with a TypeError.
    """

    kind = "Dense"
    replayable = True
    numbered = True

    def __init__(
        self,
        n_in: int | None,
        n_out: int | None = None,
        activation: str | None = None,
        init: str = "auto",
        seed: Seed = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        if isinstance(n_out, str) and activation is None:  # Dense(n_out, "relu"), as Keras's
            n_out, activation = None, n_out
        if n_out is None:  # Dense(n_out): one size is the units; n_in comes at the first call
            n_in, n_out = None, n_in
        if isinstance(n_out, str):
            raise ValueError(
                f"Dense: n_out must be a positive integer; got {n_out!r}: write "
                "Dense(n_in, n_out, activation) or Dense(n_out, activation=…, init=…)"
            )
        for label, value in (("n_in", n_in), ("n_out", n_out)):
            if value is None and label == "n_in":
                continue
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"Dense: {label} must be a positive integer; got {value!r}")
        self._n_out = int(n_out)  # a NumPy integer is welcome, stored as int
        self.activation = check_activation(activation)
        self.init = init
        initializers.resolve(init, self.activation)  # an unknown name is refused now
        self.dtype = check_dtype(dtype)
        self.seeded = seed is not None
        self._rng: Generator | None = as_generator(seed)  # until W is drawn
        if n_in is not None:
            self.build(int(n_in))

    def __new__(cls, *args: Any, **kwargs: Any) -> Dense:
        # Only __new__ sees whether a size came by keyword: Dense(3) alone is 3 units with
        # n_in found at the first call, but Dense(n_in=3) names the input size, no units.
        # (A subclass with an __init__ of its own reads its arguments its own way.)
        n_out = kwargs.get("n_out")
        lone_n_in = kwargs.get("n_in") is not None and (n_out is None or isinstance(n_out, str))
        if lone_n_in and cls.__init__ is Dense.__init__:
            raise TypeError(
                f"Dense(n_in={kwargs['n_in']!r}) gives the input size but no n_out, the number "
                f"of units: write Dense({kwargs['n_in']!r}, n_out) (or Dense(n_out) alone, and "
                "n_in is found at the first call)"
            )
        return super().__new__(cls)

    # help(Dense) and inspect.signature(Dense) show __init__'s parameters, not (*args, **kwargs)
    __new__.__signature__ = inspect.signature(__init__)  # type: ignore[attr-defined]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Dense:
        if "n_out" not in config:  # a config always names both sizes
            raise TypeError("Dense's config needs n_out (and n_in)")
        return cls(**config)

    @property
    def built(self) -> bool:
        return bool(self.params)

    def make_parameters(self, n_in: int, rng: Generator | None) -> None:
        """Draw ``W (n_out, n_in)`` from ``rng`` (None: the layer's own seed); ``b`` zeros."""
        make_W = initializers.resolve(self.init, self.activation)
        W = make_W((self._n_out, n_in), self._rng if rng is None else rng, dtype_name(self.dtype))
        self.params = {
            "W": Tensor(W, requires_grad=True, name="W"),
            "b": Tensor(xp.zeros((self._n_out, 1), dtype=self.dtype), requires_grad=True, name="b"),
        }
        self._rng = None

    def reset_parameters(self, rng: Generator) -> None:
        """Draw ``W`` afresh from ``rng`` with the layer's initializer; ``b`` back to zeros."""
        make_W = initializers.resolve(self.init, self.activation)
        self.W.data[...] = to_device(make_W(self.W.shape, rng, dtype_name(self.dtype)))
        self.b.data[...] = 0

    @property
    def W(self) -> Tensor:
        """``W[l]``, ``(n[l], n[l-1])``."""
        if not self.params:
            raise ValueError(
                f"this Dense({self._n_out}) has no W yet: its n_in is found at the first call "
                "(call the layer or its network on X, or fit), or give it: Dense(n_in, n_out)"
            )
        return self.params["W"]

    @property
    def b(self) -> Tensor:
        """``b[l]``, ``(n[l], 1)``."""
        return self.params["b"]

    @property
    def n_in(self) -> int | None:
        return self.params["W"].shape[1] if self.params else None

    @property
    def n_out(self) -> int:
        return self._n_out

    def linear(self, A_prev: Tensor | Array) -> Tensor:
        """``Z[l] = W[l] A[l-1] + b[l]``, one fused node."""
        return ops.dense(self.W, A_prev, self.b)

    def forward(self, A_prev: Tensor | Array) -> Tensor:
        if not self.params:  # alone, the first call sizes it (a network sizes it before)
            self.build(A_prev.shape[0])
        if self.activation in DENSE_ACTIVATIONS:  # one node: A written over Z
            return ops.dense_activation(
                self.W, A_prev, self.b, self.activation, alpha=LEAKY_RELU_ALPHA
            )
        return ACTIVATIONS[self.activation](self.linear(A_prev))

    def logits(self, A_prev: Tensor | Array) -> Tensor:
        return self.linear(A_prev)

    @property
    def final_activation(self) -> str:
        return self.activation

    def config(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation,
            "init": self.init,
            "dtype": dtype_name(self.dtype),
        }

    @classmethod
    def state_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        n_in, n_out = stored_size(config, "n_in"), stored_size(config, "n_out")
        return {"W": (n_out, n_in), "b": (n_out, 1)}

    # ------------------------------------------------------------ description
    def summary_cells(self) -> tuple[str, str, str]:
        W = str(self.W.shape) if self.params else f"({self._n_out}, ?)"
        return W, str((self._n_out, 1)), self.activation

    def flops(self, n_prev: int) -> int:
        """``2 n[l] n[l-1]`` for ``W[l] A[l-1]`` plus ``n[l]`` for ``+ b[l]``, per example."""
        return 2 * self.n_out * n_prev + self.n_out

    def equations(self, l: int, n_prev: int, loss: str | None = None) -> list[str]:
        n, g = self.n_out, self.activation
        count = n * n_prev + n
        lines = [
            f"layer {l}: dense, {g}  W[{l}] {shape_text(n, n_prev)}, b[{l}] {shape_text(n, 1)}: "
            f"{count:,} parameters, {self.flops(n_prev):,} FLOPs per example forward",
            f"  forward   Z[{l}] = W[{l}] {shape_text(n, n_prev)} · A[{l - 1}] "
            f"{shape_text(n_prev, 'm')} + b[{l}] {shape_text(n, 1)}   → {shape_text(n, 'm')}",
            f"            A[{l}] = {g}(Z[{l}])   → {shape_text(n, 'm')}",
        ]
        if loss is not None and g in ("sigmoid", "softmax"):
            lines.append(
                f"  backward  dZ[{l}] = A[{l}] − Y   {shape_text(n, 'm')}   "
                f"({loss} taken from the logits Z[{l}])"
            )
        elif loss is not None:
            lines.append(
                f"  backward  dA[{l}] = (2/n[{l}]) (A[{l}] − Y)   {shape_text(n, 'm')}   ({loss})"
            )
            lines.append(f"            dZ[{l}] = dA[{l}] ⊙ g′(Z[{l}]),  g′ = {DERIVATIVES[g]}")
        else:
            lines.append(
                f"  backward  dZ[{l}] = dA[{l}] ⊙ g′(Z[{l}])   {shape_text(n, 'm')},  "
                f"g′ = {DERIVATIVES[g]}"
            )
        lines.append(f"            dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]ᵀ   {shape_text(n, n_prev)}")
        lines.append(f"            db[{l}] = (1/m) Σ_columns dZ[{l}]   {shape_text(n, 1)}")
        if l > 1:
            lines.append(f"            dA[{l - 1}] = W[{l}]ᵀ dZ[{l}]   {shape_text(n_prev, 'm')}")
        else:
            lines.append("            (no dA[0]: the inputs X are not trained)")
        return lines

    def onnx_nodes(self, graph: GraphBuilder, A_prev: str, l: int) -> str:
        """Rows: ``A[l]ᵀ = g(A[l-1]ᵀ W[l]ᵀ + b[l]ᵀ)``, one ``Gemm`` with ``transB=1`` (``W[l]``
        stored as it is, ``(n[l], n[l-1])``; ``b[l]`` as ``(n[l],)``) and the activation."""
        W = graph.constant(f"W_{l}", to_numpy(self.W.data))
        b = graph.constant(f"b_{l}", to_numpy(self.b.data).reshape(-1))
        Z = graph.node("Gemm", [A_prev, W, b], f"Z_{l}", transB=1)
        return graph.activation(self.activation, Z, f"A_{l}")
