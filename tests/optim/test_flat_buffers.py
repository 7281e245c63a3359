"""The flat buffers a network owns: its parameters are views of them, an optimizer built on
``network.parameters()`` adopts them, and ``flat_grads()`` is what data-parallel training
reduces before the step."""

from __future__ import annotations

import copy

import numpy as np

import vecnn


def _network_with_grads(seed: int = 0) -> vecnn.Network:
    network = vecnn.Network.from_sizes([5, 4, 3], output="softmax", seed=seed)
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((5, 8)), np.eye(3)[:, rng.integers(0, 3, 8)]
    vecnn.ops.softmax_cross_entropy_with_logits(network.logits(X), Y).backward()
    return network


def test_the_parameters_are_views_of_the_network_buffer_and_the_optimizer_adopts_it():
    network = _network_with_grads()
    optimizer = vecnn.optim.Adam(network.parameters(), lr=0.1)
    assert optimizer.flat is network.flat
    (group,) = network.flat.groups
    assert group.size == sum(p.size for p in network.parameters())
    group.data[...] = 7.0
    assert all(np.all(p.data == 7.0) for p in network.parameters())


def test_flat_grads_gathers_every_gradient_into_one_buffer_per_dtype():
    network = _network_with_grads()
    expected = np.concatenate([p.grad.ravel() for p in network.parameters()])
    (flat,) = network.flat_grads()
    np.testing.assert_array_equal(flat, expected)
    flat *= 2.0  # a reduction in place (e.g. an Allreduce) is what each parameter then sees
    np.testing.assert_array_equal(
        np.concatenate([p.grad.ravel() for p in network.parameters()]), 2 * expected
    )


def test_a_step_after_reducing_the_flat_buffer_equals_a_step_on_reduced_gradients():
    reduced, by_hand = _network_with_grads(), _network_with_grads()
    for flat in reduced.flat_grads():
        flat *= 0.5
    for p in by_hand.parameters():
        p.grad = p.grad * 0.5
    for network in (reduced, by_hand):
        vecnn.optim.Adam(network.parameters(), lr=0.1).step()
    for a, b in zip(reduced.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_an_optimizer_over_other_tensors_lays_out_its_own_buffer():
    network = _network_with_grads()
    some = network.parameters()[:2]
    optimizer = vecnn.optim.SGD(some, lr=0.1)
    assert optimizer.flat is not network.flat
    assert optimizer.flat.owns(some) and not network.flat.owns(network.parameters())


def test_a_copied_network_has_its_own_buffers():
    network = _network_with_grads()
    twin = copy.deepcopy(network)
    assert twin.flat.owns(twin.parameters())
    (group,) = twin.flat.groups
    group.data[...] = 0.0
    assert all(np.all(p.data == 0.0) for p in twin.parameters())
    assert not all(np.all(p.data == 0.0) for p in network.parameters())


def test_backward_computes_each_gradient_into_its_view_of_the_flat_buffer():
    network = _network_with_grads()
    (group,) = network.flat.groups
    for p, view in zip(network.parameters(), group.grad_views, strict=True):
        assert p.grad is view  # no gathering copy is left to do
    expected = np.concatenate([p.grad.ravel() for p in network.parameters()])
    (flat,) = network.flat_grads()
    np.testing.assert_array_equal(flat, expected)


def _shared_weight_cost(W, b, X):
    """A dense node applied twice with the same ``W`` and ``b``: each receives two gradients."""
    hidden = vecnn.ops.dense(W, X, b).tanh()
    return (vecnn.ops.dense(W, hidden, b) ** 2).sum()


def test_a_parameter_used_twice_gets_the_sum_of_its_gradients_in_its_slot():
    rng = np.random.default_rng(3)
    W0, b0 = rng.standard_normal((4, 4)), rng.standard_normal((4, 1))
    X = rng.standard_normal((4, 5))
    W, b = vecnn.Tensor(W0, requires_grad=True), vecnn.Tensor(b0, requires_grad=True)
    flat = vecnn.autodiff.flat.FlatParameters([W, b])
    plain_W, plain_b = vecnn.Tensor(W0, requires_grad=True), vecnn.Tensor(b0, requires_grad=True)
    _shared_weight_cost(W, b, X).backward()
    _shared_weight_cost(plain_W, plain_b, X).backward()
    assert W.grad is flat.groups[0].grad_views[0]
    np.testing.assert_allclose(W.grad, plain_W.grad, rtol=1e-12)
    np.testing.assert_allclose(b.grad, plain_b.grad, rtol=1e-12)
    # and against finite differences of the cost in W[1, 2]
    h, bumped = 1e-6, W0.copy()
    bumped[1, 2] += h
    up = _shared_weight_cost(vecnn.Tensor(bumped), vecnn.Tensor(b0), X).item()
    bumped[1, 2] -= 2 * h
    down = _shared_weight_cost(vecnn.Tensor(bumped), vecnn.Tensor(b0), X).item()
    np.testing.assert_allclose(W.grad[1, 2], (up - down) / (2 * h), rtol=1e-6)


def test_a_second_backward_without_zero_grad_adds_into_the_slot():
    network = _network_with_grads()
    first = np.concatenate([p.grad.ravel() for p in network.parameters()])
    rng = np.random.default_rng(0)  # the same batch as _network_with_grads
    X, Y = rng.standard_normal((5, 8)), np.eye(3)[:, rng.integers(0, 3, 8)]
    vecnn.ops.softmax_cross_entropy_with_logits(network.logits(X), Y).backward()
    (flat,) = network.flat_grads()
    np.testing.assert_allclose(flat, 2 * first, rtol=1e-12)
