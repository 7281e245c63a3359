"""What the page draws, computed with the library: the decision regions, the cost and
accuracy, and each layer's ``A[l]`` and ``dZ[l]`` for a batch of training examples.

Nothing here draws from the network's generator, so watching a run never changes it.
"""

from __future__ import annotations

import math
from typing import Any

from vecnn import ops
from vecnn.autodiff import Tensor
from vecnn.backend.host import Array, xp
from vecnn.losses import get_loss
from vecnn.nn import Dense
from vecnn.nn.activation import ACTIVATIONS
from vecnn.playground.network import loss_name, target_matrix
from vecnn.playground.validation import Settings
from vecnn.train.fit import evaluate_arrays
from vecnn.train.network import Network

GRID = 48  # decision-region cells per axis
DIGITS = 4  # decimals sent for the heatmaps and the regions
SCORED_COLUMNS = 2_000  # J and the accuracy on at most this many examples (a fixed sample)


def bounds(*X: Array, margin: float = 0.25) -> list[float]:
    """``[x₁ min, x₁ max, x₂ min, x₂ max]`` around the points, with a margin."""
    both = xp.concatenate([x for x in X if x.shape[1]], axis=1)
    low, high = both.min(axis=1), both.max(axis=1)
    pad = margin * (high - low).max()
    return [float(low[0] - pad), float(high[0] + pad), float(low[1] - pad), float(high[1] + pad)]


def grid_points(box: list[float], cells: int = GRID) -> Array:
    """``(2, cells²)``: the centres of the cells, row by row from the top (x₂ max) down."""
    x1 = xp.linspace(box[0], box[1], cells)
    x2 = xp.linspace(box[3], box[2], cells)
    first, second = xp.meshgrid(x1, x2)
    return xp.stack([first.ravel(), second.ravel()])


def regions(network: Network, points: Array) -> dict[str, Any]:
    """``A[L]`` over the grid: ``p`` = P(class 1) for one unit; else the winning class and
    its output."""
    A = network.predict_proba(points)
    if A.shape[0] == 1:
        return {"p": _rounded(A[0], 3)}
    return {"k": A.argmax(axis=0).tolist(), "p": _rounded(A.max(axis=0), 3)}


def scores(network: Network, settings: Settings, X: Array, y: Array) -> dict[str, float]:
    """The cost ``J`` (without the L2 term) and the accuracy on ``X (2, m)``, ``y (m,)``:
    on the first ``SCORED_COLUMNS`` examples when there are more (the split shuffled them,
    so they are a random sample, the same at every step)."""
    if not y.shape[0]:
        return {}
    X, y = X[:, :SCORED_COLUMNS], y[:SCORED_COLUMNS]
    loss = get_loss(loss_name(settings), network.output_activation)
    X = X.astype(network.dtype)
    cost = evaluate_arrays(network, loss, X, target_matrix(network, y), "regression")["loss"]
    A = network.predict_proba(X)
    predicted = (A[0] >= 0.5).astype(xp.intp) if A.shape[0] == 1 else A.argmax(axis=0)
    return {
        "loss": cost if math.isfinite(cost) else None,  # JSON has no NaN: shown as –
        "accuracy": float((predicted == y).mean()),
    }


def probe(network: Network, settings: Settings, X: Array, y: Array) -> list[tuple[Array, Array]]:
    """``(A[l], dZ[l])`` per dense layer for the columns ``X (2, m)``, in the textbook's
    scale (``dZ[l] = m ∂J/∂Z[l]``, so that ``dZ[L] = A[L] − Y`` for a cross-entropy), by the
    graph engine on copies of the weights (the network's own gradients are left alone).
    Shown before the first step, when no mini-batch has gone through yet."""
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    A = Tensor(X.astype(network.dtype), requires_grad=True)
    Zs, As = [], []
    for layer in dense:
        Z = ops.dense(Tensor(layer.W.data), A, Tensor(layer.b.data))
        Z.retain_grad()
        A = ACTIVATIONS[layer.activation](Z)
        Zs.append(Z)
        As.append(A)
    loss = get_loss(loss_name(settings), network.output_activation)
    J = loss(Zs[-1] if loss.takes_logits else As[-1], target_matrix(network, y))
    J.backward()
    m = X.shape[1]
    return [(A_l.data, Z_l.grad * m) for A_l, Z_l in zip(As, Zs, strict=True)]


def layer_matrices(network: Network, batch: list[tuple[Array, Array]]) -> list[dict]:
    """Per dense layer ``l``: ``W[l]``, ``b[l]`` (exact) and the batch's ``A[l]``, ``dZ[l]``."""
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    return [
        {
            "l": l,
            "activation": layer.activation,
            "W": _matrix(layer.W.data, exact=True),
            "b": _matrix(layer.b.data, exact=True),
            "A": _matrix(A_l),
            "dZ": _matrix(dZ_l),
        }
        for l, (layer, (A_l, dZ_l)) in enumerate(zip(dense, batch, strict=True), start=1)
    ]


def _finite(array: Array) -> Array:
    """JSON has no NaN or infinity: NaN as 0, ±∞ as the largest float32 (drawn saturated)."""
    big = float(xp.finfo(xp.float32).max)
    return xp.nan_to_num(array.astype(xp.float64), nan=0.0, posinf=big, neginf=-big)


def _matrix(array: Array, exact: bool = False) -> dict[str, Any]:
    data = _finite(array) if exact else xp.round(_finite(array), DIGITS)
    return {"shape": list(array.shape), "data": data.tolist()}


def _rounded(array: Array, digits: int) -> list[float]:
    return xp.round(_finite(array), digits).tolist()  # type: ignore[no-any-return]
