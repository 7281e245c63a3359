"""scikit-learn estimators trained by vecnn: MLPClassifier, MLPRegressor, NeuronClassifier.

``X`` is ``(n_samples, n_features)`` here, as in every scikit-learn estimator; the adapter
hands vecnn ``X.T`` (examples as columns). Needs scikit-learn: ``pip install vecnn[sklearn]``.
"""

from vecnn.integrations.sklearn import MLPClassifier, MLPRegressor, NeuronClassifier

__all__ = ["MLPClassifier", "MLPRegressor", "NeuronClassifier"]
