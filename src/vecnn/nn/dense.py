"""The dense layer: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import dtype_name, float_dtype, to_device, xp
from vecnn.nn import init as initializers
from vecnn.nn.activation import ACTIVATIONS, check_activation
from vecnn.nn.layer import Generator, Layer, Seed, as_generator


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
    """

    kind = "Dense"

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | None = None,
        init: str = "auto",
        seed: Seed = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        for label, value in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"Dense: {label} must be a positive integer; got {value!r}")
        n_in, n_out = int(n_in), int(n_out)  # a NumPy integer is welcome, stored as int
        self.activation = check_activation(activation)
        self.init = init
        self.dtype = check_dtype(dtype)
        self.seeded = seed is not None
        make_W = initializers.resolve(init, self.activation)
        rng = as_generator(seed)
        self.params = {
            "W": Tensor(
                make_W((n_out, n_in), rng, dtype_name(self.dtype)), requires_grad=True, name="W"
            ),
            "b": Tensor(xp.zeros((n_out, 1), dtype=self.dtype), requires_grad=True, name="b"),
        }

    def reset_parameters(self, rng: Generator) -> None:
        """Draw ``W`` afresh from ``rng`` with the layer's initializer; ``b`` back to zeros."""
        make_W = initializers.resolve(self.init, self.activation)
        self.W.data[...] = to_device(make_W(self.W.shape, rng, dtype_name(self.dtype)))
        self.b.data[...] = 0

    @property
    def W(self) -> Tensor:
        """``W[l]``, ``(n[l], n[l-1])``."""
        return self.params["W"]

    @property
    def b(self) -> Tensor:
        """``b[l]``, ``(n[l], 1)``."""
        return self.params["b"]

    @property
    def n_in(self) -> int:
        return self.W.shape[1]

    @property
    def n_out(self) -> int:
        return self.W.shape[0]

    def linear(self, A_prev: Any) -> Tensor:
        """``Z[l] = W[l] A[l-1] + b[l]``, one fused node."""
        return ops.dense(self.W, A_prev, self.b)

    def forward(self, A_prev: Any) -> Tensor:
        return ACTIVATIONS[self.activation](self.linear(A_prev))

    def config(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation,
            "init": self.init,
            "dtype": dtype_name(self.dtype),
        }
