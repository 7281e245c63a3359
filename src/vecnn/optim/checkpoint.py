"""An optimizer's checkpoint: ``state_dict`` and ``load_state_dict``.

The state is one flat dict, JSON-able except for the arrays under ``"arrays"``, whose keys
are strings so that a safe array format (``.npz``, safetensors) stores them::

    {
        "type": "Adam",                      # the class name
        "hyper": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-08,
                  "weight_decay": 0.0, "clip_norm": None},
        "steps": [3, 3],                     # updates each parameter has had (t)
        "arrays": {"v.0": array, "s.0": array, "v.1": array, "s.1": array},
    }

``"arrays"`` maps ``"<state name>.<parameter index>"`` to a copy of that state array (a
NumPy array on the host, whatever the backend); the index is the parameter's position in
``optimizer.params``. ``load_state_dict`` restores the hyperparameters (``lr`` included,
as PyTorch does), the step counts and the arrays, after checking all of them; nothing
changes when a check fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vecnn.backend import host, to_device, to_numpy, xp
from vecnn.optim import _checks

if TYPE_CHECKING:
    from vecnn.optim.base import Optimizer


def state_dict(optimizer: Optimizer) -> dict[str, Any]:
    """The optimizer's state as above; arrays are copies."""
    return {
        "type": type(optimizer).__name__,
        "hyper": optimizer._hyper(),
        "steps": list(optimizer._steps),
        "arrays": {
            f"{name}.{i}": host.xp.array(to_numpy(array))
            for name, arrays in optimizer._state.items()
            for i, array in enumerate(arrays)
        },
    }


def load_state_dict(optimizer: Optimizer, state: Mapping[str, Any]) -> None:
    """Restore what ``state_dict`` returned; ValueError naming what differs (and then
    nothing changed)."""
    owner = type(optimizer).__name__
    n_params = len(optimizer.params)
    _checks.exact_keys(owner, "state", state, ("type", "hyper", "steps", "arrays"))
    if state["type"] != owner:
        raise ValueError(f"{owner}: the state is of a {state['type']}, not of a {owner}")
    hyper = optimizer._check_hyper(state["hyper"])
    steps = state["steps"]
    if not isinstance(steps, (list, tuple)):
        raise ValueError(f"{owner}: steps must be a list, got {type(steps).__name__}")
    if len(steps) != n_params:
        raise ValueError(
            f"{owner}: the state has {len(steps)} parameters, this optimizer has {n_params}"
        )
    steps = [_checks.non_negative_int(owner, f"steps[{i}]", t) for i, t in enumerate(steps)]
    names = optimizer._state_names(hyper)
    expected = tuple(f"{name}.{i}" for name in names for i in range(n_params))
    _checks.exact_keys(owner, "arrays", state["arrays"], expected)
    arrays = {key: host.xp.asarray(to_numpy(state["arrays"][key])) for key in expected}
    for key, array in arrays.items():
        shape = optimizer._shapes[int(key.rsplit(".", 1)[1])]
        if array.shape != shape:
            raise ValueError(
                f"{owner}: state array {key!r} has shape {array.shape}, the parameter has {shape}"
            )
        if array.dtype.kind not in "fiu":
            raise ValueError(f"{owner}: state array {key!r} has dtype {array.dtype}")
    optimizer._set_hyper(hyper)
    optimizer._steps = steps
    optimizer._allocate_state()
    for name, buffers in optimizer._state.items():
        for i, buffer in enumerate(buffers):
            buffer[...] = xp.astype(to_device(arrays[f"{name}.{i}"]), buffer.dtype)
