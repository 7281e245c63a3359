"""JAX on the CPU: the whole training step (forward, gradient, Adam) under ``jax.jit``.

The data live on the device once; each step gathers its batch inside the jitted step
from the epoch's permutation, so one compiled step serves every full batch (and one
more the last, shorter batch). Parameters and Adam state are donated to the step.
Examples are rows here (``X (m, n[0]) @ W (n[0], n[1])``): the same products transposed.
"""

from __future__ import annotations

import math
from typing import Any

import benchlib
import numpy as np


class JaxAdapter(benchlib.Adapter):
    name = "jax"
    libraries = ("jax", "jax.numpy")

    def prepare(self, case: dict[str, Any], data: dict[str, np.ndarray]) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp, self.case = jax, jnp, case
        self.binary = case["sizes"][-1] == 1
        self.arrays = {key: jax.device_put(value) for key, value in data.items() if value.ndim == 2}
        y = data["y"]
        self.y = jax.device_put(y.astype(np.float32) if self.binary else y.astype(np.int32))
        self.m = len(y)
        self.rng = np.random.default_rng(case["seed"])
        hidden = {"relu": jax.nn.relu, "tanh": jnp.tanh}[case["hidden"]]
        lr, beta1, beta2, eps = case["lr"], 0.9, 0.999, 1e-8

        def logits(params: Any, X: Any) -> Any:
            A = X
            for W, b in params[:-1]:
                A = hidden(A @ W + b)
            W, b = params[-1]
            return A @ W + b

        def loss(params: Any, X: Any, y: Any) -> Any:
            Z = logits(params, X)
            if self.binary:
                z = Z[:, 0]
                return jnp.mean(jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z))))
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(Z), y[:, None], axis=1))

        def update(params: Any, state: Any, X: Any, y: Any) -> Any:
            value, grads = jax.value_and_grad(loss)(params, X, y)
            t, v, s = state
            t = t + 1
            v = jax.tree_util.tree_map(lambda v, g: beta1 * v + (1 - beta1) * g, v, grads)
            s = jax.tree_util.tree_map(lambda s, g: beta2 * s + (1 - beta2) * g * g, s, grads)
            step = lr / (1 - beta1**t)
            scale = 1 / jnp.sqrt(1 - beta2**t)
            params = jax.tree_util.tree_map(
                lambda p, v, s: p - step * v / (jnp.sqrt(s) * scale + eps), params, v, s
            )
            return params, (t, v, s), value

        def batch_step(params: Any, state: Any, X: Any, y: Any, index: Any) -> Any:
            return update(params, state, X[index], y[index])

        self.batch_step = jax.jit(batch_step, donate_argnums=(0, 1))
        self.full_step = jax.jit(update, donate_argnums=(0, 1))

        def proba(params: Any, X: Any) -> Any:
            Z = logits(params, X)
            return jax.nn.sigmoid(Z[:, 0]) if self.binary else jax.nn.softmax(Z, axis=1)

        self.predict = jax.jit(proba)

    def build(self, seed: int) -> None:
        jax, jnp = self.jax, self.jnp
        key = jax.random.PRNGKey(seed)
        params = []
        sizes = self.case["sizes"]
        for l in range(1, len(sizes)):
            key, sub_w, sub_b = jax.random.split(key, 3)
            bound = 1.0 / math.sqrt(sizes[l - 1])  # as torch.nn.Linear
            W = jax.random.uniform(sub_w, (sizes[l - 1], sizes[l]), jnp.float32, -bound, bound)
            b = jax.random.uniform(sub_b, (sizes[l],), jnp.float32, -bound, bound)
            params.append((W, b))
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        self.params = params
        self.state = (jnp.zeros((), jnp.float32), zeros, jax.tree_util.tree_map(jnp.copy, zeros))

    def epoch(self, n: int | None = None) -> dict[str, float]:
        m = self.m if n is None else min(n, self.m)
        batch = self.case["batch"]
        order = self.rng.permutation(m).astype(np.int32)
        losses = []
        for start in range(0, m, batch):
            index = order[start : start + batch]
            self.params, self.state, value = self.batch_step(
                self.params, self.state, self.arrays["X"], self.y, index
            )
            losses.append(value * len(index))
        total = float(self.jnp.sum(self.jnp.stack(losses)))  # waits for the last step
        return {"loss": total / m}

    def steps(self, k: int) -> None:
        value = None
        for _ in range(k):
            self.params, self.state, value = self.full_step(
                self.params, self.state, self.arrays["X"], self.y
            )
        if value is not None:
            value.block_until_ready()

    def proba(self, name: str) -> np.ndarray:
        return np.asarray(self.predict(self.params, self.arrays[name]))

    def versions(self) -> dict[str, Any]:
        import jax
        import jaxlib

        return {
            "jax": jax.__version__,
            "jaxlib": jaxlib.__version__,
            "jax_backend": f"{jax.default_backend()} ({jax.devices()[0].device_kind})",
            **benchlib.numpy_info(),
        }


if __name__ == "__main__":
    benchlib.main(JaxAdapter())
