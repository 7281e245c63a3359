"""The Tensor node: construction, description, and what backward() promises."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import GraphReleasedError, NoDerivativeError, ShapeError, Tensor


def test_construction_copies_and_keeps_float_dtypes():
    source = np.ones((2, 3), dtype=np.float32)
    t = Tensor(source)
    source[0, 0] = 5.0
    assert t.data[0, 0] == 1.0
    assert t.dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(np.arange(3)).dtype == np.float64
    assert Tensor(2.5).shape == ()


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a", "b"]), np.array([None])])
def test_construction_refuses_non_real_data(bad):
    with pytest.raises(TypeError, match="dtype"):
        Tensor(bad)


def test_description():
    W = Tensor(np.zeros((3, 4)), requires_grad=True, name="W[1]")
    assert W.shape == (3, 4) and W.ndim == 2 and W.size == 12 and len(W) == 3
    assert W.T.shape == (4, 3)
    assert W.is_leaf and W.op is None and W.grad is None
    assert "shape=(3, 4)" in repr(W) and "float64" in repr(W) and "W[1]" in repr(W)
    Z = W @ np.ones((4, 2))
    assert Z.op == "matmul" and not Z.is_leaf
    assert "op=matmul" in repr(Z)
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one element"):
        W.item()
    assert W.numpy() is W.data


def test_scalar_backward_seeds_one():
    x = Tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert x.grad == pytest.approx(6.0)


def test_non_scalar_backward_takes_upstream_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward(retain_graph=True)
    y.backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 12.0])
    z = x * 2
    with pytest.raises(ValueError, match="shape"):
        z.backward(np.ones(4))


def test_gradients_accumulate_until_zero_grad():
    x = Tensor(2.0, requires_grad=True)
    (x * 3).backward()
    (x * 3).backward()
    assert x.grad == pytest.approx(6.0)
    x.zero_grad()
    assert x.grad is None
    (x * 3).backward()
    assert x.grad == pytest.approx(3.0)


def test_value_used_several_times_gets_sum_of_gradients():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x * x + x * 3 + x  # dy/dx = 2x + 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 4)


def test_shared_pass_through_gradient_is_not_aliased_between_leaves():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad += 10  # an optimizer updating one gradient in place must not touch the other
    np.testing.assert_array_equal(b.grad, np.ones(3))
    c = Tensor(np.ones((2, 2)), requires_grad=True)
    c.sum().backward()
    c.sum().backward()  # accumulating into a gradient that came from a read-only broadcast
    np.testing.assert_array_equal(c.grad, 2 * np.ones((2, 2)))


def test_only_tensors_that_require_grad_receive_gradients():
    x = Tensor(np.ones(2))
    w = Tensor(np.ones(2), requires_grad=True)
    (x * w).sum().backward()
    assert x.grad is None and w.grad is not None
    with pytest.raises(RuntimeError, match="does not require"):
        (x * 2).sum().backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    W = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    X = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]])
    Z = (W @ X).retain_grad()
    (Z * Z).sum().backward()
    np.testing.assert_allclose(Z.grad, 2 * Z.data)
    np.testing.assert_allclose(W.grad, (2 * Z.data) @ X.T)


def test_graph_is_released_after_backward_unless_retained():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp(1.0) * np.ones(3))
    with pytest.raises(GraphReleasedError, match="retain_graph=True"):
        y.backward()


def test_release_frees_intermediate_buffers():
    import gc
    import weakref

    x = Tensor(np.ones((100, 100)), requires_grad=True)
    hidden = x.exp()
    probe = weakref.ref(hidden)
    loss = (hidden * 3).sum()
    del hidden
    loss.backward()
    gc.collect()
    assert probe() is None, "the intermediate tensor outlived backward()"


def test_no_grad_records_nothing_and_restores_mode():
    w = Tensor(np.ones(2), requires_grad=True)
    assert vecnn.is_grad_enabled()
    with vecnn.no_grad():
        y = w * 3
        assert not vecnn.is_grad_enabled()
        with vecnn.no_grad():
            pass
        assert not vecnn.is_grad_enabled()
    assert vecnn.is_grad_enabled()
    assert not y.requires_grad and y.op is None
    with pytest.raises(ZeroDivisionError), vecnn.no_grad():
        _ = 1 / 0
    assert vecnn.is_grad_enabled()


def test_no_grad_update_in_place():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    with vecnn.no_grad():
        w.data -= 0.5 * w.grad
    np.testing.assert_allclose(w.data, [0.0, 0.0])
    assert w.is_leaf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_by_every_operation_and_its_gradient(dtype):
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 4)).astype(dtype), requires_grad=True)
    b = Tensor(np.zeros((3, 1), dtype=dtype), requires_grad=True)
    X = rng.normal(size=(4, 5))  # float64 constant: cast to the tensors' dtype
    Y = np.eye(3)[:, [0, 1, 2, 0, 1]]
    Z = vecnn.ops.dense(W, X, b)
    A = Z.relu() * 2.0 + 1 - np.float64(0.5)
    A = (A / 3).exp().log().sqrt() ** 2
    A = A.leaky_relu(0.1).tanh().sigmoid().softmax().log_softmax()
    A = (A.T.reshape(3, 5) @ np.ones((5, 5)))[0:2].max(axis=0).mean(keepdims=True)
    J = vecnn.ops.softmax_cross_entropy_with_logits(Z, Y) + A.sum()
    J = J + vecnn.ops.binary_cross_entropy_with_logits(Z, Y / 2)
    J = J + vecnn.ops.mean_squared_error(Z, Y)
    assert J.dtype == dtype
    J.backward()
    assert W.grad.dtype == dtype and b.grad.dtype == dtype


def test_mixed_tensor_dtypes_promote_like_numpy():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2, dtype=np.float64), requires_grad=True)
    c = a * b
    assert c.dtype == np.float64
    c.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_a_chain_of_20000_operations_back_propagates_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**20_000)
    del y  # freeing the chain must not overflow the stack either


def test_shape_errors_name_both_shapes():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(4, 3\)"):
        a + np.ones((4, 3))
    with pytest.raises(ShapeError, match=r"inner dimensions differ \(3 vs 2\)"):
        a @ np.ones((2, 2))
    with pytest.raises(ShapeError, match="2-D"):
        a @ np.ones(3)
    with pytest.raises(ShapeError, match="cannot reshape"):
        a.reshape(4, 2)


def test_operation_without_derivative_raises_never_zero():
    a = Tensor(np.array([0.2, 0.7]), requires_grad=True)
    fires = a.step(0.5)
    np.testing.assert_array_equal(fires.data, [0.0, 1.0])
    with pytest.raises(NoDerivativeError, match=r"step.*only to predict"):
        (fires * a).sum().backward()
    assert a.grad is None


def test_pow_takes_a_scalar_exponent_only():
    a = Tensor(np.array([2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="scalar exponent"):
        a ** Tensor(2.0)


def test_numpy_arrays_on_the_left_give_tensors():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 3.0]) - a
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [-1.0, -1.0])


def test_full_reductions_and_scalar_indexing_keep_arrays():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    for result in (x.sum(), x.mean(), x.max(), x[0, 1]):
        assert isinstance(result.data, np.ndarray) and result.shape == ()


def test_a_tensor_is_not_an_index():
    x = Tensor(np.ones((3, 2)))
    with pytest.raises(TypeError, match="not with a Tensor"):
        x[Tensor([0, 1])]


def test_a_failed_backward_leaves_every_gradient_as_it_was():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([0.3, 0.7], requires_grad=True)
    loss = (w * 3).sum() + x.step(0.5).sum()
    with pytest.raises(NoDerivativeError):
        loss.backward()
    assert w.grad is None and x.grad is None


def test_cast_keeps_each_side_in_its_own_dtype():
    x = Tensor(np.array([1.5, -2.0], dtype=np.float64), requires_grad=True)
    y = vecnn.ops.cast(x, "float32")
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, 2 * x.data)
