"""The docs run as written: every ```python block, in order, prints the ```text after it.

The blocks of one page run in one namespace (a later block uses the names of the earlier
ones), in a temporary directory (files such as ``graph.dot`` land there). A python block
followed by a ```text block (nothing but blank lines between them) must print exactly that
text, up to trailing whitespace on each line and trailing blank lines; a python block with
no text block after it only has to run.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One ```python block: its code, its first line in the page, the text it must print."""

    code: str
    line: int
    expected: str | None


def examples(text: str) -> Iterator[Example]:
    """The python blocks of a markdown page in order, each with the text block after it."""
    blocks = list(FENCE.finditer(text))
    for index, block in enumerate(blocks):
        if block.group("lang").strip() != "python":
            continue
        expected = None
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            following is not None
            and following.group("lang").strip() == "text"
            and not text[block.end() : following.start()].strip()
        ):
            expected = following.group("body")
        line = text.count("\n", 0, block.start("body")) + 1
        yield Example(block.group("body"), line, expected)


def normalize(output: str) -> str:
    """``output`` without trailing whitespace on each line and without trailing blank lines."""
    return "\n".join(line.rstrip() for line in output.splitlines()).rstrip("\n")


def run_page(path: Path) -> list[tuple[Example, str]]:
    """Run the python blocks of ``path`` in order in one namespace; each with its stdout.

    The code is compiled under the page's name with its own line numbers, so a traceback
    points into the markdown file. Runs in the current directory.
    """
    namespace: dict[str, object] = {"__name__": "__docs__"}
    results = []
    for example in examples(path.read_text(encoding="utf-8")):
        code = compile("\n" * (example.line - 1) + example.code, str(path), "exec")
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(code, namespace)
        results.append((example, stdout.getvalue()))
    return results


@pytest.mark.parametrize("page", ["docs/tutorial.md", "README.md"])
def test_python_blocks_print_the_text_blocks(page, tmp_path, monkeypatch):
    path = ROOT / page
    monkeypatch.chdir(tmp_path)
    results = run_page(path)
    assert any(example.expected is not None for example, _ in results), (
        f"{page} has no python block followed by a text block"
    )
    for example, output in results:
        if example.expected is None:
            continue
        assert normalize(output) == normalize(example.expected), (
            f"{page}, the python block at line {example.line} printed something else"
        )


def test_examples_pair_each_python_block_with_the_text_block_right_after_it():
    page = "\n".join(
        [
            "```python",
            "print(1)",
            "```",
            "",
            "```text",
            "1",
            "```",
            "```python",
            "x = 2",
            "```",
            "prose between",
            "```text",
            "not this block's",
            "```",
            "```python",
            "print()",
            "```",
            "```text",
            "```",
        ]
    )
    found = list(examples(page))
    assert [e.code for e in found] == ["print(1)\n", "x = 2\n", "print()\n"]
    assert [e.line for e in found] == [2, 9, 16]
    assert [e.expected for e in found] == ["1\n", None, ""]
    assert normalize("a  \nb\t\n\n") == "a\nb"
