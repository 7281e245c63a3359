"""Optional fast paths for the Adam rule: one pass (compiled) or a few in-place passes.

The optimizers' rules are written as plain array expressions (``optim/adam.py``): that
is the reference. Each call is a pass over every parameter, with a new array per
operation; compiled, the whole rule is one pass: with Numba on NumPy (the ``fast`` extra:
``pip install vecnn[fast]``), with a ``cupy.ElementwiseKernel`` on CuPy. Without Numba,
NumPy runs the same operations in place (``out=``) in two scratch buffers that the
optimizer keeps: no allocation per step. Each path does the same float operations in the
same order, in the arrays' own dtype, so it gives the rule's numbers bit for bit (the
tests check it). The in-place path walks the flat buffers one chunk of ``ADAM_CHUNK_BYTES``
at a time, so that the rule's 14 passes over a chunk find it in the cache when the buffers
are larger than the cache, and the scratch buffers are one chunk long.

Fast paths are used unless ``VECNN_KERNELS=0`` (environment) or ``use_kernels(False)``
turned them off; the array-api-strict backend has none. Loading Numba and its kernel costs
about half a second (its import and the first dispatch, even from the disk cache), so it
is not loaded at the first step: the in-place NumPy path steps while what it has cost
beyond the kernel adds up (``_rent``), and Numba is loaded once that reaches the cost of
loading it (the ski-rental rule: a short ``fit`` never pauses and never loads Numba; a
long one pays at most that cost twice). ``load()`` loads it now. Every path gives the same
numbers, so when the switch happens changes no bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy

from vecnn import backend

_enabled = os.environ.get("VECNN_KERNELS", "1") != "0"
_compiled: dict[str, Any] = {}
_numba: Any = None

NUMBA_LOAD_SECONDS = 0.6
"""What loading Numba and the Adam kernel costs, measured (benchmarks/NOTES.md): the
in-place NumPy path runs until its extra cost reaches this."""
RENT_PER_CALL_SECONDS = 10e-6
RENT_PER_VALUE_SECONDS = {4: 1.2e-9, 8: 4.8e-9}
"""What one in-place NumPy step costs beyond the kernel: per call, and per value of the
flat buffer by its item size (float32 about 0.3 ns a byte, float64 about 0.6), measured
as above."""
_rented = 0.0  # the in-place path's extra cost so far, in seconds


def use_kernels(enabled: bool) -> None:
    """Turn the compiled kernels on or off for this process."""
    global _enabled
    _enabled = bool(enabled)


def available() -> bool:
    """True when the kernels are on and the backend's compiler can be used (Numba for
    NumPy; CuPy compiles its own)."""
    global _numba
    if not _enabled:
        return False
    if backend.name == "cupy":
        return True
    if backend.name != "numpy":
        return False
    if _numba is None:
        try:
            import numba
        except ImportError:
            _numba = False
        else:
            _numba = numba
    return _numba is not False


def load() -> bool:
    """Load the compiled kernel now (Numba's import and first dispatch) instead of when the
    in-place path has cost as much; True when it can be used. For a benchmark of the
    steady state, or a long run that should use the kernel from its first step."""
    if not available():
        return False
    if backend.name == "numpy":  # one call on one value: Numba's first dispatch is paid now
        dtype = numpy.float32
        one = numpy.zeros(1, dtype)
        _kernel("adam")(one, one.copy(), one.copy(), one.copy(), numpy.ones(10, dtype))
    return True


def _rent(W: Any) -> bool:
    """True while the in-place NumPy path should step the flat buffer ``W`` (Numba not
    loaded yet, and the path's extra cost so far below the cost of loading it); adds
    the step's extra cost."""
    global _rented
    if "adam" in _compiled or _numba is False:
        return False
    per_value = RENT_PER_VALUE_SECONDS.get(W.dtype.itemsize, RENT_PER_VALUE_SECONDS[8])
    _rented += RENT_PER_CALL_SECONDS + per_value * W.size
    return _rented < NUMBA_LOAD_SECONDS


def _adam_source(W: Any, g: Any, v: Any, s: Any, scalars: Any) -> None:
    """One Adam (or AdamW) step over flat arrays; ``scalars`` an array of the arrays' dtype.

    ``scalars`` = (β₁, β₂, α, ε, λ (L2), αλ (AdamW's decay), 1−β₁ᵗ, 1−β₂ᵗ, 1−β₁, 1−β₂),
    the rule's numbers in order (see ``Adam._adam``).
    """
    b1, b2, lr, eps, l2, decay, bc1, bc2, c1, c2 = scalars
    for i in range(W.size):
        w = W[i]
        if decay != 0:
            w = w - decay * w
        d = g[i]
        if l2 != 0:
            d = d + l2 * w
        vi = b1 * v[i] + c1 * d
        si = b2 * s[i] + c2 * (d * d)
        v[i] = vi
        s[i] = si
        W[i] = w - lr * (vi / bc1) / (numpy.sqrt(si / bc2) + eps)


_ADAM_CUDA = (
    "T b1, T b2, T lr, T eps, T l2, T decay, T bc1, T bc2, T c1, T c2, T g",
    "T W, T v, T s",
    """
    T w = W;
    if (decay != 0) w = w - decay * w;
    T d = g;
    if (l2 != 0) d = d + l2 * w;
    v = b1 * v + c1 * d;
    s = b2 * s + c2 * (d * d);
    W = w - lr * (v / bc1) / (sqrt(s / bc2) + eps);
    """,
    "vecnn_adam",
)
"""The same rule as a ``cupy.ElementwiseKernel`` (in, out, body, name): each ``T`` is
the arrays' dtype; ``W``, ``v``, ``s`` are read and written in place."""


def _kernel(name: str) -> Any:
    """The kernel ``name``, compiled once per process (Numba also caches it on disk).
    Numba's is serial on purpose (benchmarks/NOTES.md says why)."""
    if name not in _compiled:
        if backend.name == "cupy":
            import cupy

            _compiled[name] = cupy.ElementwiseKernel(*_ADAM_CUDA)
        else:
            _compiled[name] = _numba.njit(cache=True, nogil=True, error_model="numpy")(_adam_source)
    return _compiled[name]


ADAM_CHUNK_BYTES = 1 << 20
"""How many bytes of each flat buffer the in-place NumPy path steps at a time (1 MiB:
262,144 float32 values). Smaller chunks pay 14 NumPy calls each (about 1 µs a call); larger
ones leave the cache (2.9 M float32 parameters: 10.6 ms a step in one piece, 7.1 ms in
chunks of 1 MiB): measured in benchmarks/NOTES.md (``benchmarks/adam_step.py``)."""


def chunk_length(dtype: Any) -> int:
    """How many values of ``dtype`` one chunk of the in-place path holds."""
    return max(1, ADAM_CHUNK_BYTES // numpy.dtype(dtype).itemsize)


def _adam_in_place(W: Any, g: Any, v: Any, s: Any, numbers: Any, scratch: Any) -> None:
    """The Adam rule in NumPy over the flat arrays, one chunk at a time (as long as the
    scratch arrays ``a``, ``b``): ``numbers`` as in ``_adam_source``."""
    a, b = scratch
    chunk = a.size
    b1, b2, lr, eps, l2, decay, bc1, bc2, c1, c2 = numbers
    # 1 − βᵗ in the arrays' dtype, as the arithmetic rounds it; once it is 1 (float32:
    # from step 165 for β₁ = 0.9, from step 17,321 for β₂ = 0.999), dividing by it
    # changes no bit, and the chunk skips that pass.
    bc1, bc2 = W.dtype.type(bc1), W.dtype.type(bc2)
    numbers = (b1, b2, lr, eps, l2, decay, bc1, bc2, c1, c2)
    if W.size <= chunk:  # one chunk: no views to make
        _adam_chunk(W, g, v, s, numbers, a, b)
        return
    for start in range(0, W.size, chunk):
        stop = start + chunk
        n = min(stop, W.size) - start
        _adam_chunk(
            W[start:stop], g[start:stop], v[start:stop], s[start:stop], numbers, a[:n], b[:n]
        )


def _adam_chunk(W: Any, g: Any, v: Any, s: Any, numbers: Any, a: Any, b: Any) -> None:
    """The Adam rule in NumPy, each operation in place or into the scratch arrays ``a``,
    ``b`` of ``W``'s size (the rule's operations in its order, less a division by 1)."""
    b1, b2, lr, eps, l2, decay, bc1, bc2, c1, c2 = numbers
    if decay != 0:
        numpy.multiply(W, decay, out=a)
        W -= a  # W ← W − decay·W
    if l2 != 0:
        numpy.multiply(W, l2, out=b)
        g = numpy.add(g, b, out=b)  # g + λW
    v *= b1
    numpy.multiply(g, c1, out=a)
    v += a  # v ← β₁v + (1−β₁)g
    numpy.multiply(g, g, out=a)
    a *= c2
    s *= b2
    s += a  # s ← β₂s + (1−β₂)g²
    if bc2 == 1:  # ŝ = s/1 = s
        numpy.sqrt(s, out=a)
    else:
        numpy.divide(s, bc2, out=a)
        numpy.sqrt(a, out=a)
    a += eps  # √ŝ + ε
    if bc1 == 1:  # v̂ = v/1 = v
        numpy.multiply(v, lr, out=b)
    else:
        numpy.divide(v, bc1, out=b)
        b *= lr
    b /= a  # α v̂ / (√ŝ + ε)
    W -= b


def adam(
    W: Any,
    g: Any,
    v: Any,
    s: Any,
    scalars: tuple[float, ...],
    scratch: Callable[[Any], tuple[Any, Any]] | None = None,
) -> bool:
    """Update the flat arrays ``W``, ``v``, ``s`` in place by one Adam step; False when it
    cannot (then the caller applies the rule itself): fast paths off, arrays of mixed
    dtypes or not one-dimensional, or (NumPy without Numba) no ``scratch``: the function
    that gives two arrays like its argument (one chunk of ``W``) for the in-place path."""
    if not _enabled or backend.name not in ("numpy", "cupy"):
        return False
    dtype = W.dtype
    if any(a.dtype != dtype or a.ndim != 1 for a in (W, g, v, s)):
        return False
    b1, b2 = scalars[:2]
    numbers = (*scalars, 1 - b1, 1 - b2)
    renting = backend.name == "numpy" and scratch is not None and _rent(W)
    if renting or not available():
        if scratch is None:
            return False
        _adam_in_place(W, g, v, s, numbers, scratch(W[: chunk_length(dtype)]))
        return True
    kernel = _kernel("adam")
    if backend.name == "cupy":
        kernel(*(dtype.type(x) for x in numbers), g, W, v, s)
    else:
        kernel(W, g, v, s, numpy.array(numbers, dtype))
    return True
