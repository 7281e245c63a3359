"""The module where ``MLPClassifier`` and ``NeuronClassifier`` were defined before the
estimators moved to ``estimators.py``: a pickle names a class by its module, so this
name stays for the estimators pickled then (nothing else should import it)."""

from vecnn.integrations.sklearn.estimators import MLPClassifier, NeuronClassifier

__all__ = ["MLPClassifier", "NeuronClassifier"]
