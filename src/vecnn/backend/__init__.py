"""The array namespace every operation computes with.

All array work in vecnn goes through ``xp``, a module with NumPy's interface (NumPy today).
Another library with the same interface (CuPy) slots in here, and here alone: the few
calls whose spelling differs between array libraries are wrapped below, so the operations
never name NumPy themselves.
"""

from __future__ import annotations

from typing import Any

import numpy

xp = numpy
"""The array module: ``xp.exp``, ``xp.matmul``, … ."""

Array = numpy.ndarray
"""The array type that ``Tensor.data`` and ``Tensor.grad`` hold."""

DEFAULT_FLOAT = numpy.float64
"""The dtype given to data that is not already floating point (Python numbers, lists, ints)."""

FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def as_float_array(data: Any, dtype: Any = None) -> Array:
    """Return ``data`` as a floating-point array, keeping a float32/float64 dtype it already has.

    Raises ``TypeError`` for complex, string or object data: they have no place in a
    differentiable computation.
    """
    array = xp.asarray(data, dtype=dtype)
    if array.dtype in FLOAT_DTYPES:
        return array
    kind = array.dtype.kind
    if kind in "biuf":
        return array.astype(DEFAULT_FLOAT if dtype is None else dtype)
    raise TypeError(
        f"vecnn computes on real floating-point numbers; got an array of dtype {array.dtype}. "
        "Convert it with numpy.asarray(data, dtype=numpy.float32) (or float64) first."
    )


def scatter_add(target: Array, index: Any, values: Array) -> None:
    """``target[index] += values`` in place, adding every occurrence of a repeated index."""
    xp.add.at(target, index, values)


def errstate(**kwargs: str):
    """A context that sets how floating-point errors are reported (``numpy.errstate``)."""
    return xp.errstate(**kwargs)


def to_numpy(array: Array) -> numpy.ndarray:
    """The array as a NumPy array on the host (a no-op for NumPy itself)."""
    return numpy.asarray(array)
