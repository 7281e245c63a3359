"""Parameters laid out in one flat buffer per dtype, with one flat gradient buffer beside it.

A network makes one ``FlatParameters`` over its parameters when it is built: each
parameter's ``data`` becomes a view of its dtype's flat ``data`` buffer, and the matching
view of the flat ``grad`` buffer is its gradient slot: ``backward()`` computes the
parameter's gradient into it (the dense node's ``dW`` and ``db`` with ``out=``, others by
one copy), so after a backward each ``grad`` is that view and the flat buffer holds every
gradient with no gathering. Like PyTorch's ``.grad``, the slot is reused by every step.
An optimizer is handed this object and applies its rule to the few long flat arrays;
data-parallel training reduces each flat gradient buffer in one call. Nothing is found
by pointer arithmetic: the buffers are owned, and ``owns(params)`` checks that the
parameters still hold their views.
"""

from __future__ import annotations

from typing import Any

from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, xp


class FlatGroup:
    """The parameters of one dtype: ``data`` and ``grad`` are flat arrays of ``size``
    entries; parameter ``indices[k]`` holds ``data_views[k]`` as its ``data``."""

    def __init__(self, params: list[Tensor], indices: list[int]) -> None:
        self.indices = indices
        self.dtype = params[indices[0]].data.dtype
        self.shapes = [params[i].data.shape for i in indices]
        self.offsets = [0]
        for i in indices:
            self.offsets.append(self.offsets[-1] + params[i].data.size)
        self.size = self.offsets[-1]
        self.data = xp.empty((self.size,), dtype=self.dtype)
        self.grad = xp.zeros((self.size,), dtype=self.dtype)
        self.data_views = self.views_of(self.data)
        self.grad_views = self.views_of(self.grad)
        for i, view, slot in zip(indices, self.data_views, self.grad_views, strict=True):
            view[...] = params[i].data
            params[i].data = view
            params[i]._grad_slot = slot

    def views_of(self, flat: Array) -> list[Array]:
        """Per-parameter views (in their shapes) of a flat array laid out like ``data``."""
        return [
            xp.reshape(flat[begin:end], shape)
            for begin, end, shape in zip(self.offsets, self.offsets[1:], self.shapes, strict=False)
        ]


class FlatParameters:
    """``params`` (a list of Tensors) gathered into one ``FlatGroup`` per dtype, in order."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = list(params)
        by_dtype: dict[Any, list[int]] = {}
        for i, p in enumerate(self.params):
            by_dtype.setdefault(p.data.dtype, []).append(i)
        self.groups = [FlatGroup(self.params, indices) for indices in by_dtype.values()]

    def owns(self, params: list[Tensor], with_grads: bool = False) -> bool:
        """True when ``params`` are these parameters, in order, each still holding its view
        (a parameter whose ``data`` was replaced has left the buffer); ``with_grads``: and
        each ``grad`` is its slot of the gradient buffer (as after a backward)."""
        if len(params) != len(self.params):
            return False
        for p, q in zip(params, self.params, strict=True):
            if p is not q:
                return False
        for group in self.groups:  # (loops, not all(...): this runs at every step)
            views = zip(group.indices, group.data_views, group.grad_views, strict=True)
            for i, data, grad in views:
                p = self.params[i]
                if p.data is not data or (with_grads and p.grad is not grad):
                    return False
        return True

    def gather_grads(self) -> list[Array]:
        """The flat gradient buffers, one per dtype, holding every parameter's ``grad``
        (each ``grad`` becomes its view: a copy only for one that ``backward()`` did not put
        in its slot, e.g. set by hand). A parameter without a gradient contributes zeros
        (and its ``grad`` stays None)."""
        for group in self.groups:
            for i, view in zip(group.indices, group.grad_views, strict=True):
                p = self.params[i]
                if p.grad is view:
                    continue
                if p.grad is None:
                    view[...] = 0
                    continue
                view[...] = p.grad
                p.grad = view
        return [group.grad for group in self.groups]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as the parameters: a pickled view would no longer share memory with its
        buffer, so the buffers are laid out again on load."""
        return {"params": self.params}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["params"])


class ParameterList(list):
    """A network's parameters (a plain list of Tensors) that also hands over ``flat``, the
    ``FlatParameters`` that owns their buffers: an optimizer built on it adopts them."""

    flat: FlatParameters | None = None
