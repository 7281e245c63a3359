"""The fused nodes: dense and the losses taken from logits.

Each fused node must (a) equal the same computation written with elementary operations,
value and gradients; (b) give the closed-form gradients of the design, computed here
independently in NumPy; (c) stay finite and right for extreme logits; (d) keep float32;
(e) refuse shapes that do not fit, in the notation; (f) compute no gradient for an input
that needs none (dense's X).
"""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import Tensor, ops

BCE = ops.binary_cross_entropy_with_logits
SOFTMAX_CE = ops.softmax_cross_entropy_with_logits
MSE = ops.mean_squared_error

LOSS_SHAPES = [(1, 1), (1, 5), (3, 1), (3, 5)]  # (K, m): K = 1 and K > 1, m = 1 and m > 1
DENSE_SHAPES = [(1, 3, 1), (1, 3, 5), (4, 3, 1), (4, 3, 5)]  # (n, n_prev, m)


# --------------------------------------------------------------------- references
def np_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = (1 + tanh(z/2)) / 2: exact algebra, and no exponential that could overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def np_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def bce_reference(Z: np.ndarray, Y: np.ndarray) -> float:
    """(1/m) Σ [log(1 + e^z) − y z], with log(1 + e^z) = logaddexp(0, z), in float64."""
    Z, Y = np.asarray(Z, np.float64), np.asarray(Y, np.float64)
    return float((np.logaddexp(0.0, Z) - Y * Z).sum() / Z.shape[1])


def softmax_ce_reference(Z: np.ndarray, Y: np.ndarray) -> float:
    """(1/m) Σ_columns [lse(z) Σ_k y_k − Σ_k y_k z_k] in float64, the max taken out first.

    With s = z − max z (exact for the entries near the top), lse(z) = max z + lse(s), so
    the column's term is lse(s) Σ_k y_k − Σ_k y_k s_k: no O(|z|) term is ever formed
    that the O(1) ones would be added to; lse(s) is np.logaddexp.reduce.
    """
    Z, Y = np.asarray(Z, np.float64), np.asarray(Y, np.float64)
    S = Z - Z.max(axis=0, keepdims=True)
    lse = np.logaddexp.reduce(S, axis=0)
    return float((lse * Y.sum(axis=0) - (Y * S).sum(axis=0)).sum() / Z.shape[1])


def one_hot(rng: np.random.Generator, K: int, m: int) -> np.ndarray:
    return np.eye(K)[:, rng.integers(0, K, size=m)]


def labels(rng: np.random.Generator, K: int, m: int) -> np.ndarray:
    return (rng.random(size=(K, m)) < 0.5).astype(np.float64)


def leaves(*arrays: np.ndarray) -> list[Tensor]:
    return [Tensor(a, requires_grad=True) for a in arrays]


# ------------------------------------- (a) fused node == the elementary computation
@pytest.mark.parametrize(("n", "n_prev", "m"), DENSE_SHAPES)
def test_dense_equals_matmul_plus_bias(n, n_prev, m):
    rng = np.random.default_rng(100 + 10 * n + m)
    W, A, b = rng.normal(size=(n, n_prev)), rng.normal(size=(n_prev, m)), rng.normal(size=(n, 1))
    R = rng.normal(size=(n, m))  # upstream dZ: every entry of Z weighted differently

    fused = leaves(W, A, b)
    Z_fused = ops.dense(*fused)
    elementary = leaves(W, A, b)
    Z_elementary = elementary[0] @ elementary[1] + elementary[2]

    assert Z_fused.shape == (n, m)
    np.testing.assert_allclose(Z_fused.data, Z_elementary.data, rtol=1e-13, atol=1e-13)
    (Z_fused * R).sum().backward()
    (Z_elementary * R).sum().backward()
    for f, e in zip(fused, elementary, strict=True):
        assert f.grad.shape == f.shape
        np.testing.assert_allclose(f.grad, e.grad, rtol=1e-12, atol=1e-13)


def _bce_elementary(Z: Tensor, Y: Tensor) -> Tensor:
    m = Z.shape[1]
    A = Z.sigmoid()
    return -(Y * A.log() + (1 - Y) * (1 - A).log()).sum() / m


def _softmax_ce_elementary(Z: Tensor, Y: Tensor) -> Tensor:
    m = Z.shape[1]
    return -(Y * Z.log_softmax(axis=0)).sum() / m


def _mse_elementary(A: Tensor, Y: Tensor) -> Tensor:
    return ((A - Y) ** 2).mean()


LOSSES = {
    "bce": (BCE, _bce_elementary, labels),
    "softmax_ce": (SOFTMAX_CE, _softmax_ce_elementary, one_hot),
    "mse": (MSE, _mse_elementary, lambda rng, K, m: rng.normal(size=(K, m))),
}


@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=lambda s: f"K={s[0]},m={s[1]}")
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_equals_the_elementary_computation(loss, shape):
    fused_fn, elementary_fn, make_y = LOSSES[loss]
    K, m = shape
    rng = np.random.default_rng(200 + 10 * K + m)
    Z, Y = rng.normal(size=(K, m)), make_y(rng, K, m)

    Z_f, Y_f = leaves(Z, Y)
    J_f = fused_fn(Z_f, Y_f)
    Z_e, Y_e = leaves(Z, Y)
    J_e = elementary_fn(Z_e, Y_e)

    assert J_f.shape == ()
    np.testing.assert_allclose(J_f.item(), J_e.item(), rtol=1e-12)
    J_f.backward()
    J_e.backward()
    # gradients for the logits (or A) and for Y alike
    np.testing.assert_allclose(Z_f.grad, Z_e.grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(Y_f.grad, Y_e.grad, rtol=1e-10, atol=1e-14)


# --------------------------------------------- (b) the closed forms of the design
@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=lambda s: f"K={s[0]},m={s[1]}")
@pytest.mark.parametrize("upstream", [1.0, 2.5])
def test_bce_gradient_is_sigmoid_minus_y_over_m(shape, upstream):
    K, m = shape
    rng = np.random.default_rng(300 + 10 * K + m)
    Z, Y = rng.normal(size=(K, m)), labels(rng, K, m)
    Zt = Tensor(Z, requires_grad=True)
    J = BCE(Zt, Y)
    assert J.item() == pytest.approx(bce_reference(Z, Y), rel=1e-13)
    (upstream * J).backward()
    np.testing.assert_allclose(Zt.grad, upstream * (np_sigmoid(Z) - Y) / m, rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 1), (2, 5), (4, 1), (4, 6)], ids=str)
@pytest.mark.parametrize("upstream", [1.0, 2.5])
def test_softmax_ce_gradient_is_softmax_minus_y_over_m(shape, upstream):
    K, m = shape
    rng = np.random.default_rng(400 + 10 * K + m)
    Z, Y = rng.normal(size=(K, m)), one_hot(rng, K, m)
    Zt = Tensor(Z, requires_grad=True)
    J = SOFTMAX_CE(Zt, Y)
    assert J.item() == pytest.approx(softmax_ce_reference(Z, Y), rel=1e-13)
    (upstream * J).backward()
    np.testing.assert_allclose(Zt.grad, upstream * (np_softmax(Z) - Y) / m, rtol=1e-12)


@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=lambda s: f"K={s[0]},m={s[1]}")
@pytest.mark.parametrize("upstream", [1.0, 2.5])
def test_mse_gradient_is_two_diff_over_m_n(shape, upstream):
    n, m = shape
    rng = np.random.default_rng(500 + 10 * n + m)
    A, Y = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    At = Tensor(A, requires_grad=True)
    J = MSE(At, Y)
    assert J.item() == pytest.approx(((A - Y) ** 2).sum() / (m * n), rel=1e-13)
    (upstream * J).backward()
    np.testing.assert_allclose(At.grad, upstream * 2 * (A - Y) / (m * n), rtol=1e-12)


@pytest.mark.parametrize(("n", "n_prev", "m"), DENSE_SHAPES)
def test_dense_then_bce_backpropagates_the_textbook_equations(n, n_prev, m):
    rng = np.random.default_rng(600 + 10 * n + m)
    W, A_prev, b = (
        rng.normal(size=(n, n_prev)),
        rng.normal(size=(n_prev, m)),
        rng.normal(size=(n, 1)),
    )
    Y = labels(rng, n, m)

    Wt, At, bt = leaves(W, A_prev, b)
    Z = ops.dense(Wt, At, bt).retain_grad()
    BCE(Z, Y).backward()

    # Forward and backward in NumPy: Z = W A + b, dZ = (σ(Z) − Y)/m,
    # dW = dZ A_prevᵀ, db = Σ_columns dZ, dA_prev = Wᵀ dZ
    Z_np = W @ A_prev + b
    dZ = (np_sigmoid(Z_np) - Y) / m
    np.testing.assert_allclose(Z.data, Z_np, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(Z.grad, dZ, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(Wt.grad, dZ @ A_prev.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(bt.grad, dZ.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(At.grad, W.T @ dZ, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("n", "n_prev", "m"), DENSE_SHAPES)
def test_dense_then_softmax_ce_backpropagates_the_textbook_equations(n, n_prev, m):
    K = n + 1  # at least two classes
    rng = np.random.default_rng(700 + 10 * n + m)
    W, A_prev, b = (
        rng.normal(size=(K, n_prev)),
        rng.normal(size=(n_prev, m)),
        rng.normal(size=(K, 1)),
    )
    Y = one_hot(rng, K, m)

    Wt, At, bt = leaves(W, A_prev, b)
    SOFTMAX_CE(ops.dense(Wt, At, bt), Y).backward()

    dZ = (np_softmax(W @ A_prev + b) - Y) / m
    np.testing.assert_allclose(Wt.grad, dZ @ A_prev.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(bt.grad, dZ.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(At.grad, W.T @ dZ, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------ (c) extreme logits
def test_bce_large_logit_by_hand():
    # m = 2 columns. z = 1e4, y = 0: log(1 + e^1e4) − 0 = 1e4 (+ e^−1e4, nothing).
    # z = −1e4, y = 0: log(1 + e^−1e4) = 0. J = (1e4 + 0)/2 = 5e3.
    # dZ = (σ(Z) − Y)/m = [(1 − 0)/2, (0 − 0)/2] = [1/2, 0].
    Z = Tensor([[1e4, -1e4]], requires_grad=True)
    J = BCE(Z, np.array([[0.0, 0.0]]))
    assert J.item() == 5e3
    J.backward()
    np.testing.assert_array_equal(Z.grad, [[0.5, 0.0]])


def test_softmax_ce_large_logit_by_hand():
    # m = 1, Z = [1e4, −1e4]ᵀ, Y = [0, 1]ᵀ: lse = 1e4 (+ log(1 + e^−2e4), nothing),
    # J = lse − z_1 = 1e4 − (−1e4) = 2e4; dZ = softmax − Y = [1, 0] − [0, 1] = [1, −1].
    Z = Tensor([[1e4], [-1e4]], requires_grad=True)
    J = SOFTMAX_CE(Z, np.array([[0.0], [1.0]]))
    assert J.item() == 2e4
    J.backward()
    np.testing.assert_array_equal(Z.grad, [[1.0], [-1.0]])


EXTREMES = [
    pytest.param(np.float32, 1e4, id="float32-1e4"),
    pytest.param(np.float64, 1e4, id="float64-1e4"),
    pytest.param(np.float64, 1e30, id="float64-1e30"),
]


def _rtol(dtype) -> float:
    return 1e-6 if dtype == np.float32 else 1e-12


@pytest.mark.filterwarnings("error")  # no overflow, no invalid value on the way
@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
@pytest.mark.parametrize("K", [1, 3])
def test_bce_extreme_logits_are_finite_and_right(dtype, big, K):
    rng = np.random.default_rng(800 + K)
    m = 6
    # every sign of logit against every label, plus moderate logits in the mix
    Z = (rng.choice([-big, big, 0.7, -1.3], size=(K, m))).astype(dtype)
    Z[0, :4] = [big, big, -big, -big]
    Y = labels(rng, K, m)
    Y[0, :4] = [0.0, 1.0, 0.0, 1.0]
    Zt = Tensor(Z, requires_grad=True)
    J = BCE(Zt, Y)
    J.backward()

    assert J.dtype == dtype
    assert np.isfinite(J.item())
    assert J.item() == pytest.approx(bce_reference(Z, Y), rel=_rtol(dtype))
    assert Zt.grad.dtype == dtype
    assert np.all(np.isfinite(Zt.grad))
    expected = (np_sigmoid(Z.astype(np.float64)) - Y) / m
    np.testing.assert_allclose(Zt.grad, expected, rtol=_rtol(dtype), atol=1e-7)
    # the first four columns: wrong with confidence (z = big, y = 0 and z = −big, y = 1)
    # costs |z| each and sends ±1/m; right with confidence costs nothing and sends 0
    np.testing.assert_array_equal(Zt.grad[0, :4], np.array([1, 0, 0, -1], dtype) / m)


def _check_softmax_ce(Z: np.ndarray, Y: np.ndarray, dtype) -> Tensor:
    """Loss and gradient against the float64 references; returns Z's leaf for more checks."""
    m = Z.shape[1]
    Zt = Tensor(Z, requires_grad=True)
    J = SOFTMAX_CE(Zt, Y)
    J.backward()

    assert J.dtype == dtype
    assert np.isfinite(J.item())
    assert J.item() == pytest.approx(softmax_ce_reference(Z, Y), rel=_rtol(dtype))
    assert Zt.grad.dtype == dtype
    assert np.all(np.isfinite(Zt.grad))
    expected = (np_softmax(Z.astype(np.float64)) - Y) / m
    np.testing.assert_allclose(Zt.grad, expected, rtol=_rtol(dtype), atol=1e-7)
    return Zt


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("dtype", "big"), EXTREMES)
def test_softmax_ce_extreme_logits_are_finite_and_right(dtype, big):
    # columns: the true class far ahead, far behind, behind a moderate class, and moderate
    Z = np.array(
        [
            [big, -big, -big, 0.5],
            [-big, big, 1.5, -0.2],
            [0.0, 0.0, -big, 1.0],
        ],
        dtype=dtype,
    )
    Y = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    m = Z.shape[1]
    Zt = _check_softmax_ce(Z, Y, dtype)
    # column 0: right with confidence, softmax = Y, nothing to learn;
    # column 1: the true class is 2·big behind: J gets 2·big/m, dZ = ([0, 1, 0] − [1, 0, 0])/m
    np.testing.assert_array_equal(Zt.grad[:, 0], np.zeros(3, dtype))
    np.testing.assert_array_equal(Zt.grad[:, 1], np.array([-1, 1, 0], dtype) / m)


# Large logits that tie, or nearly tie, at the top of a column. Computing log softmax as
# Z − lse(Z) would lose the O(1) terms against |Z| (for Z = [1e30, 1e30] a loss of 0 instead
# of log 2); (Z − max) − log Σ e^(Z − max) keeps them.
TIES = [
    pytest.param(np.float32, 1e4),
    pytest.param(np.float64, 1e4),
    pytest.param(np.float64, 1e30),
]
TIE_IDS = ["float32-1e4", "float64-1e4", "float64-1e30"]


def _tied(dtype, big) -> tuple[np.ndarray, np.ndarray, float]:
    """Z, Y and the gap g between the top two logits of column 1, as stored in dtype.

    Column 0: two classes tie at the top, softmax = [1/2, 1/2, 0], true class 1.
    Column 1: the top two are big and big − 1, stored as numbers g apart (g = 1, or 0
    where big − 1 rounds to big), softmax = [σ(g), σ(−g), 0], true class 0.
    """
    Z = np.array([[big, big], [big, big - 1], [-big, -big]], dtype=dtype)
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    gap = float(np.float64(Z[0, 1]) - np.float64(Z[1, 1]))  # exact: both are representable
    return Z, Y, gap


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("dtype", "big"), TIES, ids=TIE_IDS)
def test_softmax_ce_loss_of_large_logits_that_tie_at_the_top(dtype, big):
    # J = (1/2) [(lse − z_1) of column 0 + (lse − z_0) of column 1]
    #   = (1/2) [log 2 + log(1 + e^−g)], whatever the size of the logits
    Z, Y, gap = _tied(dtype, big)
    J = SOFTMAX_CE(Tensor(Z), Y)
    expected = (np.log(2) + np.log1p(np.exp(-gap))) / 2
    assert J.item() == pytest.approx(expected, rel=_rtol(dtype))
    assert J.item() == pytest.approx(softmax_ce_reference(Z, Y), rel=_rtol(dtype))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("dtype", "big"), TIES, ids=TIE_IDS)
def test_softmax_ce_gradient_of_large_logits_that_tie_at_the_top(dtype, big):
    # dZ = (softmax − Y)/m with m = 2: column 0 ([1/2, 1/2, 0] − [0, 1, 0])/2,
    # column 1 ([σ(g), σ(−g), 0] − [1, 0, 0])/2 = [−σ(−g), σ(−g), 0]/2
    Z, Y, gap = _tied(dtype, big)
    Zt = Tensor(Z, requires_grad=True)
    SOFTMAX_CE(Zt, Y).backward()
    s = np_sigmoid(-gap)
    expected = np.array([[0.25, -s / 2], [-0.25, s / 2], [0.0, 0.0]])
    np.testing.assert_allclose(Zt.grad, expected, rtol=_rtol(dtype), atol=1e-7)
    assert Zt.grad.dtype == dtype


# --------------------------------------------------------------------- (d) float32
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("y_kind", ["float64-array", "float32-tensor"])
def test_float32_losses_stay_float32(loss, y_kind):
    fused_fn, _, make_y = LOSSES[loss]
    rng = np.random.default_rng(900)
    Z64, Y64 = rng.normal(size=(3, 4)), make_y(rng, 3, 4)
    Z = Tensor(Z64.astype(np.float32), requires_grad=True)
    Y = Y64 if y_kind == "float64-array" else Tensor(Y64.astype(np.float32), requires_grad=True)

    J = fused_fn(Z, Y)
    assert J.dtype == np.float32
    J.backward()
    assert Z.grad.dtype == np.float32
    if isinstance(Y, Tensor):
        assert Y.grad.dtype == np.float32

    # the same loss in float64, on the float32 values, agrees to float32 precision
    Z_ref = Tensor(Z.data.astype(np.float64), requires_grad=True)
    J_ref = fused_fn(Z_ref, Y64.astype(np.float32).astype(np.float64))
    J_ref.backward()
    assert J.item() == pytest.approx(J_ref.item(), rel=1e-5)
    np.testing.assert_allclose(Z.grad, Z_ref.grad, rtol=1e-5, atol=1e-6)


def test_float32_dense_stays_float32_with_a_float64_input():
    rng = np.random.default_rng(901)
    W = Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.normal(size=(2, 1)).astype(np.float32), requires_grad=True)
    A_prev = Tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    X64 = rng.normal(size=(3, 4))  # a float64 constant takes the parameters' dtype

    Z = ops.dense(W, A_prev, b) + ops.dense(W, X64, b)
    assert Z.dtype == np.float32
    BCE(Z, np.ones((2, 4))).backward()
    for t in (W, b, A_prev):
        assert t.grad.dtype == np.float32


# ------------------------------------------------------------------ (e) shape errors
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("y_shape", [(4,), (2, 4), (4, 1), (1, 4)], ids=str)
def test_loss_rejects_y_of_another_shape(loss, y_shape):
    fused_fn = LOSSES[loss][0]
    z_shape = (1, 4) if y_shape != (1, 4) else (4, 1)
    Z = Tensor(np.zeros(z_shape), requires_grad=True)
    with pytest.raises(vecnn.ShapeError) as info:
        fused_fn(Z, np.zeros(y_shape))
    message = str(info.value)
    assert str(z_shape) in message
    assert str(y_shape) in message


def test_loss_suggests_reshaping_a_flat_y():
    with pytest.raises(vecnn.ShapeError, match=r"Y\.reshape\(1, -1\)"):
        BCE(Tensor(np.zeros((1, 4))), np.zeros(4))


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_rejects_z_that_is_not_a_matrix(loss):
    with pytest.raises(vecnn.ShapeError, match="matrix"):
        LOSSES[loss][0](Tensor(np.zeros(4)), np.zeros(4))


def test_dense_with_examples_as_rows_says_to_transpose():
    W, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.zeros((2, 1)))
    with pytest.raises(vecnn.ShapeError) as info:
        ops.dense(W, np.ones((5, 3)), b)  # m = 5 examples given as rows
    message = str(info.value)
    assert "examples are columns" in message
    assert "A_prev.T" in message
    assert "(2, 3)" in message
    assert "(5, 3)" in message


def test_dense_with_a_mismatched_input_gives_no_transpose_hint():
    W, b = Tensor(np.ones((2, 3))), Tensor(np.zeros((2, 1)))
    with pytest.raises(vecnn.ShapeError) as info:
        ops.dense(W, np.ones((4, 5)), b)  # neither axis is n[l-1] = 3
    message = str(info.value)
    assert "(2, 3)" in message
    assert "(4, 5)" in message
    assert "A_prev.T" not in message


@pytest.mark.parametrize("b_shape", [(2,), (1, 2), (2, 4), (3, 1), ()], ids=str)
def test_dense_rejects_a_bias_that_is_not_n_by_1(b_shape):
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(b_shape), requires_grad=True)
    with pytest.raises(vecnn.ShapeError) as info:
        ops.dense(W, np.ones((3, 4)), b)
    message = str(info.value)
    assert "(2, 1)" in message
    assert str(b_shape) in message


@pytest.mark.parametrize(("W_shape", "A_shape"), [((2, 3, 1), (3, 4)), ((2, 3), (3,))], ids=str)
def test_dense_rejects_operands_that_are_not_matrices(W_shape, A_shape):
    with pytest.raises(vecnn.ShapeError):
        ops.dense(Tensor(np.ones(W_shape)), np.ones(A_shape), Tensor(np.zeros((2, 1))))


# ------------------------------------------- (f) no gradient for a plain input X
@pytest.mark.parametrize("x_kind", ["numpy-array", "tensor-without-grad"])
def test_dense_computes_no_gradient_for_x(x_kind):
    rng = np.random.default_rng(1000)
    W, X, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 1))
    dZ = rng.normal(size=(2, 4))
    Wt, bt = leaves(W, b)
    X_operand = X if x_kind == "numpy-array" else Tensor(X)

    Z = ops.dense(Wt, X_operand, bt)
    # The node's own backward: no dX is even computed (None), only dW and db.
    dW, dX, db = Z._fn.backward(dZ)
    assert dX is None
    np.testing.assert_allclose(dW, dZ @ X.T, rtol=1e-13)
    np.testing.assert_allclose(db, dZ.sum(axis=1, keepdims=True), rtol=1e-13)

    Z = ops.dense(Wt, X_operand, bt)
    (Z * dZ).sum().backward()
    if isinstance(X_operand, Tensor):
        assert X_operand.grad is None
        assert not X_operand.requires_grad
    np.testing.assert_allclose(Wt.grad, dZ @ X.T, rtol=1e-13)
    np.testing.assert_allclose(bt.grad, dZ.sum(axis=1, keepdims=True), rtol=1e-13)


@pytest.mark.parametrize(
    "needs", [(w, a, b) for w in (0, 1) for a in (0, 1) for b in (0, 1) if w or a or b], ids=str
)
def test_dense_gradients_exactly_for_the_inputs_that_need_them(needs):
    rng = np.random.default_rng(1001)
    arrays = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 1))
    W, A_prev, _ = arrays
    dZ = rng.normal(size=(2, 4))
    tensors = [Tensor(a, requires_grad=bool(need)) for a, need in zip(arrays, needs, strict=True)]
    (ops.dense(*tensors) * dZ).sum().backward()

    expected = dZ @ A_prev.T, W.T @ dZ, dZ.sum(axis=1, keepdims=True)
    for tensor, need, grad in zip(tensors, needs, expected, strict=True):
        if need:
            np.testing.assert_allclose(tensor.grad, grad, rtol=1e-13)
        else:
            assert tensor.grad is None


def test_dense_records_no_graph_when_nothing_needs_a_gradient():
    rng = np.random.default_rng(1002)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=(2, 1)), requires_grad=True)
    with vecnn.no_grad():
        Z = ops.dense(W, rng.normal(size=(3, 4)), b)
    assert not Z.requires_grad
    assert Z.is_leaf
