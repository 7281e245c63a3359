"""The node of the computational graph: a value, the operation that made it, its gradient.

A ``Tensor`` holds ``data`` (an array of the backend) and, once ``backward()`` has run,
``grad``: the gradient of the output with respect to this value, an array of the same
shape. Each result of an operation remembers the operation (a ``Function``) and, through
it, its inputs; ``backward()`` walks that graph from the output back to the leaves in
reverse topological order and applies each operation's local derivative.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.anomaly import check_finite_result, is_anomaly_enabled
from vecnn.backend import Array, as_float_array, copy, host, is_fresh, to_numpy, xp
from vecnn.errors import GraphReleasedError


class Tensor:
    """A value of the computational graph.

    ``Tensor(data, requires_grad=False)`` copies ``data`` into a float32 or float64 array
    (float arrays keep their dtype; Python numbers, lists and integer arrays become
    float64). With ``requires_grad=True`` the tensor is a leaf whose ``grad`` receives the
    gradient of every ``backward()`` that reaches it; gradients add up across calls until
    ``zero_grad()``.
    """

    __slots__ = (
        "__weakref__",
        "_fn",
        "_grad_slot",
        "_retains_grad",
        "data",
        "grad",
        "name",
        "requires_grad",
    )

    # NumPy defers to the Tensor's reflected operators (``array + tensor`` is a Tensor).
    __array_ufunc__ = None
    # Tensors compare and hash by identity: the graph engine keys its dicts by Tensor.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data: Array = copy(as_float_array(data, dtype))
        self.grad: Array | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._fn = None
        self._retains_grad = False
        # where backward writes this leaf's gradient when it has none: its view of a flat
        # gradient buffer (autodiff/flat.py), or None
        self._grad_slot: Array | None = None

    @classmethod
    def _from_op(cls, data: Array, fn: Any) -> Tensor:
        """The result of an operation: ``fn`` is its Function, or None when no graph is kept."""
        tensor = object.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = fn is not None
        tensor.name = None
        tensor._fn = fn
        tensor._retains_grad = False
        tensor._grad_slot = None
        return tensor

    # ----------------------------------------------------------------- description
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for a tensor the user made (no operation made it)."""
        return self._fn is None

    @property
    def op(self) -> str | None:
        """The name of the operation that made this tensor, None for a leaf."""
        return None if self._fn is None else self._fn.name

    def numpy(self) -> host.Array:
        """The data as a NumPy array on the host: on the NumPy backend it shares memory with
        the tensor (as PyTorch's ``numpy()``), on a device it is a copy."""
        return to_numpy(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element; this one has shape {self.shape}"
            )
        return float(xp.reshape(self.data, ()))

    def detach(self) -> Tensor:
        """The same data as a new leaf outside the graph (no copy, no gradient)."""
        return Tensor._from_op(self.data, None)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        parts = [f"shape={self.shape}", f"dtype={self.dtype}"]
        if self.name:
            parts.insert(0, f"name={self.name!r}")
        if self._fn is not None:
            parts.append(f"op={self._fn.name}")
        elif self.requires_grad:
            parts.append("requires_grad=True")
        if self.data.size <= 6:
            values = host.xp.array2string(to_numpy(self.data), separator=", ", precision=4)
            parts.insert(0, values.replace("\n", ""))
        return f"Tensor({', '.join(parts)})"

    # ------------------------------------------------------------------- gradients
    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes None, as in PyTorch)."""
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Keep ``grad`` on this non-leaf tensor too (e.g. to look at ``dZ``); returns self."""
        self._retains_grad = True
        return self

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Back-propagate from this tensor to every leaf that requires a gradient.

        A scalar output is seeded with 1; any other output needs ``grad``, the upstream
        gradient, of its own shape. Leaves accumulate into ``.grad``. Unless
        ``retain_graph`` is true, each operation drops its saved buffers once its
        backward has run, so that memory is released; a second ``backward()`` through
        the same graph then raises.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require a gradient: no input of the "
                "computation had requires_grad=True (or it ran inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without an argument needs a scalar output; this one has shape "
                    f"{self.shape}: pass the upstream gradient, backward(grad) with grad of "
                    "that shape"
                )
            seed = xp.ones_like(self.data)
        else:
            seed = as_float_array(grad.data if isinstance(grad, Tensor) else grad, self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward(grad): grad has shape {seed.shape} but the output has shape "
                    f"{self.shape}"
                )
            seed = copy(seed)
        _run_backward(self, seed, retain_graph)

    def _accumulate(self, grad: Array, owned: bool) -> None:
        """Add ``grad`` into ``.grad``; a first gradient goes into the tensor's slot of a
        flat gradient buffer when it has one (``grad`` may be that slot already)."""
        if grad.dtype != self.data.dtype:
            grad, owned = xp.astype(grad, self.data.dtype), True
        if self.grad is not None:
            self.grad += grad
        elif self._grad_slot is not None:
            if grad is not self._grad_slot:
                self._grad_slot[...] = grad
            self.grad = self._grad_slot
        else:
            self.grad = grad if owned else copy(grad)

    # ------------------------------------------------------- graph drawing
    def draw(self, path: Any) -> Any:
        """Draw the graph that produced this tensor (see ``vecnn.graph.draw``)."""
        from vecnn.autodiff.graph import draw

        return draw(self, path)

    # The operators (+ − * / ** @ []) and the methods exp, log, sum, reshape, T, relu, …
    # are the operations of ``vecnn.ops``, which attaches them (ops/tensor_methods.py).


def _topological_order(root: Tensor) -> list[Tensor]:
    """The tensors that ``root`` depends on and that need a gradient, inputs before outputs.

    Iterative depth-first search, so a chain of any length fits in Python's stack.
    (Tensors hash by identity, so they are their own keys.)
    """
    order: list[Tensor] = []
    visited: set[Tensor] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        fn = node._fn
        if fn is None:
            continue
        if fn.released:
            raise GraphReleasedError(
                f"backward() through the graph a second time: the buffers of '{fn.name}' were "
                "released by the first backward(); call backward(retain_graph=True) the first "
                "time to keep them"
            )
        for parent, needed in zip(fn.inputs, fn.needs_grad, strict=True):
            if needed and parent not in visited:
                stack.append((parent, False))
    return order


def _free_slots(fn: Any, pending: dict[Tensor, Any]) -> tuple[Array | None, ...]:
    """For each input of ``fn``, the array its backward may write that input's gradient
    into, or None: a leaf's slot of a flat gradient buffer, when the leaf has no gradient
    yet and this walk has given it none (so the slot holds nothing that is still needed)."""
    slots = []
    for k, (parent, needed) in enumerate(zip(fn.inputs, fn.needs_grad, strict=True)):
        slot = parent._grad_slot if needed else None
        if slot is not None and (
            parent.grad is not None or parent in pending or parent in fn.inputs[:k]
        ):
            slot = None
        slots.append(slot)
    return tuple(slots)


def _run_backward(root: Tensor, seed: Array, retain_graph: bool) -> None:
    """Apply the chain rule over the graph of ``root``, seeded with ``dRoot = seed``.

    ``pending`` maps each tensor still to be visited to its summed gradient and whether
    that array is owned (fresh, safe to keep and add into in place) or borrowed (the
    upstream gradient passed through, or a view).
    """
    pending: dict[Tensor, tuple[Array, bool]] = {root: (seed, True)}
    arrived: list[tuple[Tensor, Array, bool]] = []  # given to .grad once the walk succeeded
    for node in reversed(_topological_order(root)):
        entry = pending.pop(node, None)
        if entry is None:
            continue
        dout, owned = entry
        fn = node._fn
        if fn is None or node._retains_grad:
            arrived.append((node, dout, owned))
            owned = False
        if fn is None:
            continue
        if fn.writes_grad_slots:
            fn.grad_slots = _free_slots(fn, pending)
        input_grads = fn.backward(dout)
        if is_anomaly_enabled():
            for dinput in input_grads:
                if dinput is not None:
                    check_finite_result(fn.name, "backward pass", dinput, (dout,))
        for parent, needed, dinput in zip(fn.inputs, fn.needs_grad, input_grads, strict=True):
            if not needed:
                continue
            if dinput.shape != parent.data.shape:
                raise RuntimeError(
                    f"internal error in '{fn.name}': its backward gave a gradient of shape "
                    f"{dinput.shape} for an input of shape {parent.data.shape}"
                )
            if parent in pending:
                pending[parent] = (pending[parent][0] + dinput, True)
            else:
                fresh = dinput is not dout and is_fresh(dinput)
                pending[parent] = (dinput, fresh)
        if not retain_graph:
            fn.release()
    for node, grad, owned in arrived:  # a backward that raised changed no .grad
        node._accumulate(grad, owned)
