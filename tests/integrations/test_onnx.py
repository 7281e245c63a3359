"""``vecnn.onnx.export``: the graph onnxruntime runs gives vecnn's outputs, on rows.

Every layer type, activation and head, string and integer classes, float32 and float64,
batches of 1 and many, model files written by ``vecnn train`` (compared with ``vecnn
predict``), and the refusals: anything that cannot be exported faithfully is named.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import vecnn  # noqa: E402
import vecnn.onnx  # noqa: E402
from vecnn.cli import main  # noqa: E402
from vecnn.cli.export import add_parser, run  # noqa: E402
from vecnn.nn import Activation, BatchNorm, Dense, Dropout, Layer, Sequential  # noqa: E402

STANDARD_OPS = {
    "Gemm",
    "Identity",
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "BatchNormalization",
    "Sub",
    "Div",
    "Mul",
    "Add",
    "IsNaN",
    "Where",
    "Concat",
    "GreaterOrEqual",
    "Squeeze",
    "Cast",
    "ArgMax",
    "Gather",
    "ReduceSum",
}
ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"]
TOL = {np.float32: 1e-5, np.float64: 1e-9}


# --------------------------------------------------------------------------- helpers
def session(model):
    data = model.SerializeToString() if hasattr(model, "SerializeToString") else str(model)
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def run_onnx(model, rows):
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {"input": rows}), strict=True))


def perturb(network, seed=1):
    """Non-trivial weights and batch-norm statistics (so every term of the graph counts)."""
    rng = np.random.default_rng(seed)
    for layer in network.layers:
        for tensor in layer.params.values():
            tensor.data[...] = rng.normal(scale=0.8, size=tensor.shape)
        if isinstance(layer, BatchNorm):
            layer.buffer_arrays["running_mean"][...] = rng.normal(size=(layer.n_in, 1))
            layer.buffer_arrays["running_var"][...] = rng.uniform(0.3, 3.0, size=(layer.n_in, 1))
            layer.eps = 1e-3
    return network


def stack(n0, hidden, n_out, output, dtype):
    """Every layer type: Dense, BatchNorm, Activation, Dropout, Dense."""
    return [
        Dense(n0, 6, activation="linear", dtype=dtype, seed=0),
        BatchNorm(6, dtype=dtype),
        Activation(hidden),
        Dropout(0.4),
        Dense(6, 5, activation=hidden, dtype=dtype, seed=1),
        Dense(5, n_out, activation=output, dtype=dtype, seed=2),
    ]


def fitted(labels_or_Y, n_out, output, dtype, hidden="relu", n0=4, m=40, seed=0, loss=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n0, m)).astype(dtype)
    network = vecnn.Network(stack(n0, hidden, n_out, output, dtype), seed=0)
    network.fit(X, labels_or_Y(rng, m), loss=loss, epochs=1, batch_size=16, verbose=0)
    return perturb(network)


def data(n0, m, dtype, seed=5):
    return np.random.default_rng(seed).normal(scale=1.5, size=(n0, m)).astype(dtype)


def check_against_vecnn(network, tmp_path, dtype, n0=4):
    """Export, check, and compare with predict_proba / predict at batch sizes 1 and 37."""
    path = vecnn.onnx.export(network, tmp_path / "model.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert {node.op_type for node in model.graph.node} <= STANDARD_OPS
    assert all(node.domain in ("", "ai.onnx") for node in model.graph.node)
    used = {name for node in model.graph.node for name in node.input}
    assert {init.name for init in model.graph.initializer} <= used
    (inp,) = model.graph.input
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    expected_elem = onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE
    assert inp.type.tensor_type.elem_type == expected_elem
    tol = TOL[dtype]
    for m in (1, 37):
        X = data(n0, m, dtype)
        out = run_onnx(model, np.ascontiguousarray(X.T))
        A = network.predict_proba(X)
        task = network.task
        if task == "regression":
            assert set(out) == {"prediction"}
            assert out["prediction"].dtype == dtype and out["prediction"].shape == (m, A.shape[0])
            np.testing.assert_allclose(out["prediction"], A.T, rtol=tol, atol=tol)
            continue
        assert set(out) == {"probabilities", "label"}
        proba, label = out["probabilities"], out["label"]
        assert proba.dtype == dtype
        predicted = network.predict(X)
        if task == "binary":
            np.testing.assert_allclose(proba, np.vstack([1 - A, A]).T, rtol=tol, atol=tol)
            sure = np.abs(A[0] - 0.5) > 1e-4
        elif task == "multiclass":
            np.testing.assert_allclose(proba, A.T, rtol=tol, atol=tol)
            top = np.sort(A, axis=0)
            sure = top[-1] - top[-2] > 1e-4
        else:  # multilabel
            np.testing.assert_allclose(proba, A.T, rtol=tol, atol=tol)
            assert label.dtype == np.int64 and label.shape == (m, A.shape[0])
            sure = np.all(np.abs(A - 0.5) > 1e-4, axis=0)
            assert m == 1 or sure.any()
            assert np.array_equal(label[sure], predicted.T[sure])
            continue
        assert label.shape == (m,)
        assert m == 1 or sure.any()
        assert label[sure].tolist() == predicted[sure].tolist()
    return model


def string_labels(classes):
    return lambda rng, m: np.array(classes)[np.arange(m) % len(classes)]


def int_labels(classes):
    return lambda rng, m: np.array(classes)[np.arange(m) % len(classes)]


# ----------------------------------------------------------------- every head, both dtypes
HEADS = {
    "binary-string": (string_labels(["no", "yes"]), 1, "sigmoid", "binary"),
    "binary-int": (int_labels([3, 7]), 1, "sigmoid", "binary"),
    "softmax-string": (string_labels(["ant", "bee", "cat"]), 3, "softmax", "multiclass"),
    "softmax-int": (int_labels([10, 20, 30, 40]), 4, "softmax", "multiclass"),
    "ovr-sigmoid": (string_labels(["x", "y", "z"]), 3, "sigmoid", "multiclass"),
    "multilabel": (lambda rng, m: (rng.random((3, m)) < 0.5) * 1.0, 3, "sigmoid", "multilabel"),
    "regression-1": (lambda rng, m: rng.normal(size=m), 1, "linear", "regression"),
    "regression-3": (lambda rng, m: rng.normal(size=(3, m)), 3, "linear", "regression"),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("head", list(HEADS))
def test_every_head_matches_vecnn(head, dtype, tmp_path):
    labels, n_out, output, task = HEADS[head]
    network = fitted(labels, n_out, output, dtype)
    assert network.task == task
    model = check_against_vecnn(network, tmp_path, dtype)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["vecnn.task"] == network.task
    if network.task in ("binary", "multiclass"):
        assert json.loads(props["vecnn.classes"]) == network.classes_.tolist()
        label = next(o for o in model.graph.output if o.name == "label")
        elem = label.type.tensor_type.elem_type
        is_text = network.classes_.dtype.kind == "U"
        assert elem == (onnx.TensorProto.STRING if is_text else onnx.TensorProto.INT64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_every_activation_matches_vecnn(hidden, dtype, tmp_path):
    network = fitted(string_labels(["a", "b", "c"]), 3, "softmax", dtype, hidden=hidden)
    model = check_against_vecnn(network, tmp_path, dtype)
    ops = [node.op_type for node in model.graph.node]
    op = {"linear": "Identity", "relu": "Relu", "leaky_relu": "LeakyRelu"}.get(
        hidden, hidden.capitalize()
    )
    assert ops.count(op) >= 2
    assert "BatchNormalization" in ops and "Gemm" in ops


@pytest.mark.parametrize("output", ACTIVATIONS)
def test_every_output_activation_for_regression(output, tmp_path):
    Y = lambda rng, m: rng.uniform(0.1, 0.9, size=(2, m))  # noqa: E731
    network = fitted(Y, 2, output, np.float32, loss="mse")
    assert network.task == "regression"
    check_against_vecnn(network, tmp_path, np.float32)


@pytest.mark.parametrize(
    "classes, elem",
    [([False, True], "BOOL"), ([1.0, 2.0, 4.0], "DOUBLE"), (np.array([2, 9], np.uint8), "INT64")],
)
def test_bool_float_and_unsigned_labels_keep_their_values(classes, elem, tmp_path):
    n_out = 1 if len(classes) == 2 else len(classes)
    network = fitted(int_labels(classes), n_out, "sigmoid" if n_out == 1 else "softmax", np.float32)
    model = check_against_vecnn(network, tmp_path, np.float32)
    label = next(o for o in model.graph.output if o.name == "label")
    assert label.type.tensor_type.elem_type == getattr(onnx.TensorProto, elem)


def test_export_gives_the_inference_graph_and_keeps_the_mode(tmp_path):
    network = fitted(string_labels(["a", "b"]), 1, "sigmoid", np.float32)
    network.train()
    model = vecnn.onnx.to_onnx(network)
    assert network.training  # export did not switch the network to eval
    X = data(4, 20, np.float32)
    out = run_onnx(model, np.ascontiguousarray(X.T))
    A = network.predict_proba(X)  # inference: dropout off, running statistics
    np.testing.assert_allclose(out["probabilities"][:, 1], A[0], rtol=1e-5, atol=1e-5)
    graph_ops = [node.op_type for node in model.graph.node]
    assert graph_ops.count("Identity") >= 1 and "BatchNormalization" in graph_ops


def test_an_unfitted_network_and_a_plain_sequential(tmp_path):
    network = vecnn.Network.from_sizes([3, 4, 2], output="softmax", seed=0)  # classes 0, 1
    out = run_onnx(vecnn.onnx.to_onnx(network), data(3, 9, np.float32).T.copy())
    assert out["label"].dtype == np.int64
    assert out["label"].tolist() == network.predict(data(3, 9, np.float32)).tolist()
    stack_only = Sequential.from_sizes([3, 4, 2], output="tanh", seed=0)
    X = data(3, 9, np.float32)
    out = run_onnx(vecnn.onnx.to_onnx(stack_only), np.ascontiguousarray(X.T))
    assert set(out) == {"output"}
    np.testing.assert_allclose(out["output"], stack_only.eval()(X).data.T, atol=1e-5)


def test_opsets(tmp_path):
    network = fitted(string_labels(["a", "b", "c"]), 3, "softmax", np.float32)
    X = np.ascontiguousarray(data(4, 5, np.float32).T)
    assert vecnn.onnx.to_onnx(network).opset_import[0].version == vecnn.onnx.DEFAULT_OPSET == 17
    reference = run_onnx(vecnn.onnx.to_onnx(network), X)
    for opset in (vecnn.onnx.MIN_OPSET, 15, 21):
        model = vecnn.onnx.to_onnx(network, opset=opset)
        assert model.opset_import[0].version == opset
        out = run_onnx(model, X)
        np.testing.assert_array_equal(out["probabilities"], reference["probabilities"])
    for bad in (12, 10_000, "17", 17.0, True):
        with pytest.raises(ValueError, match="opset"):
            vecnn.onnx.export(network, tmp_path / "bad.onnx", opset=bad)
    assert not (tmp_path / "bad.onnx").exists()


# ------------------------------------------------------------------- model files, estimators
def test_a_library_model_file_and_a_model_file_object(tmp_path):
    network = fitted(int_labels([0, 1, 2]), 3, "softmax", np.float64)
    saved = vecnn.save(network, tmp_path / "net.vecnn")
    X = data(4, 11, np.float64)
    for source in (saved, str(saved), vecnn.io.read(saved)):
        out = run_onnx(vecnn.onnx.to_onnx(source), np.ascontiguousarray(X.T))
        np.testing.assert_allclose(out["probabilities"], network.predict_proba(X).T, atol=1e-9)
        assert out["label"].tolist() == network.predict(X).tolist()


class FakeClassifier:
    """What vecnn.sklearn's estimators look like from here: rows in, network_ fitted."""

    def __init__(self, network=None, classes=None):
        if network is not None:
            self.network_ = network
        if classes is not None:
            self.classes_ = classes

    def fit(self, X, y):  # pragma: no cover - only its presence matters
        return self

    def get_params(self, deep=True):  # pragma: no cover
        return {}


def test_an_estimator_exports_its_network_with_its_classes(tmp_path):
    network = fitted(int_labels([0, 1]), 1, "sigmoid", np.float32)
    estimator = FakeClassifier(network, classes=np.array(["cold", "hot"]))
    X = data(4, 13, np.float32)
    out = run_onnx(vecnn.onnx.to_onnx(estimator), np.ascontiguousarray(X.T))
    expected = np.array(["cold", "hot"])[network.predict(X)]
    assert out["label"].tolist() == expected.tolist()
    with pytest.raises(ValueError, match="not fitted"):
        vecnn.onnx.to_onnx(FakeClassifier())


SKLEARN_CASES = {
    "binary-strings": ("MLPClassifier", {}, lambda X: np.where(X[:, 0] > 0, "pos", "neg")),
    "softmax": ("MLPClassifier", {"batch_norm": True, "dropout": 0.2}, None),
    "ovr": ("MLPClassifier", {"head": "ovr", "activation": "tanh"}, None),
    "multilabel": ("MLPClassifier", {}, lambda X: (X[:, :3] > 0).astype(int)),
    "neuron-threshold": ("NeuronClassifier", {"threshold": 0.7}, lambda X: X[:, 1] > 0),
    "regressor": ("MLPRegressor", {}, lambda X: X @ [1.0, -2.0, 0.5, 3.0]),
    "regressor-2": ("MLPRegressor", {}, lambda X: X[:, :2] * [10.0, -1.0]),
}


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(SKLEARN_CASES))
def test_vecnn_sklearn_estimators_match_their_predictions(case, dtype):
    pytest.importorskip("sklearn")
    sklearn_api = pytest.importorskip("vecnn.sklearn")
    name, params, target = SKLEARN_CASES[case]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(dtype)
    y = target(X) if target else np.array([3, 5, 8])[np.argmax(X[:, :3], axis=1)]
    kwargs = {"max_iter": 3, "random_state": 0, **params}
    if name != "NeuronClassifier":
        kwargs["hidden_layer_sizes"] = (6,)
    estimator = getattr(sklearn_api, name)(**kwargs).fit(X, y)
    model = vecnn.onnx.to_onnx(estimator)
    assert {node.op_type for node in model.graph.node} <= STANDARD_OPS
    for rows in (X[:1], X):
        out = run_onnx(model, rows.astype(estimator.network_.dtype))
        if name == "MLPRegressor":
            want = estimator.predict(rows).reshape(len(rows), -1)
            np.testing.assert_allclose(out["prediction"], want, rtol=1e-5, atol=1e-5)
            continue
        np.testing.assert_allclose(
            out["probabilities"], estimator.predict_proba(rows), rtol=1e-5, atol=1e-5
        )
        assert out["label"].tolist() == estimator.predict(rows).tolist()


# ------------------------------------------------------------- model files from vecnn train
def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def train(tmp_path, name, header, rows, target, *extra):
    data_path = write_csv(tmp_path / f"{name}.csv", header, rows)
    out = tmp_path / name
    argv = ["train", str(data_path), "--target", target, "--epochs", "3", "--quiet"]
    code = main([*argv, "--out", str(out), "--layers", "8", *extra])
    assert code == 0
    return out / "model.vecnn", data_path


def cli_predictions(model_path, data_path, tmp_path):
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model_path), str(data_path), "-o", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rows_of(data_path, columns):
    with open(data_path, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    return np.array(
        [[float(row[c]) if row[c] != "" else np.nan for c in columns] for row in table],
        dtype=np.float32,
    )


def test_a_cli_classifier_with_imputation_matches_vecnn_predict(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        x = rng.normal(size=3) * [1.0, 20.0, 0.1] + [0.0, 100.0, 5.0]
        label = ["setosa", "versicolor", "virginica"][i % 3]
        cells = [f"{v:.4f}" for v in x] + [label]
        if i % 7 == 0:
            cells[1] = ""  # missing, filled with the training mean (--impute mean)
        rows.append(cells)
    header = ["sepal", "petal", "width", "species"]
    model_path, data_path = train(tmp_path, "iris", header, rows, "species", "--impute", "mean")
    onnx_path = tmp_path / "iris.onnx"
    assert run(argparse.Namespace(model=str(model_path), output=str(onnx_path), opset=None)) == 0
    printed = capsys.readouterr().out
    assert "input  input (batch, 3) float32: sepal, petal, width" in printed
    assert "label (batch,) string" in printed
    model = onnx.load(str(onnx_path))
    onnx.checker.check_model(model, full_check=True)
    X = rows_of(data_path, header[:3])
    assert np.isnan(X).any()
    expected = cli_predictions(model_path, data_path, tmp_path)
    classes = ["setosa", "versicolor", "virginica"]
    for batch in (X[:1], X):
        out = run_onnx(model, batch)
        want = expected[: len(batch)]
        proba = np.array([[float(row[f"proba_{c}"]) for c in classes] for row in want])
        np.testing.assert_allclose(out["probabilities"], proba, rtol=1e-5, atol=1e-5)
        assert out["label"].tolist() == [row["prediction"] for row in want]


def test_a_cli_binary_model_with_numeric_labels(tmp_path):
    rng = np.random.default_rng(1)
    rows = [[f"{v:.3f}" for v in rng.normal(size=2) + (i % 2)] + [i % 2] for i in range(40)]
    model_path, data_path = train(tmp_path, "bin", ["a", "b", "y"], rows, "y")
    out = run_onnx(vecnn.onnx.to_onnx(model_path), rows_of(data_path, ["a", "b"]))
    expected = cli_predictions(model_path, data_path, tmp_path)
    assert out["label"].tolist() == [row["prediction"] for row in expected]  # "0" and "1"
    proba = np.array([[float(row["proba_0"]), float(row["proba_1"])] for row in expected])
    np.testing.assert_allclose(out["probabilities"], proba, rtol=1e-5, atol=1e-5)


def test_a_cli_regression_model_predicts_in_the_targets_units(tmp_path):
    rng = np.random.default_rng(2)
    rows = []
    for _ in range(50):
        x = rng.normal(size=2)
        rows.append([f"{x[0]:.4f}", f"{x[1]:.4f}", f"{300 + 40 * x[0] - 10 * x[1]:.3f}"])
    model_path, data_path = train(tmp_path, "reg", ["u", "v", "price"], rows, "price")
    model = vecnn.onnx.to_onnx(model_path)
    assert [o.name for o in model.graph.output] == ["prediction"]
    expected = np.array(
        [float(row["prediction"]) for row in cli_predictions(model_path, data_path, tmp_path)]
    )
    X = rows_of(data_path, ["u", "v"])
    for batch, want in ((X[:1], expected[:1]), (X, expected)):
        out = run_onnx(model, batch)["prediction"]
        assert out.shape == (len(batch), 1)
        np.testing.assert_allclose(out[:, 0], want, rtol=1e-5, atol=1e-5)


def test_a_categorical_column_is_refused_by_name(tmp_path):
    rows = [[f"{i / 10:.1f}", ["red", "green"][i % 2], i % 2] for i in range(30)]
    model_path, _ = train(tmp_path, "cat", ["size", "colour", "y"], rows, "y")
    with pytest.raises(ValueError, match="'colour' is categorical"):
        vecnn.onnx.export(model_path, tmp_path / "cat.onnx")
    assert not (tmp_path / "cat.onnx").exists()
    with pytest.raises(ValueError, match="colour"):
        run(argparse.Namespace(model=str(model_path), output=str(tmp_path / "c.onnx"), opset=None))


# --------------------------------------------------------------------------- refusals, CLI
class Scale(Layer):
    kind = "Scale"

    def forward(self, A_prev):
        return A_prev * 2.0

    def config(self):
        return {}


class DoubledDense(Dense):
    def forward(self, A_prev):
        return super().forward(A_prev) * 2.0


def test_unsupported_constructs_are_named():
    network = vecnn.Network([Dense(3, 4, "relu"), Scale(), Dense(4, 1, "sigmoid")], seed=0)
    with pytest.raises(ValueError, match=r"layer 2 \(Scale\) cannot be exported"):
        vecnn.onnx.to_onnx(network)
    subclass = vecnn.Network([DoubledDense(3, 4, "relu"), Dense(4, 1, "sigmoid")], seed=0)
    with pytest.raises(ValueError, match=r"layer 1 \(DoubledDense\)"):
        vecnn.onnx.to_onnx(subclass)
    unknown = vecnn.Network([Dense(3, 4, "relu"), Dense(4, 1, "sigmoid")], seed=0)
    unknown.layers[0].activation = "swish"
    with pytest.raises(ValueError, match=r"layer 1 \(Dense\): activation 'swish'"):
        vecnn.onnx.to_onnx(unknown)
    mixed = vecnn.Network([Dense(3, 4, dtype="float32"), Dense(4, 1, dtype="float64")], seed=0)
    with pytest.raises(ValueError, match=r"layer 2 \(Dense\) is float64"):
        vecnn.onnx.to_onnx(mixed)
    with pytest.raises(TypeError, match="export takes"):
        vecnn.onnx.to_onnx(42)


def test_without_onnx_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    network = vecnn.Network.from_sizes([2, 1], seed=0)
    with pytest.raises(ImportError, match=r"pip install vecnn\[onnx\]"):
        vecnn.onnx.export(network, tmp_path / "x.onnx")
    saved = vecnn.save(network, tmp_path / "x.vecnn")
    args = argparse.Namespace(model=str(saved), output=str(tmp_path / "x.onnx"), opset=None)
    assert run(args) == 1


def test_the_export_command_parses_its_arguments(tmp_path):
    from vecnn.cli import _Parser

    parser = argparse.ArgumentParser(prog="vecnn")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    add_parser(commands)
    args = parser.parse_args(["export", "m.vecnn", "out.onnx", "--opset", "15"])
    assert (args.command, args.model, args.output, args.opset) == (
        "export",
        "m.vecnn",
        "out.onnx",
        15,
    )
    assert parser.parse_args(["export", "m.vecnn", "out.onnx"]).opset is None
    network = vecnn.Network.from_sizes([2, 3, 1], seed=0)
    saved = vecnn.save(network, tmp_path / "net.vecnn")
    args = parser.parse_args(["export", str(saved), str(tmp_path / "n.onnx"), "--opset", "13"])
    assert run(args) == 0
    assert onnx.load(str(tmp_path / "n.onnx")).opset_import[0].version == 13


def test_vecnn_export_on_the_command_line(tmp_path, capsys):
    saved = vecnn.save(vecnn.Network.from_sizes([2, 1], seed=0), tmp_path / "n.vecnn")
    assert main(["export", str(saved), str(tmp_path / "n.onnx")]) == 0
    assert Path(tmp_path / "n.onnx").exists()
    assert main(["export", str(saved), str(tmp_path / "m.onnx"), "--opset", "3"]) == 1
    assert "opset 3 is not supported" in capsys.readouterr().err
