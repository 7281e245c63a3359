"""``A[l]`` and ``dZ[l]`` of the mini-batch ``fit`` has just stepped on, read off its graph.

``fit`` is given the loss wrapped by ``BatchRecorder.wrap``: the same loss class, which
before computing the cost walks the graph of the output back through each dense node and
asks the engine to keep its result's gradient (``retain_grad``): ``Z[l].grad`` for a
``dense`` node ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l].grad`` for a ``dense+g`` node
``A[l] = g(Z[l])``, turned into ``dZ[l] = dA[l] ⊙ g′`` by the node's own derivative. After
``J.backward()`` those are the step's own gradients: ``dZ[l] = m ∂J/∂Z[l]`` in the
textbook's scale. Nothing of the computation changes.
"""

from __future__ import annotations

import copy
from typing import Any

from vecnn.autodiff import Tensor, no_grad
from vecnn.backend import Array
from vecnn.losses import Loss
from vecnn.nn.activation import ACTIVATIONS
from vecnn.ops.fused import DenseActivation


def _dense_below(tensor: Tensor) -> Tensor | None:
    """The nearest output of a dense node (``dense`` or ``dense+g``) at or below ``tensor``
    (through activations, dropout), or None when the walk reaches the inputs."""
    frontier, seen = [tensor], set()
    while frontier:
        node = frontier.pop(0)
        if id(node) in seen or node._fn is None:
            continue
        seen.add(id(node))
        if node._fn.name == "dense" or isinstance(node._fn, DenseActivation):
            return node
        frontier.extend(parent for parent in node._fn.inputs if parent is not None)
    return None


class BatchRecorder:
    """Keeps the last training batch's ``Z[l]`` and ``A[l]`` (``columns`` of them at most)."""

    def __init__(self, output_activation: str, columns: int) -> None:
        self.output_activation = output_activation
        self.columns = columns
        self.Zs: list[Tensor] = []  # each dense node's result: Z[l], or A[l] for dense+g
        self.fused: list[DenseActivation | None] = []  # a dense+g node's copy, for its g′
        self.A_in: list[Array] = []  # A[0] … A[L-1]: what each dense layer took
        self.output: Array | None = None
        self.m = 0

    def wrap(self, loss: Loss) -> Loss:
        """``loss`` (an instance), recording each training batch before it computes ``J``."""
        recorder = self

        class Recording(type(loss)):  # type: ignore[misc, valid-type]
            def __call__(self, output: Any, *rest: Any, **options: Any) -> Tensor:
                recorder.capture(output)
                return super().__call__(output, *rest, **options)

        Recording.__name__ = Recording.__qualname__ = type(loss).__name__
        return Recording()

    def capture(self, output: Any) -> None:
        """Before the cost: keep the batch's ``Z[l]`` (with their gradients) and ``A[l-1]``."""
        if not isinstance(output, Tensor) or output._fn is None:
            return  # inference (fit's validation): no graph, no step
        Zs, fused, A_in = [], [], []
        node = _dense_below(output)
        while node is not None:
            Zs.append(node.retain_grad())
            fn = node._fn
            # a shallow copy outlives backward's release: its A and α give dZ = dA ⊙ g′
            fused.append(copy.copy(fn) if isinstance(fn, DenseActivation) else None)
            A_prev = fn.inputs[1]
            A_in.append(A_prev.data if isinstance(A_prev, Tensor) else A_prev)
            node = _dense_below(A_prev) if isinstance(A_prev, Tensor) else None
        self.Zs, self.fused, self.A_in = Zs[::-1], fused[::-1], A_in[::-1]
        self.output = output.data
        self.m = output.shape[1]

    def matrices(self) -> list[tuple[Array, Array]] | None:
        """``(A[l], dZ[l])`` for l = 1…L on the first ``columns`` examples, or None before
        the first step."""
        if not self.Zs or any(Z.grad is None for Z in self.Zs):
            return None
        k = self.columns
        if self.fused[-1] is not None:  # the output layer's node gave A[L] itself
            A_L = self.Zs[-1].data
        else:
            with no_grad():
                A_L = ACTIVATIONS[self.output_activation](Tensor(self.Zs[-1].data)).data
        As = [*self.A_in[1:], A_L]
        dZs = [
            Z.grad if node is None else node.derivative(Z.grad)
            for Z, node in zip(self.Zs, self.fused, strict=True)
        ]
        return [(A[:, :k], dZ[:, :k] * self.m) for A, dZ in zip(As, dZs, strict=True)]
