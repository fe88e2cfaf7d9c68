"""What the streaming tests share: an app of the streaming module alone, and its helpers.

``StreamRig`` wraps a running app (in-process test client) with the few things every
streaming test does: put an object in the media or thumbnails bucket through the kernel
port, and issue a stream token over the real internal endpoint, as the catalogue would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from streamstack.app import create_app
from streamstack.contracts.catalogue import MediaWithdrawn
from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN
from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.events import Event
from streamstack.kernel.storage import ObjectInfo, ObjectStore
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from support.apps import (
    INTERNAL_SECRET,
    AppClient,
    bearer,
    free_port,
    mint_token,
    running_app,
    served_app,
    server_url,
    uvicorn_server,
)

#: Streaming needs no database: production-kind tests point it at one that does not exist,
#: so any attempt to use Postgres would fail loudly.
UNREACHABLE_DATABASE_URL = "postgresql+asyncpg://nobody@127.0.0.1:9/streaming_needs_none"
T = TypeVar("T")
#: The ``stream_settings`` fixture: settings for a streaming app of a test's own.
StreamSettings = Callable[..., Settings]
SIZE = 1000
PATTERN = bytes((i * 7 + 3) % 251 for i in range(SIZE))


async def chunks_of(data: bytes) -> AsyncIterator[bytes]:
    """``data`` as the one chunk an object store's ``write`` takes."""
    yield data


def media_key(ext: str = "mp4") -> str:
    """A media-bucket key as ingest names them: ``<uuid>.<ext>``."""
    return f"{uuid.uuid4()}.{ext}"


@dataclasses.dataclass
class StreamRig:
    """A running streaming app and the helpers to feed it."""

    client: AppClient
    settings: Settings
    clock: Clock = utcnow
    """The app's clock (a test may run it ahead of the system's)."""

    @property
    def backends(self) -> Backends:
        """The app's own backends; use them through :meth:`in_app` (they live in its loop)."""
        backends: Backends = self.client.app.state.backends
        return backends

    async def in_app(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` on the app's backends.

        The app runs in the test's own event loop (``support.apps.running_app``), where
        its S3 and NATS clients live, so this is a plain await.
        """
        return await fn(*args, **kwargs)

    @property
    def media(self) -> ObjectStore:
        """The media bucket."""
        return self.backends.objects(self.settings.media_bucket)

    @property
    def thumbnails(self) -> ObjectStore:
        """The thumbnails bucket."""
        return self.backends.objects(self.settings.thumbnails_bucket)

    async def put_media(
        self, data: bytes = PATTERN, *, key: str | None = None, content_type: str = "video/mp4"
    ) -> ObjectInfo:
        """Store ``data`` in the media bucket (a new ``<uuid>.mp4`` key unless given)."""
        return await self.in_app(
            self.media.write, key or media_key(), chunks_of(data), content_type=content_type
        )

    def user_token(self, **claims: Any) -> str:
        """An access token of a viewer, valid for 30 minutes on the app's clock (a grant
        ends with the token it was issued to)."""
        ahead = max(0, round((self.clock() - utcnow()).total_seconds()))
        claims.setdefault("ttl_seconds", 1800 + ahead)
        return mint_token(self.settings, **claims)

    async def issue(
        self,
        key: str,
        size: int,
        *,
        media_id: str | None = None,
        access_token: str | None = None,
        **item: Any,
    ) -> httpx.Response:
        """Call the token-issue operation over ``/internal/`` as another module would
        (``item``: more request fields, e.g. ``object_prefix``, ``hls``, ``storyboard``)."""
        headers = {SECRET_HEADER: INTERNAL_SECRET}
        headers.update(bearer(access_token or self.user_token()))
        payload = {
            "media_id": media_id or str(uuid.uuid4()),
            "s3_key": key,
            "size_bytes": size,
            **item,
        }
        return await self.client.post(ISSUE_STREAM_TOKEN.path, json=payload, headers=headers)

    async def issue_item(self, media_id: str) -> httpx.Response:
        """Issue a token for an item with HLS and a storyboard (:func:`item_request`)."""
        request = item_request(media_id)
        return await self.issue(
            request.pop("s3_key"),
            request.pop("size_bytes"),
            media_id=request.pop("media_id"),
            **request,
        )

    async def stream_url(self, info: ObjectInfo, size: int | None = None) -> str:
        """Issue a token for ``info`` and return its stream URL."""
        response = await self.issue(info.key, info.size if size is None else size)
        assert response.status_code == 200, response.text
        url: str = response.json()["stream_url"]
        return url

    async def object_url(self, data: bytes = PATTERN, **kwargs: Any) -> str:
        """Store ``data`` and return a stream URL for it."""
        return await self.stream_url(await self.put_media(data, **kwargs))


@asynccontextmanager
async def stream_rig(settings: Settings, *, clock: Clock = utcnow) -> AsyncIterator[StreamRig]:
    """Run the app for ``settings`` (its modules reading the time from ``clock``), wrapped."""
    async with running_app(settings, clock=clock) as client:
        yield StreamRig(client, settings, clock)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """``response`` is the JSON error shape with ``status`` (and ``code``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert set(body) == {"status", "code", "detail", "request_id"}
    if code is not None:
        assert body["code"] == code, body


# --- a real server, for what the in-process client cannot show -------------------------


def uvicorn_app(settings: Settings) -> AbstractAsyncContextManager[str]:
    """Serve ``create_app(settings)`` with uvicorn in a thread; yield its base URL."""
    return served_app(settings, migrate=False)


def subprocess_env(settings: Settings) -> dict[str, str]:
    """``STREAMSTACK_*`` variables that rebuild ``settings`` in another process."""
    env = dict(os.environ)
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"STREAMSTACK_{field.name.upper()}"] = str(value)
    return env


@dataclasses.dataclass(frozen=True)
class Part:
    """One part of a ``multipart/byteranges`` body."""

    content_type: str
    start: int
    end: int
    size: int
    data: bytes


def parse_byteranges(content_type: str, body: bytes) -> list[Part]:
    """Split a ``multipart/byteranges`` body (RFC 9110 §14.6) strictly; fail on any oddity."""
    kind, _, params = content_type.partition(";")
    assert kind.strip() == "multipart/byteranges", content_type
    boundary = params.strip().removeprefix("boundary=").encode()
    assert boundary, content_type
    delimiter = b"--" + boundary
    assert body.startswith(delimiter + b"\r\n"), body[:80]
    assert body.endswith(b"\r\n" + delimiter + b"--\r\n"), body[-80:]
    inner = body[len(delimiter) + 2 : -(len(delimiter) + 6)]
    parts = []
    for chunk in inner.split(b"\r\n" + delimiter + b"\r\n"):
        head, separator, data = chunk.partition(b"\r\n\r\n")
        assert separator, chunk[:80]
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.decode().partition(":") for line in head.split(b"\r\n"))
        )
        unit, _, spec = headers["content-range"].partition(" ")
        assert unit == "bytes"
        span, _, size = spec.partition("/")
        start, _, end = span.partition("-")
        part = Part(headers["content-type"], int(start), int(end), int(size), data)
        assert len(data) == part.end - part.start + 1
        parts.append(part)
    return parts


# --- nginx in front, with the shipped snippet -------------------------------------------

REPO = Path(__file__).resolve().parents[2]
NGINX_SNIPPET = REPO / "compose" / "nginx-streaming.conf"


def render_snippet(values: dict[str, str]) -> str:
    """``compose/nginx-streaming.conf`` with its ``${STREAMSTACK_*}`` templates filled in."""
    text = NGINX_SNIPPET.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    assert "${STREAMSTACK_" not in text, "a template of the snippet was left unfilled"
    return text


@contextmanager
def nginx_in_front(nginx: str, workdir: Path, values: dict[str, str]) -> Iterator[str]:
    """Run nginx with the rendered snippet on a free port; yield its base URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "snippet.conf").write_text(render_snippet(values))
    port = free_port()
    temp = {
        name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "checks")
    }
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test's files
    (workdir / "nginx.conf").write_text(
        f"""
{user}
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    proxy_cache_path {temp["checks"]} levels=1:2 keys_zone=streamstack_checks:4m
                     max_size=64m inactive=10s use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        include {workdir}/snippet.conf;
    }}
}}
"""
    )
    command = [nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", "stderr"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stderr=(workdir / "stderr.log").open("wb"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert process.poll() is None, (workdir / "stderr.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


@dataclasses.dataclass
class LiveStream:
    """The app served by uvicorn (and maybe nginx), fed through backends of the test's own."""

    settings: Settings
    app_url: str
    backends: Backends
    http: httpx.AsyncClient

    async def put_media(self, data: bytes = PATTERN, *, key: str | None = None) -> ObjectInfo:
        """Store ``data`` in the media bucket under a new ``<uuid>.mp4`` key."""
        store = self.backends.objects(self.settings.media_bucket)
        return await store.write(key or media_key(), chunks_of(data), content_type="video/mp4")

    async def stream_url(self, info: ObjectInfo) -> str:
        """Issue a token over the app's ``/internal/`` endpoint; return the stream URL."""
        url: str = (await self.grant(info))["stream_url"]
        return url

    async def grant(self, info: ObjectInfo, *, role: str = "viewer", **item: Any) -> dict[str, Any]:
        """Issue a token for ``info`` (and ``item``'s other request fields) to a user of
        ``role``; the answer."""
        response = await self.http.post(
            f"{self.app_url}{ISSUE_STREAM_TOKEN.path}",
            json={
                "media_id": str(uuid.uuid4()),
                "s3_key": info.key,
                "size_bytes": info.size,
                **item,
            },
            headers={
                SECRET_HEADER: INTERNAL_SECRET,
                **bearer(mint_token(self.settings, role=role)),
            },
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@asynccontextmanager
async def live_stream(settings: Settings) -> AsyncIterator[LiveStream]:
    """The app in uvicorn, plus test-side backends and an HTTP client."""
    async with (
        Backends(settings) as backends,
        httpx.AsyncClient(timeout=60) as http,
        uvicorn_app(settings) as app_url,
    ):
        yield LiveStream(settings, app_url, backends, http)


@dataclasses.dataclass
class ServedApp:
    """An app served by uvicorn in a thread, reachable from the test's loop."""

    url: str
    backends: Backends
    loop: asyncio.AbstractEventLoop

    async def in_app(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` in the app's own loop (its backends live there).

        For the embedded backends this is the only way in: their KV reads come from the
        app's memory and their bus is in-process.
        """

        async def call() -> T:
            return await fn(*args, **kwargs)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), self.loop))


@asynccontextmanager
async def served_with_backends(settings: Settings) -> AsyncIterator[ServedApp]:
    """Like ``support.apps.served_app`` (no migrations), keeping a handle on the app."""
    app = create_app(settings)
    async with uvicorn_server(app) as server:
        yield ServedApp(server_url(server), app.state.backends, server.servers[0].get_loop())


class SwitchableProxy:
    """A TCP proxy that forwards, or swallows everything and never answers (a hung server).

    Stands between the app and S3 to show that a store which accepts connections but
    never replies costs a request the configured timeouts, not forever.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.hung = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> SwitchableProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self.drop_connections()
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hang(self) -> None:
        """From now on, accept and say nothing; cut the connections already open."""
        self.hung = True
        self.drop_connections()

    def recover(self) -> None:
        """Forward again."""
        self.hung = False

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.hung:
            while await reader.read(65536):
                pass  # swallow the request, answer nothing
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


# --- an item's HLS package, as the transcoder stores it under the item's prefix -----------

MASTER = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=450000,RESOLUTION=320x240\n240p/index.m3u8\n"
MEDIA_PLAYLIST = (
    b'#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n'
    b"#EXTINF:2.000,\nseg_00001.m4s\n#EXT-X-ENDLIST\n"
)
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsheet_001.jpg#xywh=0,0,160,90\n"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(200)) + b"\xff\xd9"
CAPTIONS = b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nOl\xc3\xa1\n"
CAPTIONS_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
    b"#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\npt-BR.vtt\n#EXT-X-ENDLIST\n"
)

#: relative path -> (bytes, content type the transcoder stores it with)
PACKAGE: dict[str, tuple[bytes, str]] = {
    "hls/master.m3u8": (MASTER, "application/vnd.apple.mpegurl"),
    "hls/240p/index.m3u8": (MEDIA_PLAYLIST, "application/vnd.apple.mpegurl"),
    "hls/240p/init.mp4": (PATTERN[:300], "video/mp4"),
    "hls/240p/seg_00001.m4s": (PATTERN, "video/mp4"),
    "storyboard/storyboard.vtt": (VTT, "text/vtt"),
    "storyboard/sheet_001.jpg": (JPEG, "image/jpeg"),
    # A caption track as ingest stores it (ingest.caption_tracks): its WebVTT and playlist.
    "captions/pt-BR.vtt": (CAPTIONS, "text/vtt"),
    "captions/pt-BR.m3u8": (CAPTIONS_PLAYLIST, "application/vnd.apple.mpegurl"),
    "outputs.json": (b'["not for players"]', "application/json"),
}
#: The package's files a token plays (not the manifest), and the type each is served with.
PLAYABLE_TYPES = {
    "hls/master.m3u8": "application/vnd.apple.mpegurl",
    "hls/240p/index.m3u8": "application/vnd.apple.mpegurl",
    "hls/240p/init.mp4": "video/mp4",
    "hls/240p/seg_00001.m4s": "video/mp4",
    "storyboard/storyboard.vtt": "text/vtt",
    "storyboard/sheet_001.jpg": "image/jpeg",
    "captions/pt-BR.vtt": "text/vtt",
    "captions/pt-BR.m3u8": "application/vnd.apple.mpegurl",
}


async def store_package(store: ObjectStore, media_id: str) -> None:
    """Write :data:`PACKAGE` under ``<media_id>/`` (and the original ``<media_id>.mp4``)."""
    await store.write(f"{media_id}.mp4", chunks_of(PATTERN), content_type="video/mp4")
    for path, (data, content_type) in PACKAGE.items():
        await store.write(f"{media_id}/{path}", chunks_of(data), content_type=content_type)


def item_request(media_id: str) -> dict[str, Any]:
    """The token request catalogue sends for an item with HLS and a storyboard."""
    return {
        "media_id": media_id,
        "s3_key": f"{media_id}.mp4",
        "size_bytes": len(PATTERN),
        "object_prefix": f"{media_id}/",
        "hls": True,
        "storyboard": True,
    }


def withdrawal_event(subject: str, media_id: str, at: datetime) -> Event:
    """``media.unpublished`` or ``media.deleted`` for ``media_id`` (at ``at``), as catalogue's
    outbox relay publishes it."""
    payload = msgspec.json.encode(
        MediaWithdrawn(
            id=media_id,
            object_prefix=f"{media_id}/",
            s3_key=f"{media_id}.mp4",
            thumbnail_s3_key=f"{media_id}.jpg",
            withdrawn_at=at,
        )
    )
    return Event(id=str(uuid.uuid4()), subject=subject, payload=payload)


async def withdraw(rig: StreamRig, subject: str, media_id: str, at: datetime) -> None:
    """Publish the withdrawal (at ``at``) on the app's bus, as catalogue's outbox relay
    would."""
    event = withdrawal_event(subject, media_id, at)
    await rig.in_app(rig.backends.events.publish, subject, event.payload, event_id=event.id)
