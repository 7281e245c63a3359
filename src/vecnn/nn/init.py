"""Initializers: the starting values of ``W[l] (n[l], n[l-1])`` and ``b[l] (n[l], 1)``.

He (``Var = 2 / n[l-1]``) keeps the variance of ReLU-family activations steady through
depth; Xavier/Glorot (``Var = 2 / (n[l-1] + n[l])``) does the same for tanh, sigmoid and
linear units. Biases start at zero. Randomness comes from the ``numpy.random.Generator``
passed in, never from global state; they are drawn on the host (NumPy arrays), so a seed
gives the same weights on every backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from vecnn.backend.host import Array, xp


def he_normal(shape: tuple[int, int], rng: xp.random.Generator, dtype: Any) -> Array:
    """``N(0, 2 / n[l-1])`` with ``shape = (n[l], n[l-1])``."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / shape[1])).astype(dtype)


def he_uniform(shape: tuple[int, int], rng: xp.random.Generator, dtype: Any) -> Array:
    """``U(−√(6/n[l-1]), √(6/n[l-1]))``: He's variance from a uniform distribution."""
    limit = math.sqrt(6.0 / shape[1])
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def xavier_uniform(shape: tuple[int, int], rng: xp.random.Generator, dtype: Any) -> Array:
    """``U(−√(6/(n[l-1]+n[l])), +√(6/(n[l-1]+n[l])))`` (Glorot and Bengio, 2010)."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def xavier_normal(shape: tuple[int, int], rng: xp.random.Generator, dtype: Any) -> Array:
    """``N(0, 2 / (n[l-1] + n[l]))``."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / (shape[0] + shape[1]))).astype(dtype)


def zeros(shape: tuple[int, ...], rng: xp.random.Generator, dtype: Any) -> Array:
    """All zeros (the biases; a weight matrix of zeros would keep every unit identical)."""
    return xp.zeros(shape, dtype=dtype)


Initializer = Callable[[tuple[int, ...], xp.random.Generator, Any], Array]
"""``f(shape, rng, dtype)``: the starting values of an array of ``shape``."""

INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_normal": xavier_normal,
    "zeros": zeros,
}

RELU_FAMILY = ("relu", "leaky_relu")


def resolve(init: str, activation: str) -> Initializer:
    """The initializer named ``init``; ``"auto"`` picks He for ReLU-family, Xavier otherwise."""
    if init == "auto":
        return he_normal if activation in RELU_FAMILY else xavier_uniform
    try:
        return INITIALIZERS[init]
    except (KeyError, TypeError):
        known = ", ".join(["auto", *INITIALIZERS])
        raise ValueError(f"unknown initializer {init!r}; choose one of: {known}") from None
