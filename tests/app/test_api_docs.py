"""``/api/docs`` works offline (issue 16 item 12): the page names same-origin files only,
the app serves each of them with its type, and the page is under the self-only CSP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from streamstack.kernel.headers import CONTENT_SECURITY_POLICY
from support.apps import make_settings, running_app

EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(make_settings("embedded", tmp_path / "data")) as client:
        yield client


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/swagger"])
async def test_the_docs_page_loads_only_files_the_app_serves(
    http: httpx.AsyncClient, path: str
) -> None:
    page = await http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # No inline code: the self-only policy would block it.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), page.text
    assert "<style" not in page.text and "style=" not in page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    scripts = re.findall(r"""<script[^>]+src=["']([^"']+)""", page.text)
    styles = re.findall(r"""<link[^>]+rel=["']stylesheet["'][^>]+href=["']([^"']+)""", page.text)
    assert scripts and styles, page.text
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url  # same origin
        asset = await http.get(url)
        assert asset.status_code == 200, url
        suffix = Path(url).suffix
        assert asset.headers["content-type"].startswith(EXPECTED_TYPES[suffix]), url
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert any(url.endswith("/swagger-ui-bundle.js") for url in scripts)


async def test_the_page_points_swagger_ui_at_the_document(http: httpx.AsyncClient) -> None:
    page = (await http.get("/api/docs")).text
    spec_url = re.search(r'data-spec-url="([^"]+)"', page)
    assert spec_url is not None
    document = await http.get(spec_url.group(1))
    assert document.status_code == 200
    assert document.json()["paths"]["/api/v1/auth/login"]


async def test_the_assets_folder_serves_nothing_outside_it(http: httpx.AsyncClient) -> None:
    for path in ("/api/docs/assets/../../../etc/passwd", "/api/docs/assets/nothing.js"):
        answer = await http.get(path)
        assert answer.status_code == 404, path


def patterns_in(node: object) -> list[str]:
    """Every ``pattern`` of an OpenAPI document (schemas and parameters alike)."""
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in patterns_in(value)]
    if isinstance(node, list):
        return [p for value in node for p in patterns_in(value)]
    return []


async def test_no_pattern_lets_a_final_newline_through(http: httpx.AsyncClient) -> None:
    """Python's ``$`` also matches before a final newline (``en\\n`` passed as a caption
    language up to the object key); every pattern the API checks ends in ``$(?!\\n)``."""
    document = (await http.get("/api/docs/openapi.json")).json()
    patterns = set(patterns_in(document))
    assert len(patterns) >= 5, patterns
    assert {p for p in patterns if not p.endswith("$(?!\\n)")} == set()
    for pattern in patterns:  # a final newline only where newlines are allowed at all
        assert not re.search(pattern, "a\n") or re.search(pattern, "a\nb"), pattern
