"""Loading the backend that ``VECNN_BACKEND`` names, on the device ``VECNN_DEVICE`` names."""

from __future__ import annotations

import functools
import types
from typing import Any

import numpy

BACKENDS = ("numpy", "cupy", "array_api_strict")

# The standard's functions that make a new array from nothing: under array-api-strict
# they are bound to the chosen device, so the core never names a device.
_CREATION = ("arange", "asarray", "empty", "eye", "full", "linspace", "ones", "zeros")


def load(name: str | None, device: str | None) -> tuple[str, Any, Any, type]:
    """``(name, xp, device, Array)`` for the backend ``name`` (None or "" is NumPy).

    ValueError for an unknown name or device; ImportError naming the extra to install
    when the backend's package is missing.
    """
    name = (name or "numpy").strip().lower().replace("-", "_")
    if name == "numpy":
        if device not in (None, "", "cpu"):
            raise ValueError(f"VECNN_DEVICE={device!r}: the numpy backend has only 'cpu'")
        return name, numpy, "cpu", numpy.ndarray
    if name == "cupy":
        return name, *_cupy(device)
    if name == "array_api_strict":
        return name, *_strict(device)
    raise ValueError(
        f"VECNN_BACKEND={name!r} is not a vecnn backend; choose one of: {', '.join(BACKENDS)}"
    )


def _cupy(device: str | None) -> tuple[Any, Any, type]:
    try:
        import cupy
    except ImportError:
        raise ImportError(
            "VECNN_BACKEND=cupy needs CuPy and an NVIDIA GPU: pip install 'vecnn[gpu]'"
        ) from None
    try:
        chosen = cupy.cuda.Device(int(device or 0))
    except ValueError:
        raise ValueError(f"VECNN_DEVICE={device!r}: CuPy devices are numbered 0, 1, …") from None
    chosen.use()
    return cupy, chosen, cupy.ndarray


def _strict(device: str | None) -> tuple[Any, Any, type]:
    try:
        import array_api_strict
    except ImportError:
        raise ImportError(
            "VECNN_BACKEND=array_api_strict needs array-api-strict: pip install 'vecnn[dev]'"
        ) from None
    try:
        chosen = array_api_strict.Device(device or "CPU_DEVICE")
    except ValueError as error:
        raise ValueError(f"VECNN_DEVICE={device!r}: {error}") from None
    namespace = types.SimpleNamespace(**vars(array_api_strict))
    for creator in _CREATION:
        setattr(
            namespace, creator, functools.partial(getattr(array_api_strict, creator), device=chosen)
        )
    return namespace, chosen, type(array_api_strict.asarray(0.0))
