"""``vecnn export``: a model file as an ONNX graph, for deployment runtimes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vecnn.cli.common import positive_int
from vecnn.integrations.onnx import DEFAULT_OPSET

EXAMPLE = "vecnn export runs/iris/model.vecnn iris.onnx"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``vecnn export MODEL OUT.onnx [--opset N]`` on the subparsers ``commands``."""
    p = commands.add_parser(
        "export",
        help="write a model as an ONNX file (needs: pip install vecnn[onnx])",
        example=EXAMPLE,
        description="Write MODEL as an ONNX graph of standard operators that takes rows\n"
        "(batch, features): the numeric columns, standardized inside the graph. Outputs:\n"
        "probabilities and label (classifiers), prediction (regression). Models with\n"
        "categorical (text) feature columns cannot be exported yet.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file (from vecnn train or vecnn.save)")
    p.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write")
    p.add_argument(
        "--opset",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"ONNX opset version (default {DEFAULT_OPSET})",
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Export ``args.model`` to ``args.output``; print what the graph takes and gives."""
    try:
        from vecnn.integrations.onnx import describe, export

        written = export(args.model, args.output, opset=getattr(args, "opset", None))
        summary = describe(written)
    except ImportError as error:
        print(f"vecnn: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {written}, {summary}")
    return 0
