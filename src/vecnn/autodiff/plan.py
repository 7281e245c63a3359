"""A step plan: one training step's graph recorded once, then replayed without the engine.

Each training step builds the same graph: the same operations, in the same order, on
arrays of the same shapes. ``StepPlan.record`` runs the step once through the engine
while a tape notes each operation (its ``Function``, its parameters, where each operand
came from: a parameter, an earlier result, one of the step's inputs ``X_b``, ``Y_b``, or
a constant) and works out once what ``Tensor.backward`` decides at every step: the order
of the backward walk, which gradients add up, which parameter's gradient slot each
``dense`` node may write into. ``replay(X_b, Y_b)`` then calls the same operations'
``forward`` and ``backward`` on plain arrays in that order: no ``Tensor``, no
``Function.apply``, no topological sort per step.

The operations are the ones the engine calls (their forward beside their backward,
``ops/``), in the engine's order, with its sums in its order, so a replayed step gives
the engine's numbers bit for bit (``tests/autodiff/test_plan.py``). A plan is only
exact for a step whose graph holds everything the step does: ``record`` refuses (returns
None) a step with an operand array that is neither a declared input nor a scalar (a
dropout mask, drawn anew each step), a tensor that retains its gradient, an operation
that gives back an array it got, or an input it cannot find on the tape; layers with
effects outside the graph (batch norm's running statistics) are left out by their caller
(``Layer.replayable``). A new shape needs a new plan (``train/fit.py`` keeps one per
batch shape).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from vecnn.autodiff import mode
from vecnn.autodiff.function import Function
from vecnn.autodiff.tensor import Tensor, _free_slots, _topological_order
from vecnn.backend import Array, as_float_array, is_fresh, xp

# Where an operand comes from (the first item of each source tuple).
_RESULT, _LEAF, _INPUT, _CONSTANT = range(4)

_enabled = os.environ.get("VECNN_STEP_PLAN", "1") != "0"


def use_plans(enabled: bool) -> None:
    """Turn step plans on or off for this process (``VECNN_STEP_PLAN=0`` starts it off);
    off, every training step goes through the graph engine."""
    global _enabled
    _enabled = bool(enabled)


def plans_enabled() -> bool:
    """True when training may replay recorded steps (see ``use_plans``)."""
    return _enabled


class _Tape:
    """What ``Function.apply`` records while ``record`` runs a step: per operation, its
    Function, its parameters (the instance's attributes before ``forward``), its
    operands and the arrays ``forward`` received, and its result."""

    def __init__(self) -> None:
        self.entries: list[tuple[Function, dict[str, Any], tuple[Any, ...], list[Array]]] = []
        self.results: list[Array] = []

    def run(self, fn: Function, operands: tuple[Any, ...], arrays: list[Array]) -> Any:
        self.entries.append((fn, dict(fn.__dict__), operands, list(arrays)))
        out = fn.forward_array(arrays)
        self.results.append(out)
        return out


class _Node:
    """One recorded operation: how to call it again and where its gradients go."""

    __slots__ = ("cls", "config", "routes", "slots", "sources", "writes_slots")

    def __init__(self, fn: Function, config: dict[str, Any], sources: list[tuple]) -> None:
        self.cls = type(fn)
        self.config = config
        self.sources = sources
        self.writes_slots = fn.writes_grad_slots
        self.routes: list[tuple[int, int]] = []  # (input position, id of the input)
        self.slots: tuple[Array | None, ...] | None = None


class StepPlan:
    """A recorded step: ``replay(*inputs)`` gives ``(J, *outputs)`` as arrays and leaves
    each parameter's ``grad`` (its flat gradient slot) as ``J.backward()`` would."""

    def __init__(
        self,
        nodes: list[_Node],
        leaves: list[Tensor],
        walk: list[int],
        outputs: list[int],
    ) -> None:
        self.nodes = nodes
        self.leaves = leaves  # the parameters, by id len(nodes) + k
        self.walk = walk  # ids in the order of the engine's backward walk
        self.node_walk = [i for i in walk if i < len(nodes)]
        self.outputs = outputs  # ids of J and the other outputs

    # ------------------------------------------------------------------ recording
    @classmethod
    def record(
        cls,
        step: Callable[..., Sequence[Tensor]],
        inputs: Sequence[Array],
    ) -> tuple[StepPlan | None, list[Tensor]]:
        """Run ``step(*inputs)`` (it returns ``J`` first, a scalar Tensor, then any other
        Tensors the caller wants) through the engine, recording it.

        Returns the plan (None when this step cannot be replayed exactly, see the module's
        docstring) and the Tensors ``step`` returned; with a plan, their gradients are not
        computed yet: call ``plan.backward`` (once), else ``J.backward()`` as usual.
        """
        tape = _Tape()
        previous = mode._state.tape
        mode._state.tape = tape
        try:
            returned = list(step(*inputs))
        finally:
            mode._state.tape = previous
        plan = cls._from_tape(tape, inputs, returned)
        if plan is not None:
            plan._recorded = [entry[0] for entry in tape.entries]
            plan._recorded_values = tape.results
        return plan, returned

    @classmethod
    def _from_tape(
        cls, tape: _Tape, inputs: Sequence[Array], returned: list[Tensor]
    ) -> StepPlan | None:
        result_ids = {id(out): i for i, out in enumerate(tape.results)}
        if len(result_ids) != len(tape.results):  # an operation gave back an array it got:
            return None  # results are told apart by identity, so leave that to the engine
        leaf_ids: dict[int, int] = {}
        leaves: list[Tensor] = []
        found_inputs: set[int] = set()
        nodes: list[_Node] = []
        tensor_ids: dict[Tensor, int] = {}  # the recorded Tensors, for the walk below
        for fn, config, operands, arrays in tape.entries:
            sources: list[tuple] = []
            for operand, array in zip(operands, arrays, strict=True):
                source = _source(operand, array, inputs, result_ids)
                if source is None:
                    return None
                if source[0] == _LEAF:
                    key = id(operand)
                    if key not in leaf_ids:
                        leaf_ids[key] = len(leaves)
                        leaves.append(operand)
                    source = (_LEAF, operand)
                elif source[0] == _INPUT:
                    found_inputs.add(source[1])
                sources.append(source)
            nodes.append(_Node(fn, config, sources))
        if len(found_inputs) != len(inputs) or not returned:
            return None
        for tensor in returned:
            if tensor._fn is None or id(tensor.data) not in result_ids:
                return None
        # the engine's own walk over the Tensors that need a gradient, followed once
        order = _topological_order(returned[0])
        n = len(nodes)
        for tensor in order:
            if tensor._retains_grad:  # its .grad is wanted: only the engine keeps one
                return None
            if tensor._fn is not None:
                if id(tensor.data) not in result_ids:
                    return None
                tensor_ids[tensor] = result_ids[id(tensor.data)]
            elif id(tensor) in leaf_ids:
                tensor_ids[tensor] = n + leaf_ids[id(tensor)]
            else:  # a leaf the tape did not see
                return None
        for i, (fn, *_) in enumerate(tape.entries):
            if not hasattr(fn, "inputs"):  # no operand needed a gradient
                continue
            for k, (parent, needed) in enumerate(zip(fn.inputs, fn.needs_grad, strict=True)):
                if needed and parent in tensor_ids:  # (J's graph only)
                    nodes[i].routes.append((k, tensor_ids[parent]))
        walk = [tensor_ids[t] for t in reversed(order)]
        plan = cls(nodes, leaves, walk, [result_ids[id(t.data)] for t in returned])
        # The gradient slots each slot-writing operation gets, by the engine's own rule
        # (``_free_slots``), decided once over the walk; the parameters have no gradient
        # now (``zero_grad``), as at every step the plan is used for (``ready``).
        pending = {returned[0]}
        for tensor in reversed(order):
            fn = tensor._fn
            if fn is None or tensor not in pending:
                continue
            pending.discard(tensor)
            if fn.writes_grad_slots:
                nodes[tensor_ids[tensor]].slots = _free_slots(fn, pending)
            pending.update(p for p, needed in zip(fn.inputs, fn.needs_grad, strict=True) if needed)
        return plan

    # ------------------------------------------------------------------ replaying
    def ready(self) -> bool:
        """True when every parameter of the plan has no gradient (as after
        ``zero_grad()``): a replay then gives exactly what the engine would."""
        return all(leaf.grad is None for leaf in self.leaves)

    def replay(self, *inputs: Array) -> list[Array]:
        """Forward and backward of the recorded step on new ``inputs`` of the recorded
        shapes and dtypes: ``[J, *outputs]`` as arrays; each parameter's ``grad`` set."""
        fns: list[Function] = []
        values: list[Array] = []
        for node in self.nodes:
            fn = object.__new__(node.cls)
            fn.__dict__.update(node.config)
            args = []
            for kind, ref, *dtype in node.sources:
                if kind == _RESULT:
                    args.append(values[ref])
                elif kind == _LEAF:
                    args.append(ref.data)
                elif kind == _INPUT:
                    x = inputs[ref]
                    args.append(x if dtype[0] is None else as_float_array(x, dtype[0]))
                else:
                    args.append(ref)
            fns.append(fn)
            values.append(fn.forward_array(args))
        returned = [values[i] for i in self.outputs]
        self._backward(fns, values)
        return returned

    def backward(self) -> None:
        """The backward of the step ``record`` ran (once): every parameter's ``grad``."""
        fns, values = self._recorded, self._recorded_values
        del self._recorded, self._recorded_values
        self._backward(fns, values)

    def _backward(self, fns: list[Function], values: list[Array]) -> None:
        """``Tensor.backward``'s walk with its decisions made: the same backward calls,
        the same sums in the same order, the same copies into the slots."""
        n, nodes = len(self.nodes), self.nodes
        root = self.walk[0]
        # ∂J/∂J = 1: backward never writes into its dout, so one array serves every step
        pending: dict[int, tuple[Array, bool]] = {root: (self._seed(values[root]), True)}
        for node_id in self.node_walk:  # (the parameters' turns come after their users')
            entry = pending.pop(node_id, None)
            if entry is None:
                continue
            dout = entry[0]
            node, fn = nodes[node_id], fns[node_id]
            if node.writes_slots:
                fn.grad_slots = node.slots
            grads = fn.backward(dout)
            for k, target in node.routes:
                dinput = grads[k]
                if target in pending:
                    pending[target] = (pending[target][0] + dinput, True)
                elif target < n:  # (whether it is owned matters only for a parameter)
                    pending[target] = (dinput, False)
                else:
                    pending[target] = (dinput, dinput is not dout and is_fresh(dinput))
            fns[node_id] = None  # its saved arrays go now, as the engine's release()
        # given to .grad once the walk succeeded, as the engine does
        for k, leaf in enumerate(self.leaves):
            entry = pending.pop(n + k, None)
            if entry is not None:  # (it has no gradient: ready())
                leaf._accumulate(*entry)

    def _seed(self, J: Array) -> Array:
        seed = getattr(self, "_ones", None)
        if seed is None or seed.dtype != J.dtype:
            seed = self._ones = xp.ones_like(J)
        return seed


def _source(
    operand: Any, array: Array, inputs: Sequence[Array], result_ids: dict[int, int]
) -> tuple | None:
    """Where ``operand`` (``array`` as ``forward`` got it) comes from, or None when a
    replay could not know it (an array that is no input and not a scalar)."""
    if isinstance(operand, Tensor):
        if operand._fn is not None or id(operand.data) in result_ids:
            index = result_ids.get(id(operand.data))
            return None if index is None else (_RESULT, index)
        if operand.requires_grad:
            return (_LEAF, operand)
        operand = operand.data  # a constant Tensor: as the array it holds
        for k, x in enumerate(inputs):
            if operand is x:
                return (_INPUT, k, None)
    else:
        for k, x in enumerate(inputs):
            if operand is x:
                return (_INPUT, k, array.dtype)
    if getattr(array, "size", 2) <= 1:
        return (_CONSTANT, array)
    return None
