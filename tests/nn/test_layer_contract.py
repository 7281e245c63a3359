"""Every layer type keeps the layer contract (``check_layer``)."""

from __future__ import annotations

import pytest
from layer_contract import check_layer

from vecnn import Tensor
from vecnn.nn import ACTIVATIONS, LAYER_TYPES, Activation, BatchNorm, Dense, Dropout

F64 = "float64"
LAYERS = {
    **{f"Dense-{a}": (lambda a=a: Dense(4, 3, a, seed=0, dtype=F64)) for a in ACTIVATIONS},
    "Dense-he_uniform": lambda: Dense(4, 2, "tanh", init="he_uniform", seed=0, dtype=F64),
    "Dense-deferred": lambda: Dense(3, activation="sigmoid", seed=0, dtype=F64),
    **{f"Activation-{a}": (lambda a=a: Activation(a)) for a in ACTIVATIONS},
    "Dropout": lambda: Dropout(0.3, seed=0),
    "BatchNorm": lambda: BatchNorm(4, momentum=0.2, dtype=F64),
    "BatchNorm-deferred": lambda: BatchNorm(momentum=0.2, dtype=F64),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_keeps_the_contract(name):
    check_layer(LAYERS[name](), n_in=4)


def test_every_registered_layer_type_is_checked():
    checked = {LAYERS[name]().kind for name in LAYERS}
    assert checked == set(LAYER_TYPES)


class _GraphLosingLayer(Dense):
    """A dense layer adding ``ΣW`` as a constant: its graph misses that term's gradient."""

    def forward(self, A_prev):
        return super().forward(A_prev) + Tensor(self.W.data.sum())


def test_the_contract_catches_a_wrong_gradient():
    with pytest.raises(AssertionError, match="gradient check"):
        check_layer(_GraphLosingLayer(4, 3, seed=0, dtype=F64), n_in=4)
