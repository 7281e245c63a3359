"""Layers in the notation: ``Dense``, ``Activation``, ``Dropout``, ``BatchNorm``, the stack."""

from vecnn.nn import init
from vecnn.nn.activation import ACTIVATIONS, Activation
from vecnn.nn.batchnorm import BatchNorm
from vecnn.nn.dense import Dense
from vecnn.nn.dropout import Dropout
from vecnn.nn.layer import Layer
from vecnn.nn.sequential import LAYER_TYPES, Sequential, register_layer

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
