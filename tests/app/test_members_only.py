"""A members-only server (``STREAMSTACK_GUEST_ACCESS=none``) shows a signed-out caller
nothing: every operation of the app's OpenAPI document answers 401 ``sign_in_required``
unless it is on the short list below of what must stay open (sign-in, registration, resets,
the keys, share links, playback by token, probes). The operations are not listed by hand,
so a route added later is closed unless it is added here on purpose. In-process, all modules,
embedded backends: the guard runs before any store is read (``tests/catalogue/
test_catalogue_members_only.py`` covers the catalogue's answers on both backends).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streamstack.settings import Settings
from support.apps import AppClient, make_settings, running_app

SCHEMA_PATH = "/api/docs/openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: What a signed-out visitor of a members-only server may still reach, and why.
OPEN_TO_GUESTS = {
    "GET /health",  # probes
    "GET /ready",
    "GET /api/v1/auth/config",  # the SPA asks how to sign in (and that the site is closed)
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    # The sign-outs authenticate the caller themselves, so that a browser signs out by its
    # refresh cookie while the revocation list is away (the guard would answer 503 first).
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/logout-all",
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/check",
    "POST /api/v1/auth/password-reset/request",
    "POST /api/v1/auth/email-confirmations",  # a mailed link, often opened on another device
    "GET /api/v1/auth/unsubscribe",  # a mail's one-click link: sent on to the SPA's page
    "POST /api/v1/auth/unsubscribe",  # the token in the mail is the grant (RFC 8058)
    "GET /api/v1/auth/.well-known/jwks.json",
    "GET /api/v1/catalogue/shared/{secret}",  # a share link's purpose
    "POST /api/v1/catalogue/shared/{secret}/stream-token",
    "POST /api/v1/catalogue/shared/{secret}/plays",  # the play of a share link's guest
    "GET /api/v1/catalogue/oembed",  # a share link's card (a watch page's is 404 here)
    "GET /api/v1/stream/{token}",  # the token is the grant
    "HEAD /api/v1/stream/{token}",
    "GET /api/v1/stream/{token}/{path}",
    "HEAD /api/v1/stream/{token}/{path}",
    "GET /api/v1/stream/thumbnails/{name}",  # random names only a listing tells (DESIGN.md)
    "HEAD /api/v1/stream/thumbnails/{name}",
}
SIGN_IN_REQUIRED = {
    "status": 401,
    "code": "sign_in_required",
    "detail": "This is a members-only server: sign in to see its videos.",
}


def operations(schema: dict[str, Any]) -> dict[str, str]:
    """Every operation of the document ("GET /api/v1/catalogue/{item_id}") and a path to
    call it by (its path parameters filled in)."""
    found = {}
    for template, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            path = template
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    uuid_like = param.get("schema", {}).get("format") == "uuid"
                    value = str(uuid.uuid4()) if uuid_like else "x"
                    path = path.replace("{" + param["name"] + "}", value)
            found[f"{method.upper()} {template}"] = path
    return found


def members_only(tmp_path: Path, **overrides: Any) -> Settings:
    web = tmp_path / "web"
    web.mkdir(exist_ok=True)
    (web / "index.html").write_text("<!doctype html><title>StreamStack</title>")
    return make_settings(
        "embedded", tmp_path / "data", guest_access="none", web_dist_dir=web, **overrides
    )


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[AppClient]:
    async with running_app(members_only(tmp_path)) as client:
        yield client


def code_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def test_every_operation_not_open_to_guests_asks_a_guest_to_sign_in(
    app: AppClient,
) -> None:
    schema = await app.get(SCHEMA_PATH)  # the document itself stays open
    assert schema.status_code == 200, schema.text
    found = operations(schema.json())
    assert set(found) >= OPEN_TO_GUESTS, OPEN_TO_GUESTS - set(found)  # none gone stale
    # The routes a guest read on an open server are among those closed.
    for closed in (
        "GET /api/v1/catalogue",
        "GET /api/v1/catalogue/{item_id}",
        "GET /api/v1/catalogue/tags",
        "GET /api/v1/catalogue/{item_id}/related",
        "GET /api/v1/catalogue/{item_id}/comments",
        "GET /api/v1/catalogue/comments/{comment_id}/replies",
    ):
        assert closed in found, sorted(found)
    wrong = {}
    for label, path in found.items():
        method = label.split(" ", 1)[0]
        r = await app.request(method, path, headers={"Tus-Resumable": "1.0.0"})
        if label in OPEN_TO_GUESTS:
            if r.status_code == 401 and code_of(r) == "sign_in_required":
                wrong[label] = "closed, but must stay open"
        elif method == "HEAD":
            if r.status_code != 401:  # a HEAD answer has no body to carry the code
                wrong[label] = r.status_code
        elif r.status_code != 401 or {**r.json(), "request_id": None} != {
            **SIGN_IN_REQUIRED,
            "request_id": None,
        }:
            wrong[label] = (r.status_code, r.text[:200])
    assert not wrong, wrong


async def test_the_pages_probes_and_share_links_stay_open(app: AppClient) -> None:
    for path in ("/", "/browse", "/watch/abc", "/s/abc", "/signin"):
        r = await app.get(path)
        assert r.status_code == 200 and "<title>StreamStack" in r.text, (path, r.status_code)
    for path in ("/health", "/ready", "/metrics", "/api/docs", "/api/docs/openapi.json"):
        assert (await app.get(path)).status_code == 200, path
    config = await app.get("/api/v1/auth/config")
    assert config.json()["guest_access"] == "none"
    # A share link that does not exist is the usual 404, not a sign-in.
    shared = await app.get("/api/v1/catalogue/shared/no-such-link")
    assert (shared.status_code, code_of(shared)) == (404, "share_not_found")


async def test_a_server_open_to_guests_says_so_and_lists(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path / "data", modules=("auth", "catalogue"))
    assert settings.guest_access == "browse"  # the default: today's public catalogue
    async with running_app(settings) as app:
        assert (await app.get("/api/v1/auth/config")).json()["guest_access"] == "browse"
        assert (await app.get("/api/v1/catalogue")).status_code == 200
