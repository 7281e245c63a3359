"""The operations of the graph, by family; each keeps its forward beside its backward.

``vecnn.ops.dense``, ``dense_activation`` (the dense node with its activation) and the
losses taken from logits are fused nodes (``fused.py``) with the closed-form backward of
the design; everything else is the general element-wise graph.
"""

from vecnn.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from vecnn.ops.elementwise import cast, exp, leaky_relu, log, relu, sigmoid, sqrt, step, tanh
from vecnn.ops.fused import (
    binary_cross_entropy_with_logits,
    dense,
    dense_activation,
    mean_squared_error,
    softmax_cross_entropy_with_logits,
)
from vecnn.ops.normalization import batch_norm
from vecnn.ops.reduction import max, mean, sum
from vecnn.ops.shape import getitem, reshape, transpose
from vecnn.ops.softmax import log_softmax, softmax
from vecnn.ops.tensor_methods import install_tensor_methods

install_tensor_methods()

__all__ = [
    "add",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "cast",
    "dense",
    "dense_activation",
    "div",
    "exp",
    "getitem",
    "leaky_relu",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "mean",
    "mean_squared_error",
    "mul",
    "neg",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "sqrt",
    "step",
    "sub",
    "sum",
    "tanh",
    "transpose",
]
