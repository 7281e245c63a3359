"""The array namespace the core computes with, chosen once at import.

``VECNN_BACKEND`` picks it (as ``KERAS_BACKEND`` does for Keras): ``numpy`` (the default),
``cupy`` (an NVIDIA GPU: ``pip install 'vecnn[gpu]'``) or ``array_api_strict`` (the array
API standard and nothing more: the tests use it to prove that the core needs no NumPy-only
behaviour). ``VECNN_DEVICE`` names the device where the backend has several: a CUDA
device number for CuPy; ``CPU_DEVICE``, ``device1`` or ``device2`` for array-api-strict,
whose ``device1`` refuses to mix with host arrays, as a GPU does.

The core (autodiff, ops, nn, losses, optim, train) uses only the standard's spellings
through ``xp`` plus the helpers below for what the standard lacks: ``scatter_add``, a
freshness test (``is_fresh``) instead of NumPy's ``.flags``, ``errstate``, results
written into a given array (``matmul``, ``sum_along`` and ``elementwise_into`` with
``out=``), and the transfers ``to_device`` / ``to_numpy``. ``xp``'s creation functions
(``zeros``, ``asarray``, …) make arrays on the chosen device. The edges stay NumPy on the host
(``vecnn.backend.host``); random numbers are always drawn by a NumPy generator on the
host and moved, so a seed gives the same weights on every backend.
"""

from __future__ import annotations

import os
from typing import Any

import numpy

from vecnn.backend import host
from vecnn.backend._select import BACKENDS, load

name: str
"""The active backend: ``"numpy"``, ``"cupy"`` or ``"array_api_strict"``."""

name, xp, device, Array = load(os.environ.get("VECNN_BACKEND"), os.environ.get("VECNN_DEVICE"))
"""``xp``: the array namespace (``xp.exp``, ``xp.matmul``, …); ``device``: where its
arrays live; ``Array``: the type that ``Tensor.data`` and ``Tensor.grad`` hold."""

ArrayLike = host.ArrayLike
"""What the API takes as data: a host array, nested lists of numbers (moved to ``xp``)."""

ON_HOST = name == "numpy"
"""True when the core's arrays are NumPy arrays in main memory (no transfers at all)."""

DEFAULT_FLOAT = xp.float64
"""The dtype given to data that is not already floating point (Python numbers, lists, ints)."""

FLOAT_DTYPES = host.FLOAT_DTYPES if ON_HOST else (xp.float32, xp.float64)
_FLOATS = dict(zip(("float32", "float64"), FLOAT_DTYPES, strict=True))

__all__ = [
    "BACKENDS",
    "DEFAULT_FLOAT",
    "FLOAT_DTYPES",
    "ON_HOST",
    "Array",
    "ArrayLike",
    "as_float_array",
    "copy",
    "device",
    "dtype_name",
    "elementwise_into",
    "errstate",
    "float_dtype",
    "host",
    "is_fresh",
    "matmul",
    "name",
    "scatter_add",
    "sum_all",
    "sum_along",
    "to_device",
    "to_numpy",
    "xp",
]


def float_dtype(dtype: Any) -> Any:
    """The backend's float32 or float64 for ``dtype`` (a name, a NumPy or backend dtype);
    ValueError for any other dtype."""
    name = dtype_name(dtype)
    if name not in _FLOATS:
        raise ValueError(f"dtype must be float32 or float64; got {name}")
    return _FLOATS[name]


def dtype_name(dtype: Any) -> str:
    """A dtype's name (``"float32"``, …) whether the backend's or NumPy's: model files
    store it, and arrays from either side are compared by it."""
    if not ON_HOST and not isinstance(dtype, (str, type, numpy.dtype)):
        for candidate in (xp.float32, xp.float64):
            if dtype == candidate:
                return "float32" if candidate is xp.float32 else "float64"
    try:
        return numpy.dtype(dtype).name
    except TypeError:
        return str(dtype)


def as_float_array(data: Any, dtype: Any = None) -> Array:
    """``data`` as a floating-point array of the backend, on its device (the transfer from
    the host when ``data`` is a NumPy array, a list or a number), keeping a float32/float64
    dtype it already has. TypeError for complex, string or object data."""
    if ON_HOST:
        return host.as_float_array(data, dtype)
    if isinstance(data, Array):
        if dtype is not None:
            return xp.astype(data, float_dtype(dtype), copy=False)
        if data.dtype in FLOAT_DTYPES:
            return data
        return xp.astype(data, DEFAULT_FLOAT)
    on_host = host.as_float_array(data, None if dtype is None else dtype_name(float_dtype(dtype)))
    return xp.asarray(on_host)


def to_device(array: Any) -> Array:
    """A host (NumPy) array, any dtype, as an array of the backend on its device."""
    if ON_HOST or isinstance(array, Array):
        return array
    return xp.asarray(numpy.ascontiguousarray(array))


def to_numpy(array: Any) -> numpy.ndarray:
    """The array as a NumPy array on the host (no copy for NumPy itself)."""
    if name == "cupy" and isinstance(array, Array):
        return array.get()
    if name == "array_api_strict" and isinstance(array, Array):
        return numpy.from_dlpack(array.to_device(xp.Device("CPU_DEVICE"))).copy()
    return numpy.asarray(array)


def copy(array: Array) -> Array:
    """A fresh copy of ``array`` (C-ordered on NumPy, as ``ndarray.copy()``)."""
    return array.copy() if ON_HOST else xp.asarray(array, copy=True)


def is_fresh(array: Array) -> bool:
    """True when ``array`` owns its memory and may be kept and written in place (no view
    of another array, not read-only): what NumPy's ``.base`` and ``.flags`` tell."""
    if name == "numpy":
        return array.base is None and array.flags.writeable
    if name == "cupy":
        return array.base is None
    return False  # the standard cannot tell a view from a fresh array: copy to be safe


_HAS_OUT = name in ("numpy", "cupy")


def matmul(a: Array, b: Array, out: Array | None = None) -> Array:
    """``a @ b``; with ``out`` (of the result's shape and dtype) the result is written there
    and ``out`` returned: directly on NumPy and CuPy, through a copy where the standard
    has no ``out=``."""
    if out is None or not a.dtype == b.dtype == out.dtype:
        return a @ b
    if _HAS_OUT:
        return xp.matmul(a, b, out=out)
    out[...] = a @ b
    return out


def elementwise_into(func: Any, *args: Any, out: Array) -> Array:
    """``func(*args)``, an element-wise function of ``xp`` (``xp.maximum``, ``xp.tanh``, …),
    written into ``out`` (which may be one of ``args``) and ``out`` returned: with no new
    array on NumPy and CuPy, through a copy where the standard has no ``out=``."""
    if _HAS_OUT:
        return func(*args, out=out)
    out[...] = func(*args)
    return out


def sum_along(a: Array, axis: int, out: Array | None = None) -> Array:
    """``xp.sum(a, axis=axis, keepdims=True)`` (a column for ``axis=1``); with ``out`` (of
    the result's shape and dtype) written there and ``out`` returned, as ``matmul``."""
    if out is not None and a.dtype != out.dtype:
        out = None
    if _HAS_OUT:  # the method: NumPy's function adds a few µs of Python per call
        return a.sum(axis=axis, keepdims=True, out=out)
    if out is None:
        return xp.sum(a, axis=axis, keepdims=True)
    out[...] = xp.sum(a, axis=axis, keepdims=True)
    return out


def sum_all(a: Array) -> Array:
    """``xp.sum(a)``, a 0-d array (the method on NumPy and CuPy: the function's Python
    wrapper costs more than summing a small array)."""
    return a.sum() if _HAS_OUT else xp.sum(a)


def scatter_add(target: Array, index: Any, values: Array) -> None:
    """``target[index] += values`` in place, adding every occurrence of a repeated index."""
    if name == "numpy":
        numpy.add.at(target, index, values)
    elif name == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:  # the standard has no scatter: done on the host (array-api-strict is for tests)
        summed = to_numpy(target)
        numpy.add.at(summed, _host_index(index), to_numpy(values))
        target[...] = xp.asarray(summed)


def _host_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_host_index(part) for part in index)
    return to_numpy(index) if isinstance(index, Array) else index


def errstate(**kwargs: str) -> Any:
    """A context that sets how floating-point errors are reported (``numpy.errstate``;
    CuPy reports none, so there it does nothing)."""
    if name == "cupy":
        import contextlib

        return contextlib.nullcontext()
    return numpy.errstate(**kwargs)
