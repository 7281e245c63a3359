"""Optimizers (one update rule per file), gradient clipping and learning-rate schedules.

Each optimizer replaces the plain update ``W ← W − α dW`` with its own rule; ``step()``
updates every parameter that has a gradient, in place, and ``zero_grad()`` forgets the
gradients. The schedules change the optimizer's ``lr`` once per epoch.
"""

from vecnn.optim.adam import Adam
from vecnn.optim.adamw import AdamW
from vecnn.optim.base import Optimizer
from vecnn.optim.clip import clip_grad_norm
from vecnn.optim.registry import OPTIMIZERS, get_optimizer
from vecnn.optim.rmsprop import RMSProp
from vecnn.optim.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeDecay,
    LRScheduler,
    StepLR,
)
from vecnn.optim.sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "Optimizer",
    "RMSProp",
    "StepLR",
    "clip_grad_norm",
    "get_optimizer",
]
