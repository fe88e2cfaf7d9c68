"""The app factory: health, readiness, the error shape, request ids, the SPA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from litestar import get

from streamstack.kernel.errors import Conflict
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from support.apps import BackendKind, make_settings, running_app
from support.fixtures import SettingsFactory


def mount_probe(ctx: ModuleContext) -> MountedModule:
    """A module that uses every backend kind, with routes that raise."""
    ctx.backends.kv("probe-kv", 60)
    ctx.backends.objects(ctx.settings.media_bucket)
    ctx.backends.database  # noqa: B018 - asking registers the readiness check

    @get("/api/v1/probe/conflict")
    async def conflict() -> None:
        raise Conflict("already exists", code="probe_conflict")

    @get("/api/v1/probe/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    @get("/api/v1/probe/number/{n:int}")
    async def number(n: int) -> dict[str, int]:
        return {"n": n}

    return MountedModule("catalogue", [conflict, crash, number])


PROBE = {"catalogue": ModuleDefinition("catalogue", mount_probe)}


async def test_health_lists_the_mounted_modules(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path)
    async with running_app(settings) as client:
        r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "modules": ["auth", "catalogue", "streaming", "ingest"]}


async def test_ready_checks_each_backend_in_use(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    async with running_app(settings, PROBE, migrate=False) as client:
        r = await client.get("/ready")
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    # The revocation list is the kernel's: every process checks it for each bearer token.
    assert checks == {
        "database": "ok",
        "disk:data": "ok",
        "kv:probe-kv": "ok",
        "kv:revoked-tokens": "ok",
        "storage:media": "ok",
    }


async def test_ready_is_503_when_the_data_directory_s_disk_is_nearly_full(
    backend_kind: BackendKind, settings_factory: SettingsFactory
) -> None:
    """A full disk fails the embedded backends' writes while each of their checks still
    answers: the free space is checked itself (the floor set above the test disk's free
    space stands in for a disk that filled). Servers keep no data directory: no check."""
    settings = settings_factory(modules=("catalogue",), data_dir_free_space_floor_bytes=2**60)
    async with running_app(settings, PROBE, migrate=False) as client:
        r = await client.get("/ready")
    if backend_kind == "production":
        assert r.status_code == 200, r.text
        assert "disk:data" not in r.json()["checks"]
        return
    assert r.status_code == 503, r.text
    body = r.json()
    assert "disk:data" in body["detail"]
    assert body["checks"]["database"] == "ok"
    check = body["checks"]["disk:data"]
    assert check.startswith("the data directory's disk has ") and check.endswith(
        "MiB free, less than STREAMSTACK_DATA_DIR_FREE_SPACE_FLOOR_BYTES "
        "(1,099,511,627,776.0 MiB): free space on it"
    )


async def test_ready_is_503_naming_the_backend_that_is_down(tmp_path: Path) -> None:
    settings = make_settings(
        "embedded",
        tmp_path,
        modules=["catalogue"],
        nats_url="nats://127.0.0.1:9",
        s3_endpoint_url="http://127.0.0.1:9",
        s3_timeout_seconds=1.0,
        s3_access_key_id="key",
        s3_secret_access_key="secret",
    )
    async with running_app(settings, PROBE, migrate=False) as client:
        r = await client.get("/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "not_ready"
    assert "nats" in body["detail"], body["checks"]
    assert "s3:media" in body["detail"]
    assert body["checks"]["database"] == "ok"
    assert r.headers["retry-after"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/probe/conflict", 409, "probe_conflict"),
        ("GET", "/api/v1/probe/crash", 500, "internal_error"),
        ("GET", "/api/v1/nowhere", 404, "not_found"),
        ("DELETE", "/health", 405, "method_not_allowed"),
        ("GET", "/api/v1/probe/number/abc", 404, "not_found"),
    ],
)
async def test_every_error_has_the_json_shape(
    tmp_path: Path, method: str, path: str, status: int, code: str
) -> None:
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    async with running_app(settings, PROBE, migrate=False) as client:
        r = await client.request(method, path)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"status", "code", "detail", "request_id"}
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == r.headers["x-request-id"]
    assert "secret internals" not in r.text


async def test_request_ids_are_kept_or_made(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path)
    async with running_app(settings) as client:
        kept = await client.get("/health", headers={"X-Request-ID": "abc-123"})
        made = await client.get("/health", headers={"X-Request-ID": "bad id <script>"})
    assert kept.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert "<" not in made.headers["x-request-id"]


async def test_openapi_docs_are_served(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path)
    async with running_app(settings) as client:
        r = await client.get("/api/docs/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "StreamStack"
    # A client learns the error shape, what to retry and how to sign in before any operation.
    description = r.json()["info"]["description"]
    for told in ("`{status, code, detail, request_id}`", "`Retry-After`", "/api/v1/auth/login"):
        assert told in description, told


async def test_the_spa_is_served_with_client_route_fallback(tmp_path: Path) -> None:
    web = tmp_path / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><div id=root></div>")
    (web / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    settings = make_settings("embedded", tmp_path / "data", web_dist_dir=web)
    async with running_app(settings) as client:
        index = await client.get("/")
        route = await client.get("/watch/123")
        asset = await client.get("/assets/app-1234.js")
        missing_asset = await client.get("/assets/nope.js")
        escape = await client.get("/..%2Fsecret.txt")
        api = await client.get("/api/v1/unknown")
        # Uptime monitors and link previews ask HEAD first: the page, without its body.
        head = await client.head("/watch/123")
    assert (head.status_code, head.content) == (200, b"")
    # One charset: strict validators and some link-preview fetchers refuse a repeated one.
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert index.status_code == 200
    assert "id=root" in index.text
    assert route.status_code == 200
    assert "id=root" in route.text
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    # Browsers download an octet-stream page and refuse a module script that is not JavaScript.
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert route.headers["content-type"] == "text/html; charset=utf-8"
    assert asset.headers["content-type"].startswith("text/javascript")
    assert missing_asset.status_code == 404
    assert "outside" not in escape.text
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"


async def test_the_spa_pages_carry_the_site_name_and_a_new_build(tmp_path: Path) -> None:
    """Every page is titled with the server's name (escaped), and a build made while the
    server runs (``dev`` beside ``vite build``) is what the next page answers."""
    web = tmp_path / "dist"
    web.mkdir()
    index = web / "index.html"
    index.write_text("<!doctype html><head><title>StreamStack</title></head><div id=root>")
    settings = make_settings(
        "embedded", tmp_path / "data", web_dist_dir=web, site_name='Herons <"Film"> & Co'
    )
    async with running_app(settings) as client:
        first = await client.get("/library")
        index.write_text("<!doctype html><head><title>StreamStack</title></head><div id=new>")
        os.utime(index, ns=(1, 1))  # a new build, whatever the clock's resolution
        second = await client.get("/admin/users")
    title = "<title>Herons &lt;&quot;Film&quot;&gt; &amp; Co</title>"
    assert first.text == f"<!doctype html><head>{title}</head><div id=root>"
    assert second.text == f"<!doctype html><head>{title}</head><div id=new>"


def test_a_module_router_serves_the_one_app_it_was_built_for() -> None:
    """The app takes a module's router as it is (no deep copy), with the app's own layers
    (here its guard) above the router's handlers; a second app is refused, not shared."""
    from litestar import Litestar
    from litestar.connection import ASGIConnection
    from litestar.exceptions import NotAuthorizedException
    from litestar.handlers import BaseRouteHandler
    from litestar.testing import TestClient

    from streamstack.kernel.module import ModuleRouter

    def refuse(connection: ASGIConnection, handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
        raise NotAuthorizedException("no")

    @get("/hello", sync_to_thread=False)
    def hello() -> str:
        return "hello"

    router = ModuleRouter("/api", route_handlers=[hello])
    app = Litestar(route_handlers=[router], guards=[refuse])
    assert router.owner is app
    with TestClient(app) as client:
        assert client.get("/api/hello").status_code == 401
    with pytest.raises(RuntimeError, match="registered already"):
        Litestar(route_handlers=[router])
