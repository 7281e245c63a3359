"""Optional compiled kernels for the element-wise chains that NumPy cannot fuse.

An optimizer's update is a dozen element-wise NumPy calls, each a pass over every
parameter; compiled with Numba (the ``fast`` extra: ``pip install vecnn[fast]``) it is one
pass. The NumPy code in the optimizers stays the reference and the fallback: each kernel
does the same float operations in the same order, in the arrays' own dtype.

Kernels are used when Numba can be imported and neither ``VECNN_KERNELS=0`` (environment)
nor ``use_kernels(False)`` turned them off. Numba is imported, and each kernel compiled,
on first use only (compiled code is cached on disk), so ``import vecnn`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from vecnn.backend import Array, xp

_enabled = os.environ.get("VECNN_KERNELS", "1") != "0"
_compiled: dict[str, Any] = {}
_numba: Any = None


def use_kernels(enabled: bool) -> None:
    """Turn the compiled kernels on or off for this process (on needs Numba)."""
    global _enabled
    _enabled = bool(enabled)


def available() -> bool:
    """True when the kernels are on and Numba can be imported."""
    global _numba
    if not _enabled:
        return False
    if _numba is None:
        try:
            import numba
        except ImportError:
            _numba = False
        else:
            _numba = numba
    return _numba is not False


def _adam_source(W: Any, g: Any, v: Any, s: Any, scalars: Any) -> None:
    """One Adam (or AdamW) step over flat arrays; ``scalars`` an array of the arrays' dtype.

    ``scalars`` = (β₁, β₂, 1−β₁, 1−β₂, α/(1−β₁ᵗ), 1/√(1−β₂ᵗ), ε, λ (L2), 1−αλ (AdamW)).
    The same operations, in the same order, as ``Adam._adam`` in NumPy.
    """
    b1, b2, c1, c2, step_size, inv_bc2, eps, l2, shrink = scalars
    for i in range(W.size):
        w = W[i] * shrink  # exact when shrink = 1 (Adam)
        d = w * l2 + g[i]  # exact when l2 = 0 (no L2 term), for finite w
        vi = v[i] * b1 + d * c1
        si = s[i] * b2 + (d * d) * c2
        v[i] = vi
        s[i] = si
        W[i] = w - (vi / (xp.sqrt(si) * inv_bc2 + eps)) * step_size


def _kernel(name: str, source: Callable[..., None]) -> Callable[..., None]:
    """``source`` compiled, once per process (and cached on disk by Numba).

    Serial on purpose: Numba's parallel threads wait by spinning after a loop, which
    starves the BLAS threads of the matrix products that follow (an epoch measured 3×
    slower with ``parallel=True``); one core does an update of 235,000 parameters in
    about 0.2 ms.
    """
    if name not in _compiled:
        _compiled[name] = _numba.njit(cache=True, nogil=True, error_model="numpy")(source)
    return _compiled[name]


def adam(
    W: Array,
    dW: Array,
    v: Array,
    s: Array,
    scalars: tuple[float, ...],
) -> bool:
    """Update ``W``, ``v``, ``s`` in place by one Adam step; False when it cannot (then the
    caller runs the NumPy path): kernels off, or arrays not contiguous or of mixed dtypes."""
    if not available():
        return False
    dtype = W.dtype
    arrays = (W, dW, v, s)
    if any(a.dtype != dtype or not a.flags.c_contiguous for a in arrays):
        return False
    kernel = _kernel("adam", _adam_source)
    kernel(W.reshape(-1), dW.reshape(-1), v.reshape(-1), s.reshape(-1), xp.array(scalars, dtype))
    return True
