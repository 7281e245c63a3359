"""The step plan: a recorded training step replayed gives the engine's numbers bit for bit,
and steps it cannot replay exactly are refused (left to the engine)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import vecnn
from vecnn import ops
from vecnn.autodiff import Function, Tensor
from vecnn.autodiff import plan as plan_module
from vecnn.autodiff.plan import StepPlan
from vecnn.nn import Activation, BatchNorm, Dense, Dropout


@pytest.fixture
def replays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the replayed steps (one entry per replay)."""
    calls: list[int] = []
    original = StepPlan.replay

    def counted(self: StepPlan, *inputs: np.ndarray) -> list[np.ndarray]:
        calls.append(1)
        return original(self, *inputs)

    monkeypatch.setattr(StepPlan, "replay", counted)
    return calls


def _fit(make, X, y, plans: bool, **settings):
    plan_module.use_plans(plans)
    try:
        net = make()
        history = net.fit(X, y, verbose=0, seed=3, **settings)
    finally:
        plan_module.use_plans(True)
    return net, history


def _same_run(make, X, y, **settings) -> None:
    net_a, hist_a = _fit(make, X, y, True, **settings)
    net_b, hist_b = _fit(make, X, y, False, **settings)
    for (name, a), b in zip(net_a.named_parameters().items(), net_b.parameters(), strict=True):
        assert np.array_equal(a.data, b.data), name
    assert hist_a["loss"] == hist_b["loss"]


def _data(m: int = 53, n0: int = 4, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n0, m))
    y = rng.integers(0, classes, m)
    return X, y


@pytest.mark.parametrize(
    ("sizes", "hidden", "output", "dtype", "settings"),
    [
        ([4, 8, 1], "tanh", "sigmoid", "float32", {"batch_size": None, "shuffle": False}),
        ([4, 8, 6, 3], "relu", "softmax", "float32", {"batch_size": 16, "l2": 0.1}),
        ([4, 5, 3], "leaky_relu", "softmax", "float64", {"batch_size": 10, "optimizer": "sgd"}),
        ([4, 7, 3], "sigmoid", "softmax", "float64", {"batch_size": 20, "optimizer": "rmsprop"}),
    ],
)
def test_fit_replays_the_engines_step_bit_for_bit(
    replays: list[int], sizes, hidden, output, dtype, settings
) -> None:
    X, y = _data(classes=2 if output == "sigmoid" else 3)

    def make():
        return vecnn.Network.from_sizes(sizes, hidden=hidden, output=output, seed=1, dtype=dtype)

    _same_run(make, X.astype(dtype), y, epochs=4, **settings)
    assert replays  # the first run did replay recorded steps


def test_regression_and_an_activation_layer_replay_bit_for_bit(replays: list[int]) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3, 41))
    y = np.stack([X[0] - 2 * X[1], X[2] ** 2])

    def make():
        return vecnn.Network(
            [Dense(3, 6), Activation("tanh"), Dense(6, 2, "relu"), Dense(2, 2)], seed=4
        )

    _same_run(make, X, y, epochs=3, batch_size=8, loss="mse", l2=0.01)
    assert replays


def test_sample_weights_dropout_and_batch_norm_go_through_the_engine(
    replays: list[int],
) -> None:
    X, y = _data()
    weights = np.linspace(0.5, 2.0, X.shape[1])
    net = vecnn.Network.from_sizes([4, 6, 3], output="softmax", seed=0)
    net.fit(X, y, epochs=2, batch_size=16, sample_weight=weights, verbose=0)
    for layers in (
        [Dense(4, 6, "relu"), Dropout(0.3), Dense(6, 3, "softmax")],
        [Dense(4, 6), BatchNorm(6), Activation("relu"), Dense(6, 3, "softmax")],
    ):
        vecnn.Network(layers, seed=0).fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert replays == []


def test_an_optimizer_over_some_parameters_keeps_the_engines_sums() -> None:
    """A parameter the optimizer does not clear keeps adding gradients up (the engine's
    rule): the plan must see it and leave those steps to the engine."""
    X, y = _data()

    def make():
        return vecnn.Network.from_sizes([4, 5, 3], output="softmax", seed=2)

    results = []
    for plans in (True, False):
        plan_module.use_plans(plans)
        try:
            net = make()
            head = list(net.parameters())[2:]
            optimizer = vecnn.optim.SGD(head, lr=0.1)
            net.fit(X, y, epochs=2, batch_size=10, optimizer=optimizer, verbose=0, seed=0)
        finally:
            plan_module.use_plans(True)
        results.append([p.data.copy() for p in net.parameters()] + [net.layers[0].W.grad])
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)


def _graph_step(W: Tensor, b: Tensor, X: np.ndarray, Y: np.ndarray):
    """A graph with a parameter used three times, a broadcast, constants and sums."""
    Z = ops.dense(W, X, b)
    A = ops.tanh(Z)
    J = ((A - Y) * (A - Y)).sum() * 0.5 + (W * W).sum() * 0.01 + (W @ X).sum() * 0.001
    return J, A


def test_a_recorded_graph_gives_the_engines_gradients_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    network = vecnn.Network([Dense(3, 4)], seed=0)  # its W and b own flat gradient slots
    W, b = network.layers[0].W, network.layers[0].b
    batches = [(rng.normal(size=(3, 9)), rng.normal(size=(4, 9))) for _ in range(3)]
    X, Y = (x.astype(np.float32) for x in batches[0])
    J, A = _graph_step(W, b, X, Y)
    J.backward()
    expected = [W.grad.copy(), b.grad.copy()]
    W.grad = b.grad = None
    recorded, (J2, _) = StepPlan.record(lambda X, Y: _graph_step(W, b, X, Y), (X, Y))
    assert recorded is not None and recorded.ready()
    recorded.backward()
    assert np.array_equal(W.grad, expected[0]) and np.array_equal(b.grad, expected[1])
    assert J2.data == J.data
    for X, Y in batches[1:]:
        X, Y = X.astype(np.float32), Y.astype(np.float32)
        W.grad = b.grad = None
        J, A = _graph_step(W, b, X, Y)
        J.backward()
        expected = [W.grad.copy(), b.grad.copy(), J.data, A.data]
        W.grad = b.grad = None
        J3, A3 = recorded.replay(X, Y)
        assert np.array_equal(W.grad, expected[0]) and np.array_equal(b.grad, expected[1])
        assert J3 == expected[2] and np.array_equal(A3, expected[3])
        assert W.grad is W._grad_slot  # gradients land in the flat buffer, as the engine's


def test_steps_a_replay_could_not_reproduce_are_refused() -> None:
    rng = np.random.default_rng(6)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    X = rng.normal(size=(3, 5))
    mask = (rng.random((2, 5)) < 0.5).astype(float)  # drawn anew each step: not replayable

    def masked(X):
        return (((W @ X) * mask).sum(),)

    assert StepPlan.record(masked, (X,))[0] is None

    def retained(X):
        Z = (W @ X).retain_grad()
        return (Z.sum(),)

    assert StepPlan.record(retained, (X,))[0] is None

    def ignores_its_input(X):  # X never reaches the graph: nothing tells where it goes
        return ((W * W).sum(),)

    assert StepPlan.record(ignores_its_input, (X,))[0] is None

    class PassThrough(Function):  # gives back the very array it got
        def forward(self, a):
            return a

        def backward(self, dout):
            return (dout,)

    def passes_through(X):
        return ((PassThrough.apply(W @ X) * 3.0).sum(),)

    assert StepPlan.record(passes_through, (X,))[0] is None
    recorded, _ = StepPlan.record(lambda X: ((W @ X).sum() * 2.0,), (X,))
    assert recorded is not None  # a scalar constant and the input are fine


@pytest.mark.parametrize(("value", "expected"), [("0", "False"), ("1", "True")])
def test_the_environment_switch_turns_plans_off(value: str, expected: str) -> None:
    """docs/performance.md's switch: VECNN_STEP_PLAN=0 starts a process with plans off."""
    env = {**os.environ, "VECNN_STEP_PLAN": value}
    code = "from vecnn.autodiff.plan import plans_enabled; print(plans_enabled())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == expected, out.stderr
