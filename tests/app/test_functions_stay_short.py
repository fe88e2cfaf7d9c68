"""Functions in ``src/`` stay short (issue 12: no function longer than 60 lines).

A module's ``mount`` grows by a few lines with each operation or task it wires; this
fails the commit that takes one past the limit, instead of a later review finding it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import streamstack

SOURCE = Path(streamstack.__file__).parent
#: The most lines a function (its decorators aside, its docstring included) may have.
MAX_FUNCTION_LINES = 60


def function_lengths(path: Path, root: Path = SOURCE) -> list[tuple[int, str]]:
    """``(lines, "file:line name")`` of every function and method in ``path`` (the file
    named relative to ``root``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.end_lineno - node.lineno + 1, f"{path.relative_to(root)}:{node.lineno} {node.name}")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno
    ]


def test_no_function_in_src_is_longer_than_60_lines() -> None:
    lengths = [length for path in sorted(SOURCE.rglob("*.py")) for length in function_lengths(path)]
    assert len(lengths) > 500  # it read the package
    too_long = sorted(length for length in lengths if length[0] > MAX_FUNCTION_LINES)
    assert too_long == []


def test_a_long_function_is_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{line} = {line}" for line in range(MAX_FUNCTION_LINES))
    sample = tmp_path / "sample.py"
    sample.write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    assert function_lengths(sample, tmp_path) == [
        (MAX_FUNCTION_LINES + 1, "sample.py:1 long"),
        (2, "sample.py:64 short"),
    ]
