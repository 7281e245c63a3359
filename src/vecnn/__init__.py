"""vecnn: neural networks in the textbook's matrix notation, vectorized over the batch.

Examples are columns: ``X = A[0]`` is ``(n[0], m)``; ``W[l]`` is ``(n[l], n[l-1])`` and
``b[l]`` is ``(n[l], 1)``.
"""

from vecnn import graph, ops
from vecnn.autodiff import Function, InputCheck, Tensor, grad_check, is_grad_enabled, no_grad
from vecnn.errors import GraphReleasedError, NoDerivativeError, ShapeError

__version__ = "0.1.0"

__all__ = [
    "Function",
    "GraphReleasedError",
    "InputCheck",
    "NoDerivativeError",
    "ShapeError",
    "Tensor",
    "__version__",
    "grad_check",
    "graph",
    "is_grad_enabled",
    "no_grad",
    "ops",
]
