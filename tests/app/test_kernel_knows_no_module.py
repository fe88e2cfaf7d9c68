"""The kernel knows no module (issue 12 item 4): no module's name in its code.

Module-specific facts (event subjects, metrics, secrets in paths, bucket names …) live in
their module and reach the kernel as parameters. This reads every kernel source file and
fails on any identifier, import or string (docstrings and comments aside) that names one
of the modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import streamstack.kernel
from streamstack.settings import MODULE_NAMES

KERNEL = Path(streamstack.kernel.__file__).parent
_WORDS = re.compile(rf"\b({'|'.join(MODULE_NAMES)})\b", re.IGNORECASE)


def _docstrings(tree: ast.Module) -> set[int]:
    """``id`` of every docstring node (they may explain what modules do with a thing)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _named(node: ast.AST) -> list[str]:
    """The identifiers and strings ``node`` itself introduces."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    if isinstance(node, ast.keyword):
        return [node.arg or ""]
    return []


def mentions(source: str) -> list[str]:
    """Where ``source`` names a module: ``"line N: text"`` for each."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        texts = _named(node)
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            texts.append(node.value)
        for text in texts:
            if _WORDS.search(text.replace("_", " ")):  # ``_`` joins words in names
                hits.append(f"line {getattr(node, 'lineno', '?')}: {text!r}")
    return hits


def test_no_kernel_source_names_a_module() -> None:
    sources = sorted(KERNEL.rglob("*.py"))
    assert len(sources) > 20
    found = {}
    for path in sources:
        hits = mentions(path.read_text())
        if hits:
            found[str(path.relative_to(KERNEL))] = hits
    assert not found, found


def test_the_check_sees_identifiers_imports_and_strings() -> None:
    assert mentions("from streamstack.catalogue import x")
    assert mentions("import streamstack.ingest.probe")
    assert mentions("stream = 'CATALOGUE_EVENTS'")
    assert mentions("def track_outbox(auth_service): pass")
    assert mentions("x = settings.streaming_url")
    assert not mentions('"""The auth module signs tokens."""\nx = 1  # catalogue')
    assert not mentions("authorization = authenticate(authority)")
