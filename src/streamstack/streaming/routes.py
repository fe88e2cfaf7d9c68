"""HTTP routes of streaming: ``GET``/``HEAD /api/v1/stream/<token>`` and thumbnails.

Thin: read the headers, call the delivery, turn its :class:`~.service.Reply` into an ASGI
response. Bodies are streamed by :class:`ObjectStreamResponse`, which closes the storage
read however the response ends, including when the client goes away mid-stream.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import structlog
from litestar import Controller, Request, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.response.base import ASGIResponse
from litestar.types import Receive, ReceiveMessage, Send

from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from streamstack.kernel.conditions import Conditions
from streamstack.kernel.dependencies import provide_values
from streamstack.kernel.errors import AppError
from streamstack.kernel.guards import OPEN_TO_GUESTS
from streamstack.kernel.module import ModuleRouter
from streamstack.streaming import metrics
from streamstack.streaming.schemas import STREAM_RESPONSES, THUMBNAIL_RESPONSES
from streamstack.streaming.service import (
    CHECK_HEADER,
    STREAM_PATH,
    Delivery,
    Payload,
    Reply,
    ThumbnailDelivery,
)

log = structlog.get_logger(__name__)


class ObjectStreamResponse(ASGIResponse):
    """The headers, then the payload's chunks, one ``send`` each; the payload is closed in
    every case (an open S3 read holds a pooled connection: a thousand aborted requests must
    not exhaust the pool).

    Litestar's streaming response runs every body in an anyio task group beside a task that
    listens for the disconnect; for a 1 MiB range (one chunk) that machinery cost a fifth of
    the throughput (bench/throughput.py). Here a listener exists only once a second chunk is
    due: uvicorn's ``send`` returns silently after the client has gone, so without it a long
    body would be read to its end for nobody. The chunk that completes Content-Length ends
    the response (no empty closing message: each message passes through every middleware).
    Bytes are counted once per response.
    """

    __slots__ = ("_length", "_payload")

    def __init__(self, payload: Payload, *, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(
            status_code=status_code, headers=headers, media_type=headers.get("Content-Type")
        )
        self._payload = payload
        self._length = int(headers["Content-Length"])

    async def send_body(self, send: Send, receive: Receive) -> None:
        """Send every chunk, stopping early once the client has disconnected."""
        sent = 0
        client = ClientPresence(receive)
        try:
            with metrics.active_stream():
                async for chunk in self._payload:
                    if sent and await client.gone():
                        return
                    sent += len(chunk)
                    # The ASGI type says bytes; uvicorn writes any bytes-like body, and
                    # turning the local store's map slices into bytes would copy each chunk.
                    body = cast("bytes", chunk)
                    more = sent < self._length
                    await send({"type": "http.response.body", "body": body, "more_body": more})
                if not self._length:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                elif sent < self._length:
                    # Cut short (a file truncated in place): ending the response here would
                    # be a lie; returning makes the server close the connection instead.
                    log.warning("stream.short", expected=self._length, sent=sent)
        except AppError as exc:
            # The headers are gone already: the only honest signal left is to cut the
            # connection short of Content-Length, which the server does when we return.
            log.warning("stream.interrupted", error=exc.__class__.__name__, detail=exc.detail)
        finally:
            metrics.count_streamed_bytes(sent)
            client.stop_listening()
            await self._payload.aclose()


class ClientPresence:
    """Whether the client is still there, learned from ``receive`` by one task made on the
    first question (so a one-chunk answer makes none)."""

    __slots__ = ("_listener", "_receive")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._listener: asyncio.Future[ReceiveMessage] | None = None

    async def gone(self) -> bool:
        """True once the server has reported ``http.disconnect``.

        It lets the event loop run first: a body read from the page cache never waits, and
        a write to a reset connection returns at once, so without this pause the loop would
        not learn of the disconnect before the whole body had been read.
        """
        await asyncio.sleep(0)
        listener = self._listener
        if listener is not None and not listener.done():
            return False
        if listener is not None and listener.result()["type"] == "http.disconnect":
            return True
        # First question, or the message was more request body: listen (again).
        self._listener = asyncio.ensure_future(self._receive())
        return False

    def stop_listening(self) -> None:
        """Cancel the listener, if one was made."""
        if self._listener is not None:
            self._listener.cancel()


def to_asgi(reply: Reply, *, head: bool) -> ASGIResponse:
    """The ASGI response for ``reply``.

    Without a body (HEAD, 304, an X-Accel answer) the reply's headers go out exactly as
    they are: Litestar adds no Content-Type or Content-Length of its own.
    """
    if reply.body is not None and not head:
        return ObjectStreamResponse(reply.body, status_code=reply.status, headers=reply.headers)
    return ASGIResponse(status_code=reply.status, headers=reply.headers, is_head_response=True)


def _playback_route(path: str, summary: str) -> HTTPRouteHandler:
    """A playback route: GET and HEAD, answered by :func:`_play` with the same statuses and
    headers whether the token names the original or a file under its prefix."""
    return route(
        path,
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary=summary,
        media_type="application/octet-stream",
        responses=STREAM_RESPONSES,
    )


class StreamController(Controller):
    """Playback and thumbnails; tokens are issued over the internal operation instead."""

    path = STREAM_PATH
    tags = ["streaming"]
    # The token in the path is the grant (a share link's too); stills are named by random
    # ids that only a listing tells, closed to guests on a members-only server (DESIGN.md).
    opt = OPEN_TO_GUESTS

    @route(
        "/thumbnails/{name:str}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="A media item's thumbnail (public while it is published, cacheable)",
        media_type="image/jpeg",
        responses=THUMBNAIL_RESPONSES,
    )
    async def thumbnail(
        self, request: Request[Any, Any, Any], name: str, thumbnails: ThumbnailDelivery
    ) -> ASGIResponse:
        """``<media uuid>.jpg`` (≤ 640 px wide) or ``<media uuid>-poster.jpg`` (≤ 1280 px)
        from the thumbnails bucket, with ETag and 304 support; an unpublished item's only
        to an admin's browser (the stills-pass cookie), 404 to anyone else."""
        if CHECK_HEADER in request.headers:
            return to_asgi(thumbnails.check(), head=True)
        head = request.method == HttpMethod.HEAD
        reply = await thumbnails.serve(
            name,
            Conditions.from_headers(request.headers),
            head=head,
            stills_pass=request.cookies.get(STILLS_PASS_COOKIE),
        )
        return to_asgi(reply, head=head)

    @_playback_route("/{token:str}", "Play a stream token's object (RFC 9110 byte ranges)")
    async def stream(
        self, request: Request[Any, Any, Any], token: str, delivery: Delivery
    ) -> ASGIResponse:
        """200, 206 (single range or multipart/byteranges), 304, 404, 412 or 416."""
        return await _play(request, delivery, token, None)

    @_playback_route(
        "/{token:str}/{path:path}",
        "Play a file under the token's item prefix (HLS playlists and segments, storyboards), "
        "with byte ranges",
    )
    async def stream_file(
        self, request: Request[Any, Any, Any], token: str, path: str, delivery: Delivery
    ) -> ASGIResponse:
        """``hls/master.m3u8``, ``hls/<rung>/seg_00001.m4s``, ``storyboard/…``: as above."""
        return await _play(request, delivery, token, path.removeprefix("/"))


async def _play(
    request: Request[Any, Any, Any], delivery: Delivery, token: str, path: str | None
) -> ASGIResponse:
    if CHECK_HEADER in request.headers:
        return to_asgi(await delivery.check(token, path), head=True)
    conditions = Conditions.from_headers(request.headers)
    if request.method == HttpMethod.HEAD:
        return to_asgi(await delivery.head(token, conditions, path), head=True)
    return to_asgi(await delivery.get(token, conditions, path), head=False)


def stream_router(delivery: Delivery, thumbnails: ThumbnailDelivery) -> ModuleRouter:
    """The module's routes, wired to its deliveries."""
    return ModuleRouter(
        path="/",
        route_handlers=[StreamController],
        dependencies=provide_values(delivery=delivery, thumbnails=thumbnails),
    )
