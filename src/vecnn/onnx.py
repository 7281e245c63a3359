"""``vecnn.onnx``: a network or a model file as an ONNX graph (``pip install vecnn[onnx]``).

``vecnn.onnx.export(network, "model.onnx")`` writes a graph of standard operators that
takes rows, ``input (batch, n[0])``; see ``vecnn.integrations.onnx`` for the layout.
"""

from vecnn.integrations.onnx import DEFAULT_OPSET, MIN_OPSET, describe, export, to_onnx

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "describe", "export", "to_onnx"]
