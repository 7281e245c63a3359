"""Training: ``Network`` (fit, predict, evaluate), the loop, its history and callbacks."""

from vecnn.train.callbacks import Callback, EarlyStopping
from vecnn.train.fit import TrainingDivergedError, fit
from vecnn.train.history import History
from vecnn.train.network import Network

__all__ = ["Callback", "EarlyStopping", "History", "Network", "TrainingDivergedError", "fit"]
