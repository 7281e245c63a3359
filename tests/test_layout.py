"""The layout's rules: modules import only from lower levels; only the backend imports NumPy."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "vecnn"

# The level of each module or package (DESIGN §3); a module imports only from lower
# levels or from its own package.
LEVELS = {
    "_version": 0,
    "_atomic": 0,
    "backend": 0,
    "errors": 0,
    "autodiff": 1,
    "metrics": 1,
    "data": 1,
    "csvfile": 1,
    "dates": 1,
    "preprocessing": 2,
    "datasets": 2,
    "ops": 2,
    "nn": 3,
    "losses": 4,
    "optim": 4,
    "distributed": 4,
    "train": 5,
    "io": 6,
    "equations": 6,
    "report": 7,
    "integrations": 7,
    "playground": 7,
    "sklearn": 8,
    "onnx": 8,
    "cli": 8,
    "graph": 8,
    "__init__": 9,
    "__main__": 9,
}


def _top(module_path: Path) -> str:
    parts = module_path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from … import`` names, with a relative one (``from ..ops import x``)
    resolved against the package of ``path``."""
    if node.level == 0:
        return node.module or ""
    package = ["vecnn", *path.relative_to(PACKAGE).parent.parts]  # the file's own package
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            if module == "vecnn":
                for alias in node.names:
                    yield f"vecnn.{alias.name}"
            else:
                yield module


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_level():
    for path in _modules():
        assert _top(path) in LEVELS, f"{path.relative_to(PACKAGE)} has no level in this test"


def test_modules_import_only_from_lower_levels():
    problems = []
    for path in _modules():
        here = _top(path)
        for name in _imports(path):
            if not name.startswith("vecnn."):
                continue
            target = name.split(".")[1]
            relative = path.relative_to(PACKAGE).as_posix()
            if target == here:
                continue
            if LEVELS[target] >= LEVELS[here]:
                problems.append(f"{relative} (level {LEVELS[here]}) imports {name}")
    assert not problems, "\n".join(problems)


def test_only_the_backend_imports_numpy():
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in _modules()
        if _top(path) != "backend"
        and any(name == "numpy" or name.startswith("numpy.") for name in _imports(path))
    ]
    assert not offenders, f"array work must go through vecnn.backend: {offenders}"


def test_relative_imports_are_resolved(tmp_path):
    """``from ..ops import x`` in nn/ is ``vecnn.ops``; ``from . import y`` its own package."""
    module = PACKAGE / "nn" / "dense.py"
    upward = ast.parse("from ..ops import dense\nfrom . import layer\nfrom .. import train")
    names = [_absolute(module, node) for node in upward.body]
    assert names == ["vecnn.ops", "vecnn.nn", "vecnn"]
    package = PACKAGE / "nn" / "__init__.py"
    assert _absolute(package, ast.parse("from .dense import Dense").body[0]) == "vecnn.nn.dense"


def test_the_tensor_gets_its_operators_from_the_ops():
    """No upward import: autodiff/tensor.py names no operation, the ops attach them."""
    tensor = PACKAGE / "autodiff" / "tensor.py"
    assert not [name for name in _imports(tensor) if name.startswith("vecnn.ops")]
    from vecnn import Tensor

    assert (Tensor([1.0, 2.0]) * 2 + 1).sum().item() == 8.0
