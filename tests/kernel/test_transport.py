"""The module transport: one contract suite, passed in-process and over HTTP.

Two test modules stand in for a callee ("streaming" here offers an ``echo`` operation) and a
caller ("catalogue" exposes a route that calls it). Mounted together they talk in-process;
mounted in two servers they talk over HTTP through ``/internal/``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest
import structlog
from litestar import get
from litestar.di import Provide

from streamstack.kernel.errors import AppError, BadGateway, Conflict, ServiceUnavailable
from streamstack.kernel.guards import provide_call_context
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.operation import CallContext, Operation
from streamstack.kernel.storage import ObjectsNotDeleted
from streamstack.kernel.transport import SECRET_HEADER, HttpTransport
from streamstack.settings import Settings
from support.apps import (
    INTERNAL_SECRET,
    AppClient,
    bearer,
    free_port,
    make_settings,
    mint_token,
    running_app,
    served_app,
)


class Ping(msgspec.Struct, frozen=True):
    text: str
    fail_with: int = 0


class Pong(msgspec.Struct, frozen=True):
    text: str
    bearer: str | None
    request_id: str | None
    pid_marker: str


ECHO: Operation[Ping, Pong] = Operation(
    "streaming", "echo", "/internal/v1/test/echo", Ping, Pong, access="service"
)


def mount_callee(ctx: ModuleContext) -> MountedModule:
    marker = f"{ctx.settings.port}"

    async def echo(request: Ping, context: CallContext) -> Pong:
        if request.fail_with == 409:
            raise Conflict("already there", code="echo_conflict")
        if request.fail_with == 503:
            raise ServiceUnavailable("try later", headers={"Retry-After": "7"})
        if request.fail_with == 502:
            raise ObjectsNotDeleted("item/hls/seg_1.m4s", "AccessDenied", 3)
        return Pong(request.text, context.bearer_token, context.request_id, marker)

    return MountedModule("streaming", [], operations={ECHO: echo})


def mount_caller(ctx: ModuleContext) -> MountedModule:
    transport = ctx.transport("streaming")

    @get("/api/v1/test/call/{text:str}", dependencies={"call": Provide(provide_call_context)})
    async def call_echo(text: str, call: CallContext, fail: int = 0) -> Pong:
        return await transport.call(ECHO, Ping(text, fail), call)

    @get("/api/v1/test/refused", dependencies={"call": Provide(provide_call_context)})
    async def call_refused(call: CallContext) -> dict[str, str | int]:
        """What the caller's code sees of the callee's ObjectsNotDeleted."""
        try:
            await transport.call(ECHO, Ping("x", 502), call)
        except ObjectsNotDeleted as exc:
            return {"key": exc.key, "reason": exc.reason, "refused": exc.refused}
        raise AssertionError("the callee raised nothing")

    return MountedModule("catalogue", [call_echo, call_refused])


DEFINITIONS = {
    "streaming": ModuleDefinition("streaming", mount_callee),
    "catalogue": ModuleDefinition("catalogue", mount_caller),
}


class Deployment:
    """Where the caller lives and how to reach it."""

    def __init__(self, client: AppClient, callee_url: str | None, settings: Settings) -> None:
        self.client = client
        self.callee_url = callee_url
        self.settings = settings


@pytest.fixture(params=["in-process", "http"])
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    if request.param == "in-process":
        settings = make_settings("embedded", tmp_path, modules=["catalogue", "streaming"])
        async with running_app(settings, DEFINITIONS, migrate=False) as client:
            yield Deployment(client, None, settings)
        return
    port = free_port()
    callee_settings = make_settings("embedded", tmp_path, modules=["streaming"], port=port)
    async with served_app(callee_settings, DEFINITIONS, port=port) as callee_url:
        settings = make_settings(
            "embedded", tmp_path, modules=["catalogue"], streaming_url=callee_url
        )
        async with running_app(settings, DEFINITIONS, migrate=False) as client:
            yield Deployment(client, callee_url, settings)


async def test_a_call_returns_the_callee_answer_with_identity_forwarded(
    deployment: Deployment,
) -> None:
    token = mint_token(deployment.settings)
    r = await deployment.client.get(
        "/api/v1/test/call/hello", headers={**bearer(token), "X-Request-ID": "req-42"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"] == "hello"
    assert body["bearer"] == token
    assert body["request_id"] == "req-42"


async def test_errors_cross_with_status_code_and_headers(deployment: Deployment) -> None:
    r = await deployment.client.get("/api/v1/test/call/x", params={"fail": 409})
    assert r.status_code == 409
    assert r.json()["code"] == "echo_conflict"
    assert r.json()["detail"] == "already there"
    r = await deployment.client.get("/api/v1/test/call/x", params={"fail": 503})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "7"


async def test_an_errors_facts_cross_with_it(deployment: Deployment) -> None:
    """An object store's refusal raised by the callee is the same error for the caller's
    code, its key and reason kept (over HTTP, as the body's facts), and the answer names
    them too."""
    refusal = {"key": "item/hls/seg_1.m4s", "reason": "AccessDenied", "refused": 3}
    r = await deployment.client.get("/api/v1/test/refused")
    assert r.status_code == 200, r.text
    assert r.json() == refusal
    r = await deployment.client.get("/api/v1/test/call/x", params={"fail": 502})
    assert r.status_code == 502
    assert (r.json()["code"], r.json()["facts"]) == ("objects_not_deleted", refusal)


async def test_http_transport_is_really_used_across_processes(deployment: Deployment) -> None:
    r = await deployment.client.get("/api/v1/test/call/where")
    marker = r.json()["pid_marker"]
    if deployment.callee_url is None:
        assert marker == str(deployment.settings.port)
    else:
        assert deployment.callee_url.endswith(f":{marker}")


async def test_internal_routes_need_the_service_secret(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings("embedded", tmp_path, modules=["streaming"], port=port)
    async with (
        served_app(settings, DEFINITIONS, port=port) as callee_url,
        httpx.AsyncClient(base_url=callee_url) as http,
    ):
        body = msgspec.json.encode(Ping("x"))
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: INTERNAL_SECRET[:-1]}):
            r = await http.post(ECHO.path, content=body, headers=headers)
            assert r.status_code == 401
            assert r.json()["code"] == "invalid_service_secret"
            # A secret given but wrong is refused, not "required": the caller's operator
            # looks for a wrong value, not a missing setting.
            said = "refused" if headers else "required"
            assert r.json()["detail"].startswith(f"service credential {said}")
            assert "STREAMSTACK_INTERNAL_SECRET" in r.json()["detail"]
        r = await http.post(
            ECHO.path, content=b"{not json", headers={SECRET_HEADER: INTERNAL_SECRET}
        )
        assert r.status_code == 400
        r = await http.post(ECHO.path, content=body, headers={SECRET_HEADER: INTERNAL_SECRET})
        assert r.status_code == 200
        assert r.json()["text"] == "x"


async def test_a_refused_service_secret_is_a_warning_on_both_sides_once_a_minute(
    tmp_path: Path,
) -> None:
    # A service started with another STREAMSTACK_INTERNAL_SECRET was ready and silent while
    # every call it made or took failed 401, logged only as info access lines.
    port = free_port()
    settings = make_settings("embedded", tmp_path, modules=["streaming"], port=port)
    async with served_app(settings, DEFINITIONS, port=port) as callee_url:
        transport = HttpTransport("streaming", callee_url, "wrong-secret-0123456789abc")
        try:
            with structlog.testing.capture_logs() as logs:
                for _ in range(3):
                    with pytest.raises(AppError) as refused:
                        await transport.call(ECHO, Ping("x"), CallContext())
                    assert refused.value.code == "invalid_service_secret"
                    # Not a 401 to whoever called this service: that reads "signed out".
                    assert refused.value.status == 503
        finally:
            await transport.close()
    warnings = [line for line in logs if line["log_level"] == "warning"]
    events = [line["event"] for line in warnings]
    # Each side once, however many calls were refused within the minute.
    assert sorted(events) == ["internal.secret_refused", "internal.secret_refused_by_callee"]
    assert all("STREAMSTACK_INTERNAL_SECRET" in line["detail"] for line in warnings)


async def test_an_unreachable_callee_is_a_503(tmp_path: Path) -> None:
    settings = make_settings(
        "embedded", tmp_path, modules=["catalogue"], streaming_url=f"http://127.0.0.1:{free_port()}"
    )
    async with running_app(settings, DEFINITIONS, migrate=False) as client:
        r = await client.get("/api/v1/test/call/x")
    assert r.status_code == 503
    assert r.json()["code"] == "module_unavailable"
    assert "retry-after" in r.headers


async def test_a_proxy_answering_for_an_absent_callee_is_a_503() -> None:
    """nginx's internal listener answers 502 with a page of its own while the callee is
    down: the callee is unreachable (a transcoding job waits), not failing the call."""

    async def nginx_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        page = b"<html><head><title>502 Bad Gateway</title></head></html>"
        head = f"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {len(page)}"
        writer.write(head.encode() + b"\r\nConnection: close\r\n\r\n" + page)
        await writer.drain()
        writer.close()

    proxy = await asyncio.start_server(nginx_page, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    transport = HttpTransport("streaming", f"http://127.0.0.1:{port}", INTERNAL_SECRET)
    try:
        with pytest.raises(ServiceUnavailable, match="streaming service is unreachable") as exc:
            await transport.call(ECHO, Ping("x"), CallContext())
    finally:
        await transport.close()
        proxy.close()
        await proxy.wait_closed()
    assert exc.value.code == "module_unavailable"


def test_app_error_round_trips_through_its_body() -> None:
    original = Conflict("dup", code="email_taken")
    rebuilt = AppError.from_body(original.body())
    assert isinstance(rebuilt, Conflict)
    assert (rebuilt.status, rebuilt.code, rebuilt.detail) == (409, "email_taken", "dup")


def test_an_error_without_usable_facts_is_rebuilt_by_its_status() -> None:
    """Facts that do not make the error of their code (a peer of another version, a
    proxy's body) leave the error its status's class, not a failure to read it."""
    body = ObjectsNotDeleted("a.mp4", "AccessDenied", 1).body()
    assert isinstance(AppError.from_body(body), ObjectsNotDeleted)
    for facts in ({"key": "a.mp4"}, {"key": 1, "reason": "x", "refused": 1}):
        rebuilt = AppError.from_body(msgspec.structs.replace(body, facts=facts))
        assert type(rebuilt) is BadGateway
        assert (rebuilt.code, rebuilt.detail) == ("objects_not_deleted", body.detail)
    assert "facts" not in msgspec.json.decode(msgspec.json.encode(Conflict("dup").body()))


async def test_a_silent_callee_times_out_by_the_internal_timeout_setting(tmp_path: Path) -> None:
    # A listener that accepts connections and never answers, as a hung callee process.
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        settings = make_settings(
            "embedded",
            tmp_path,
            modules=["catalogue"],
            streaming_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
            internal_timeout_seconds=0.2,
            s3_timeout_seconds=600.0,  # no longer the bound of module-to-module calls
        )
        async with running_app(settings, DEFINITIONS, migrate=False) as client:
            async with asyncio.timeout(30):
                r = await client.get("/api/v1/test/call/x")
    finally:
        silent.close()
    assert r.status_code == 503
    assert r.json()["code"] == "module_unavailable"
    assert "ReadTimeout" in r.json()["detail"]
