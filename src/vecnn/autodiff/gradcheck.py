"""Checking the graph's gradients against central finite differences, in float64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vecnn.autodiff.mode import no_grad
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import host, to_numpy, xp


@dataclass(frozen=True)
class InputCheck:
    """How one input's gradient compares with finite differences.

    ``relative_error`` is ``‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1)`` over the whole input, with ``g``
    the graph's gradient and ``ĝ`` the finite differences: the textbook's relative error,
    measured absolutely when the gradients are small, so that a gradient that is truly
    zero is not judged by the round-off of its finite differences. The worst entry is the
    one with the largest ``|g − ĝ|``.
    """

    index: int
    name: str | None
    shape: tuple[int, ...]
    relative_error: float
    worst_entry: tuple[int, ...]
    analytic: float
    numeric: float


def grad_check(
    f: Callable[..., Tensor],
    *tensors: Tensor,
    eps: float = 1e-6,
    report: bool = False,
) -> float | list[InputCheck]:
    """The largest relative error between ``f``'s graph gradients and finite differences.

    ``f(*tensors)`` must return a scalar Tensor. The check runs on float64 copies of the
    inputs (the originals and their ``grad`` are untouched): each entry ``x`` is moved to
    ``x ± eps`` and ``(f(x + eps) − f(x − eps)) / (2 eps)`` compared with the gradient
    ``backward()`` gives. Every input is checked, whatever its ``requires_grad``.

    Returns the largest ``‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1)`` over the inputs (below about 1e-7
    is right; above 1e-3 is almost certainly a bug), or with ``report=True`` one
    ``InputCheck`` per input with its worst entry.
    """
    if not tensors:
        raise ValueError("grad_check needs at least one input tensor to check")
    copies = [
        Tensor(t.data if isinstance(t, Tensor) else t, requires_grad=True, dtype=xp.float64)
        for t in tensors
    ]
    out = f(*copies)
    if not isinstance(out, Tensor) or out.data.size != 1:
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"grad_check needs f to return a scalar Tensor; it returned {shape}")
    out.backward()

    checks = []
    for index, (original, copy) in enumerate(zip(tensors, copies, strict=True)):
        analytic = copy.grad if copy.grad is not None else xp.zeros_like(copy.data)
        numeric = _finite_differences(f, copies, index, eps)
        checks.append(_compare(index, getattr(original, "name", None), analytic, numeric))
    return checks if report else max(check.relative_error for check in checks)


def _finite_differences(
    f: Callable[..., Tensor], inputs: list[Tensor], index: int, eps: float
) -> Any:
    """``(f(x + eps) − f(x − eps)) / (2 eps)`` for every entry of ``inputs[index]``."""
    data = inputs[index].data
    numeric = xp.zeros_like(data)
    with no_grad():
        for k in host.xp.ndindex(data.shape):
            saved = data[k]
            data[k] = saved + eps
            plus = f(*inputs).item()
            data[k] = saved - eps
            minus = f(*inputs).item()
            data[k] = saved
            numeric[k] = (plus - minus) / (2 * eps)
    return numeric


def _compare(index: int, name: str | None, analytic: Any, numeric: Any) -> InputCheck:
    analytic, numeric = to_numpy(analytic), to_numpy(numeric)  # a report, on the host
    difference = analytic - numeric
    scale = max(float(host.xp.linalg.norm(analytic) + host.xp.linalg.norm(numeric)), 1.0)
    error = float(host.xp.linalg.norm(difference)) / scale
    if analytic.size:
        worst = tuple(
            int(i)
            for i in host.xp.unravel_index(host.xp.argmax(host.xp.abs(difference)), analytic.shape)
        )
        values = float(analytic[worst]), float(numeric[worst])
    else:
        worst, values = (), (0.0, 0.0)
    return InputCheck(index, name, analytic.shape, error, worst, *values)
