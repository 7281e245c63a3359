"""The stack of layers ``A[0] = X → A[1] → … → A[L]``, described and checked in the notation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vecnn import ops
from vecnn.autodiff.flat import FlatParameters, ParameterList
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, as_float_array, dtype_name, float_dtype, to_device, to_numpy, xp
from vecnn.errors import ShapeError
from vecnn.nn.activation import Activation
from vecnn.nn.batchnorm import BatchNorm
from vecnn.nn.dense import Dense
from vecnn.nn.dropout import Dropout
from vecnn.nn.layer import Layer, Seed, as_generator

LAYER_TYPES: dict[str, type[Layer]] = {
    "Dense": Dense,
    "Activation": Activation,
    "Dropout": Dropout,
    "BatchNorm": BatchNorm,
}
"""The closed registry from which model files rebuild layers: no other type is ever made."""


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Let model files name ``cls`` by its ``kind`` (a class decorator, as Keras's
    ``register_keras_serializable``): only registered types are ever made from a file."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer takes a Layer subclass; got {cls!r}")
    known = LAYER_TYPES.get(cls.kind)
    if known is not None and known is not cls:
        raise ValueError(f"layer type {cls.kind!r} is already {known.__qualname__}")
    LAYER_TYPES[cls.kind] = cls
    return cls


class Sequential:
    """Layers applied in order to ``X (n[0], m)``, examples as columns.

    Parameters are named in the notation: ``W[l]`` and ``b[l]`` for the ``l``-th dense
    layer, ``gamma[l]``/``beta[l]`` for a batch norm that follows it. ``seed`` (an int, a
    ``numpy.random.Generator`` or None) starts the one generator that dropout (and, in
    ``Network.fit``, shuffling) draws from; dense layers made without a seed of their own
    draw their initial weights from it too, so the same seed gives the same network.
    """

    def __init__(self, layers: Iterable[Layer], seed: Seed = None) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("a network needs at least one layer")
        for position, layer in enumerate(layers, start=1):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layer {position} is a {type(layer).__name__}, not a vecnn layer "
                    f"(one of {', '.join(LAYER_TYPES)})"
                )
        self.layers: list[Layer] = layers
        self.rng = as_generator(seed)
        for layer in layers:
            if layer.stochastic:
                layer.rng = self.rng
            elif not layer.seeded and seed is not None:
                layer.reset_parameters(self.rng)  # so that the network's seed fixes every weight
                layer.seeded = True
        self.training = True
        self._names = self._number_layers()
        self._name_parameters()
        self.sizes = self._check_sizes()
        self._check_output_end()
        self.flat = FlatParameters(self.parameters())
        """The flat parameter and gradient buffers, one per dtype, that this network owns
        (each parameter's ``data`` is a view); optimizers built on ``parameters()`` step them."""

    # --------------------------------------------------------------- construction
    @classmethod
    def from_sizes(
        cls,
        sizes: Any,
        hidden: str = "relu",
        output: str = "sigmoid",
        seed: Seed = 0,
        init: str = "auto",
        dtype: Any = "float32",
    ) -> Sequential:
        """Dense layers ``n[0] → n[1] → … → n[L]``: ``hidden`` activations, then ``output``.

        ``from_sizes([n, 1], output="sigmoid")`` is the single neuron. One generator
        seeded with ``seed`` draws every layer's initial weights, so the same seed gives
        bit-identical weights.
        """
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list n[0] and at least one layer; got {sizes}")
        rng = as_generator(seed)
        activations = [hidden] * (len(sizes) - 2) + [output]
        layers = [
            Dense(n_in, n_out, activation=act, init=init, seed=rng, dtype=dtype)
            for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations, strict=True)
        ]
        return cls(layers, seed=rng)

    def _number_layers(self) -> list[str]:
        """The ``[l]`` suffix of each layer: dense layers count up, others take the last ``l``."""
        return [f"[{l}]" for l, _ in self.numbered_layers()]

    def numbered_layers(self) -> list[tuple[int, Layer]]:
        """Each layer with its ``l`` in the notation: the layers that start one (dense) count
        up from 1, the others take the ``l`` of the one before them (0 before the first)."""
        numbered, l = [], 0
        for layer in self.layers:
            l += layer.numbered
            numbered.append((l, layer))
        return numbered

    def _check_output_end(self) -> None:
        """Refuse dropout after a non-linear output layer: the losses take the logits
        ``Z[L]`` and apply ``g[L]`` themselves, which a dropout of ``A[L]`` would break."""
        if self.output_activation == "linear":
            return
        last = self.layers[-1]
        if last.final_activation is None:
            raise ValueError(
                f"layer {len(self.layers)} ({last.kind}) comes after the output activation "
                f"'{self.output_activation}'; put dropout before the last dense layer"
            )

    def _check_sizes(self) -> list[int]:
        """``[n[0], …, n[L]]``, checking that each layer's inputs match the previous outputs."""
        current: int | None = None
        sizes: list[int] = []
        for position, layer in enumerate(self.layers, start=1):
            if layer.n_in is not None:
                if current is not None and layer.n_in != current:
                    raise ShapeError(
                        f"layer {position} ({layer.kind}) takes n_in = {layer.n_in} inputs but "
                        f"the layer before it has {current} units"
                    )
                if current is None:
                    sizes.append(layer.n_in)
            if layer.n_out is not None:
                current = layer.n_out
                if layer.numbered:
                    sizes.append(current)
        if not sizes:
            raise ValueError("a network needs a layer that fixes its sizes, e.g. Dense")
        return sizes

    # --------------------------------------------------------------- description
    @property
    def n_features(self) -> int:
        """``n[0]``, the number of input features (rows of ``X``)."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """``n[L]``, the number of output units (rows of ``A[L]``)."""
        return self.sizes[-1]

    @property
    def output_activation(self) -> str:
        """``g[L]``: the activation of the last dense or activation layer."""
        for layer in reversed(self.layers):
            if layer.final_activation is not None:
                return layer.final_activation
        return "linear"

    @property
    def dtype(self) -> Any:
        """The dtype of the parameters (float32 unless the layers were made otherwise)."""
        for layer in self.layers:
            for tensor in layer.params.values():
                return tensor.data.dtype
        return float_dtype("float32")

    def named_parameters(self) -> dict[str, Tensor]:
        """Every trained Tensor by its name in the notation (``W[1]``, ``b[1]``, …)."""
        return {
            key + suffix: tensor
            for layer, suffix in zip(self.layers, self._names, strict=True)
            for key, tensor in layer.params.items()
        }

    def _name_parameters(self) -> None:
        """Give each trained Tensor its name in the notation, once, as the network is made
        (graphs and error messages show it)."""
        for name, tensor in self.named_parameters().items():
            tensor.name = name

    def parameters(self) -> list[Tensor]:
        """The trained Tensors in order: ``W[1], b[1], …, W[L], b[L]`` (a list that also
        hands over the network's flat buffers to an optimizer built on it)."""
        params = ParameterList(self.named_parameters().values())
        params.flat = getattr(self, "flat", None)
        return params

    def flat_grads(self) -> list[Array]:
        """The flat gradient buffers, one per dtype, after copying every parameter's
        ``grad`` into them (each ``grad`` then is a view of its buffer): what data-parallel
        training reduces, in place, before ``optimizer.step()``."""
        return self.flat.gather_grads()

    def named_buffers(self) -> dict[str, Array]:
        """State that is saved but not trained (batch norm's running statistics)."""
        return {
            key + suffix: array
            for layer, suffix in zip(self.layers, self._names, strict=True)
            for key, array in layer.buffer_arrays.items()
        }

    def summary(self, layout_note: bool = True) -> str:
        """One row per layer: its shapes in the notation, activation and parameter count.

        ``layout_note``: end with the reminder that examples are columns (and that with
        ``m = n[0]`` a transposed ``X`` fits unnoticed), for arrays passed by hand; the
        command line, which builds ``X`` itself, leaves it out.
        """
        header = ("layer", "type", "W[l]", "b[l]", "A[l]", "activation", "params")
        rows = [("0", "input", "", "", f"({self.n_features}, m)", "", "")]
        total = 0
        width: int | None = self.n_features
        for position, (layer, suffix) in enumerate(
            zip(self.layers, self._names, strict=True), start=1
        ):
            count = sum(p.size for p in layer.params.values())
            total += count
            width = layer.n_out if layer.n_out is not None else width
            W_shape, b_shape, activation = layer.summary_cells()
            rows.append(
                (
                    f"{position} {suffix}",
                    layer.kind,
                    W_shape,
                    b_shape,
                    f"({width}, m)",
                    activation,
                    f"{count:,}",
                )
            )
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        lines.append(f"total parameters: {total:,}   dtype: {self.dtype}")
        if not layout_note:
            return "\n".join(lines)
        lines.append(
            f"X is ({self.n_features}, m): examples are columns (with m = {self.n_features} "
            "a transposed X fits too, unseen by any shape check)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ---------------------------------------------------------------- computing
    def train(self, mode: bool = True) -> Sequential:
        """Training mode (dropout active, batch statistics) or, with ``False``, inference."""
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        """Inference mode: dropout off, batch norm's running statistics."""
        return self.train(False)

    def check_input(self, X: Any) -> Any:
        """``X`` as a float array or Tensor of shape ``(n[0], m)``; a ShapeError otherwise."""
        if not isinstance(X, Tensor):
            X = as_float_array(X, self.dtype)
        elif X.dtype != self.dtype:  # computed in the network's dtype, as an array would be
            X = ops.cast(X, self.dtype)
        n0 = self.n_features
        if X.ndim != 2:
            raise ShapeError(
                f"layer 1 expects X = A[0] of shape (n[0], m) = ({n0}, m), a matrix with one "
                f"example per column; got an array of shape {X.shape}. For a single example "
                "use x.reshape(-1, 1)"
            )
        if X.shape[0] != n0:
            hint = ""
            if X.shape[1] == n0:
                hint = " It looks like the examples are rows: pass X.T (examples are columns)."
            raise ShapeError(
                f"layer 1 expects X = A[0] of shape (n[0], m) = ({n0}, m); got {X.shape}: "
                f"{X.shape[0]} rows where n[0] = {n0} features were expected.{hint}"
            )
        return X

    def forward(self, X: Any) -> Tensor:
        """``A[L]`` for ``X (n[0], m)``: every layer in order, output activation included."""
        A = self.check_input(X)
        for layer in self.layers:
            A = layer.forward(A)
        return A if isinstance(A, Tensor) else Tensor._from_op(A, None)

    __call__ = forward

    def logits(self, X: Any) -> Tensor:
        """``Z[L]``: the forward pass without the output activation ``g[L]``.

        The fused losses take the logits (``binary_cross_entropy_with_logits``,
        ``softmax_cross_entropy_with_logits``), which is both faster and exact for any Z.
        """
        A = self.check_input(X)
        for layer in self.layers[:-1]:
            A = layer.forward(A)
        A = self.layers[-1].logits(A)
        return A if isinstance(A, Tensor) else Tensor._from_op(A, None)

    # ------------------------------------------------------------------- state
    def config(self) -> dict[str, Any]:
        """The architecture as plain JSON values: layer types from the closed registry."""
        return {"layers": [{"type": layer.kind, "config": layer.config()} for layer in self.layers]}

    @classmethod
    def layers_from_config(cls, config: Any) -> list[Layer]:
        """Rebuild the layers named in ``config``; only the registry's types are made."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("network config must be an object with a list 'layers'")
        layers = []
        for position, entry in enumerate(config["layers"], start=1):
            if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
                raise ValueError(f"layer {position}: expected {{'type': …, 'config': {{…}}}}")
            kind = entry.get("type")
            if kind not in LAYER_TYPES:
                known = ", ".join(LAYER_TYPES)
                raise ValueError(f"layer {position}: unknown layer type {kind!r}; known: {known}")
            try:
                layers.append(LAYER_TYPES[kind].from_config(entry["config"]))
            except (TypeError, ValueError, OverflowError) as error:
                raise ValueError(f"layer {position} ({kind}): bad config: {error}") from None
        return layers

    @classmethod
    def from_config(cls, config: Any) -> Sequential:
        return cls(cls.layers_from_config(config))

    def state_dict(self) -> dict[str, Array]:
        """Every saved array by name: parameters (``W[1]``, …) then buffers."""
        return {name: to_numpy(array) for name, array in self._state_arrays().items()}

    def _state_arrays(self) -> dict[str, Array]:
        """``state_dict()`` as the backend's arrays, on the device."""
        state = {name: tensor.data for name, tensor in self.named_parameters().items()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers, checking names, shapes and dtypes.

        Every missing, unexpected and mis-shaped entry is listed in one ``ValueError``
        (with ``strict=False`` missing and unexpected names are allowed). Nothing is
        changed unless everything fits.
        """
        targets = self._state_arrays()
        problems = []
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if strict and missing:
            problems.append(f"missing: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected: {', '.join(unexpected)}")
        for name, target in targets.items():
            if name not in state:
                continue
            source = state[name]
            if getattr(source, "shape", None) != target.shape:
                problems.append(
                    f"{name}: expected shape {target.shape}, found {getattr(source, 'shape', None)}"
                )
            elif dtype_name(getattr(source, "dtype", None)) != dtype_name(target.dtype):
                problems.append(
                    f"{name}: expected dtype {dtype_name(target.dtype)}, found "
                    f"{dtype_name(source.dtype)}"
                )
        if problems:
            raise ValueError("state does not fit the network: " + "; ".join(problems))
        for name, target in targets.items():
            if name in state:
                target[...] = to_device(state[name])

    def copy_weights(self) -> dict[str, Array]:
        """A copy of ``state_dict()`` (for keeping the best weights during training)."""
        return {name: xp.asarray(array, copy=True) for name, array in self._state_arrays().items()}
