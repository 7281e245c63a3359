"""What every optimizer shares: its parameters, ``lr``, clipping, its state and the step.

A subclass holds only its update rule (``_rule``), its hyperparameters (``_check_hyper``)
and the names of its per-parameter state arrays (``_state_names``). The checkpoint
(``state_dict``, ``load_state_dict``) is ``optim/checkpoint.py``; the checks of the
parameter list are ``optim/params.py``.

Layout: the parameters of each dtype live in one flat buffer with a flat gradient
buffer beside it (``vecnn.autodiff.flat``). A network owns these buffers and hands them
over with ``network.parameters()``; over other tensors the optimizer lays them out itself
(``p.data`` becomes a view, same values). The state is kept the same way, so a step is the
rule applied once to a few long arrays; a parameter whose ``data`` was replaced since, or
a step where some parameters have no gradient, is handled one parameter at a time, with
the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from vecnn.autodiff import Tensor, no_grad
from vecnn.autodiff.flat import FlatParameters
from vecnn.backend import Array, xp
from vecnn.optim import _checks, checkpoint
from vecnn.optim.clip import clip_arrays
from vecnn.optim.params import check_params


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
        flat = getattr(params, "flat", None)
        self.params = check_params(type(self).__name__, params)
        self._shapes = [p.data.shape for p in self.params]
        self._steps = [0] * len(self.params)
        if not isinstance(flat, FlatParameters) or not flat.owns(self.params):
            flat = FlatParameters(self.params)
        self.flat = flat
        """The flat parameter and gradient buffers this optimizer steps (one per dtype)."""
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
        self._flat_state = []
        for group in self.flat.groups:
            state = {name: xp.zeros((group.size,), dtype=group.dtype) for name in names}
            self._flat_state.append(state)
            for name in names:
                for i, view in zip(group.indices, group.views_of(state[name]), strict=True):
                    self._state[name][i] = view

    # ------------------------------------------------------------------------ steps
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad`` becomes None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, each parameter whose ``grad`` is not None."""
        if self._in_flat_buffers():
            grads = [group.grad for group in self.flat.groups]
            if self.clip_norm is not None:
                clip_arrays(grads, self.clip_norm)
            t = self._steps[0] + 1
            for group, state in zip(self.flat.groups, self._flat_state, strict=True):
                self._rule(group.data, group.grad, state, t)
            self._steps[:] = [t] * len(self._steps)
            return
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
            active.append(i)
        if not active:
            return
        with no_grad():
            if self._flat_step_possible(active):
                grads = self.flat.gather_grads()
                if self.clip_norm is not None:
                    clip_arrays(grads, self.clip_norm)
                t = self._steps[0] + 1
                for group, state in zip(self.flat.groups, self._flat_state, strict=True):
                    self._rule(group.data, group.grad, state, t)
            else:
                if self.clip_norm is not None:
                    clip_arrays([self.params[i].grad for i in active], self.clip_norm)
                for i in active:
                    state = {name: arrays[i] for name, arrays in self._state.items()}
                    self._rule(self.params[i].data, self.params[i].grad, state, self._steps[i] + 1)
        for i in active:
            self._steps[i] += 1

    def _in_flat_buffers(self) -> bool:
        """True when every parameter holds its views of the flat buffers, as ``data`` and
        as ``grad`` (as after a backward), and all have had the same number of updates: the
        common case, where the step is the rule on the flat arrays and needs no other check
        (a view has its parameter's shape by construction)."""
        steps = self._steps
        return steps.count(steps[0]) == len(steps) and self.flat.owns(self.params, True)

    def _flat_step_possible(self, active: list[int]) -> bool:
        """True when every parameter has a gradient, all have had the same number of
        updates and all still hold their views of the flat buffers."""
        return (
            len(active) == len(self.params)
            and len(set(self._steps)) == 1
            and self.flat.owns(self.params)
        )

    def _rule(self, W: Array, g: Array, state: dict[str, Array], t: int) -> None:
        """Apply the update rule to ``W`` in place, as its ``t``-th update.

        ``g`` is the gradient (never written), ``state`` the rule's arrays for these
        entries (updated in place). ``W`` is either one parameter or a flat buffer of
        several: the rule is element-wise, so both give the same numbers.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------- checkpoint
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (see ``vecnn.optim.checkpoint``); arrays are copies."""
        return checkpoint.state_dict(self)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; ValueError naming what differs."""
        checkpoint.load_state_dict(self, state)

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
