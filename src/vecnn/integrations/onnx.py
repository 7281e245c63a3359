"""Export to ONNX: a network as a graph of standard operators that takes ROWS.

vecnn's examples are columns (``A[l] = g(W[l] A[l-1] + b[l])``, ``A[l]`` is ``(n[l], m)``);
deployment runtimes feed one example per row, ``(batch, n[0])``, so the graph computes the
transposed equations ``A[l]ᵀ = g(A[l-1]ᵀ W[l]ᵀ + b[l]ᵀ)``: one ``Gemm`` with ``transB=1``
per dense layer (``W[l]`` is stored as it is, ``(n[l], n[l-1])``; ``b[l]`` as ``(n[l],)``).

The graph (input ``input``, ``(batch, n[0])``, float32, or float64 for a float64 network;
the batch dimension is dynamic):

- a model file written by ``vecnn train``: the numeric feature columns, in the order the
  metadata ``vecnn.inputs`` lists, filled where the model imputes (a missing value is a
  NaN: ``Where(IsNaN)``) and standardized (``Sub`` mean, ``Div`` std) inside the graph. A
  NaN in a column the model does not impute gives NaN probabilities and a meaningless
  label (``vecnn predict`` refuses such a row);
- each layer adds its own nodes (``Layer.onnx_nodes``, through the ``_Graph`` builder
  passed in, so that layers never import onnx): ``Dense``: ``Gemm`` then its activation;
  ``Activation``: the operator; ``Dropout``: ``Identity`` (inference); ``BatchNorm``:
  ``BatchNormalization`` with the running statistics (inference form). Activations:
  ``Identity`` (linear), ``Sigmoid``, ``Tanh``, ``Relu``, ``LeakyRelu`` (alpha 0.01),
  ``Softmax`` (axis 1: over the units of a row);
- the head, after ``A[L]`` (``a`` for the one unit of a binary network):

  - binary: ``probabilities (batch, 2) = Concat(1 − a, a)`` and
    ``label (batch,) = Gather(classes, Cast(a ≥ θ))``, ``θ = 0.5`` (a ``NeuronClassifier``
    of ``vecnn.sklearn``: its ``threshold``);
  - multi-class (softmax or one-vs-rest sigmoid units): ``probabilities = A[L]``
    ``(batch, K)`` (a ``vecnn.sklearn`` estimator's one-vs-rest units divided by their sum,
    ``ReduceSum``, as its ``predict_proba``) and
    ``label (batch,) = Gather(classes, ArgMax(A[L], axis 1))``;
  - multi-label: ``probabilities (batch, K)`` and ``label (batch, K)`` int64, ``a ≥ 0.5``;
  - regression: ``prediction (batch, n[L])``, for a model file from ``vecnn train`` back
    in the target's units (``Mul`` std, ``Add`` mean);
  - a plain ``Sequential`` (no task): ``output (batch, n[L]) = A[L]``.

  ``label`` holds the classes themselves: a string tensor for text labels, int64 for
  integers (also bool or float labels keep their type).

Anything that cannot be exported faithfully (a layer without ``onnx_nodes``, or a subclass
that computes its forward otherwise than the class whose nodes it would inherit, a
categorical feature, mixed dtypes) is refused with a ``ValueError`` that names it; the
model is checked with ``onnx.checker.check_model`` before it is written. ``onnx`` is
imported only when used.
"""

from __future__ import annotations

import json
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from vecnn._version import __version__
from vecnn.backend.host import Array, xp
from vecnn.io import atomic_write_bytes, read
from vecnn.nn import Layer, Sequential
from vecnn.nn.activation import LEAKY_RELU_ALPHA
from vecnn.preprocessing import CategoricalFeature, NumericFeature, Preprocessor
from vecnn.train.network import Network

if TYPE_CHECKING:  # onnx stays an optional import, made only when exporting
    from onnx import ModelProto, ValueInfoProto

DEFAULT_OPSET = 17
"""The opset written when none is asked for (onnxruntime ≥ 1.13 runs it)."""

MIN_OPSET = 13
"""The oldest opset the graph can be written in (``Squeeze`` with axes as an input)."""

THRESHOLD = 0.5
"""``Network.predict``'s default: a sigmoid unit fires where ``a ≥ 0.5``."""

INPUT = "input"

_ACTIVATION_OPS: dict[str, tuple[str, dict[str, Any]]] = {
    "linear": ("Identity", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_RELU_ALPHA}),
    "softmax": ("Softmax", {"axis": 1}),
}


def _require_onnx() -> ModuleType:
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError(
            f"exporting to ONNX needs the onnx package ({error}): pip install vecnn[onnx]"
        ) from error
    return onnx


# ----------------------------------------------------------------------- what is exported
@dataclass
class _Source:
    """The network to export and what surrounds it (a model file's preprocessing)."""

    network: Sequential
    task: str | None = None  # None: a plain Sequential, exported as its output A[L]
    classes: Array | None = None
    features: list[NumericFeature] | None = None
    target_mean: list[float] | None = None
    target_std: list[float] | None = None
    threshold: float | list[float] = THRESHOLD  # sigmoid units fire where a ≥ threshold
    normalize: bool = False  # one-vs-rest units divided by their sum (as vecnn.sklearn does)
    notes: dict[str, str] = field(default_factory=dict)


def _resolve(model: Any) -> _Source:
    """A ``_Source`` from a network, an estimator, a model file or its path."""
    if isinstance(model, (str, os.PathLike)):
        model = read(model)
    if isinstance(model, Sequential):
        return _from_network(model)
    if hasattr(model, "network_"):  # a fitted estimator of vecnn.sklearn: rows already
        network = model.network_
        if not isinstance(network, Sequential):
            raise TypeError(
                f"{type(model).__name__}.network_ is a {type(network).__name__}, not a vecnn "
                "network"
            )
        source = _from_network(network, getattr(model, "classes_", None))
        threshold = getattr(model, "threshold", None)  # NeuronClassifier's θ
        if source.task == "binary" and isinstance(threshold, numbers.Real):
            if not 0 < threshold < 1:
                raise ValueError(f"the estimator's threshold must be in (0, 1); got {threshold}")
            source.threshold = float(threshold)
        # scikit-learn's predict_proba of one-vs-rest sigmoid units sums to 1 over a row
        source.normalize = source.task == "multiclass" and network.output_activation == "sigmoid"
        return source
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        raise ValueError(
            f"this {type(model).__name__} is not fitted (it has no network_): call fit first"
        )
    if hasattr(model, "network") and hasattr(model, "preprocessing"):  # a ModelFile, a Model
        source = _from_network(model.network)
        preprocessing = model.preprocessing
        if preprocessing is not None:
            if isinstance(preprocessing, dict):
                preprocessing = Preprocessor.from_config(preprocessing)
            _add_preprocessing(source, preprocessing)
        return source
    raise TypeError(
        "export takes a vecnn.Network (or Sequential), a fitted vecnn.sklearn estimator, a "
        f"ModelFile (vecnn.io.read) or the path of a model file; got {type(model).__name__}"
    )


def _from_network(network: Sequential, classes: Any = None) -> _Source:
    if not isinstance(network, Network):
        return _Source(network)
    task = network.task
    if task in ("binary", "multiclass"):
        if classes is None:
            classes = network.classes_
        if classes is None:  # what Network.predict maps to before fit has seen labels
            classes = xp.arange(2 if network.n_outputs == 1 else network.n_outputs)
        classes = xp.asarray(classes)
        expected = 2 if task == "binary" else network.n_outputs
        if classes.ndim != 1 or len(classes) != expected:
            raise ValueError(
                f"a {task} network with n[L] = {network.n_outputs} output units needs "
                f"{expected} classes; classes_ is {classes.tolist()!r}"
            )
    else:
        classes = None
    if task == "binary" and network.n_outputs != 1:
        raise ValueError(f"a binary network has one output unit; this one has {network.n_outputs}")
    return _Source(network, task, classes, threshold=network.threshold)


def _add_preprocessing(source: _Source, preprocessing: Preprocessor) -> None:
    categorical = [f.name for f in preprocessing.features if isinstance(f, CategoricalFeature)]
    if categorical:
        names = ", ".join(repr(name) for name in categorical)
        raise ValueError(
            f"cannot export to ONNX: the feature column{'s' if len(categorical) > 1 else ''} "
            f"{names} {'are' if len(categorical) > 1 else 'is'} categorical (one-hot encoded "
            "from text), which this version does not export; only models whose features are "
            "all numeric can be exported"
        )
    unknown = [f for f in preprocessing.features if not isinstance(f, NumericFeature)]
    if unknown:
        raise ValueError(
            f"cannot export to ONNX: feature {getattr(unknown[0], 'name', '?')!r} is a "
            f"{type(unknown[0]).__name__}, not a numeric feature"
        )
    features = list(preprocessing.features)
    if len(features) != source.network.n_features:
        raise ValueError(
            f"the preprocessing makes {len(features)} features but the network takes "
            f"n[0] = {source.network.n_features}"
        )
    source.features = features
    target = preprocessing.target
    if target is None:
        return
    if source.task is not None and target.task != source.task:
        raise ValueError(
            f"the model file's target is {target.task} but its network is {source.task}"
        )
    if target.task == "regression":
        n = source.network.n_outputs
        if len(target.mean or []) != n or len(target.std or []) != n:
            raise ValueError(f"the target's mean and std must have one value per output ({n})")
        source.target_mean, source.target_std = list(target.mean), list(target.std)
    source.notes["vecnn.target"] = json.dumps(target.names)


# --------------------------------------------------------------------------- the graph
class _Graph:
    """Nodes and initializers, with unique names: the builder ``Layer.onnx_nodes`` gets."""

    def __init__(self, onnx: ModuleType, dtype: xp.dtype) -> None:
        self.onnx, self.helper = onnx, onnx.helper
        self.dtype = xp.dtype(dtype)
        self.elem = onnx.helper.np_dtype_to_tensor_dtype(self.dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.used: set[str] = {INPUT}

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def constant(self, base: str, values: Any, dtype: Any = None) -> str:
        name = self.fresh(base)
        array = xp.ascontiguousarray(xp.asarray(values, dtype=dtype or self.dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def strings(self, base: str, values: list[str]) -> str:
        name = self.fresh(base)
        data = [value.encode("utf-8") for value in values]
        self.initializers.append(
            self.helper.make_tensor(name, self.onnx.TensorProto.STRING, [len(data)], data)
        )
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        """Add ``op``; its output is named ``output`` when free (graph outputs keep theirs)."""
        out = self.fresh(output)
        self.nodes.append(
            self.helper.make_node(op, inputs, [out], name=self.fresh(f"{op}_{out}"), **attributes)
        )
        return out

    def activation(self, name: str, Z: str, output: str) -> str:
        """The node of the activation ``name`` on ``Z``; a ValueError for one ONNX lacks."""
        if name not in _ACTIVATION_OPS:
            known = ", ".join(_ACTIVATION_OPS)
            raise ValueError(f"activation {name!r} cannot be exported (known: {known})")
        op, attributes = _ACTIVATION_OPS[name]
        return self.node(op, [Z], output, **attributes)


def _check_dtypes(network: Sequential) -> xp.dtype:
    dtype = network.dtype
    for position, layer in enumerate(network.layers, start=1):
        arrays = [t.data for t in layer.params.values()] + list(layer.buffer_arrays.values())
        for array in arrays:
            if array.dtype != dtype:
                raise ValueError(
                    f"layer {position} ({layer.kind}) is {array.dtype} but the network is "
                    f"{dtype}: a graph has one float type; make every layer {dtype}"
                )
    return dtype


def _defined_in(cls: type, name: str) -> type:
    """The class of ``cls``'s MRO whose body defines ``name``."""
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _exports_faithfully(layer: Layer) -> bool:
    """True when the layer's ``onnx_nodes`` are its own: defined by a layer class that is
    the class defining its ``forward`` or a subclass of it (a subclass that overrides only
    ``forward`` computes something its inherited nodes do not)."""
    nodes = _defined_in(type(layer), "onnx_nodes")
    return nodes is not Layer and issubclass(nodes, _defined_in(type(layer), "forward"))


def _layers(graph: _Graph, network: Sequential, current: str) -> str:
    """The nodes of every layer, from ``current`` (rows of ``A[0]``) to ``A[L]``."""
    for position, (l, layer) in enumerate(network.numbered_layers(), start=1):
        where = f"layer {position} ({type(layer).__name__})"
        if not _exports_faithfully(layer):
            raise ValueError(
                f"{where} cannot be exported to ONNX: its class defines no onnx_nodes for "
                "the forward it computes"
            )
        try:
            current = layer.onnx_nodes(graph, current, l)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return current


def _standardize(graph: _Graph, features: list[NumericFeature]) -> str:
    current = INPUT
    if any(f.fill is not None for f in features):  # --impute: a missing value (NaN) is filled
        fill = [float("nan") if f.fill is None else f.fill for f in features]
        missing = graph.node("IsNaN", [current], "missing")
        current = graph.node("Where", [missing, graph.constant("fill", fill), current], "filled")
    centered = graph.node(
        "Sub", [current, graph.constant("feature_mean", [f.mean for f in features])], "centered"
    )
    return graph.node(
        "Div", [centered, graph.constant("feature_std", [f.std for f in features])], "A_0"
    )


def _classes(graph: _Graph, classes: Array) -> tuple[str, int]:
    """The constant tensor of class labels and its ONNX element type."""
    values = classes.tolist()
    tensor = graph.onnx.TensorProto
    if all(isinstance(v, str) for v in values):
        return graph.strings("classes", values), tensor.STRING
    if all(isinstance(v, (bool, xp.bool_)) for v in values):
        return graph.constant("classes", values, xp.bool_), tensor.BOOL
    if all(isinstance(v, numbers.Integral) for v in values):
        if not all(-(2**63) <= int(v) < 2**63 for v in values):
            raise ValueError(f"class labels {values} do not fit in int64")
        return graph.constant("classes", [int(v) for v in values], xp.int64), tensor.INT64
    if all(isinstance(v, numbers.Real) for v in values):
        dtype = classes.dtype if classes.dtype.kind == "f" else xp.dtype(xp.float64)
        elem = graph.helper.np_dtype_to_tensor_dtype(dtype)
        return graph.constant("classes", [float(v) for v in values], dtype), elem
    raise ValueError(
        f"class labels {values[:10]} are not all text, integers or numbers: ONNX needs one "
        "type for the label tensor"
    )


def _head(graph: _Graph, source: _Source, A: str) -> list[Any]:
    """The output nodes after ``A[L]``; returns the graph's output value infos."""
    helper, n = graph.helper, source.network.n_outputs
    task, int64 = source.task, graph.onnx.TensorProto.INT64

    def output(name: str, elem: int, shape: list[str | int]) -> ValueInfoProto:
        return helper.make_tensor_value_info(name, elem, shape)

    if task is None:
        graph.node("Identity", [A], "output")
        return [output("output", graph.elem, ["batch", n])]
    if task == "regression":
        if source.target_mean is not None:
            scaled = graph.node(
                "Mul", [A, graph.constant("target_std", source.target_std)], "A_std"
            )
            graph.node(
                "Add", [scaled, graph.constant("target_mean", source.target_mean)], "prediction"
            )
        else:
            graph.node("Identity", [A], "prediction")
        return [output("prediction", graph.elem, ["batch", n])]
    if task == "multilabel":
        graph.node("Identity", [A], "probabilities")
        theta = graph.constant("threshold", source.threshold)
        fired = graph.node("GreaterOrEqual", [A, theta], "fired")
        graph.node("Cast", [fired], "label", to=int64)
        return [
            output("probabilities", graph.elem, ["batch", n]),
            output("label", int64, ["batch", n]),
        ]
    classes, label_elem = _classes(graph, source.classes)
    if task == "binary":
        complement = graph.node("Sub", [graph.constant("one", 1.0), A], "one_minus_a")
        graph.node("Concat", [complement, A], "probabilities", axis=1)
        theta = graph.constant("threshold", source.threshold)
        fired = graph.node("GreaterOrEqual", [A, theta], "fired")
        column = graph.node("Squeeze", [fired, graph.constant("axis_1", [1], xp.int64)], "fired_1d")
        index = graph.node("Cast", [column], "class_index", to=int64)
        K = 2
    elif task == "multiclass":
        if source.normalize:
            axes = graph.constant("axis_1", [1], xp.int64)
            total = graph.node("ReduceSum", [A, axes], "units_sum", keepdims=1)
            graph.node("Div", [A, total], "probabilities")
        else:
            graph.node("Identity", [A], "probabilities")
        index = graph.node("ArgMax", [A], "class_index", axis=1, keepdims=0)
        K = n
    else:
        raise ValueError(f"unknown task {task!r}: cannot export its head")
    graph.node("Gather", [classes, index], "label", axis=0)
    return [
        output("probabilities", graph.elem, ["batch", K]),
        output("label", label_elem, ["batch"]),
    ]


def _check_opset(onnx: ModuleType, opset: int | None) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset, bool) or not isinstance(opset, numbers.Integral):
        raise ValueError(f"opset must be an integer; got {opset!r}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset {opset} is not supported: vecnn exports opsets {MIN_OPSET} to {newest} "
            f"(the newest this onnx {onnx.__version__} knows); the default is {DEFAULT_OPSET}"
        )
    return int(opset)


# --------------------------------------------------------------------------- public API
def to_onnx(model: Any, opset: int | None = None) -> ModelProto:
    """The ``onnx.ModelProto`` of ``model`` (see ``export``), checked, not written."""
    onnx = _require_onnx()
    opset = _check_opset(onnx, opset)
    source = _resolve(model)
    network = source.network
    graph = _Graph(onnx, _check_dtypes(network))
    n0 = network.n_features
    current = INPUT if source.features is None else _standardize(graph, source.features)
    A = _layers(graph, network, current)
    outputs = _head(graph, source, A)
    inputs = (
        [f.name for f in source.features]
        if source.features is not None
        else [f"x{j}" for j in range(n0)]
    )
    helper = onnx.helper
    doc = (
        f"vecnn {type(network).__name__}, {source.task or 'no task'}: examples are rows; "
        f"input {INPUT} (batch, {n0}) {graph.dtype.name} = columns {', '.join(inputs)}"
    )
    onnx_graph = helper.make_graph(
        graph.nodes,
        "vecnn",
        [helper.make_tensor_value_info(INPUT, graph.elem, ["batch", n0])],
        outputs,
        graph.initializers,
        doc_string=doc,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        onnx_graph,
        opset_imports=opsets,
        producer_name="vecnn",
        producer_version=__version__,
        doc_string=doc,
    )
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    props = {
        "vecnn.task": source.task or "none",
        "vecnn.inputs": json.dumps(inputs),
        "vecnn.layout": "rows: input (batch, n[0]); the transpose of vecnn's X (n[0], m)",
    }
    if source.classes is not None:
        props["vecnn.classes"] = json.dumps(source.classes.tolist(), default=str)
    props.update(source.notes)
    helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: Any, path: str | os.PathLike[str], opset: int | None = None) -> Path:
    """Write ``model`` to ``path`` as an ONNX graph of standard operators; return the path.

    ``model`` is a ``vecnn.Network`` (or ``Sequential``), a fitted ``vecnn.sklearn``
    estimator (its ``network_``), a ``ModelFile`` or the path of a model file. The graph
    takes rows, ``input (batch, n[0])`` (float32, or float64 for a float64 network), and
    gives ``probabilities`` and ``label`` for a classifier, ``prediction`` for regression
    (the module's docstring has the layout). A model file from ``vecnn train`` keeps its
    standardization of the numeric columns in the graph (categorical columns are refused).
    ``opset`` defaults to ``DEFAULT_OPSET``. Anything that cannot be exported faithfully
    raises a ``ValueError`` naming it; the file is written atomically.
    """
    proto = to_onnx(model, opset)
    return atomic_write_bytes(path, proto.SerializeToString())


def describe(model: ModelProto | str | os.PathLike[str]) -> str:
    """The inputs and outputs of an ONNX model (a ``ModelProto`` or a path), one a line."""
    onnx = _require_onnx()
    if not hasattr(model, "graph"):
        model = onnx.load(os.fspath(model))
    props = {p.key: p.value for p in model.metadata_props}
    lines = [
        f"ONNX opset {max(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))}"
    ]
    for kind, values in (("input", model.graph.input), ("output", model.graph.output)):
        for value in values:
            tensor = value.type.tensor_type
            dims = [d.dim_param or str(d.dim_value) for d in tensor.shape.dim]
            shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
            if tensor.elem_type == onnx.TensorProto.STRING:
                elem = "string"
            else:
                elem = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
            line = f"  {kind:<6} {value.name} {shape} {elem}"
            if kind == "input" and "vecnn.inputs" in props:
                line += ": " + ", ".join(json.loads(props["vecnn.inputs"]))
            lines.append(line)
    return "\n".join(lines)
