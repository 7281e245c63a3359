"""What every optimizer shares: its parameters, ``lr``, clipping, state and its checkpoint.

A subclass holds only its update rule (``_update``), its hyperparameters (``_check_hyper``)
and the names of its per-parameter state arrays (``_state_names``).

``state_dict()`` is one flat dict, JSON-able except for the arrays under ``"arrays"``,
whose keys are strings so that a safe array format (``.npz``, safetensors) stores them::

    {
        "type": "Adam",                      # the class name
        "hyper": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-08,
                  "weight_decay": 0.0, "clip_norm": None},
        "steps": [3, 3],                     # updates each parameter has had (t)
        "arrays": {"v.0": array, "s.0": array, "v.1": array, "s.1": array},
    }

``"arrays"`` maps ``"<state name>.<parameter index>"`` to a copy of that state array; the
index is the parameter's position in ``optimizer.params``. ``load_state_dict`` restores
the hyperparameters (``lr`` included, as PyTorch does), the step counts and the arrays,
after checking all of them; nothing changes when a check fails.

Layout: the optimizer gathers the parameters of each dtype into one contiguous buffer
(``p.data`` becomes a view of it, same values) and keeps its state the same way, so that
a step is one rule applied to a few long arrays instead of one per parameter: fewer
calls, and one pass of a compiled kernel where Numba is installed. A parameter whose
``data`` was replaced since, or a step where some parameters have no gradient, is handled
one parameter at a time, with the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor, no_grad
from vecnn.backend import Array, xp
from vecnn.optim import _checks
from vecnn.optim.clip import clip_arrays

_SCRATCH = 2
"""Scratch buffers per dtype, each as large as the largest parameter, shared by all."""


class Optimizer:
    """Base class: ``step()`` updates every parameter that has a gradient, in place.

    ``params`` is any iterable of leaf Tensors with ``requires_grad=True`` (no duplicates,
    not empty); it is kept as a list. ``lr`` may be changed between steps (the schedules
    do). With ``clip_norm`` set, ``step()`` first clips the gradients by their global norm
    (see ``clip_grad_norm``), in place, as PyTorch users do by hand before ``step()``.
    """

    _hyper_names: ClassVar[tuple[str, ...]] = ("lr", "weight_decay", "clip_norm")

    params: list[Tensor]
    weight_decay: float
    clip_norm: float | None

    def __init__(self, params: Iterable[Tensor], **hyper: Any) -> None:
        self.params = _check_params(type(self).__name__, params)
        self._shapes = [p.data.shape for p in self.params]
        self._steps = [0] * len(self.params)
        self._groups = _flatten(self.params)
        self._set_hyper(self._check_hyper(hyper))
        self._state: dict[str, list[Array]] = {}
        self._allocate_state()

    # ----------------------------------------------------------------- hyperparameters
    @property
    def lr(self) -> float:
        """The learning rate α (≥ 0), read at every ``step()``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _checks.non_negative(type(self).__name__, "lr", value)

    def _check_hyper(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        """The hyperparameters, validated and normalized to Python numbers (no side effect).

        Subclasses extend it with their own; the key set must be ``_hyper_names``.
        """
        owner = type(self).__name__
        _checks.exact_keys(owner, "hyperparameters", hyper, self._hyper_names)
        return {
            "lr": _checks.non_negative(owner, "lr", hyper["lr"]),
            "weight_decay": _checks.non_negative(owner, "weight_decay", hyper["weight_decay"]),
            "clip_norm": _checks.optional_positive(owner, "clip_norm", hyper["clip_norm"]),
        }

    def _set_hyper(self, hyper: Mapping[str, Any]) -> None:
        for name, value in hyper.items():
            setattr(self, name, value)

    def _hyper(self) -> dict[str, Any]:
        hyper = {name: getattr(self, name) for name in self._hyper_names}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()}

    # ------------------------------------------------------------------------ state
    def _state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        """The per-parameter state arrays this rule keeps under ``hyper``."""
        return ()

    def _allocate_state(self) -> None:
        """Zeroed state arrays: one flat buffer per group and name, with per-parameter views."""
        names = self._state_names(self._hyper())
        self._state = {name: [None] * len(self.params) for name in names}
        for group in self._groups:
            group.state = {name: xp.zeros(group.size, dtype=group.dtype) for name in names}
            for name in names:
                for i, view in zip(group.indices, group.views_of(group.state[name]), strict=True):
                    self._state[name][i] = view

    # ------------------------------------------------------------------------ steps
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad`` becomes None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, each parameter whose ``grad`` is not None."""
        active = []
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            w = p.data
            if not isinstance(g, Array):  # a NumPy scalar: clipping scales grads in place
                g = p.grad = xp.asarray(g)
            if w.shape != self._shapes[i] or g.shape != self._shapes[i]:
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} ({p.name or 'unnamed'}) was "
                    f"{self._shapes[i]} when the optimizer was made; now its data is "
                    f"{w.shape} and its grad {g.shape}"
                )
            active.append((i, w, g))
        if not active:
            return
        if self.clip_norm is not None:
            clip_arrays([g for _, _, g in active], self.clip_norm)
        by_index = {i: (w, g) for i, w, g in active}
        with no_grad():
            for group in self._groups:
                members = [i for i in group.indices if i in by_index]
                if members and self._flat_step_possible(group, members):
                    for i, flat in zip(group.indices, group.grad_views, strict=True):
                        xp.copyto(flat, by_index[i][1])
                    t = self._steps[members[0]] + 1
                    self._rule(group.data, group.grad, dict(group.state), t, group.scratch)
                    continue
                for i in members:
                    W, dW = by_index[i]
                    state = {name: arrays[i] for name, arrays in self._state.items()}
                    scratch = tuple(
                        view.reshape(-1)[: W.size].reshape(W.shape) for view in group.scratch
                    )
                    self._rule(W, dW, state, self._steps[i] + 1, scratch)
        for i, _, _ in active:
            self._steps[i] += 1

    def _flat_step_possible(self, group: _Group, members: list[int]) -> bool:
        """True when the whole group can take one step on its flat buffers."""
        if len(members) != len(group.indices):
            return False
        if len({self._steps[i] for i in members}) != 1:
            return False
        return all(
            self.params[i].data is view
            for i, view in zip(group.indices, group.data_views, strict=True)
        )

    def _rule(
        self, W: Array, dW: Array, state: dict[str, Array], t: int, scratch: tuple[Array, ...]
    ) -> None:
        """Apply the update rule to ``W`` in place, as its ``t``-th update.

        ``dW`` is the gradient (never written), ``state`` the rule's arrays for these
        entries (updated in place), ``scratch`` two buffers of ``W``'s shape for
        temporaries. ``W`` is either one parameter or a group's flat buffer: the rule is
        element-wise, so both give the same numbers.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------- checkpoint
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (see the module's docstring); arrays are copies."""
        return {
            "type": type(self).__name__,
            "hyper": self._hyper(),
            "steps": list(self._steps),
            "arrays": {
                f"{name}.{i}": array.copy()
                for name, arrays in self._state.items()
                for i, array in enumerate(arrays)
            },
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; ValueError naming what differs."""
        owner = type(self).__name__
        _checks.exact_keys(owner, "state", state, ("type", "hyper", "steps", "arrays"))
        if state["type"] != owner:
            raise ValueError(f"{owner}: the state is of a {state['type']}, not of a {owner}")
        hyper = self._check_hyper(state["hyper"])
        steps = state["steps"]
        if not isinstance(steps, (list, tuple)):
            raise ValueError(f"{owner}: steps must be a list, got {type(steps).__name__}")
        if len(steps) != len(self.params):
            raise ValueError(
                f"{owner}: the state has {len(steps)} parameters, this optimizer has "
                f"{len(self.params)}"
            )
        steps = [_checks.non_negative_int(owner, f"steps[{i}]", t) for i, t in enumerate(steps)]
        names = self._state_names(hyper)
        expected = tuple(f"{name}.{i}" for name in names for i in range(len(self.params)))
        _checks.exact_keys(owner, "arrays", state["arrays"], expected)
        arrays = {key: xp.asarray(state["arrays"][key]) for key in expected}
        for key, array in arrays.items():
            shape = self._shapes[int(key.rsplit(".", 1)[1])]
            if array.shape != shape:
                raise ValueError(
                    f"{owner}: state array {key!r} has shape {array.shape}, the parameter "
                    f"has {shape}"
                )
            if array.dtype.kind not in "fiu":
                raise ValueError(f"{owner}: state array {key!r} has dtype {array.dtype}")
        self._set_hyper(hyper)
        self._steps = steps
        self._allocate_state()
        for name, buffers in self._state.items():
            for i, buffer in enumerate(buffers):
                xp.copyto(buffer, arrays[f"{name}.{i}"], casting="same_kind")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as parameters and ``state_dict()``: the flat buffers are rebuilt on load
        (a pickled view would no longer share memory with its parameter)."""
        return {"params": self.params, "state": self.state_dict()}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        hyper = dict(saved["state"]["hyper"])
        type(self).__init__(self, saved["params"], **hyper)
        self.load_state_dict(saved["state"])

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


def _check_params(owner: str, params: Iterable[Tensor]) -> list[Tensor]:
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got a single Tensor; pass [tensor]"
        )
    if isinstance(params, Mapping):
        raise TypeError(f"{owner}: params must be an iterable of Tensors; pass dict.values()")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError(f"{owner}: params is empty; there is nothing to optimize")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, not a Tensor")
        if not p.requires_grad:
            raise ValueError(
                f"{owner}: params[{i}] ({p.name or 'unnamed'}) has requires_grad=False; "
                "it would never receive a gradient"
            )
        if not p.is_leaf:
            raise ValueError(
                f"{owner}: params[{i}] is the result of '{p.op}', not a leaf; an optimizer "
                "updates leaves (the weights), not computed values"
            )
        if id(p) in seen:
            raise ValueError(f"{owner}: params[{i}] ({p.name or 'unnamed'}) appears twice")
        seen.add(id(p))
    return params


class _Group:
    """The parameters of one dtype, gathered in one flat buffer ``data``.

    ``data_views[k]`` is the view of ``data`` that parameter ``indices[k]`` holds as its
    ``.data``; ``grad`` collects their gradients for a flat step; ``state`` holds the
    optimizer's flat state arrays; ``scratch`` two flat buffers for temporaries.
    """

    def __init__(self, params: list[Tensor], indices: list[int]) -> None:
        self.indices = indices
        self.shapes = [params[i].data.shape for i in indices]
        self.dtype = params[indices[0]].data.dtype
        sizes = [params[i].data.size for i in indices]
        self.offsets = [0]
        for size in sizes:
            self.offsets.append(self.offsets[-1] + size)
        self.size = self.offsets[-1]
        arrays = [params[i].data for i in indices]
        shared = _shared_buffer(arrays, self.offsets)
        if shared is not None:  # already laid out so (a network gathers its parameters)
            self.data, self.data_views = shared, arrays
        else:
            self.data = xp.empty(self.size, dtype=self.dtype)
            self.data_views = self.views_of(self.data)
            for i, view in zip(indices, self.data_views, strict=True):
                xp.copyto(view, params[i].data)
                params[i].data = view
        self.grad = xp.empty(self.size, dtype=self.dtype)
        self.grad_views = self.views_of(self.grad)
        self.scratch = tuple(xp.empty(self.size, dtype=self.dtype) for _ in range(_SCRATCH))
        self.state: dict[str, Array] = {}

    def views_of(self, flat: Array) -> list[Array]:
        """Per-parameter views (in their shapes) of a flat array laid out like ``data``."""
        return [
            flat[begin:end].reshape(shape)
            for begin, end, shape in zip(self.offsets, self.offsets[1:], self.shapes, strict=False)
        ]


def _shared_buffer(arrays: list[Array], offsets: list[int]) -> Array | None:
    """The flat array that ``arrays`` are consecutive views of (in order, from its start
    to its end), or None: then the parameters are moved into a new buffer."""
    base = arrays[0].base
    if type(base) is not type(arrays[0]):  # None, or the bytes an unpickled array views
        return None
    if base.ndim != 1 or base.dtype != arrays[0].dtype or base.size != offsets[-1]:
        return None
    start = base.__array_interface__["data"][0]
    for array, offset in zip(arrays, offsets, strict=False):
        if (
            array.base is not base
            or not array.flags.c_contiguous
            or array.__array_interface__["data"][0] != start + offset * base.itemsize
        ):
            return None
    return base


def _flatten(params: list[Tensor]) -> list[_Group]:
    """One ``_Group`` per dtype; each parameter's ``data`` becomes a view of its group."""
    by_dtype: dict[Any, list[int]] = {}
    for i, p in enumerate(params):
        by_dtype.setdefault(p.data.dtype, []).append(i)
    return [_Group(params, indices) for indices in by_dtype.values()]
