"""Layers in the notation: ``Dense``, ``Activation``, ``Dropout``, ``BatchNorm``, the stack;
``Layer`` and ``register_layer`` for a layer type of one's own."""

from vecnn.nn import init
from vecnn.nn.activation import ACTIVATIONS, Activation
from vecnn.nn.batchnorm import BatchNorm
from vecnn.nn.dense import Dense
from vecnn.nn.dropout import Dropout
from vecnn.nn.layer import Layer
from vecnn.nn.registry import LAYER_TYPES, register_layer
from vecnn.nn.sequential import Sequential

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "Activation",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Layer",
    "Sequential",
    "init",
    "register_layer",
]
