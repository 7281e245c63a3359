"""Copying saved arrays into a network's parameters and buffers, all checked first."""

from __future__ import annotations

from typing import Any

from vecnn.backend import Array, dtype_name, to_device


def state_problems(targets: dict[str, Array], state: dict[str, Any], strict: bool) -> list[str]:
    """Every missing, unexpected, mis-shaped and mis-typed entry of ``state`` against the
    arrays ``targets`` (by name); with ``strict=False`` missing and unexpected are allowed."""
    problems = []
    missing = [name for name in targets if name not in state]
    unexpected = [name for name in state if name not in targets]
    if strict and missing:
        problems.append(f"missing: {', '.join(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected: {', '.join(unexpected)}")
    for name, target in targets.items():
        if name not in state:
            continue
        source = state[name]
        if getattr(source, "shape", None) != target.shape:
            problems.append(
                f"{name}: expected shape {target.shape}, found {getattr(source, 'shape', None)}"
            )
        elif dtype_name(getattr(source, "dtype", None)) != dtype_name(target.dtype):
            problems.append(
                f"{name}: expected dtype {dtype_name(target.dtype)}, found "
                f"{dtype_name(source.dtype)}"
            )
    return problems


def load_state(targets: dict[str, Array], state: dict[str, Any], strict: bool = True) -> None:
    """Copy ``state`` into ``targets`` in place; nothing is changed unless everything fits
    (one ValueError lists every problem)."""
    problems = state_problems(targets, state, strict)
    if problems:
        raise ValueError("state does not fit the network: " + "; ".join(problems))
    for name, target in targets.items():
        if name in state:
            target[...] = to_device(state[name])
