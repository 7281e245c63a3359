"""vecnn: neural networks in the textbook's matrix notation, vectorized over the batch.

Examples are columns: ``X = A[0]`` is ``(n[0], m)``; ``W[l]`` is ``(n[l], n[l-1])`` and
``b[l]`` is ``(n[l], 1)``.
"""

from vecnn import graph, losses, metrics, nn, ops, optim
from vecnn.autodiff import Function, InputCheck, Tensor, grad_check, is_grad_enabled, no_grad
from vecnn.errors import GraphReleasedError, NoDerivativeError, ShapeError
from vecnn.train import Callback, EarlyStopping, History, Network, TrainingDivergedError

__version__ = "0.1.0"

__all__ = [
    "Callback",
    "EarlyStopping",
    "Function",
    "GraphReleasedError",
    "History",
    "InputCheck",
    "Network",
    "NoDerivativeError",
    "ShapeError",
    "Tensor",
    "TrainingDivergedError",
    "__version__",
    "grad_check",
    "graph",
    "is_grad_enabled",
    "losses",
    "metrics",
    "nn",
    "no_grad",
    "ops",
    "optim",
]
