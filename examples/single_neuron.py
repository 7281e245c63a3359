"""A single neuron, z = wᵀx + b, a = σ(z), trained with the computational graph.

The data are m = 400 generated points in n = 2 dimensions on either side of a line, so a
single logistic unit can separate them. Each step: forward, cost J, backward() for dW and
db, then W ← W − α dW and b ← b − α db. Run with ``make demo``.
"""

from __future__ import annotations

import numpy as np

import vecnn
from vecnn import Tensor


def make_separable(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``X (2, m)`` with examples as columns, ``Y (1, m)`` = 1 above the line x₂ = 0.5 x₁ + 0.2."""
    X = rng.uniform(-1, 1, size=(2, m))
    Y = (X[1] > 0.5 * X[0] + 0.2).astype(np.float64).reshape(1, m)
    return X, Y


def main() -> None:
    rng = np.random.default_rng(0)
    X, Y = make_separable(400, rng)
    W = Tensor(np.zeros((1, 2)), requires_grad=True, name="W")  # (n[1], n[0])
    b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")  # (n[1], 1)
    alpha, threshold = 2.0, 0.5

    print("A single neuron: z = Wx + b, a = σ(z), fires when a ≥ θ = 0.5")
    print(f"X is {X.shape} (n[0], m), W is {W.shape}, b is {b.shape}\n")
    for step in range(301):
        Z = vecnn.ops.dense(W, X, b)  # (1, m)
        J = vecnn.ops.binary_cross_entropy_with_logits(Z, Y)
        W.zero_grad()
        b.zero_grad()
        J.backward()
        with vecnn.no_grad():
            W.data -= alpha * W.grad
            b.data -= alpha * b.grad
        if step % 50 == 0:
            print(f"step {step:3d}  cost J = {J.item():.4f}")

    with vecnn.no_grad():
        fires = vecnn.ops.dense(W, X, b).sigmoid().step(threshold)
    accuracy = float((fires.numpy() == Y).mean())
    print(f"\nlearned W = {W.numpy().round(2)}, b = {b.numpy().round(2)}")
    print(f"training accuracy at θ = {threshold}: {accuracy:.3f}")


if __name__ == "__main__":
    main()
