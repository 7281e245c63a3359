"""The checks of the parameter list an optimizer is built on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vecnn.autodiff import Tensor


def check_params(owner: str, params: Iterable[Tensor]) -> list[Tensor]:
    """``params`` as a list: leaf Tensors that require a gradient, none twice, at least one;
    TypeError or ValueError naming the parameter and the fix otherwise."""
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
