"""Drawing the computational graph as Graphviz DOT, and as SVG or PNG when ``dot`` exists."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vecnn._atomic import atomic_write_bytes
from vecnn.autodiff.tensor import Tensor


def _label(tensor: Tensor) -> str:
    shape = "×".join(str(n) for n in tensor.shape) or "scalar"
    if tensor._fn is not None:
        title = tensor._fn.name + (" (released)" if tensor._fn.released else "")
    elif tensor.name:
        title = tensor.name
    else:
        title = "parameter" if tensor.requires_grad else "input"
    return f"{title}\\n{shape} {tensor.dtype}"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def to_dot(tensor: Tensor, name: str = "vecnn") -> str:
    """Graphviz DOT of the graph that produced ``tensor``.

    One node per value, labelled with the operation that made it (or the parameter's name
    for a leaf that has one) and its shape; an edge from each input to the operation's
    result. Leaves that require a gradient are drawn as boxes, the output doubly circled.
    Constants (Python numbers, plain arrays) are not drawn.
    """
    if tensor._fn is not None and tensor._fn.released:
        warnings.warn(
            "backward() released this graph, so only its output can be drawn: draw before "
            "backward(), or call backward(retain_graph=True)",
            stacklevel=2,
        )
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    ids: dict[int, str] = {}
    nodes: list[Tensor] = []
    stack = [tensor]
    while stack:
        node = stack.pop()
        if id(node) in ids:
            continue
        ids[id(node)] = f"t{len(ids)}"
        nodes.append(node)
        stack.extend(_inputs(node))
    edges: list[str] = []
    for node in nodes:
        shape = "ellipse"
        if node is tensor:
            shape = "doublecircle"
        elif node._fn is None:
            shape = "box" if node.requires_grad else "note"
        node_id = ids[id(node)]
        lines.append(f"  {node_id} [label={_quote(_label(node))}, shape={shape}];")
        edges.extend(f"  {ids[id(parent)]} -> {node_id};" for parent in _inputs(node))
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _inputs(node: Tensor) -> list[Tensor]:
    """The Tensor inputs of the operation that made ``node`` (none for a leaf)."""
    fn = node._fn
    if fn is None or fn.released:
        return []
    return [parent for parent in fn.inputs if parent is not None]


def draw(
    tensor: Tensor, path: Any, write: Callable[[Path, bytes], object] = atomic_write_bytes
) -> Path:
    """Write the graph of ``tensor`` to ``path`` and return the file written.

    ``.dot`` (or any other suffix) writes DOT text. ``.svg`` and ``.png`` are rendered
    with Graphviz's ``dot`` program; when it is not installed, the DOT text is written
    beside (``path`` with the suffix ``.dot``) with a warning that says how to install it.
    ``write(path, data)`` writes the bytes: by default atomically (the file appears whole
    by ``os.replace``, or the previous one stays as it was; a symbolic link is refused),
    and the command line passes its output writer, which also writes to ``-``.
    """
    path = Path(path)
    dot_text = to_dot(tensor)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        write(path, dot_text.encode("utf-8"))
        return path
    program = shutil.which("dot")
    if program is None:
        fallback = path.with_suffix(".dot")
        write(fallback, dot_text.encode("utf-8"))
        warnings.warn(
            f"Graphviz's 'dot' program is not installed, so {path.name} was not rendered; "
            f"the graph was written as DOT text to {fallback}. Install Graphviz "
            "(apt install graphviz, brew install graphviz, or https://graphviz.org/download/) "
            f"or render it with: dot -T{fmt} {fallback} -o {path}",
            stacklevel=2,
        )
        return fallback
    rendered = subprocess.run(
        [program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=True
    )
    write(path, rendered.stdout)
    return path
