"""Operations that move entries without changing them: reshape, transpose, indexing."""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, scatter_add, xp
from vecnn.errors import ShapeError


class Reshape(Function):
    """The same entries in a new shape; ``da`` is ``dout`` in the old shape."""

    name = "reshape"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, a: Array) -> Array:
        self.input_shape = a.shape
        try:
            return xp.reshape(a, self.shape)
        except (ValueError, TypeError):
            raise ShapeError(
                f"reshape: cannot reshape {a.shape} ({a.size} entries) into {self.shape}"
            ) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        return (xp.reshape(dout, self.input_shape),)


class Transpose(Function):
    """Axes permuted (reversed when ``axes`` is None, ``Aᵀ`` for a matrix)."""

    name = "transpose"

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes

    def forward(self, a: Array) -> Array:
        axes = tuple(reversed(range(a.ndim))) if self.axes is None else self.axes
        try:
            if sorted(axis % a.ndim for axis in axes) != list(range(a.ndim)):
                raise ValueError
            self.axes = tuple(axis % a.ndim for axis in axes)
            return xp.permute_dims(a, self.axes)
        except (ValueError, TypeError, IndexError):
            raise ShapeError(
                f"transpose: axes {self.axes} are not a permutation of the {a.ndim} axes of "
                f"a tensor of shape {a.shape}"
            ) from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return (xp.permute_dims(dout, inverse),)


def _is_basic(index: Any) -> bool:
    """True for an index of ints, slices, None and Ellipsis only (each entry taken once)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is None or part is Ellipsis or isinstance(part, (int, slice)) for part in parts)


class GetItem(Function):
    """``a[index]`` with NumPy indexing; ``da`` is zero except where entries were taken.

    An entry taken several times (an integer array that repeats an index) receives the
    sum of its gradients.
    """

    name = "getitem"

    def __init__(self, index: Any) -> None:
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(part, Tensor) for part in parts):
            raise TypeError(
                "index a Tensor with ints, slices, or integer or boolean arrays, not with a "
                "Tensor (Tensors hold floats): use t[idx.numpy().astype(int)]"
            )
        self.index = index

    def forward(self, a: Array) -> Array:
        self.input_shape = a.shape
        try:
            return a[self.index]
        except IndexError as error:
            raise IndexError(f"index {self.index!r} into shape {a.shape}: {error}") from None

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        da = xp.zeros(self.input_shape, dtype=dout.dtype)
        if _is_basic(self.index):
            da[self.index] = dout
        else:
            scatter_add(da, self.index, dout)
        return (da,)


def reshape(a: Any, shape: tuple[int, ...]) -> Tensor:
    """The entries of ``a`` in the given shape (one entry may be -1)."""
    return Reshape.apply(a, shape=tuple(shape))


def transpose(a: Any, axes: tuple[int, ...] | None = None) -> Tensor:
    """``a`` with its axes permuted; with no ``axes``, reversed (``Aᵀ``)."""
    return Transpose.apply(a, axes=None if axes is None else tuple(axes))


def getitem(a: Any, index: Any) -> Tensor:
    """``a[index]``: slicing and integer or boolean array indexing, as NumPy."""
    return GetItem.apply(a, index=index)
