"""The computational graph: the Tensor node, operations' base class, drawing, checking."""

# ``tensor`` is imported first: at its end it imports ``vecnn.ops`` (the one loop of the
# layout, see tensor.py), whose operations need ``Tensor`` and then ``Function``.
from vecnn.autodiff.tensor import Tensor  # isort: split

from vecnn.autodiff.anomaly import detect_anomaly, is_anomaly_enabled
from vecnn.autodiff.function import Function
from vecnn.autodiff.gradcheck import InputCheck, grad_check
from vecnn.autodiff.mode import is_grad_enabled, no_grad

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
