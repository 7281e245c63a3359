"""``vecnn train --backend NAME`` trains on that backend, to the same model as NumPy."""

from __future__ import annotations

import pytest
from clihelpers import species_rows, write_csv

import vecnn
from vecnn.cli import main


@pytest.mark.slow
def test_train_on_the_strict_backend_writes_the_numpy_model(tmp_path):
    pytest.importorskip("array_api_strict")
    header, rows = species_rows()
    data = write_csv(tmp_path / "species.csv", header, rows)
    models = {}
    for name in ("numpy", "array_api_strict"):
        out = tmp_path / name
        argv = ["train", str(data), "--target", header[-1], "--epochs", "3", "--quiet"]
        code = main([*argv, "--out", str(out), "--backend", name, "--seed", "4"])
        assert code == 0
        models[name] = vecnn.io.load(out / "model.vecnn").state_dict()
    assert models["numpy"].keys() == models["array_api_strict"].keys()
    for key, array in models["numpy"].items():
        assert array.tobytes() == models["array_api_strict"][key].tobytes(), key
