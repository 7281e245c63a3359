"""Finite-difference gradient checks, in float64, for every operation of ``vecnn.ops``.

Each case reduces the operation's output to a scalar with a fixed random weighting,
``(op(x) * R).sum()``, so that every output entry reaches the gradient with its own
weight (a plain ``.sum()`` would hide, e.g., a transposed or permuted gradient).
Inputs stay away from the points where an operation is not differentiable: relu and
leaky_relu at 0, log and sqrt of non-positive numbers, ties of max.

``grad_check`` is itself under test, so a few cases are also checked against central
differences written out here, and the gradients of max ties, repeated indices and masks
are asserted entry by entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pytest

import vecnn
from vecnn import Tensor, ops

# ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖). With eps = 1e-6, gradients of order 1 and values of order 1,
# central differences are good to about 1e-10 absolute, so a right gradient is far below.
TOLERANCE = 1e-7

# Constants that the operations meet as plain operands (NumPy arrays, 0-d arrays).
_CONSTANTS = np.random.default_rng(20240611)
Y34 = _CONSTANTS.normal(size=(3, 4))
ROW14 = _CONSTANTS.normal(size=(1, 4))
COL31 = _CONSTANTS.normal(size=(3, 1))
POS34 = _CONSTANTS.uniform(0.5, 2.0, size=(3, 4))
M45 = _CONSTANTS.normal(size=(4, 5))
M23 = _CONSTANTS.normal(size=(2, 3))


# --------------------------------------------------------------------------- inputs
def _draw(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """One input array; ``kind`` says which region of the domain it is drawn from."""
    if kind == "normal":
        return np.asarray(rng.normal(size=shape))
    if kind == "positive":  # log, sqrt, fractional powers, denominators
        return np.asarray(rng.uniform(0.5, 2.0, size=shape))
    if kind == "nonzero":  # relu, leaky_relu, negative powers: |x| ≥ 0.2 with both signs
        signs = np.where(rng.random(size=shape) < 0.5, -1.0, 1.0)
        return np.asarray(signs * rng.uniform(0.2, 2.0, size=shape))
    if kind == "distinct":  # max: entries at least 0.3 apart, so eps = 1e-6 makes no tie
        size = int(np.prod(shape, dtype=int))
        spaced = rng.permutation(size).reshape(shape) * 0.5
        return np.asarray(spaced - size / 4 + rng.uniform(-0.1, 0.1, size=shape))
    if kind == "onehot":  # (K, m), one 1 per column
        k, m = shape
        return np.eye(k)[:, rng.integers(0, k, size=m)]
    if kind == "prob":  # soft binary labels
        return np.asarray(rng.uniform(0.05, 0.95, size=shape))
    if kind == "dist":  # (K, m), each column a distribution (soft one-hot)
        p = rng.uniform(0.1, 1.0, size=shape)
        return p / p.sum(axis=0, keepdims=True)
    raise AssertionError(f"unknown kind {kind}")


@dataclass(frozen=True)
class Case:
    op: str  # the name in vecnn.ops that the case exercises
    label: str
    fn: Callable[..., Tensor]
    inputs: tuple[tuple[str, tuple[int, ...]], ...]  # (kind, shape) per Tensor input

    @property
    def id(self) -> str:
        return f"{self.op}[{self.label}]"


def case(op: str, label: str, fn: Callable[..., Tensor], *inputs: tuple) -> Case:
    return Case(op, label, fn, tuple(inputs))


def N(*shape: int) -> tuple[str, tuple[int, ...]]:
    return ("normal", shape)


def P(*shape: int) -> tuple[str, tuple[int, ...]]:
    return ("positive", shape)


def NZ(*shape: int) -> tuple[str, tuple[int, ...]]:
    return ("nonzero", shape)


def D(*shape: int) -> tuple[str, tuple[int, ...]]:
    return ("distinct", shape)


# --------------------------------------------------------------------------- cases
ARITHMETIC = [
    # add: every broadcasting pattern, and constants on either side
    case("add", "same-shape", lambda a, b: a + b, N(3, 4), N(3, 4)),
    case("add", "bias-(n,1)-over-(n,m)", lambda a, b: a + b, N(3, 4), N(3, 1)),
    case("add", "bias-on-the-left", lambda b, a: b + a, N(3, 1), N(3, 4)),
    case("add", "row-(1,m)", lambda a, b: a + b, N(3, 4), N(1, 4)),
    case("add", "1d-(m,)", lambda a, b: a + b, N(3, 4), N(4)),
    case("add", "column-plus-row", lambda a, b: a + b, N(3, 1), N(1, 4)),
    case("add", "0d-tensor", lambda a, s: a + s, N(3, 4), N()),
    case("add", "m=1", lambda a, b: a + b, N(3, 1), N(3, 1)),
    case("add", "python-scalar-right", lambda a: a + 2.5, N(3, 4)),
    case("add", "python-scalar-left", lambda a: 2.5 + a, N(3, 4)),
    case("add", "array-left", lambda a: Y34 + a, N(3, 4)),
    case("add", "array-right", lambda a: a + Y34, N(3, 4)),
    case("add", "array-broadcasts-tensor", lambda b: Y34 + b, N(3, 1)),
    case("add", "functional", ops.add, N(3, 4), N(1, 4)),
    # sub
    case("sub", "same-shape", lambda a, b: a - b, N(3, 4), N(3, 4)),
    case("sub", "bias-(n,1)", lambda a, b: a - b, N(3, 4), N(3, 1)),
    case("sub", "broadcast-first-operand", lambda r, a: r - a, N(1, 4), N(3, 4)),
    case("sub", "0d-tensor", lambda s, a: s - a, N(), N(3, 4)),
    case("sub", "t-minus-array", lambda a: a - Y34, N(3, 4)),
    case("sub", "array-minus-t", lambda a: Y34 - a, N(3, 4)),
    case("sub", "array-minus-bias", lambda b: Y34 - b, N(3, 1)),
    case("sub", "scalar-minus-t", lambda a: 1 - a, N(3, 4)),
    case("sub", "0d-array-minus-t", lambda a: np.array(2.0) - a, N(3, 4)),
    case("sub", "functional", ops.sub, N(3, 4), N(3, 4)),
    # mul
    case("mul", "same-shape", lambda a, b: a * b, N(3, 4), N(3, 4)),
    case("mul", "bias-(n,1)", lambda a, b: a * b, N(3, 4), N(3, 1)),
    case("mul", "row-(1,m)", lambda r, a: r * a, N(1, 4), N(3, 4)),
    case("mul", "0d-tensor", lambda a, s: a * s, N(3, 4), N()),
    case("mul", "python-scalar-left", lambda a: 2 * a, N(3, 4)),
    case("mul", "numpy-scalar-left", lambda a: np.float64(-1.5) * a, N(3, 4)),
    case("mul", "array-left", lambda a: Y34 * a, N(3, 4)),
    case("mul", "array-right-broadcast", lambda b: b * ROW14, N(3, 1)),
    case("mul", "same-tensor-twice", lambda a: a * a, N(3, 4)),
    case("mul", "functional", ops.mul, N(3, 4), N(3, 4)),
    # div: denominators positive
    case("div", "same-shape", lambda a, b: a / b, N(3, 4), P(3, 4)),
    case("div", "bias-denominator", lambda a, b: a / b, N(3, 4), P(3, 1)),
    case("div", "row-numerator", lambda r, b: r / b, N(1, 4), P(3, 4)),
    case("div", "0d-denominator", lambda a, s: a / s, N(3, 4), P()),
    case("div", "t-over-scalar", lambda a: a / 3, N(3, 4)),
    case("div", "scalar-over-t", lambda b: 3 / b, P(3, 4)),
    case("div", "array-over-t", lambda b: Y34 / b, P(3, 4)),
    case("div", "t-over-array", lambda a: a / POS34, N(3, 4)),
    case("div", "functional", ops.div, N(3, 4), P(3, 4)),
    # neg
    case("neg", "operator", lambda a: -a, N(3, 4)),
    case("neg", "functional", ops.neg, N(3, 1)),
    # pow: scalar exponents
    case("pow", "square", lambda a: a**2, N(3, 4)),
    case("pow", "cube", lambda a: a**3, N(3, 4)),
    case("pow", "sqrt-exponent", lambda a: a**0.5, P(3, 4)),
    case("pow", "negative-fractional", lambda a: a**-1.5, P(3, 4)),
    case("pow", "negative-integer", lambda a: a**-2, NZ(3, 4)),
    case("pow", "functional", lambda a: ops.pow(a, 3), N(2, 5)),
    # matmul
    case("matmul", "(3,4)@(4,5)", lambda a, b: a @ b, N(3, 4), N(4, 5)),
    case("matmul", "m=1", lambda a, b: a @ b, N(3, 4), N(4, 1)),
    case("matmul", "row@column", lambda a, b: a @ b, N(1, 4), N(4, 1)),
    case("matmul", "tensor@array", lambda a: a @ M45, N(3, 4)),
    case("matmul", "array@tensor", lambda b: M23 @ b, N(3, 4)),
    case("matmul", "functional", ops.matmul, N(2, 3), N(3, 3)),
]

ELEMENTWISE = [
    case("exp", "matrix", lambda a: a.exp(), N(3, 4)),
    case("exp", "functional-m=1", ops.exp, N(3, 1)),
    case("log", "positive", lambda a: a.log(), P(3, 4)),
    case("log", "functional", ops.log, P(1, 5)),
    case("sqrt", "positive", lambda a: a.sqrt(), P(3, 4)),
    case("cast", "to_float64", lambda a: ops.cast(a, "float64"), P(3, 4)),
    case("sqrt", "functional", ops.sqrt, P(2, 1)),
    case("relu", "both-signs", lambda a: a.relu(), NZ(3, 4)),
    case("relu", "functional", ops.relu, NZ(4, 1)),
    case("leaky_relu", "default-alpha", lambda a: a.leaky_relu(), NZ(3, 4)),
    case("leaky_relu", "alpha=0.2", lambda a: ops.leaky_relu(a, 0.2), NZ(3, 4)),
    case("sigmoid", "matrix", lambda a: a.sigmoid(), N(3, 4)),
    case("sigmoid", "functional", ops.sigmoid, N(1, 5)),
    case("tanh", "matrix", lambda a: a.tanh(), N(3, 4)),
    case("tanh", "functional", ops.tanh, N(2, 1)),
    case("softmax", "axis=0", lambda a: a.softmax(axis=0), N(3, 4)),
    case("softmax", "axis=1", lambda a: ops.softmax(a, axis=1), N(3, 4)),
    case("softmax", "m=1", lambda a: a.softmax(), N(4, 1)),
    case("softmax", "axis=-1", lambda a: ops.softmax(a, axis=-1), N(2, 5)),
    case("log_softmax", "axis=0", lambda a: a.log_softmax(axis=0), N(3, 4)),
    case("log_softmax", "axis=1", lambda a: ops.log_softmax(a, axis=1), N(3, 4)),
    case("log_softmax", "m=1", lambda a: a.log_softmax(), N(4, 1)),
]


def _reduction_cases(op: str, kind: str) -> list[Case]:
    make = {"normal": N, "distinct": D}[kind]
    cases = []
    for axis in (None, 0, 1, -1, (0, 1)):
        for keepdims in (False, True):
            fn = partial(getattr(ops, op), axis=axis, keepdims=keepdims)
            cases.append(case(op, f"axis={axis}-keepdims={keepdims}", fn, make(3, 4)))
    for axis in ((0, 2), (1, 2), (-1, 0), None):
        for keepdims in (False, True):
            fn = partial(getattr(ops, op), axis=axis, keepdims=keepdims)
            cases.append(case(op, f"3d-axis={axis}-keepdims={keepdims}", fn, make(2, 3, 4)))
    cases.append(case(op, "method-m=1", lambda a: getattr(a, op)(axis=0), make(3, 1)))
    return cases


REDUCTIONS = (
    _reduction_cases("sum", "normal")
    + _reduction_cases("mean", "normal")
    + _reduction_cases("max", "distinct")
)

SHAPE = [
    case("reshape", "(3,4)->(4,3)", lambda a: a.reshape(4, 3), N(3, 4)),
    case("reshape", "-1-last", lambda a: a.reshape(2, -1), N(3, 4)),
    case("reshape", "-1-first", lambda a: ops.reshape(a, (-1, 2)), N(3, 4)),
    case("reshape", "flatten", lambda a: a.reshape(-1), N(3, 4)),
    case("reshape", "3d-to-column", lambda a: a.reshape((-1, 1)), N(2, 3, 2)),
    case("reshape", "1d-to-matrix", lambda a: a.reshape(3, 4), N(12)),
    case("transpose", "T", lambda a: a.T, N(3, 4)),
    case("transpose", "functional", ops.transpose, N(3, 4)),
    case("transpose", "axes-(1,0)", lambda a: a.transpose(1, 0), N(3, 4)),
    case("transpose", "3d-(1,0,2)", lambda a: a.transpose(1, 0, 2), N(2, 3, 4)),
    case("transpose", "3d-(2,0,1)", lambda a: ops.transpose(a, (2, 0, 1)), N(2, 3, 4)),
    case("transpose", "3d-negative-axes", lambda a: a.transpose((-1, 0, -2)), N(2, 3, 4)),
    case("transpose", "3d-reversed", lambda a: a.T, N(2, 3, 4)),
    case("getitem", "row-slice", lambda a: a[1:3], N(3, 4)),
    case("getitem", "column-step", lambda a: a[:, ::2], N(3, 4)),
    case("getitem", "negative-step", lambda a: a[::-1, 1:], N(3, 4)),
    case("getitem", "int-row", lambda a: a[1], N(3, 4)),
    case("getitem", "int-column", lambda a: a[:, -1], N(3, 4)),
    case("getitem", "one-entry", lambda a: a[2, 1], N(3, 4)),
    case("getitem", "ellipsis-none", lambda a: a[None, ..., 2], N(3, 4)),
    case("getitem", "int-array-repeats", lambda a: a[np.array([0, 2, 0, 0])], N(3, 4)),
    case("getitem", "list-repeats-columns", lambda a: a[:, [1, 1, 3, 1]], N(3, 4)),
    case(
        "getitem",
        "paired-arrays-repeats",
        lambda a: a[np.array([0, 0, 2, 0]), np.array([1, 1, 3, 2])],
        N(3, 4),
    ),
    case("getitem", "bool-mask-2d", lambda a: a[Y34 > 0], N(3, 4)),
    case("getitem", "bool-mask-rows", lambda a: a[np.array([True, False, True])], N(3, 4)),
    case("getitem", "functional", lambda a: ops.getitem(a, (slice(0, 2), [0, 0])), N(3, 4)),
]

FUSED = [
    case("dense", "n=4,n_prev=3,m=5", ops.dense, N(4, 3), N(3, 5), N(4, 1)),
    case("dense", "m=1", ops.dense, N(4, 3), N(3, 1), N(4, 1)),
    case("dense", "n=1", ops.dense, N(1, 3), N(3, 5), N(1, 1)),
    *(
        case(
            "dense_activation",
            g,
            partial(ops.dense_activation, activation=g),
            N(4, 3),
            N(3, 5),
            N(4, 1),
        )
        for g in ("relu", "leaky_relu", "sigmoid", "tanh")
    ),
    case(
        "dense_activation",
        "relu-m=1",
        partial(ops.dense_activation, activation="relu"),
        N(4, 3),
        N(3, 1),
        N(4, 1),
    ),
    case(
        "dense_activation",
        "leaky_relu-alpha=0.3",
        partial(ops.dense_activation, activation="leaky_relu", alpha=0.3),
        N(4, 3),
        N(3, 5),
        N(4, 1),
    ),
    case(
        "binary_cross_entropy_with_logits",
        "K=3,m=5",
        ops.binary_cross_entropy_with_logits,
        N(3, 5),
        ("prob", (3, 5)),
    ),
    case(
        "binary_cross_entropy_with_logits",
        "K=1,m=1",
        ops.binary_cross_entropy_with_logits,
        N(1, 1),
        ("prob", (1, 1)),
    ),
    case(
        "binary_cross_entropy_with_logits",
        "hard-labels-constant",
        lambda z: ops.binary_cross_entropy_with_logits(z, (Y34 > 0).astype(float)),
        N(3, 4),
    ),
    case(
        "softmax_cross_entropy_with_logits",
        "K=3,m=5-soft-labels",
        ops.softmax_cross_entropy_with_logits,
        N(3, 5),
        ("dist", (3, 5)),
    ),
    case(
        "softmax_cross_entropy_with_logits",
        "m=1",
        ops.softmax_cross_entropy_with_logits,
        N(4, 1),
        ("dist", (4, 1)),
    ),
    case(
        "softmax_cross_entropy_with_logits",
        "one-hot-constant",
        lambda z: ops.softmax_cross_entropy_with_logits(z, np.eye(3)[:, [0, 2, 2, 1]]),
        N(3, 4),
    ),
    case("mean_squared_error", "K=3,m=4", ops.mean_squared_error, N(3, 4), N(3, 4)),
    case("mean_squared_error", "K=1,m=5", ops.mean_squared_error, N(1, 5), N(1, 5)),
    case("mean_squared_error", "m=1", ops.mean_squared_error, N(2, 1), N(2, 1)),
]


def _batch_norm(training: bool) -> Callable[..., Tensor]:
    """batch_norm with running statistics made afresh on each call (training updates them)."""

    def fn(Z: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        running_mean = np.full((Z.shape[0], 1), 0.3)
        running_var = np.full((Z.shape[0], 1), 1.7)
        return ops.batch_norm(Z, gamma, beta, running_mean, running_var, training=training)

    return fn


NORMALIZATION = [
    case("batch_norm", "training-n=3,m=5", _batch_norm(True), N(3, 5), N(3, 1), N(3, 1)),
    case("batch_norm", "training-m=3", _batch_norm(True), N(2, 3), N(2, 1), N(2, 1)),
    case("batch_norm", "inference", _batch_norm(False), N(3, 4), N(3, 1), N(3, 1)),
]

CASES = ARITHMETIC + ELEMENTWISE + REDUCTIONS + SHAPE + FUSED + NORMALIZATION
SEEDS = {c.id: seed for seed, c in enumerate(CASES)}


# --------------------------------------------------------------------------- helpers
def weighted_sum(fn: Callable[..., Tensor], rng: np.random.Generator) -> Callable[..., Tensor]:
    """``(fn(*x) * R).sum()`` with ``R`` drawn once, on the first call, in fn's output shape."""
    weights: list[np.ndarray] = []

    def f(*tensors: Tensor) -> Tensor:
        out = fn(*tensors)
        if not weights:
            weights.append(np.asarray(rng.normal(size=out.shape)))
        return (out * weights[0]).sum()

    return f


def central_differences(
    f: Callable[..., Tensor], arrays: list[np.ndarray], index: int, h: float = 1e-6
) -> np.ndarray:
    """``(f(x + h e_k) − f(x − h e_k)) / 2h`` for each entry k of ``arrays[index]``.

    Written here, apart from ``vecnn.grad_check``, so that grad_check is not the only judge.
    """
    numeric = np.zeros_like(arrays[index])
    for k in np.ndindex(arrays[index].shape):
        values = []
        for step in (h, -h):
            moved = [a.copy() for a in arrays]
            moved[index][k] += step
            values.append(f(*[Tensor(a) for a in moved]).item())
        numeric[k] = (values[0] - values[1]) / (2 * h)
    return numeric


# --------------------------------------------------------------------------- tests
def test_every_operation_has_a_gradient_case():
    covered = {c.op for c in CASES}
    differentiable = set(ops.__all__) - {"step"}
    assert differentiable - covered == set()
    assert covered - set(ops.__all__) == set()


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(c: Case):
    rng = np.random.default_rng(SEEDS[c.id])
    arrays = [_draw(rng, kind, shape) for kind, shape in c.inputs]
    f = weighted_sum(c.fn, rng)

    checks = vecnn.grad_check(f, *[Tensor(a, requires_grad=True) for a in arrays], report=True)
    for check in checks:
        assert check.relative_error < TOLERANCE, check

    # The check means something only if every input gets a gradient that is not all zero.
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).backward()
    for tensor in tensors:
        assert tensor.grad is not None
        assert tensor.grad.shape == tensor.shape
        assert tensor.grad.dtype == np.float64
        assert np.any(tensor.grad != 0)


INDEPENDENT = {
    "matmul-tanh": (lambda a, b: (a @ b).tanh(), [(3, 4), (4, 2)]),
    "div-bias-broadcast": (lambda a, b: a / (b * b + 1), [(3, 4), (3, 1)]),
    "softmax-axis1": (lambda a: a.softmax(axis=1), [(3, 4)]),
    "getitem-repeats": (lambda a: a[np.array([2, 0, 2, 2])], [(3, 2)]),
    "sum-axis0-keepdims": (lambda a: (a * a).sum(axis=0, keepdims=True), [(3, 4)]),
    "dense": (ops.dense, [(2, 3), (3, 4), (2, 1)]),
    "dense+tanh": (partial(ops.dense_activation, activation="tanh"), [(2, 3), (3, 4), (2, 1)]),
}


@pytest.mark.parametrize("name", sorted(INDEPENDENT))
def test_gradient_matches_own_central_differences(name: str):
    fn, shapes = INDEPENDENT[name]
    rng = np.random.default_rng(sorted(INDEPENDENT).index(name) + 1000)
    arrays = [rng.normal(size=shape) for shape in shapes]
    f = weighted_sum(fn, rng)

    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).backward()
    for index, tensor in enumerate(tensors):
        numeric = central_differences(f, arrays, index)
        assert np.any(numeric != 0)
        np.testing.assert_allclose(tensor.grad, numeric, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------- max: ties share it
@pytest.mark.parametrize(
    ("x", "kwargs", "expected"),
    [
        # one row, 3 twice: each of the two maxima gets 1/2
        ([[1.0, 3.0, 3.0]], {}, [[0.0, 0.5, 0.5]]),
        ([[1.0, 3.0, 3.0]], {"axis": 1}, [[0.0, 0.5, 0.5]]),
        ([[1.0, 3.0, 3.0]], {"axis": 1, "keepdims": True}, [[0.0, 0.5, 0.5]]),
        # per row: row 0 has a tie of two, row 1 a tie of three (1/3 each)
        (
            [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],
            {"axis": 1},
            [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]],
        ),
        # per column: column 0 ties (5, 5), column 1 has one maximum
        ([[5.0, 1.0], [5.0, 2.0]], {"axis": 0}, [[0.5, 0.0], [0.5, 1.0]]),
        # over everything: four entries equal the maximum 4, each gets 1/4
        ([[4.0, 0.0, 4.0], [4.0, 4.0, -1.0]], {}, [[0.25, 0.0, 0.25], [0.25, 0.25, 0.0]]),
        ([[4.0, 0.0, 4.0], [4.0, 4.0, -1.0]], {"axis": (0, 1)}, [[0.25, 0, 0.25], [0.25, 0.25, 0]]),
        # no tie: all to the single maximum
        ([[1.0, 7.0, 3.0]], {}, [[0.0, 1.0, 0.0]]),
    ],
)
def test_max_ties_share_the_gradient_equally(x, kwargs, expected):
    t = Tensor(x, requires_grad=True)
    t.max(**kwargs).sum().backward()
    np.testing.assert_allclose(t.grad, expected, rtol=0, atol=1e-15)


def test_max_ties_scale_with_the_upstream_gradient():
    # rows [1, 3, 3] and [2, 2, 2], upstream weights 2 and 3 per row:
    # row 0: 2/2 = 1 to each of the two 3s; row 1: 3/3 = 1 to each of the three 2s
    t = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    (t.max(axis=1, keepdims=True) * np.array([[2.0], [3.0]])).sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])


def test_max_value_with_ties():
    t = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(t.max(axis=1).data, [3.0, 2.0])
    assert t.max().item() == 3.0


# ------------------------------------------------------- getitem: repeats are summed
def test_getitem_repeated_integer_index_sums_the_gradient():
    # picks x[0], x[0], x[2], x[0] with weights 1, 2, 3, 4: x[0] gets 1 + 2 + 4 = 7,
    # x[2] gets 3, x[1] and x[3] nothing
    x = Tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True)
    picked = x[np.array([0, 0, 2, 0])]
    np.testing.assert_array_equal(picked.data, [10.0, 10.0, 30.0, 10.0])
    (picked * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0, 0.0])


def test_getitem_repeated_columns_sum_per_row():
    # columns [1, 1, 0] of a (2, 3): column 1 taken twice gets the sum of its two weights
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    weights = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]])
    (x[:, [1, 1, 0]] * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, [[100.0, 11.0, 0.0], [200.0, 22.0, 0.0]])


def test_getitem_boolean_mask_routes_the_gradient():
    # the mask takes (0, 1), (1, 0), (1, 2) in row-major order; weights 1, 2, 3
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    mask = np.array([[False, True, False], [True, False, True]])
    taken = x[mask]
    np.testing.assert_array_equal(taken.data, [1.0, 3.0, 5.0])
    (taken * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])


def test_getitem_slice_gradient_is_zero_outside_the_slice():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    (x[1:, ::2] * 2.0).sum().backward()
    expected = np.zeros((3, 4))
    expected[1:, ::2] = 2.0
    np.testing.assert_array_equal(x.grad, expected)


# ------------------------------------------------------- broadcasting, by assertion
def test_bias_gradient_is_the_sum_over_columns():
    # Z = A + b with b (n, 1) copied over m columns: db = Σ_columns dZ
    rng = np.random.default_rng(7)
    A = Tensor(rng.normal(size=(3, 5)), requires_grad=True)
    b = Tensor(rng.normal(size=(3, 1)), requires_grad=True)
    R = rng.normal(size=(3, 5))
    ((A + b) * R).sum().backward()
    np.testing.assert_allclose(b.grad, R.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(A.grad, R, rtol=1e-14)


def test_scalar_operands_get_the_sum_of_the_gradient():
    # s broadcast to every entry of x: ds = Σ dout ⊙ x for s * x, Σ dout for x - s
    rng = np.random.default_rng(8)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    s = Tensor(1.5, requires_grad=True)
    R = rng.normal(size=(2, 3))
    ((s * x - s) * R).sum().backward()
    assert s.grad.shape == ()
    np.testing.assert_allclose(s.grad, (R * x.data).sum() - R.sum(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, 1.5 * R, rtol=1e-14)


def test_numpy_operand_on_either_side_gives_a_tensor_with_the_tensor_gradient():
    # y - t and t - y: dt = −1 and +1; 2 * t: dt = 2
    t = Tensor(np.zeros((2, 2)), requires_grad=True)
    y = np.ones((2, 2))
    out = (y - t) + 3 * (t - y) + 2 * t
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, np.full((2, 2), -1.0 + 3.0 + 2.0))


# ------------------------------------------------------------------ no derivative
def test_step_has_no_derivative():
    x = Tensor([[0.2, 0.7]], requires_grad=True)
    fired = ops.step(x)
    np.testing.assert_array_equal(fired.data, [[0.0, 1.0]])
    with pytest.raises(vecnn.NoDerivativeError, match="step"):
        fired.sum().backward()


# ------------------------------------------------- log_softmax of large tied logits
# z − lse(z) would lose the O(1) part against a large max (at z = [1e30, 1e30] it gives
# [0, 0] instead of [−log 2, −log 2]); (z − max) − log Σ e^(z − max) is exact.
@pytest.mark.parametrize("c", [0.0, 1e4, 1e30])
def test_log_softmax_of_tied_logits_whatever_their_size(c):
    # z = [c, c]ᵀ: softmax = [1/2, 1/2], log_softmax = [−log 2, −log 2];
    # J = out_0 gives dJ/dz = e_0 − softmax = [1/2, −1/2]
    z = Tensor([[c], [c]], requires_grad=True)
    out = z.log_softmax(axis=0)
    np.testing.assert_allclose(out.data, [[-np.log(2)], [-np.log(2)]], rtol=1e-12)
    out[0, 0].backward()
    np.testing.assert_allclose(z.grad, [[0.5], [-0.5]], rtol=1e-12)
