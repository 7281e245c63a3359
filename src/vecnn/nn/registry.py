"""The closed registry of layer types from which a config (a model file's) rebuilds layers.

Only the types registered here are ever made from a config: no name in a file can reach
any other code. ``register_layer`` adds a type (as Keras's ``register_keras_serializable``).
"""

from __future__ import annotations

from typing import Any

from vecnn.nn.activation import Activation
from vecnn.nn.batchnorm import BatchNorm
from vecnn.nn.dense import Dense
from vecnn.nn.dropout import Dropout
from vecnn.nn.layer import Layer

LAYER_TYPES: dict[str, type[Layer]] = {
    "Dense": Dense,
    "Activation": Activation,
    "Dropout": Dropout,
    "BatchNorm": BatchNorm,
}
"""The closed registry from which model files rebuild layers: no other type is ever made."""


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Let model files name ``cls`` by its ``kind`` (a class decorator, as Keras's
    ``register_keras_serializable``): only registered types are ever made from a file."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer takes a Layer subclass; got {cls!r}")
    known = LAYER_TYPES.get(cls.kind)
    if known is not None and known is not cls:
        raise ValueError(f"layer type {cls.kind!r} is already {known.__qualname__}")
    LAYER_TYPES[cls.kind] = cls
    return cls


def layers_config(layers: list[Layer]) -> dict[str, Any]:
    """``{"layers": [{"type": kind, "config": {…}}, …]}``: plain JSON values."""
    return {"layers": [{"type": layer.kind, "config": layer.config()} for layer in layers]}


def layers_from_config(config: Any) -> list[Layer]:
    """Rebuild the layers named in ``config``; only the registry's types are made. A layer
    that refuses its config is one ValueError naming its position and type."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("network config must be an object with a list 'layers'")
    layers = []
    for position, entry in enumerate(config["layers"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            raise ValueError(f"layer {position}: expected {{'type': …, 'config': {{…}}}}")
        kind = entry.get("type")
        if kind not in LAYER_TYPES:
            known = ", ".join(LAYER_TYPES)
            raise ValueError(f"layer {position}: unknown layer type {kind!r}; known: {known}")
        try:
            layers.append(LAYER_TYPES[kind].from_config(entry["config"]))
        except (TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"layer {position} ({kind}): bad config: {error}") from None
    return layers
