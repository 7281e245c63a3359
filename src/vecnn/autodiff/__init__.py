"""The computational graph: the Tensor node, operations' base class, drawing, checking."""

from vecnn.autodiff.anomaly import detect_anomaly, is_anomaly_enabled
from vecnn.autodiff.function import Function
from vecnn.autodiff.gradcheck import InputCheck, grad_check
from vecnn.autodiff.mode import is_grad_enabled, no_grad
from vecnn.autodiff.tensor import Tensor

__all__ = [
    "Function",
    "InputCheck",
    "Tensor",
    "detect_anomaly",
    "grad_check",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]
