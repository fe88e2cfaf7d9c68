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
