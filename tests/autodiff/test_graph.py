"""Drawing the graph: DOT text that names the operations, parameters and shapes."""

from __future__ import annotations

import shutil
import signal
import warnings

import numpy as np
import pytest

import vecnn
from vecnn import Tensor


def _network_step():
    W = Tensor(np.ones((3, 4)), requires_grad=True, name="W[1]")
    b = Tensor(np.zeros((3, 1)), requires_grad=True, name="b[1]")
    X = Tensor(np.ones((4, 5)))
    Y = np.eye(3)[:, [0, 1, 2, 0, 1]]
    Z = vecnn.ops.dense(W, X, b)
    return vecnn.ops.softmax_cross_entropy_with_logits(Z.relu(), Y)


def test_dot_names_operations_parameters_and_shapes():
    dot = vecnn.graph.to_dot(_network_step())
    assert dot.startswith("digraph")
    for text in [
        "dense",
        "relu",
        "softmax_cross_entropy_with_logits",
        "W[1]",
        "b[1]",
        "3×4",
        "3×1",
        "4×5",
        "3×5",
        "scalar",
    ]:
        assert text in dot
    assert dot.count("->") == 5  # W, X, b -> dense -> relu -> loss


def test_dot_after_backward_marks_the_released_graph():
    J = _network_step()
    J.backward()
    with pytest.warns(UserWarning):
        assert "released" in vecnn.graph.to_dot(J)


def test_draw_writes_dot(tmp_path):
    path = _network_step().draw(tmp_path / "step.dot")
    assert path.read_text().startswith("digraph")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_draw_writes_atomically_a_failed_write_keeps_the_previous_file(tmp_path):
    """A write that fails half way (over the file-size limit, as on a full disk; an
    interrupt is the same) leaves the previous file byte for byte and no temporary file."""
    import resource  # POSIX only

    path = tmp_path / "step.dot"
    path.write_text("the previous graph\n")
    before = path.read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
    try:
        with pytest.raises(OSError, match="File too large"):
            _network_step().draw(path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, ignored)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["step.dot"]


def test_draw_svg_renders_or_says_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = _network_step().draw(tmp_path / "step.svg")
    assert written.suffix == ".dot" and written.exists()
    assert any("install graphviz" in str(w.message).lower() for w in caught)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_draw_svg_with_graphviz(tmp_path):
    written = _network_step().draw(tmp_path / "step.svg")
    assert "<svg" in written.read_text()


def test_drawing_a_released_graph_says_why_it_is_one_node():
    J = _network_step()
    J.backward()
    with pytest.warns(UserWarning, match="retain_graph=True"):
        vecnn.graph.to_dot(J)
