"""PyTorch on the CPU, eager: a hand-written loop, no DataLoader.

Each epoch indexes the pre-made tensor with a fresh permutation, batch by batch. The
variant ``torch`` uses ``torch.optim.Adam`` as it comes; ``torch-fused`` asks for
``fused=True`` (``foreach=True`` where the fused kernel does not run on the CPU).
"""

from __future__ import annotations

import sys
from typing import Any

import benchlib
import numpy as np


class TorchAdapter(benchlib.Adapter):
    libraries = ("torch",)

    def __init__(self, variant: str) -> None:
        self.name = variant

    def prepare(self, case: dict[str, Any], data: dict[str, np.ndarray]) -> None:
        import torch

        torch.set_num_threads(int(case["threads"]))
        self.torch = torch
        self.case = case
        self.binary = case["sizes"][-1] == 1
        self.tensors = {
            key: torch.from_numpy(value) for key, value in data.items() if value.ndim == 2
        }
        y = torch.from_numpy(data["y"])
        self.y = y.to(torch.float32).reshape(-1, 1) if self.binary else y
        self.generator = torch.Generator().manual_seed(case["seed"])
        self.adam_options = self._adam_options()

    def _adam_options(self) -> dict[str, Any]:
        if self.name != "torch-fused":
            return {}
        probe = self.torch.nn.Parameter(self.torch.zeros(2))
        probe.grad = self.torch.ones(2)
        try:
            self.torch.optim.Adam([probe], fused=True).step()
        except (RuntimeError, ValueError) as error:
            print(f"fused Adam unsupported on the CPU ({error}): foreach", file=sys.stderr)
            self.adam_mode = "foreach"
            return {"foreach": True}
        self.adam_mode = "fused"
        return {"fused": True}

    def build(self, seed: int) -> None:
        torch, case = self.torch, self.case
        torch.manual_seed(seed)
        act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[case["hidden"]]
        sizes, layers = case["sizes"], []
        for l in range(1, len(sizes)):
            layers.append(torch.nn.Linear(sizes[l - 1], sizes[l]))
            if l < len(sizes) - 1:
                layers.append(act())
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=case["lr"], **self.adam_options)
        if self.binary:
            self.loss = torch.nn.functional.binary_cross_entropy_with_logits
        else:
            self.loss = torch.nn.functional.cross_entropy

    def _step(self, xb: Any, yb: Any) -> Any:
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss(self.model(xb), yb)
        loss.backward()
        self.opt.step()
        return loss.detach()

    def epoch(self, n: int | None = None) -> dict[str, float]:
        torch, X, y = self.torch, self.tensors["X"], self.y
        m = len(y) if n is None else min(n, len(y))
        batch = self.case["batch"]
        self.model.train()
        order = torch.randperm(m, generator=self.generator)
        total = torch.zeros(())
        for start in range(0, m, batch):
            index = order[start : start + batch]
            total += self._step(X[index], y[index]) * len(index)
        return {"loss": float(total) / m}

    def steps(self, k: int) -> None:
        X, y = self.tensors["X"], self.y
        self.model.train()
        for _ in range(k):
            self._step(X, y)

    def proba(self, name: str) -> np.ndarray:
        torch = self.torch
        self.model.eval()
        with torch.inference_mode():
            logits = self.model(self.tensors[name])
            out = torch.sigmoid(logits)[:, 0] if self.binary else torch.softmax(logits, dim=1)
        return out.numpy()

    def versions(self) -> dict[str, Any]:
        torch = self.torch
        shown = torch.__config__.show().splitlines()
        keep = ("Math Kernel", "MKL-DNN", "OpenMP", "CPU capability", "LAPACK")
        info = {
            "torch": torch.__version__,
            "torch_config": [
                line.strip(" -")
                for line in shown
                if any(k in line for k in keep) and "Build settings" not in line
            ],
            "torch_threads": torch.get_num_threads(),
            **benchlib.numpy_info(),
        }
        if self.name == "torch-fused":
            info["adam"] = self.adam_mode
        return info


if __name__ == "__main__":
    variant = "torch"
    if "--fused" in sys.argv:
        sys.argv.remove("--fused")
        variant = "torch-fused"
    benchlib.main(TorchAdapter(variant))
