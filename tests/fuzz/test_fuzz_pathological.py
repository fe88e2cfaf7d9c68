"""Pathological input against every route: never a 5xx, every error in our one shape.

Every operation of the app's own OpenAPI document (plus the SPA fallback and the internal
operation routes) gets each hostile variant, as an admin where a route takes a bearer token
and anonymously where it does not: JSON nested 1000 deep, huge
numbers, NUL and lone surrogates, invalid UTF-8, 64 KiB header values, duplicate query
parameters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, bearer, live_app, make_settings, mint_token

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ERROR_KEYS = {"status", "code", "detail", "request_id"}
DEEP = 1000
BIG = 64 * 1024


class Variant(msgspec.Struct, frozen=True):
    """One hostile twist on a request."""

    name: str
    path_value: str | None = None  # replaces every path parameter (already URL-encoded)
    query: list[tuple[str, str]] = []
    raw_query: str = ""  # appended to the URL as it is (already URL-encoded)
    headers: dict[str, str] = {}
    body: bytes | None = None
    content_type: str = "application/json"


VARIANTS = [
    Variant("deep array", body=b"[" * DEEP + b"]" * DEEP),
    Variant("deep object", body=b'{"a":' * DEEP + b"1" + b"}" * DEEP),
    Variant("deep inside a field", body=b'{"title": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    Variant("huge integer", body=b'{"size_bytes": 1' + b"0" * 5000 + b', "limit": 1e999}'),
    Variant("huge path number", path_value="9" * 400),
    Variant("NUL in path", path_value="a%00b"),
    Variant(
        "NUL in JSON", body=b'{"email": "a\\u0000@x.y", "title": "\\u0000", "role": "\\u0000"}'
    ),
    Variant("lone surrogate in JSON", body=b'{"email": "\\ud800", "title": "\\udfff"}'),
    Variant("lone surrogate in path", path_value="%ED%A0%80"),
    Variant("invalid UTF-8 body", body=b'{"title": "\xff\xfe\xc3("}'),
    Variant("invalid UTF-8 and NUL in query", raw_query="q=%FF%FE&limit=%00&page=%ED%A0%80"),
    Variant("invalid UTF-8 in path", path_value="%FF%FE"),
    Variant(
        "64 KiB headers",
        headers={
            "X-Request-ID": "r" * BIG,
            "Range": "bytes=" + "0-1," * (BIG // 4),
            "If-None-Match": '"' + "e" * BIG + '"',
            "Upload-Metadata": "filename " + "A" * BIG,
            "Cookie": "streamstack_refresh=" + "c" * BIG,
        },
    ),
    Variant("64 KiB bearer", headers={"Authorization": "Bearer " + "t" * BIG}),
    Variant(
        "duplicate query parameters",
        query=[
            ("limit", "1"),
            ("limit", "2"),
            ("q", "a"),
            ("q", "b"),
            ("page", "1"),
            ("page", "x"),
        ],
    ),
    Variant("huge query numbers", query=[("limit", "9" * 400), ("page", "-" + "9" * 400)]),
]


class Route(msgspec.Struct, frozen=True):
    method: str
    template: str


def routes(schema: dict[str, Any]) -> list[Route]:
    """Every documented operation, the SPA fallback and the internal operation routes."""
    found = [
        Route(method.upper(), template)
        for template, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]
    found += [Route("GET", "/%00"), Route("GET", "/some/page/{x}"), Route("GET", "/")]
    found += [
        Route("POST", "/internal/v1/catalogue/items"),
        Route("POST", "/internal/v1/stream/token"),
    ]
    return found


def request_for(route: Route, variant: Variant, token: str | None) -> dict[str, Any]:
    path = route.template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        value = variant.path_value if variant.path_value is not None else str(uuid.uuid4())
        path = path[:start] + value + path[end + 1 :]
    headers = {"Tus-Resumable": "1.0.0", "Content-Type": variant.content_type}
    if route.template.startswith("/internal/"):
        headers["X-StreamStack-Service-Secret"] = INTERNAL_SECRET
    if variant.raw_query:
        path = f"{path}?{variant.raw_query}"
    if token:
        headers.update(bearer(token))
    headers.update(variant.headers)
    return {
        "method": route.method,
        "url": path,
        "params": variant.query,
        "headers": headers,
        "content": variant.body if route.method in ("POST", "PUT", "PATCH") else None,
    }


def web_dist(tmp_path: Path) -> Path:
    """A built SPA stand-in, so the SPA fallback route is mounted."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>StreamStack</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    return dist


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = make_settings("embedded", tmp_path / "data", web_dist_dir=web_dist(tmp_path))
    async with live_app(settings) as app:
        # raise_app_exceptions=False: a crash is an answer (a 500) to count, not an error here.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield http, settings


def problems_of(response: httpx.Response, method: str, documented: set[str] | None) -> str | None:
    """What is wrong with an answer: a 5xx, an undocumented error, a body not in our shape."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    undocumented = documented is not None and str(response.status_code) not in documented
    if response.status_code >= 400 and undocumented:
        return f"{response.status_code} is not documented ({sorted(documented or ())})"
    if response.status_code < 400 or method == "HEAD":
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} without a JSON body: {response.text[:100]!r}"
    if not isinstance(body, dict) or set(body) != ERROR_KEYS:
        return f"{response.status_code} not in our shape: {body!r:.200}"
    if body["status"] != response.status_code:
        return f"{response.status_code} with body status {body['status']}"
    return None


def documented(schema: dict[str, Any], route: Route) -> set[str] | None:
    """The statuses the OpenAPI document gives ``route`` (None: not a documented route)."""
    operation = schema["paths"].get(route.template, {}).get(route.method.lower())
    return None if operation is None else set(operation["responses"])


def takes_bearer(schema: dict[str, Any], route: Route) -> bool:
    """Whether ``route`` is an internal operation or its document names the bearer."""
    operation = schema["paths"].get(route.template, {}).get(route.method.lower(), {})
    security = operation.get("security") or []
    return route.template.startswith("/internal/") or any("bearer" in r for r in security)


@pytest.mark.slow
async def test_pathological_input_never_gets_a_5xx_and_errors_keep_our_shape(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, settings = client
    schema = (await http.get("/api/docs/openapi.json")).json()
    targets = routes(schema)
    assert len(targets) > 25, [r.template for r in targets]
    problems: dict[str, str] = {}
    for route in targets:
        for variant in VARIANTS:
            # Past the guard where one stands (a fresh token each time: a sign-out route
            # revokes the one it gets); anonymous where anyone may call.
            token = mint_token(settings, role="admin") if takes_bearer(schema, route) else None
            response = await http.request(**request_for(route, variant, token))
            problem = problems_of(response, route.method, documented(schema, route))
            if problem:
                problems[f"{route.method} {route.template} / {variant.name}"] = problem
    assert not problems, "\n".join(f"{where}: {what}" for where, what in sorted(problems.items()))


async def test_a_1000_deep_json_body_is_a_400_validation_error(
    client: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, _ = client
    for path in ("/api/v1/auth/login", "/api/v1/auth/register"):
        r = await http.post(path, content=b"[" * DEEP + b"]" * DEEP)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "validation_error"


async def test_a_nul_in_the_spa_path_is_a_404(client: tuple[httpx.AsyncClient, Settings]) -> None:
    http, _ = client
    r = await http.get("/%00")
    assert r.status_code == 404, r.text
    assert set(r.json()) == ERROR_KEYS
    assert (await http.get("/some/client/route")).status_code == 200  # the SPA still answers
