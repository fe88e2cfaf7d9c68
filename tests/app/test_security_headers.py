"""Security headers on every answer of the app (issue 13 item 14, the app's side).

The strict policy allows our own origin only (plus ``blob:``/``data:`` where a player or an
image needs them) and forbids framing, on every page, the API documentation included (its
viewer is served by the app itself).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streamstack.settings import Settings
from support.apps import (
    IN_PROCESS_URL,
    bearer,
    make_settings,
    mint_token,
    running_app,
    served_app,
)

EXPECTED = {
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def policy(header: str) -> dict[str, list[str]]:
    """A CSP header as directive -> sources."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>StreamStack</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    settings = make_settings("embedded", tmp_path / "data", web_dist_dir=dist)
    async with running_app(settings) as http:
        yield http, settings


async def answers(
    http: httpx.AsyncClient, settings: Settings, origin: str = ""
) -> dict[str, httpx.Response]:
    """One answer of every kind: page, asset, JSON, errors, probes, metrics, media; asked of
    ``origin`` when given (the client's own otherwise)."""
    admin = bearer(mint_token(settings, role="admin"))
    return {
        "SPA page": await http.get(origin + "/library"),
        "SPA asset": await http.get(origin + "/assets/app.js"),
        "JSON": await http.get(origin + "/api/v1/catalogue"),
        "401": await http.get(origin + "/api/v1/auth/me"),
        "404 API": await http.get(origin + "/api/v1/nowhere"),
        "405": await http.delete(origin + "/health"),
        "health": await http.get(origin + "/health"),
        "ready": await http.get(origin + "/ready"),
        "metrics": await http.get(origin + "/metrics"),
        "stream 404": await http.get(origin + "/api/v1/stream/" + "x" * 43),
        "tus OPTIONS": await http.options(origin + "/api/v1/ingest/uploads", headers=admin),
        "openapi.json": await http.get(origin + "/api/docs/openapi.json"),
    }


async def test_every_answer_carries_the_security_headers(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, settings = client
    for kind, response in (await answers(http, settings)).items():
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (kind, name, response.headers)
        csp = policy(response.headers["content-security-policy"])
        assert csp["default-src"] == ["'self'"], kind
        assert csp["frame-ancestors"] == ["'none'"], kind
        assert "camera=()" in response.headers["permissions-policy"], kind
        assert response.headers.get_list("content-security-policy") == [
            response.headers["content-security-policy"]
        ], f"{kind}: the header is sent once"


async def test_the_strict_policy_allows_our_origin_only(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, _ = client
    header = (await http.get("/library")).headers["content-security-policy"]
    assert not re.search(r"https?:|\*|'unsafe-inline'|'unsafe-eval'", header), header
    csp = policy(header)
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["media-src"] == ["'self'", "blob:"]  # an HLS player feeds <video> from blobs
    assert csp["worker-src"] == ["'self'", "blob:"]
    permissions = (await http.get("/library")).headers["permissions-policy"]
    for feature in ("microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    assert "fullscreen=(self)" in permissions  # the player's full-screen button


async def test_the_docs_pages_get_the_same_strict_policy(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    """The docs viewer's files are the app's own (issue 16.12): no relaxed policy any more."""
    http, _ = client
    for path in ("/api/docs", "/api/docs/swagger", "/api/docs/openapi.json"):
        page = await http.get(path)
        assert page.status_code == 200, path
        csp = policy(page.headers["content-security-policy"])
        assert csp["script-src"] == ["'self'"], path
        assert csp["style-src"] == ["'self'"], path
        assert csp["frame-ancestors"] == ["'none'"]


async def test_answers_to_authorized_requests_are_not_stored(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    """A member's answers (walk 42 F4): ``no-store`` on every answer to a request with a
    bearer token, success or refusal; a guest's public answers keep no such header, and a
    handler's own Cache-Control (the public signing keys) is kept."""
    http, settings = client
    admin = bearer(mint_token(settings, role="admin"))
    revoked_shape = {"Authorization": "Bearer not-a-token"}
    for path, headers in (
        ("/api/v1/catalogue", admin),
        ("/api/v1/auth/users", admin),
        ("/api/v1/ingest/uploads", admin),
        ("/api/v1/auth/me", revoked_shape),
    ):
        response = await http.get(path, headers=headers)
        assert response.status_code in (200, 401), (path, response.text)
        assert response.headers.get_list("cache-control") == ["no-store"], path
    public = await http.get("/api/v1/catalogue")
    assert public.status_code == 200 and "cache-control" not in public.headers
    keys = await http.get("/api/v1/auth/.well-known/jwks.json", headers=admin)
    assert keys.headers.get_list("cache-control") == ["public, max-age=300"]


HSTS = "strict-transport-security"
HTTPS_URL = IN_PROCESS_URL.replace("http://", "https://")


async def test_answers_over_https_pin_https_for_a_year(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    """Every kind of answer, the same requests over HTTPS: pinned, with no subdomains named
    (the operator may serve them otherwise); over plain HTTP, where browsers ignore it, none."""
    http, settings = client
    for kind, response in (await answers(http, settings)).items():
        assert HSTS not in response.headers, kind
    for kind, response in (await answers(http, settings, HTTPS_URL)).items():
        assert response.headers.get_list(HSTS) == ["max-age=31536000"], kind


@pytest.mark.parametrize(
    ("setting", "url", "expected"),
    [
        ({"hsts_seconds": 0}, HTTPS_URL, None),
        ({"hsts_seconds": 300}, HTTPS_URL, "max-age=300"),
        # TLS ends at a proxy that does not say so: the deployment says it is HTTPS.
        ({"secure_cookies": True}, IN_PROCESS_URL, "max-age=31536000"),
    ],
)
async def test_the_deployment_sets_the_pin(
    tmp_path: Path, setting: dict[str, Any], url: str, expected: str | None
) -> None:
    settings = make_settings("embedded", tmp_path / "data", **setting)
    async with running_app(settings) as http:
        response = await http.get(f"{url}/health")
        assert response.status_code == 200
        assert response.headers.get(HSTS) == expected


async def test_a_trusted_proxy_saying_https_gets_the_pin(tmp_path: Path) -> None:
    """Served as ``streamstack serve`` runs it: uvicorn takes the scheme from the header of a
    proxy on this machine (trusted by default)."""
    settings = make_settings("embedded", tmp_path / "data")
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as served:
        for proto, expected in (("https", "max-age=31536000"), ("http", None)):
            response = await served.get("/health", headers={"X-Forwarded-Proto": proto})
            assert response.status_code == 200
            assert response.headers.get(HSTS) == expected, proto


# --- a share link's embed page: framed by other sites ----------------------------------------

EMBED = "/embed/s/" + "A1b2_-" * 7 + "x"  # a secret's shape: 43 URL-safe characters


async def test_only_the_embed_page_may_be_framed(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    """/embed/s/<secret> is the SPA's page with frame-ancestors * and no X-Frame-Options;
    every other answer, pages around it included, refuses framing as before."""
    http, _ = client
    embed = await http.get(EMBED)
    assert embed.status_code == 200
    assert "<title>StreamStack</title>" in embed.text  # the SPA's index.html
    assert "x-frame-options" not in embed.headers
    csp = policy(embed.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["*"]
    assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    assert "fullscreen=(self)" in embed.headers["permissions-policy"]
    assert "picture-in-picture=(self)" in embed.headers["permissions-policy"]
    for path in (
        "/s/" + EMBED.rsplit("/", 1)[1],  # the share page itself: the whole site around it
        "/embed",
        "/embed/s/",
        EMBED + "/more",
        EMBED + "%2F..%2F..%2F..%2Fbrowse",  # an encoded slash: another page in disguise
        "/embed/watch/some-item",
        "/library" + EMBED,
        "/api/v1/catalogue/shared/" + EMBED.rsplit("/", 1)[1],
    ):
        response = await http.get(path)
        assert response.headers.get("x-frame-options") == "DENY", path
        assert policy(response.headers["content-security-policy"])["frame-ancestors"] == [
            "'none'"
        ], path


async def test_the_sites_that_may_frame_the_embed_page_are_a_setting(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>StreamStack</title>")
    sites = "https://club.example https://*.school.example"
    settings = make_settings(
        "embedded", tmp_path / "data", web_dist_dir=dist, embed_ancestors=sites
    )
    async with running_app(settings) as http:
        embed = await http.get(EMBED)
        assert policy(embed.headers["content-security-policy"])["frame-ancestors"] == sites.split()
        assert "x-frame-options" not in embed.headers
        browse = await http.get("/")
        assert policy(browse.headers["content-security-policy"])["frame-ancestors"] == ["'none'"]
