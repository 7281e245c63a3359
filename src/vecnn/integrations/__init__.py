"""Bridges to other libraries: ``onnx`` (export) and ``sklearn`` (estimators).

Each module imports its library inside itself, so ``import vecnn`` needs neither; the public
paths are ``vecnn.onnx`` and ``vecnn.sklearn``.
"""
