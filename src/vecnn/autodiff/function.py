"""An operation of the graph: its forward and its backward, side by side.

A subclass of ``Function`` computes its result from plain arrays in ``forward`` and, in
``backward``, turns the upstream gradient ``dout`` (the gradient of the final output
with respect to this operation's result) into one gradient per input: the chain rule
applied locally. ``apply`` wraps both as a node of the graph.
"""

from __future__ import annotations

from typing import Any, ClassVar

from vecnn.autodiff.anomaly import check_finite_result, is_anomaly_enabled
from vecnn.autodiff.mode import _state as _mode
from vecnn.autodiff.mode import is_grad_enabled
from vecnn.autodiff.tensor import Tensor
from vecnn.backend import Array, as_float_array, xp
from vecnn.errors import NoDerivativeError


class Function:
    """Base class of every operation.

    Subclasses set ``name``, take their non-array parameters (an axis, an exponent) in
    ``__init__``, keep in attributes what ``backward`` needs, and implement:

    - ``forward(*arrays) -> array``;
    - ``backward(dout) -> tuple``, one entry per input, of that input's shape: ``None``
      where ``self.needs_grad`` says no gradient is wanted, otherwise a new array, a view,
      or ``dout`` itself. It never writes into ``dout`` and never returns one array for
      two inputs (the engine copies only what it borrowed).

    An operation with no derivative leaves ``backward`` alone: the default raises.

    An operation whose class sets ``writes_grad_slots`` finds in ``self.grad_slots``, when
    its backward runs, one entry per input: None, or an array of that input's shape and
    dtype (a parameter's view of its flat gradient buffer) that the backward may compute
    the input's gradient into and return, saving a copy.
    """

    name: ClassVar[str] = "function"
    writes_grad_slots: ClassVar[bool] = False
    grad_slots: tuple[Array | None, ...] | None = None

    inputs: tuple[Tensor | None, ...]
    needs_grad: tuple[bool, ...]
    released: bool = False

    def forward(self, *arrays: Array) -> Array:
        raise NotImplementedError

    def backward(self, dout: Array) -> tuple[Array | None, ...]:
        raise NoDerivativeError(
            f"the derivative of '{self.name}' is not implemented: it has no derivative that "
            "backward() could use"
        )

    def forward_array(self, arrays: Any) -> Array:
        """``forward(*arrays)`` as an array of the backend (NumPy gives scalars for full
        reductions): what ``apply`` and a step plan's replay call."""
        out = self.forward(*arrays)
        return out if isinstance(out, Array) else xp.asarray(out)

    def release(self) -> None:
        """Drop the saved buffers and the links to the inputs once backward has used them."""
        self.__dict__.clear()
        self.released = True

    @classmethod
    def apply(cls, *operands: Any, **params: Any) -> Tensor:
        """Run the operation on Tensors, arrays or Python numbers and return a Tensor.

        Operands that are not Tensors are constants: they are converted to the dtype of
        the Tensor operands (so a Python scalar or a float64 array never promotes a
        float32 computation). The graph is recorded when gradients are enabled and some
        Tensor operand requires one.
        """
        fn = cls(**params)
        dtype = None
        constants = False
        for operand in operands:
            if isinstance(operand, Tensor):
                found = operand.data.dtype
                if dtype is None:
                    dtype = found
                elif found != dtype:
                    dtype = xp.result_type(dtype, found)
            else:
                constants = True
        if constants:
            arrays = [
                op.data if isinstance(op, Tensor) else as_float_array(op, dtype) for op in operands
            ]
            inputs = tuple(op if isinstance(op, Tensor) else None for op in operands)
        else:
            arrays = [op.data for op in operands]
            inputs = operands
        needs_grad = tuple(op is not None and op.requires_grad for op in inputs)
        record = True in needs_grad and is_grad_enabled()
        fn.needs_grad = needs_grad if record else (False,) * len(operands)
        tape = _mode.tape  # a step plan recording this step (plan.py)
        out = fn.forward_array(arrays) if tape is None else tape.run(fn, operands, arrays)
        if is_anomaly_enabled():
            check_finite_result(fn.name, "forward pass", out, arrays)
        if not record:
            return Tensor._from_op(out, None)
        fn.inputs = inputs
        return Tensor._from_op(out, fn)
