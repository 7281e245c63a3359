"""Estimators pickled before ``integrations/sklearn`` became three modules still load.

``data/estimators-before-merge.pkl`` was written by commit 216cc9c (the estimators in
``classifier.py`` and ``regressor.py``): ``(X, [MLPClassifier, MLPRegressor,
NeuronClassifier] fitted for 3 epochs, [their predictions on X])``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from vecnn.sklearn import MLPClassifier, MLPRegressor, NeuronClassifier

OLD = Path(__file__).parent / "data" / "estimators-before-merge.pkl"


def test_estimators_pickled_before_the_merge_load_predict_and_train_on():
    with OLD.open("rb") as file:
        X, estimators, predictions = pickle.load(file)
    kinds = [type(e) for e in estimators]
    assert kinds == [MLPClassifier, MLPRegressor, NeuronClassifier]
    for estimator, predicted in zip(estimators, predictions, strict=True):
        np.testing.assert_array_equal(estimator.predict(X), predicted)
    classifier = estimators[0]
    before = classifier.coefs_[0].copy()
    classifier.partial_fit(X, predictions[0])  # the optimizer's state came along too
    assert not np.array_equal(classifier.coefs_[0], before)
