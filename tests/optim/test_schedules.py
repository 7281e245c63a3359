"""The learning-rate schedules against their closed forms, checkpoints and validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from vecnn import Tensor
from vecnn.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeDecay,
    StepLR,
)

EPOCHS = 10
BASE_LR = 0.2


def make_optimizer(lr=BASE_LR):
    return SGD([Tensor(np.zeros(2), requires_grad=True)], lr=lr)


# (schedule, its closed form at each epoch, written out independently)
CASES = {
    "step": (
        lambda opt: StepLR(opt, step_size=3, gamma=0.5),
        lambda e: BASE_LR * 0.5 ** (e // 3),
    ),
    "step-default-gamma": (
        lambda opt: StepLR(opt, step_size=4),
        lambda e: BASE_LR * 0.1 ** (e // 4),
    ),
    "exponential": (
        lambda opt: ExponentialLR(opt, gamma=0.9),
        lambda e: BASE_LR * 0.9**e,
    ),
    "cosine": (
        lambda opt: CosineAnnealingLR(opt, T_max=8),
        lambda e: BASE_LR * (1 + math.cos(math.pi * e / 8)) / 2,
    ),
    "cosine-eta-min": (
        lambda opt: CosineAnnealingLR(opt, T_max=6, eta_min=0.01),
        lambda e: 0.01 + (BASE_LR - 0.01) * (1 + math.cos(math.pi * e / 6)) / 2,
    ),
    "inverse-time": (
        lambda opt: InverseTimeDecay(opt, decay=1.0),
        lambda e: BASE_LR / (1 + 1.0 * e),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_follows_its_closed_form(case):
    make, closed_form = CASES[case]
    optimizer = make_optimizer()
    schedule = make(optimizer)
    assert schedule.last_epoch == 0
    assert schedule.get_lr() == schedule.last_lr == optimizer.lr == BASE_LR
    for epoch in range(1, EPOCHS + 1):
        schedule.step()
        assert schedule.last_epoch == epoch
        assert schedule.last_lr == pytest.approx(closed_form(epoch), rel=1e-12, abs=1e-15)
        assert optimizer.lr == schedule.last_lr == schedule.get_lr()
        assert type(optimizer.lr) is float


def test_known_values():
    # StepLR(step_size=3, γ=0.1) from 0.1: three epochs at each rate
    opt = make_optimizer(0.1)
    schedule = StepLR(opt, step_size=3)
    lrs = [opt.lr]
    for _ in range(6):
        schedule.step()
        lrs.append(opt.lr)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001], rtol=1e-12)
    # the textbook's α₀ = 0.2, decay rate 1: 0.1, 0.067, 0.05, 0.04 over epochs 1..4
    opt = make_optimizer(0.2)
    schedule = InverseTimeDecay(opt, decay=1.0)
    lrs = []
    for _ in range(4):
        schedule.step()
        lrs.append(opt.lr)
    np.testing.assert_allclose(lrs, [0.1, 0.2 / 3, 0.05, 0.04], rtol=1e-12)
    # cosine reaches η_min at T_max, then climbs back (PyTorch's closed form)
    opt = make_optimizer(1.0)
    schedule = CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    for _ in range(4):
        schedule.step()
    assert opt.lr == pytest.approx(0.1)
    schedule.step()
    assert opt.lr > 0.1


def test_the_schedule_drives_the_optimizer_step():
    W = Tensor(np.zeros(1), requires_grad=True)
    optimizer = SGD([W], lr=1.0)
    schedule = ExponentialLR(optimizer, gamma=0.5)
    for _ in range(3):  # epochs with α = 1, 0.5, 0.25, each one step with dW = 1
        W.grad = np.ones(1)
        optimizer.step()
        schedule.step()
    np.testing.assert_allclose(W.data, [-1.75])


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip(case):
    make, _ = CASES[case]
    optimizer = make_optimizer()
    schedule = make(optimizer)
    for _ in range(4):
        schedule.step()
    state = json.loads(json.dumps(schedule.state_dict()))
    assert state["last_epoch"] == 4 and state["base_lr"] == BASE_LR

    other_optimizer = make_optimizer(lr=0.7)
    other = make(other_optimizer)
    other.load_state_dict(state)
    assert other_optimizer.lr == optimizer.lr
    for _ in range(5):
        schedule.step()
        other.step()
        assert other_optimizer.lr == optimizer.lr
    assert other.state_dict() == schedule.state_dict()


def test_state_dict_structure():
    schedule = StepLR(make_optimizer(0.1), step_size=3, gamma=0.5)
    schedule.step()
    assert schedule.state_dict() == {
        "type": "StepLR",
        "base_lr": 0.1,
        "last_epoch": 1,
        "last_lr": 0.1,
        "hyper": {"step_size": 3, "gamma": 0.5},
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"type": "ExponentialLR"}, "state is of a ExponentialLR, not of a StepLR"),
        ({"hyper": {"gamma": 0.5}}, r"missing \['step_size'\]"),
        ({"hyper": {"step_size": 0, "gamma": 0.5}}, "step_size must be a positive integer"),
        ({"last_epoch": -1}, "last_epoch must be an integer ≥ 0"),
        ({"base_lr": -0.1}, "base_lr must be ≥ 0"),
    ],
)
def test_load_state_dict_names_what_differs(edit, message):
    schedule = StepLR(make_optimizer(), step_size=3, gamma=0.5)
    state = {**schedule.state_dict(), **edit}
    with pytest.raises(ValueError, match=message):
        schedule.load_state_dict(state)
    state = schedule.state_dict()
    del state["last_lr"]
    with pytest.raises(ValueError, match=r"missing \['last_lr'\]"):
        schedule.load_state_dict(state)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "StepLR: step_size must be a positive"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size must be an integer"),
        (lambda o: StepLR(o, step_size=2, gamma=0.0), ValueError, r"gamma must be > 0.*got 0.0"),
        (lambda o: ExponentialLR(o, gamma=-0.5), ValueError, "ExponentialLR: gamma must be > 0"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive"),
        (lambda o: CosineAnnealingLR(o, 5, eta_min=-1), ValueError, "eta_min must be ≥ 0"),
        (lambda o: InverseTimeDecay(o, decay=-1.0), ValueError, "decay must be ≥ 0"),
        (lambda o: InverseTimeDecay(o, decay=float("nan")), ValueError, "decay must be finite"),
        (lambda o: StepLR("sgd", step_size=2), TypeError, "expected an Optimizer, got str"),
    ],
)
def test_hyperparameters_are_validated(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer())


def test_schedules_work_with_any_optimizer():
    optimizer = Adam([Tensor(np.zeros(2), requires_grad=True)], lr=0.01)
    schedule = CosineAnnealingLR(optimizer, T_max=2)
    schedule.step()
    schedule.step()
    assert optimizer.lr == pytest.approx(0.0, abs=1e-18)
    assert optimizer.state_dict()["hyper"]["lr"] == optimizer.lr
    assert "CosineAnnealingLR(T_max=2" in repr(schedule)
