"""vecnn: neural networks in the textbook's matrix notation, vectorized over the batch.

Examples are columns: ``X = A[0]`` is ``(n[0], m)``; ``W[l]`` is ``(n[l], n[l-1])`` and
``b[l]`` is ``(n[l], 1)``.
"""

from vecnn import datasets, distributed, graph, io, losses, metrics, nn, ops, optim
from vecnn._version import __version__
from vecnn.autodiff import (
    Function,
    InputCheck,
    Tensor,
    detect_anomaly,
    grad_check,
    is_grad_enabled,
    no_grad,
)
from vecnn.errors import GraphReleasedError, ModelFormatError, NoDerivativeError, ShapeError
from vecnn.io import load, load_checkpoint, save, save_checkpoint
from vecnn.train import Callback, EarlyStopping, History, Network, TrainingDivergedError

__all__ = [
    "Callback",
    "EarlyStopping",
    "Function",
    "GraphReleasedError",
    "History",
    "InputCheck",
    "ModelFormatError",
    "Network",
    "NoDerivativeError",
    "ShapeError",
    "Tensor",
    "TrainingDivergedError",
    "__version__",
    "datasets",
    "detect_anomaly",
    "distributed",
    "grad_check",
    "graph",
    "io",
    "is_grad_enabled",
    "load",
    "load_checkpoint",
    "losses",
    "metrics",
    "nn",
    "no_grad",
    "ops",
    "optim",
    "save",
    "save_checkpoint",
]
