"""The module where ``MLPRegressor`` was defined before the estimators moved to
``estimators.py``: a pickle names a class by its module, so this name stays for the
estimators pickled then (nothing else should import it)."""

from vecnn.integrations.sklearn.estimators import MLPRegressor

__all__ = ["MLPRegressor"]
