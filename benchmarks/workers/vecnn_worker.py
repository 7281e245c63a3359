"""vecnn through its public API: ``Network.from_sizes``, ``fit``, ``predict_proba``.

Each timed ``fit`` call is one epoch. The data are converted once, outside the timing:
``X.T`` of the C-ordered ``(m, n[0])`` array is the ``(n[0], m)`` matrix of the
notation, a free view (except in the case with ``"layout": "columns"``, which hands
``fit`` a C-ordered ``(n[0], m)`` copy, as a user holding data in the notation would).
The Adam optimizer is built once per model and passed to every ``fit`` call, so its
moments carry over from epoch to epoch as they do in the other frameworks' loops. With the
``fast`` extra the compiled Adam kernel is loaded before anything is timed
(``kernels.load()``; a ``fit`` would otherwise step with NumPy until that has cost as much
as loading Numba): the runs measure the steady state, as JAX's are after its compilation.
"""

from __future__ import annotations

from typing import Any

import benchlib
import numpy as np


class VecnnAdapter(benchlib.Adapter):
    name = "vecnn"
    libraries = ("vecnn", "numba")

    def prepare(self, case: dict[str, Any], data: dict[str, np.ndarray]) -> None:
        from vecnn.backend import kernels

        # (False without Numba: the NumPy-only install, measured as it is; a tree from
        # before kernels.load() loads Numba at its first step anyway)
        getattr(kernels, "load", kernels.available)()
        self.case = case
        self.columns = {key: value.T for key, value in data.items() if value.ndim == 2}
        if case.get("layout") == "columns":  # X (n[0], m) C-ordered, as a user may hold it
            self.columns["X"] = np.ascontiguousarray(data["X"].T)
        self.y = data["y"]

    def build(self, seed: int) -> None:
        import vecnn

        case = self.case
        self.net = vecnn.Network.from_sizes(
            case["sizes"], hidden=case["hidden"], output=case["output"], seed=seed
        )
        self.opt = vecnn.optim.Adam(self.net.parameters(), lr=case["lr"])

    def epoch(self, n: int | None = None) -> dict[str, float]:
        X, y = self.columns["X"], self.y
        if n is not None and n < len(y):
            X, y = X[:, :n], y[:n]
        history = self.net.fit(
            X, y, optimizer=self.opt, epochs=1, batch_size=self.case["batch"], verbose=0
        )
        return {"loss": history["loss"][-1], "accuracy": history["accuracy"][-1]}

    def steps(self, k: int) -> None:
        self.net.fit(
            self.columns["X"],
            self.y,
            optimizer=self.opt,
            epochs=k,
            batch_size=None,
            shuffle=False,
            verbose=0,
        )

    def proba(self, name: str) -> np.ndarray:
        return self.net.predict_proba(self.columns[name]).T

    def versions(self) -> dict[str, Any]:
        import vecnn

        return {"vecnn": vecnn.__version__, **benchlib.numpy_info()}


if __name__ == "__main__":
    benchlib.main(VecnnAdapter())
