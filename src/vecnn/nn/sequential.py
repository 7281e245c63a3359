"""The stack of layers ``A[0] = X → A[1] → … → A[L]``: made, numbered, computed, saved.

What the stack delegates: the registry of layer types and configs (``registry.py``), the
checks of its layers and input (``checks.py``), the summary table (``table.py``), copying
saved state in (``state.py``); its flat buffers are ``autodiff.flat.FlatParameters``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vecnn.autodiff.flat import FlatParameters, ParameterList
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, ArrayLike, float_dtype, to_numpy, xp
from vecnn.errors import ShapeError
from vecnn.nn.checks import check_input, check_layers, check_output_end, check_sizes
from vecnn.nn.dense import Dense
from vecnn.nn.layer import Layer, Seed, as_generator
from vecnn.nn.registry import LAYER_TYPES, layers_config, layers_from_config, register_layer
from vecnn.nn.state import load_state
from vecnn.nn.table import summary_text

__all__ = ["LAYER_TYPES", "Sequential", "register_layer"]


class Sequential:
    """Layers applied in order to ``X (n[0], m)``, examples as columns.

    Parameters are named in the notation: ``W[l]`` and ``b[l]`` for the ``l``-th dense
    layer, ``gamma[l]``/``beta[l]`` for a batch norm that follows it. ``seed`` (an int, a
    ``numpy.random.Generator`` or None) starts the one generator that dropout (and, in
    ``Network.fit``, shuffling) draws from; dense layers made without a seed of their own
    draw their initial weights from it too, so the same seed gives the same network.

    A first dense layer made as ``Dense(n_out)`` leaves ``n[0]`` to the first ``X`` (a call
    or ``fit``): until then ``sizes[0]`` is None, nothing is drawn, and what needs the
    sizes (``parameters()``, ``state_dict()``, saving, ``n_features``) says so.
    """

    def __init__(self, layers: Iterable[Layer], seed: Seed = None) -> None:
        self.layers: list[Layer] = check_layers(list(layers))
        self.rng = as_generator(seed)
        self._draws_initial_weights = seed is not None
        for layer in self.layers:
            if layer.stochastic:
                layer.rng = self.rng
        self.training = True
        self._names = [f"[{l}]" for l, _ in self.numbered_layers()]
        self.sizes: list[int | None] = check_sizes(self.layers)
        """``[n[0], n[1], …, n[L]]``; ``n[0]`` is None until the first ``X`` gives it."""
        check_output_end(self.layers, self.output_activation)
        self.flat: FlatParameters | None = None
        """The flat parameter and gradient buffers, one per dtype, that this network owns
        (each parameter's ``data`` is a view); optimizers built on ``parameters()`` step them.
        None until the network is built."""
        if self.sizes[0] is not None:
            self.build(self.sizes[0])

    @property
    def built(self) -> bool:
        """True once every size is known, the weights drawn and the flat buffers laid out."""
        return self.flat is not None

    def build(self, n_features: int) -> None:
        """Size the layers for ``n[0] = n_features`` (a ``Dense(n_out)`` gets its ``n_in``),
        draw the initial weights and lay out the flat buffers; nothing to do once built.

        In a seeded network every layer made without a seed of its own draws from the
        network's generator here, in layer order (a deferred layer's first draw, the
        others' redraw), so the weights are those of the same network written with every
        ``n_in``. Called by the constructor when ``n[0]`` is known, else by the first call
        or ``fit``.
        """
        if self.flat is not None:
            if n_features != self.sizes[0]:
                raise ShapeError(
                    f"the network is built for n[0] = {self.sizes[0]}; got {n_features}"
                )
            return
        width = n_features
        for layer in self.layers:
            rng = self.rng if self._draws_initial_weights and not layer.seeded else None
            if not layer.built:
                layer.build(width, rng)
            elif rng is not None:
                layer.reset_parameters(rng)  # so that the network's seed fixes every weight
            layer.seeded = layer.seeded or rng is not None
            width = layer.n_out if layer.n_out is not None else width
        sizes = check_sizes(self.layers)
        if sizes[0] != n_features:
            raise ShapeError(f"layer 1 takes n[0] = {sizes[0]} features; got {n_features}")
        self.sizes = sizes
        for name, tensor in self._parameters_by_name().items():  # named once (graphs show it)
            tensor.name = name
        self.flat = FlatParameters(list(self._parameters_by_name().values()))

    def _require_built(self, what: str) -> None:
        if self.flat is None:
            raise ValueError(
                f"{what} needs n[0], which this network does not know yet (its first layer "
                "was made without its input size, as Dense(n_out)): call it on X (network(X)) "
                "or fit it first, or give the first layer its n_in (Dense(n_in, n_out))"
            )

    # --------------------------------------------------------------- construction
    @classmethod
    def from_sizes(
        cls,
        sizes: Iterable[int],
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

    def numbered_layers(self) -> list[tuple[int, Layer]]:
        """Each layer with its ``l`` in the notation: the layers that start one (dense) count
        up from 1, the others take the ``l`` of the one before them (0 before the first)."""
        numbered, l = [], 0
        for layer in self.layers:
            l += layer.numbered
            numbered.append((l, layer))
        return numbered

    # --------------------------------------------------------------- description
    @property
    def n_features(self) -> int:
        """``n[0]``, the number of input features (rows of ``X``)."""
        self._require_built("n_features")
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
        for layer in self.layers:  # not built yet: the dtype the layers were made with
            if layer.dtype is not None:
                return layer.dtype
        return float_dtype("float32")

    def named_parameters(self) -> dict[str, Tensor]:
        """Every trained Tensor by its name in the notation (``W[1]``, ``b[1]``, …)."""
        self._require_built("named_parameters()")
        return self._parameters_by_name()

    def _parameters_by_name(self) -> dict[str, Tensor]:
        return {
            key + suffix: tensor
            for layer, suffix in zip(self.layers, self._names, strict=True)
            for key, tensor in layer.params.items()
        }

    def parameters(self) -> list[Tensor]:
        """The trained Tensors in order: ``W[1], b[1], …, W[L], b[L]`` (a list that also
        hands over the network's flat buffers to an optimizer built on it)."""
        self._require_built("parameters() (an optimizer)")
        params = ParameterList(self._parameters_by_name().values())
        params.flat = self.flat
        return params

    def flat_grads(self) -> list[Array]:
        """The flat gradient buffers, one per dtype, holding every parameter's ``grad``
        (``backward()`` computes them in their slots; a ``grad`` set by hand is copied in
        and becomes a view): what data-parallel training reduces, in place, before
        ``optimizer.step()``."""
        self._require_built("flat_grads()")
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
        return summary_text(self.numbered_layers(), self.sizes[0], self.dtype, layout_note)

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

    def check_input(self, X: Tensor | ArrayLike) -> Array | Tensor:
        """``X`` as a float array or Tensor of shape ``(n[0], m)``; a ShapeError otherwise."""
        X = check_input(X, self.sizes[0], self.dtype)
        if self.flat is None:  # the first X gives n[0]
            self.build(X.shape[0])
        return X

    def forward(self, X: Tensor | ArrayLike) -> Tensor:
        """``A[L]`` for ``X (n[0], m)``: every layer in order, output activation included."""
        A = self.check_input(X)
        for layer in self.layers:
            A = layer.forward(A)
        return A if isinstance(A, Tensor) else Tensor._from_op(A, None)

    __call__ = forward

    def logits(self, X: Tensor | ArrayLike) -> Tensor:
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
        return layers_config(self.layers)

    @classmethod
    def layers_from_config(cls, config: Any) -> list[Layer]:
        """Rebuild the layers named in ``config``; only the registry's types are made."""
        return layers_from_config(config)

    @classmethod
    def from_config(cls, config: Any) -> Sequential:
        return cls(cls.layers_from_config(config))

    def state_dict(self) -> dict[str, Array]:
        """Every saved array by name: parameters (``W[1]``, …) then buffers."""
        return {name: to_numpy(array) for name, array in self._state_arrays().items()}

    def _state_arrays(self) -> dict[str, Array]:
        """``state_dict()`` as the backend's arrays, on the device."""
        self._require_built("the network's state (state_dict, saving, copying weights)")
        state = {name: tensor.data for name, tensor in self.named_parameters().items()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers, checking names, shapes and dtypes.

        Every missing, unexpected and mis-shaped entry is listed in one ``ValueError``
        (with ``strict=False`` missing and unexpected names are allowed). Nothing is
        changed unless everything fits.
        """
        load_state(self._state_arrays(), state, strict)

    def copy_weights(self) -> dict[str, Array]:
        """A copy of ``state_dict()`` (for keeping the best weights during training)."""
        return {name: xp.asarray(array, copy=True) for name, array in self._state_arrays().items()}
