"""Choosing the backend, the helpers for what the standard lacks, and the names each
backend must provide."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vecnn import backend
from vecnn.backend import _select

CORE = ("autodiff", "ops", "nn", "losses.py", "optim", "train")
SOURCE = Path(backend.__file__).resolve().parents[1]


def _core_names() -> set[str]:
    """Every ``xp.<name>`` the core calls (modules whose ``xp`` is the host's excepted)."""
    names: set[str] = set()
    for part in CORE:
        paths = [SOURCE / part] if part.endswith(".py") else (SOURCE / part).rglob("*.py")
        for path in paths:
            if re.search(r"^from vecnn\.backend\.host import .*\bxp\b", path.read_text(), re.M):
                continue
            names |= set(re.findall(r"(?<![\w.])xp\.([A-Za-z_]\w*)", path.read_text()))
    return names


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VECNN_")}
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )


def test_numpy_is_the_default_backend():
    done = _python("import vecnn.backend as b; print(b.name, b.xp.__name__, b.device)")
    assert done.stdout.split() == ["numpy", "numpy", "cpu"]


def test_the_backend_is_named_in_the_environment():
    pytest.importorskip("array_api_strict")
    code = "import vecnn.backend as b; print(b.name, b.device, b.as_float_array([1.0]).device)"
    done = _python(code, VECNN_BACKEND="array_api_strict", VECNN_DEVICE="device1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("device1") == 2 and done.stdout.startswith("array_api_strict")


def test_an_unknown_backend_or_device_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="numpy, cupy, array_api_strict"):
        _select.load("tensorflow", None)
    with pytest.raises(ValueError, match="VECNN_DEVICE"):
        _select.load("numpy", "cuda:0")
    done = _python("import vecnn", VECNN_BACKEND="jax")
    assert done.returncode != 0 and "VECNN_BACKEND='jax'" in done.stderr


def test_cupy_missing_names_the_extra():
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"vecnn\[gpu\]"):
            _select.load("cupy", None)
    else:
        pytest.skip("CuPy is installed")


def test_the_strict_namespace_has_every_name_the_core_uses():
    pytest.importorskip("array_api_strict")
    _, namespace, *_ = _select.load("array_api_strict", "device1")
    missing = sorted(name for name in _core_names() if not hasattr(namespace, name))
    assert not missing
    assert len(_core_names()) > 20  # the scan found the calls


def test_cupy_has_every_name_the_backend_uses():
    cupy = pytest.importorskip("cupy")  # imports without a GPU
    cupyx = pytest.importorskip("cupyx")
    missing = sorted(name for name in _core_names() if not hasattr(cupy, name))
    assert not missing
    for obj, name in ((cupy, "ndarray"), (cupy, "ElementwiseKernel"), (cupyx, "scatter_add")):
        assert hasattr(obj, name)
    assert hasattr(cupy.cuda, "Device")


def test_is_fresh_tells_a_view_from_an_owned_array():
    a = np.zeros((3, 4))
    assert backend.is_fresh(a)
    assert not backend.is_fresh(a[1:])
    a.flags.writeable = False
    assert not backend.is_fresh(a)


def test_scatter_add_adds_every_repeated_index():
    target = np.zeros(4)
    backend.scatter_add(target, np.array([0, 2, 2, 3]), np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(target, [1.0, 0.0, 5.0, 4.0])


def test_float_dtype_and_its_name():
    assert backend.float_dtype("float32") == np.float32
    assert backend.dtype_name(backend.float_dtype(np.float64)) == "float64"
    with pytest.raises(ValueError, match="float32 or float64"):
        backend.float_dtype("int32")


def test_to_numpy_and_to_device_are_no_ops_on_numpy():
    a = np.arange(3.0)
    assert backend.to_numpy(a) is a and backend.to_device(a) is a
