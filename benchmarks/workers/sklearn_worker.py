"""scikit-learn's ``MLPClassifier`` (solver Adam, ``alpha=0``): ``partial_fit`` is one epoch.

``partial_fit`` shuffles and walks the data in mini-batches of ``batch_size``, with the
Adam state kept across calls. The full-batch steps of the tiny case go through ``fit``
with ``max_iter`` steps and no early stop (``warm_start`` keeps the weights between
runs; ``fit`` starts a new Adam state each call).
"""

from __future__ import annotations

import warnings
from typing import Any

import benchlib
import numpy as np


class SklearnAdapter(benchlib.Adapter):
    name = "sklearn"
    libraries = ("sklearn.neural_network",)

    def prepare(self, case: dict[str, Any], data: dict[str, np.ndarray]) -> None:
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        self.case = case
        self.arrays = {key: value for key, value in data.items() if value.ndim == 2}
        self.y = data["y"]
        self.classes = np.arange(benchlib.n_classes(case))

    def build(self, seed: int) -> None:
        from sklearn.neural_network import MLPClassifier

        case = self.case
        self.model = MLPClassifier(
            hidden_layer_sizes=tuple(case["sizes"][1:-1]),
            activation=case["hidden"],
            solver="adam",
            alpha=0.0,
            batch_size=case["batch"],
            learning_rate_init=case["lr"],
            max_iter=1,
            shuffle=True,
            random_state=seed,
            tol=0.0,
            n_iter_no_change=10**9,
        )
        self.started = False

    def epoch(self, n: int | None = None) -> dict[str, float]:
        X, y = self.arrays["X"], self.y
        if n is not None and n < len(y):
            X, y = X[:n], y[:n]
        if self.started:
            self.model.partial_fit(X, y)
        else:
            self.model.partial_fit(X, y, classes=self.classes)
            self.started = True
        return {"loss": float(self.model.loss_)}

    def steps(self, k: int) -> None:
        self.model.set_params(max_iter=k, shuffle=False, warm_start=True, batch_size=len(self.y))
        self.model.fit(self.arrays["X"], self.y)

    def proba(self, name: str) -> np.ndarray:
        return self.model.predict_proba(self.arrays[name])

    def versions(self) -> dict[str, Any]:
        import sklearn

        return {"sklearn": sklearn.__version__, **benchlib.numpy_info()}


if __name__ == "__main__":
    benchlib.main(SklearnAdapter())
