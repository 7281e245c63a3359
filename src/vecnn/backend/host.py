"""The host side: NumPy in main memory, whatever backend computes the network.

The edges of vecnn (CSV, preprocessing, labels, metrics, model files, the report,
scikit-learn, ONNX) work here: they import ``xp``, ``Array``, ``as_float_array`` and
``errstate`` from ``vecnn.backend.host``, so that they stay NumPy when the core runs on
CuPy or the array API standard (``vecnn.backend``).
"""

from __future__ import annotations

from typing import Any

import numpy
import numpy.typing

xp = numpy
"""NumPy, the host's array module."""

Array = numpy.ndarray
"""A host array."""

ArrayLike = numpy.typing.ArrayLike
"""What NumPy takes as an array: an array, nested lists of numbers, a scalar."""

DEFAULT_FLOAT = numpy.float64
"""The dtype given to data that is not already floating point (Python numbers, lists, ints)."""

FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def as_float_array(data: Any, dtype: Any = None) -> Array:
    """Return ``data`` as a floating-point NumPy array, keeping a float32/float64 dtype it has.

    Raises ``TypeError`` for complex, string or object data: they have no place in a
    differentiable computation.
    """
    array = numpy.asarray(data, dtype=dtype)
    if array.dtype in FLOAT_DTYPES:
        return array
    if array.dtype.kind in "biuf":
        return array.astype(DEFAULT_FLOAT if dtype is None else dtype)
    raise TypeError(
        f"vecnn computes on real floating-point numbers; got an array of dtype {array.dtype}. "
        "Convert it with numpy.asarray(data, dtype=numpy.float32) (or float64) first."
    )


def errstate(**kwargs: str) -> Any:
    """A context that sets how NumPy reports floating-point errors (``numpy.errstate``)."""
    return numpy.errstate(**kwargs)
