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
