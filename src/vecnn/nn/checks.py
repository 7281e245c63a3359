"""The checks of a stack of layers: its layers, their sizes, its end, and its input ``X``."""

from __future__ import annotations

from typing import Any

from vecnn import ops
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, ArrayLike, as_float_array
from vecnn.errors import ShapeError
from vecnn.nn.layer import Layer


def check_layers(layers: list[Any]) -> list[Layer]:
    """``layers`` when it is a non-empty list of vecnn layers; a TypeError names the first
    that is not one."""
    if not layers:
        raise ValueError("a network needs at least one layer")
    for position, layer in enumerate(layers, start=1):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"layer {position} is a {type(layer).__name__}, not a vecnn layer "
                "(a subclass of vecnn.nn.Layer: Dense, Activation, Dropout, BatchNorm, …)"
            )
    return layers


def check_sizes(layers: list[Layer]) -> list[int | None]:
    """``[n[0], …, n[L]]``, checking that each layer's inputs match the previous outputs;
    ``n[0]`` is None when the first layer that fixes a size leaves its input to the first
    call (``Dense(n_out)``)."""
    current: int | None = None
    sizes: list[int | None] = []
    for position, layer in enumerate(layers, start=1):
        if layer.n_in is not None:
            if current is not None and layer.n_in != current:
                raise ShapeError(
                    f"layer {position} ({layer.kind}) takes n_in = {layer.n_in} inputs but "
                    f"the layer before it has {current} units"
                )
            if current is None:
                sizes.append(layer.n_in)
        if layer.n_out is not None:
            if not sizes:  # n[0] is found at the first call
                sizes.append(None)
            current = layer.n_out
            if layer.numbered:
                sizes.append(current)
    if not sizes:
        raise ValueError("a network needs a layer that fixes its sizes, e.g. Dense")
    return sizes


def check_output_end(layers: list[Layer], output_activation: str) -> None:
    """Refuse dropout after a non-linear output layer: the losses take the logits
    ``Z[L]`` and apply ``g[L]`` themselves, which a dropout of ``A[L]`` would break."""
    last = layers[-1]
    if output_activation != "linear" and last.final_activation is None:
        raise ValueError(
            f"layer {len(layers)} ({last.kind}) comes after the output activation "
            f"'{output_activation}'; put dropout before the last dense layer"
        )


def check_input(X: Tensor | ArrayLike, n0: int | None, dtype: Any) -> Array | Tensor:
    """``X`` as a float array or Tensor of shape ``(n[0], m)`` in ``dtype``; a ShapeError
    that says what was expected (and when the examples look like rows) otherwise. With
    ``n0`` None (not known yet) any number of rows is taken."""
    if not isinstance(X, Tensor):
        X = as_float_array(X, dtype)
    elif X.dtype != dtype:  # computed in the network's dtype, as an array would be
        X = ops.cast(X, dtype)
    if X.ndim != 2:
        raise ShapeError(
            f"layer 1 expects X = A[0] of shape (n[0], m) = ({n0 or 'n[0]'}, m), a matrix with one "
            f"example per column; got an array of shape {X.shape}. For a single example "
            "use x.reshape(-1, 1)"
        )
    if n0 is not None and X.shape[0] != n0:
        hint = ""
        if X.shape[1] == n0:
            hint = " It looks like the examples are rows: pass X.T (examples are columns)."
        raise ShapeError(
            f"layer 1 expects X = A[0] of shape (n[0], m) = ({n0}, m); got {X.shape}: "
            f"{X.shape[0]} rows where n[0] = {n0} features were expected.{hint}"
        )
    return X
