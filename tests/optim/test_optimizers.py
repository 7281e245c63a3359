"""The optimizers: their first steps against hand computation, dtype and identity kept,
clipping, checkpoints, validation, and a quadratic minimized."""

from __future__ import annotations

import json

import numpy as np
import pytest

import vecnn
from vecnn import Tensor
from vecnn.optim import (
    SGD,
    Adam,
    AdamW,
    Optimizer,
    RMSProp,
    clip_grad_norm,
    get_optimizer,
)

SHAPES = [(3, 2), (3, 1), ()]
"""A weight matrix, a bias column and a scalar."""


# ------------------------------------------------------------ references, by hand
def sgd_reference(W, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    W, buf = W.copy(), None
    for g in grads:
        d = g + weight_decay * W
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        W = W - lr * d
    return W


def rmsprop_reference(W, grads, lr=1e-3, rho=0.9, eps=1e-8, weight_decay=0.0):
    W, sq = W.copy(), np.zeros_like(W)
    for g in grads:
        d = g + weight_decay * W
        sq = rho * sq + (1 - rho) * d**2
        W = W - lr * d / (np.sqrt(sq) + eps)
    return W


def adam_reference(
    W, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False
):
    (b1, b2), W = betas, W.copy()
    m, v = np.zeros_like(W), np.zeros_like(W)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            W = W * (1 - lr * weight_decay)
            d = g
        else:
            d = g + weight_decay * W
        m = b1 * m + (1 - b1) * d
        v = b2 * v + (1 - b2) * d**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        W = W - lr * m_hat / (np.sqrt(v_hat) + eps)
    return W


CASES = {
    "sgd": (SGD, {"lr": 0.1}, lambda W, g: sgd_reference(W, g, 0.1)),
    "sgd-momentum": (
        SGD,
        {"lr": 0.1, "momentum": 0.9},
        lambda W, g: sgd_reference(W, g, 0.1, momentum=0.9),
    ),
    "sgd-nesterov": (
        SGD,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
        lambda W, g: sgd_reference(W, g, 0.05, momentum=0.8, nesterov=True),
    ),
    "sgd-decay": (
        SGD,
        {"lr": 0.1, "weight_decay": 0.3},
        lambda W, g: sgd_reference(W, g, 0.1, weight_decay=0.3),
    ),
    "sgd-nesterov-decay": (
        SGD,
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        lambda W, g: sgd_reference(W, g, 0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    ),
    "rmsprop": (RMSProp, {}, lambda W, g: rmsprop_reference(W, g)),
    "rmsprop-decay": (
        RMSProp,
        {"lr": 0.01, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.2},
        lambda W, g: rmsprop_reference(W, g, 0.01, 0.5, 1e-3, 0.2),
    ),
    "adam": (Adam, {"lr": 0.01}, lambda W, g: adam_reference(W, g, 0.01)),
    "adam-decay": (
        Adam,
        {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-4, "weight_decay": 0.5},
        lambda W, g: adam_reference(W, g, 0.01, (0.8, 0.9), 1e-4, 0.5),
    ),
    "adamw": (AdamW, {}, lambda W, g: adam_reference(W, g, weight_decay=1e-2, decoupled=True)),
    "adamw-decay": (
        AdamW,
        {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.4},
        lambda W, g: adam_reference(W, g, 0.05, (0.5, 0.6), weight_decay=0.4, decoupled=True),
    ),
}


def make_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [
        Tensor(np.asarray(rng.normal(size=shape), dtype=dtype), requires_grad=True, name=f"p{i}")
        for i, shape in enumerate(SHAPES)
    ]


def make_grads(steps, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return [
        [np.asarray(rng.normal(size=shape), dtype=dtype) for shape in SHAPES] for _ in range(steps)
    ]


def run(optimizer, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = g.copy()
        optimizer.step()


# ------------------------------------------------------------------- the rules
@pytest.mark.parametrize("case", sorted(CASES))
def test_first_steps_match_hand_computation(case):
    cls, kwargs, reference = CASES[case]
    params = make_params()
    start = [p.data.copy() for p in params]
    grads = make_grads(3)
    optimizer = cls(params, **kwargs)
    for steps in (1, 2, 3):
        run(optimizer, params, grads[steps - 1 : steps])
        for i, p in enumerate(params):
            expected = reference(start[i], [g[i] for g in grads[:steps]])
            np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-14)


def test_adam_first_step_is_lr_times_sign():
    # t = 1: v̂ = dW and ŝ = dW², so the step is α dW/(|dW| + ε) ≈ α sign(dW).
    W = Tensor(np.array([[1.0, -2.0, 3.0]]), requires_grad=True)
    W.grad = np.array([[0.5, -4.0, 1e-3]])
    Adam([W], lr=0.1).step()
    np.testing.assert_allclose(W.data, [[0.9, -1.9, 2.9]], rtol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_is_kept_in_data_and_state(case):
    cls, kwargs, reference = CASES[case]
    params = make_params(np.float32)
    start = [p.data.astype(np.float64) for p in params]
    grads = make_grads(3, np.float32)
    optimizer = cls(params, **kwargs)
    run(optimizer, params, grads)
    for i, p in enumerate(params):
        assert p.data.dtype == np.float32
        expected = reference(start[i], [g[i].astype(np.float64) for g in grads])
        np.testing.assert_allclose(p.data, expected, rtol=2e-5, atol=2e-6)
    for key, array in optimizer.state_dict()["arrays"].items():
        assert array.dtype == np.float32, key


@pytest.mark.parametrize("case", sorted(CASES))
def test_updates_in_place_and_keep_each_array(case):
    cls, kwargs, _ = CASES[case]
    params = make_params()
    values = [p.data.copy() for p in params]
    optimizer = cls(params, **kwargs)
    # construction gathers each dtype's parameters into one buffer, values unchanged
    for p, value in zip(params, values, strict=True):
        np.testing.assert_array_equal(p.data, value)
    arrays = [p.data for p in params]
    run(optimizer, params, make_grads(2))
    assert all(p.data is a for p, a in zip(params, arrays, strict=True))
    assert all(p.requires_grad and p.is_leaf for p in params)


def test_a_parameter_without_gradient_is_skipped_and_keeps_its_own_t():
    params = make_params()
    start = [p.data.copy() for p in params]
    grads = make_grads(3)
    optimizer = Adam(params, lr=0.1)
    for step_grads in grads[:2]:  # parameter 1 gets no gradient in the first two steps
        params[0].grad, params[1].grad, params[2].grad = step_grads[0], None, step_grads[2]
        optimizer.step()
    np.testing.assert_array_equal(params[1].data, start[1])
    assert optimizer.state_dict()["steps"] == [2, 0, 2]
    np.testing.assert_array_equal(optimizer.state_dict()["arrays"]["v.1"], 0.0)
    params[1].grad = grads[2][1]
    params[0].grad = params[2].grad = None
    optimizer.step()  # its first update: bias-corrected with t = 1
    np.testing.assert_allclose(
        params[1].data, adam_reference(start[1], [grads[2][1]], lr=0.1), rtol=1e-12
    )
    assert optimizer.state_dict()["steps"] == [2, 1, 2]


def test_step_without_any_gradient_changes_nothing():
    params = make_params()
    before = [p.data.copy() for p in params]
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    optimizer.step()
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.data, b)


def test_zero_grad_forgets_gradients():
    params = make_params()
    optimizer = SGD(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_a_gradient_of_the_wrong_shape_is_refused():
    W = Tensor(np.zeros((3, 2)), requires_grad=True, name="W[1]")
    W.grad = np.ones((1, 2))  # would broadcast silently
    with pytest.raises(ValueError, match=r"W\[1\].*\(3, 2\).*\(1, 2\)"):
        SGD([W], lr=0.1).step()


def test_the_update_is_recorded_in_no_graph():
    W = Tensor(np.ones(3), requires_grad=True)
    (W * W).sum().backward()
    SGD([W], lr=0.1).step()
    assert W.is_leaf and vecnn.is_grad_enabled()
    np.testing.assert_allclose(W.data, 0.8)


# -------------------------------------------------------------------- clipping
def test_clip_grad_norm_scales_to_the_global_norm():
    params = make_params()
    grads = make_grads(1)[0]
    for p, g in zip(params, grads, strict=True):
        p.grad = 10 * g.copy()
    extra = Tensor(np.ones(4), requires_grad=True)  # grad None: skipped
    norm_before = np.sqrt(sum(np.sum((10 * g) ** 2) for g in grads))
    total = clip_grad_norm([*params, extra], max_norm=1.0)
    assert isinstance(total, float)
    assert total == pytest.approx(norm_before, rel=1e-12)
    norm_after = np.sqrt(sum(np.sum(p.grad**2) for p in params))
    assert norm_after == pytest.approx(1.0, rel=1e-5)
    for p, g in zip(params, grads, strict=True):  # the direction is kept
        np.testing.assert_allclose(p.grad, 10 * g / norm_before, rtol=1e-5)
    assert extra.grad is None


def test_clip_grad_norm_leaves_small_gradients_alone():
    W = Tensor(np.zeros(2), requires_grad=True)
    W.grad = np.array([0.3, 0.4])
    assert clip_grad_norm(W, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(W.grad, [0.3, 0.4])
    assert clip_grad_norm([Tensor(np.zeros(2), requires_grad=True)], 1.0) == 0.0


def test_clip_grad_norm_keeps_float32():
    W = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    W.grad = np.array([30.0, 40.0], dtype=np.float32)
    clip_grad_norm([W], 5.0)
    assert W.grad.dtype == np.float32
    np.testing.assert_allclose(W.grad, [3.0, 4.0], rtol=1e-5)


def test_clip_grad_norm_scales_a_scalar_gradient():
    b = Tensor(0.0, requires_grad=True)
    b.grad = np.float64(-3.0)  # a NumPy scalar, not an array
    assert clip_grad_norm([b], 1.0) == 3.0
    np.testing.assert_allclose(b.grad, -1.0, rtol=1e-5)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("nan")])
def test_clip_grad_norm_validates_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([], max_norm)


def test_optimizer_clips_before_the_update():
    a = Tensor(np.zeros(2), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([4.0])  # global norm 5
    SGD([a, b], lr=1.0, clip_norm=1.0).step()
    np.testing.assert_allclose(a.data, [-0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.data, [-0.8], rtol=1e-5)
    # the weight decay is added after the clipping, as with clip_grad_norm_ before step()
    W = Tensor(np.ones(1), requires_grad=True)
    W.grad = np.array([10.0])
    SGD([W], lr=1.0, weight_decay=0.5, clip_norm=2.0).step()
    np.testing.assert_allclose(W.data, [1.0 - 2.0 - 0.5], rtol=1e-5)


# ------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip_continues_identically(case, tmp_path):
    cls, kwargs, _ = CASES[case]
    grads = make_grads(6)
    params = make_params()
    optimizer = cls(params, **kwargs, clip_norm=2.0)
    run(optimizer, params, grads[:3])
    state = optimizer.state_dict()

    # through a safe format: JSON for the configuration, .npz for the arrays
    config = json.loads(json.dumps({k: v for k, v in state.items() if k != "arrays"}))
    np.savez(tmp_path / "state.npz", **state["arrays"])
    with np.load(tmp_path / "state.npz") as npz:
        config["arrays"] = {key: npz[key] for key in npz.files}

    restored_params = [Tensor(p.data, requires_grad=True) for p in params]
    restored = cls(restored_params, lr=0.5) if cls is SGD else cls(restored_params)
    restored.load_state_dict(config)
    assert restored.state_dict()["hyper"] == state["hyper"]
    run(optimizer, params, grads[3:])
    run(restored, restored_params, grads[3:])
    for p, q in zip(params, restored_params, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_structure_and_copies():
    params = make_params()
    optimizer = Adam(params, lr=0.01, betas=(0.8, 0.9))
    run(optimizer, params, make_grads(2))
    state = optimizer.state_dict()
    assert state["type"] == "Adam"
    assert state["hyper"] == {
        "lr": 0.01,
        "betas": [0.8, 0.9],
        "eps": 1e-8,
        "weight_decay": 0.0,
        "clip_norm": None,
    }
    assert state["steps"] == [2, 2, 2]
    assert sorted(state["arrays"]) == ["s.0", "s.1", "s.2", "v.0", "v.1", "v.2"]
    assert [state["arrays"][f"v.{i}"].shape for i in range(3)] == SHAPES
    state["arrays"]["v.0"][...] = 99.0  # a copy: the optimizer's state is untouched
    assert not np.any(optimizer.state_dict()["arrays"]["v.0"] == 99.0)
    assert SGD(params, lr=0.1).state_dict()["arrays"] == {}
    assert sorted(SGD(params, lr=0.1, momentum=0.5).state_dict()["arrays"]) == [
        "v.0",
        "v.1",
        "v.2",
    ]


def test_load_state_dict_restores_hyperparameters_and_state_arrays():
    params = make_params()
    source = SGD(params, lr=0.3, momentum=0.9, nesterov=True)
    run(source, params, make_grads(1))
    target = SGD(params, lr=0.1)  # no momentum yet: the loaded state brings it
    target.load_state_dict(source.state_dict())
    assert (target.lr, target.momentum, target.nesterov) == (0.3, 0.9, True)
    assert sorted(target.state_dict()["arrays"]) == ["v.0", "v.1", "v.2"]


def _adam_state():
    params = make_params()
    optimizer = Adam(params)
    run(optimizer, params, make_grads(1))
    return optimizer.state_dict()


def _edit(path, value):
    def edit(state):
        target = state
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return state

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_edit(["type"], "AdamW"), "state is of a AdamW, not of a Adam"),
        (_edit(["steps"], [1, 1]), "state has 2 parameters, this optimizer has 3"),
        (_edit(["steps"], [1, 1, -1]), "steps"),
        (_edit(["arrays", "v.1"], np.zeros((1, 3))), r"'v.1' has shape \(1, 3\).*\(3, 1\)"),
        (_edit(["arrays", "s.2"], KeyError), r"missing \['s.2'\]"),
        (_edit(["arrays", "m.0"], np.zeros((3, 2))), r"unexpected \['m.0'\]"),
        (_edit(["hyper", "eps"], KeyError), r"hyperparameters.*missing \['eps'\]"),
        (_edit(["hyper", "lr"], -1.0), "lr must be ≥ 0"),
        (_edit(["hyper", "betas"], [0.9, 1.0]), r"betas\[1\] must be in \[0, 1\)"),
        (_edit(["arrays"], KeyError), r"state does not match.*missing \['arrays'\]"),
        (_edit(["arrays", "v.0"], np.full((3, 2), "x")), "'v.0' has dtype <U1"),
    ],
)
def test_load_state_dict_names_what_differs(edit, message):
    params = make_params()
    optimizer = Adam(params, lr=0.5)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(edit(_adam_state()))
    after = optimizer.state_dict()  # nothing changed
    assert after["hyper"] == before["hyper"] and after["steps"] == before["steps"]


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), r"SGD: lr must be ≥ 0.*got -0.1"),
        (lambda p: SGD(p, lr=float("inf")), "lr must be finite"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), r"momentum must be ≥ 0.*got -0.5"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay must be ≥ 0"),
        (lambda p: SGD(p, lr=0.1, clip_norm=0.0), r"clip_norm must be > 0.*got 0.0"),
        (lambda p: RMSProp(p, rho=1.0), r"RMSProp: rho must be in \[0, 1\), got 1.0"),
        (lambda p: RMSProp(p, eps=0.0), r"eps must be > 0"),
        (lambda p: Adam(p, betas=(0.9, 1.5)), r"Adam: betas\[1\] must be in \[0, 1\), got 1.5"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=0.9), "betas must be a pair"),
        (lambda p: Adam(p, eps=-1e-8), r"Adam: eps must be > 0"),
        (lambda p: AdamW(p, weight_decay=-0.01), r"AdamW: weight_decay must be ≥ 0"),
    ],
)
def test_hyperparameters_are_validated(make, message):
    with pytest.raises(ValueError, match=message):
        make(make_params())


def test_hyperparameters_of_the_wrong_type_are_refused():
    with pytest.raises(TypeError, match="lr must be a real number"):
        SGD(make_params(), lr="0.1")
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        SGD(make_params(), lr=0.1, momentum=0.9, nesterov=1)


def test_lr_is_a_validated_attribute():
    optimizer = SGD(make_params(), lr=0.1)
    optimizer.lr = 0.0  # a schedule may reach 0
    assert optimizer.lr == 0.0 and type(optimizer.lr) is float
    optimizer.lr = np.float64(0.5)
    assert type(optimizer.lr) is float
    with pytest.raises(ValueError, match="lr must be ≥ 0"):
        optimizer.lr = -1.0


def test_params_are_validated():
    W = Tensor(np.zeros(2), requires_grad=True, name="W")
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is a ndarray"):
        SGD([W, np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\].*requires_grad=False"):
        SGD([Tensor(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[1\] \(W\) appears twice"):
        SGD([W, W], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf"):
        SGD([W * 2], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(W, lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        SGD(3, lr=0.1)
    generated = SGD((p for p in [W]), lr=0.1)  # any iterable; kept as a list
    assert generated.params == [W]


def test_optimizer_is_the_base_of_every_rule():
    for cls in (SGD, RMSProp, Adam, AdamW):
        assert issubclass(cls, Optimizer)
    assert "lr=0.1" in repr(SGD(make_params(), lr=0.1))


# --------------------------------------------------------------------- registry
def test_get_optimizer_by_name():
    params = make_params()
    assert type(get_optimizer("SGD", params, lr=0.1)) is SGD
    assert type(get_optimizer("Adam", params)) is Adam
    assert type(get_optimizer("adamw", params, lr=0.01)) is AdamW
    rms = get_optimizer("RMSprop", params, rho=0.5)
    assert type(rms) is RMSProp and rms.rho == 0.5
    momentum = get_optimizer("Momentum", params, lr=0.1)
    assert type(momentum) is SGD and momentum.momentum == 0.9
    assert get_optimizer("momentum", params, lr=0.1, momentum=0.5).momentum == 0.5
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; known: adam, adamw"):
        get_optimizer("lbfgs", params)


# ------------------------------------------------------------------ convergence
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("sgd", {"lr": 0.1}),
        ("momentum", {"lr": 0.05}),
        ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        ("rmsprop", {"lr": 0.01}),
        ("adam", {"lr": 0.05}),
        ("adamw", {"lr": 0.05, "weight_decay": 0.0}),
    ],
)
def test_minimizes_a_quadratic(name, kwargs):
    rng = np.random.default_rng(3)
    target = rng.normal(size=(3, 2)).astype(np.float32)
    W = Tensor(np.zeros((3, 2), dtype=np.float32), requires_grad=True, name="W")
    optimizer = get_optimizer(name, [W], **kwargs)
    for _ in range(400):
        optimizer.zero_grad()
        J = ((W - target) ** 2).sum()
        J.backward()
        optimizer.step()
    assert W.data.dtype == np.float32
    np.testing.assert_allclose(W.data, target, atol=2e-2)
