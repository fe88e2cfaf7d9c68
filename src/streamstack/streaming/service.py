"""Streaming's use cases: issue stream tokens; deliver a granted object; thumbnails.

Each delivery answer is a :class:`Reply` (status, headers, optional body to stream), with no
web framework in sight; ``routes`` turns it into an ASGI response. A stream request costs
at most one KV lookup (none while the grant is cached) and, normally, one ranged read whose
answer also carries the ETag and Last-Modified; a ``head`` is made only for HEAD requests,
for a Range on a file under the item's prefix (the grant knows only the original's size),
and for requests whose Range cannot be satisfied by the size the token was issued with.

An admin's token also downloads the item's original as a file (``<token>/original``): the
same delivery, plus ``Content-Disposition: attachment`` with the name the grant keeps.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import mimetypes
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

import structlog

from streamstack.contracts.streaming import (
    HLS_MASTER_PATH,
    ORIGINAL_PATH,
    PREFIX_FILE_TYPES,
    STORYBOARD_PATH,
    GrantedCaption,
    IssueSharedStreamToken,
    IssueStreamToken,
    StreamTokenGrant,
    caption_path,
    content_disposition,
    share_session,
)
from streamstack.kernel import conditions as cond
from streamstack.kernel.authentication import Authenticator, Principal
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.conditions import Conditions
from streamstack.kernel.errors import (
    NotFound,
    PreconditionFailed,
    RangeNotSatisfiable,
    Unauthorized,
)
from streamstack.kernel.http import http_date
from streamstack.kernel.jwt import InvalidToken
from streamstack.kernel.storage import (
    ObjectBody,
    ObjectChanged,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageError,
)
from streamstack.streaming import metrics
from streamstack.streaming.hidden import HiddenItems, HiddenItemsUnknown
from streamstack.streaming.missing import MissingObjects
from streamstack.streaming.models import SEPARATOR, StreamGrant
from streamstack.streaming.ranges import (
    UNSATISFIABLE,
    ByteRange,
    ParsedRange,
    select_ranges,
    unsatisfiable_content_range,
)
from streamstack.streaming.repository import StreamTokenStore
from streamstack.streaming.sessions import SignedOutSessions
from streamstack.streaming.takedowns import Takedowns

log = structlog.get_logger(__name__)

#: Public prefix of the URLs tokens are played from.
STREAM_PATH = "/api/v1/stream"
#: What a token looks like on the way in; anything else is unknown without a KV lookup.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-]{22,128}")
#: Stream answers are for the token holder only, and must reach them byte for byte.
STREAM_CACHE_CONTROL = "private, no-transform"
#: A thumbnail is public, but its item may be deleted: caches keep it five minutes at most,
#: then revalidate (a cheap 304 while it lives, a 404 once it is gone).
THUMBNAIL_CACHE_CONTROL = "public, max-age=300, must-revalidate"
#: A hidden item's, shown to an admin: no cache keeps it (with ``no-cache`` alone Chromium
#: still showed it from memory after the admin signed out), so whoever uses the browser
#: next is asked for a stills pass of their own.
HIDDEN_THUMBNAIL_CACHE_CONTROL = "private, no-store"
#: Where nginx's internal locations live (see ``compose/nginx-streaming.conf``).
ACCEL_PREFIX = "/_streamstack"
#: How long the presigned URL handed to nginx stays valid; nginx uses it at once, or
#: within the 2 s it caches a token check (CHECK_HEADER), far inside this.
ACCEL_PRESIGN_SECONDS = 60
#: Sent only by nginx's ``auth_request`` subrequest (compose/nginx-streaming.conf): "answer
#: whether this token may play this path, and where nginx finds the bytes", not the bytes.
CHECK_HEADER = "x-streamstack-check"
#: In a check answer: the internal URI nginx serves the bytes from (its ``try_files`` target).
TARGET_HEADER = "X-Streamstack-Target"
#: In a refused check (403, the only refusal ``auth_request`` passes on): the error code.
REFUSAL_HEADER = "X-Streamstack-Error"
#: In a check answer for a download: the ``Content-Disposition`` nginx adds to the bytes.
DISPOSITION_HEADER = "X-Streamstack-Disposition"
#: Proxy delivery's check target: nginx's named location that proxies to the service.
PROXY_TARGET = "@streamstack_proxy"

_THUMBNAIL_NAME = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?P<poster>-poster)?\.jpg"
)


class StreamTokenNotFound(NotFound):
    """The token is unknown, expired or malformed."""

    code = "stream_token_not_found"


class StreamFileNotFound(NotFound):
    """The path names no file a token may play (outside its item's prefix, or malformed)."""

    code = "stream_file_not_found"


class StreamObjectGone(ObjectNotFound):
    """The object a token grants is not stored (deleted since, or never written): said in
    nginx's words (``@streamstack_object_missing``), never by its key, which would tell a
    viewer how the media bucket is laid out."""

    def __init__(self) -> None:
        super().__init__("the object of this stream token is gone")


class StreamTokens:
    """Issues tokens for authenticated users and resolves them on each stream request.

    ``takedowns`` (in memory) refuses the tokens of withdrawn items without a KV lookup;
    ``sessions`` those whose access token was revoked (:mod:`.sessions`); ``budgets``
    bounds how fast one account has tokens issued (:mod:`.budgets`). A token's
    ``issued_at`` is when the catalogue decided on it (``IssueStreamToken.decided_at``, from
    the clock that also stamps the withdrawals it is compared with), or ``clock``'s now
    when that is earlier or not given.
    """

    def __init__(
        self,
        store: StreamTokenStore,
        takedowns: Takedowns | None = None,
        clock: Clock = utcnow,
        sessions: SignedOutSessions | None = None,
        budgets: Budgets | None = None,
    ) -> None:
        self._store = store
        self._takedowns = takedowns
        self._clock = clock
        self._sessions = sessions
        self._budgets = budgets

    async def issue(self, request: IssueStreamToken, caller: Principal) -> StreamTokenGrant:
        """Grant the caller the object ``request`` names, for the bucket's TTL or until the
        caller's access token expires, whichever comes first."""
        if SEPARATOR in caller.user_id:
            raise InvalidToken("malformed subject")
        if self._budgets is not None:
            self._budgets.spend(caller.user_id)  # 429 before anything is stored
        now = int(self._clock().timestamp())
        grant = _grant_of(
            request,
            now,
            holder=caller.user_id,
            session=caller.jti,
            session_expires=caller.expires_at,
            admin=caller.is_admin,
        )
        return await self._granted(grant, request, now)

    async def issue_shared(self, request: IssueSharedStreamToken) -> StreamTokenGrant:
        """Grant the holder of a share link the item ``request`` names, as a viewer's grant
        (never its original once packaged, never a download), ending at the link's expiry
        or the bucket's TTL, and when the link's session is revoked (stopped). Not budgeted
        here: the catalogue budgets the link's holders by address, many of them one link."""
        now = int(self._clock().timestamp())
        session = share_session(request.share_id)
        ends = request.expires_at  # the link's expiry; never: the grant's own TTL
        grant = _grant_of(
            request.grant,
            now,
            holder=session,
            session=session,
            session_expires=now + self._store.ttl_seconds if ends is None else int(ends),
            admin=False,
        )
        return await self._granted(grant, request.grant, now)

    async def _granted(
        self, grant: StreamGrant, request: IssueStreamToken, now: int
    ) -> StreamTokenGrant:
        """Store ``grant`` and answer where it plays from, for as long as it lasts."""
        token = await self._store.create(grant)
        metrics.count_stream_token_issued()
        log.info("stream_token.issued", media_id=grant.media_id, user_id=grant.user_id)
        base = f"{STREAM_PATH}/{token}"
        prefixed = grant.object_prefix != ""
        return StreamTokenGrant(
            stream_url=base,
            expires_in=max(1, min(self._store.ttl_seconds, grant.session_expires - now)),
            hls_url=f"{base}/{HLS_MASTER_PATH}" if _packaged(request) else None,
            storyboard_url=(
                f"{base}/{STORYBOARD_PATH}" if prefixed and request.storyboard else None
            ),
            captions=[
                GrantedCaption(
                    track.language, track.label, f"{base}/{caption_path(track.language)}"
                )
                for track in (request.captions if prefixed else ())
            ],
            download_url=f"{base}/{ORIGINAL_PATH}" if grant.download_name else None,
        )

    async def resolve(self, token: str) -> StreamGrant:
        """The grant behind ``token``, or :class:`StreamTokenNotFound` (also once its item
        was taken down after the token was issued)."""
        grant = await self._store.find(token) if TOKEN_SHAPE.fullmatch(token) else None
        if grant is None or await self._ended(grant):
            raise StreamTokenNotFound("unknown or expired stream token")
        return grant

    async def _ended(self, grant: StreamGrant) -> bool:
        """Whether the grant's item was taken down since, or its access token expired or
        was revoked (grants from before they kept their token: only the former)."""
        if self._takedowns is not None and self._takedowns.blocks(grant):
            return True
        if not grant.session:
            return False
        if self._clock().timestamp() >= grant.session_expires:
            return True
        return self._sessions is not None and await self._sessions.revoked(grant.session)

    async def resolve_key(self, token: str, path: str | None) -> tuple[StreamGrant, str]:
        """The grant and the media-bucket key of ``path`` under its prefix (the original
        when ``path`` is None, or :data:`ORIGINAL_PATH` for a grant that downloads it);
        :class:`StreamFileNotFound` for a path outside the prefix."""
        grant = await self.resolve(token)
        if path is None and not grant.plays_original:
            raise StreamFileNotFound("this item plays from its HLS package, not its original")
        if path is None or (path == ORIGINAL_PATH and grant.download_name):
            return grant, grant.s3_key
        key = grant.key_of(path)
        if key is None:
            raise StreamFileNotFound("no such file for this stream token")
        return grant, key


class Payload(Protocol):
    """A body to stream: iterate it once, and always close it."""

    def __aiter__(self) -> AsyncIterator[bytes | bytearray | memoryview]: ...

    async def aclose(self) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, headers and, for 200/206 to a GET, the body to stream."""

    status: int
    headers: dict[str, str]
    body: Payload | None = None


class Delivery(abc.ABC):
    """How a stream token's bytes reach the player (``streaming_delivery`` picks one).

    A base class, not a runtime-checkable Protocol: Litestar checks the injected delivery
    with ``isinstance`` on every request, and a Protocol's check cost 2 % of a 1 MiB range.
    """

    @abc.abstractmethod
    async def get(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """Answer ``GET /api/v1/stream/<token>[/<path under the item's prefix>]``."""

    @abc.abstractmethod
    async def head(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """Answer ``HEAD /api/v1/stream/<token>[/<path>]``."""

    @abc.abstractmethod
    async def check(self, token: str, path: str | None = None) -> Reply:
        """Answer nginx's token check (:data:`CHECK_HEADER`): 200 naming the target, or 403."""


async def check_reply(
    tokens: StreamTokens, token: str, path: str | None, target: Callable[[str], Awaitable[str]]
) -> Reply:
    """nginx's token check: an empty 200 with :data:`TARGET_HEADER`, or 403 with the refusal.

    nginx caches the 200 for 2 s keyed by the request URI, so a take-down or expiry reaches
    nginx-served ranges up to 2 s after it reaches the service (see the snippet).
    ``auth_request`` turns any status but 2xx/401/403 into a 500, hence 403 for a 404.
    """
    try:
        grant, key = await tokens.resolve_key(token, path)
    except NotFound as refused:
        return Reply(403, {REFUSAL_HEADER: refused.code, "Content-Length": "0"})
    reply = _check_passed(await target(key))
    if disposition := downloaded_as(grant, path):
        reply.headers[DISPOSITION_HEADER] = disposition
    return reply


def _check_passed(target: str) -> Reply:
    """A check's yes: nginx serves the request from ``target``."""
    # 200, not 204: nginx caches an empty 200 answer (a 204 it would not).
    return Reply(200, {TARGET_HEADER: target, "Content-Length": "0"})


def downloaded_as(grant: StreamGrant, path: str | None) -> str | None:
    """The ``Content-Disposition`` of a download of the grant's original, None for play."""
    return content_disposition(grant.download_name) if path == ORIGINAL_PATH else None


def _as_download(reply: Reply, disposition: str | None) -> Reply:
    """``reply``, saved as a file when ``disposition`` says so (not a 304: no body)."""
    if disposition is not None and reply.status in (200, 206):
        reply.headers["Content-Disposition"] = disposition
    return reply


class ThumbnailNotFound(NotFound):
    """No thumbnail under that name."""

    code = "thumbnail_not_found"


def _validators(info: ObjectInfo) -> dict[str, str]:
    return {"ETag": info.etag, "Last-Modified": _last_modified(info.last_modified)}


@functools.lru_cache(maxsize=1024)
def _last_modified(moment: datetime) -> str:
    """``http_date``, remembered: the same few objects are asked for again and again."""
    return http_date(moment)


_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def _content_type(info: ObjectInfo) -> str:
    if info.content_type not in _GENERIC_TYPES:
        return info.content_type
    # The prefix's kinds of file first: ``mimetypes`` may not know them (``.m4s``).
    known = PREFIX_FILE_TYPES.get(info.key[info.key.rfind(".") :].lower())
    return known or mimetypes.guess_type(info.key)[0] or "application/octet-stream"


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        "no requested range overlaps the object",
        headers={"Content-Range": unsatisfiable_content_range(size), "Accept-Ranges": "bytes"},
    )


async def _close(body: Payload | None) -> None:
    if body is not None:
        await body.aclose()


def _check_preconditions(
    conditions: Conditions, info: ObjectInfo, cache_control: str
) -> Reply | None:
    """A 304 reply, a raised 412, or None when the request goes ahead."""
    outcome = cond.evaluate(conditions, info.etag, info.last_modified)
    if outcome == 412:
        raise PreconditionFailed("the object does not match the request's preconditions")
    if outcome == 304:
        return Reply(304, {**_validators(info), "Cache-Control": cache_control})
    return None


class MultipartByteranges:
    """A ``multipart/byteranges`` body (RFC 9110 §14.6): one ranged read per part, in turn.

    Every read after the first sends ``If-Match`` with the first read's ETag, so a
    replaced object fails the response instead of mixing two objects' bytes.
    """

    def __init__(
        self,
        first: ObjectBody,
        parts: tuple[ByteRange, ...],
        open_part: Callable[[ByteRange, str], Awaitable[ObjectBody]],
    ) -> None:
        self._current: ObjectBody | None = first
        self._parts = parts
        self._open_part = open_part
        self._info = first.info
        self.boundary = secrets.token_hex(16)
        content_type = _content_type(first.info)
        self._heads = [
            (
                ("\r\n" if index else "")
                + f"--{self.boundary}\r\nContent-Type: {content_type}\r\n"
                + f"Content-Range: {part.content_range(first.info.size)}\r\n\r\n"
            ).encode()
            for index, part in enumerate(parts)
        ]
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_length(self) -> int:
        """The exact length of the whole body."""
        framing = sum(len(head) for head in self._heads) + len(self._tail)
        return framing + sum(part.length for part in self._parts)

    async def __aiter__(self) -> AsyncIterator[bytes | bytearray | memoryview]:
        for index, part in enumerate(self._parts):
            if self._current is None:
                self._current = await self._open_part(part, self._info.etag)
            yield self._heads[index]
            async for chunk in self._current:
                yield chunk
            await self._current.aclose()
            self._current = None
        yield self._tail

    async def aclose(self) -> None:
        """Close the read in progress, if any."""
        current, self._current = self._current, None
        await _close(current)


@dataclasses.dataclass(slots=True)
class _Opened:
    """What the first storage call found: the object's info and maybe an open read."""

    info: ObjectInfo
    body: ObjectBody | None
    ranged: bool  # True when ``body`` reads the first range, False when the whole object


def _missing(grant: StreamGrant, key: str, missing: MissingObjects) -> NotFound:
    """The 404 for ``key`` not stored: the grant's original gone, or a file under its prefix
    that is not there, a wrong path (``master.m3u8``) said as other wrong paths are, not as
    the video gone.

    The token was issued for this item's own files, so either is the item's damage (its
    bucket lost it: restored from an older backup?): ``missing`` warns the operator, and
    ``streamstack storage audit`` names every such item."""
    missing.note(grant, key)
    if key == grant.s3_key:
        return StreamObjectGone()
    return StreamFileNotFound("no such file for this stream token")


class MediaDelivery(Delivery):
    """Streams the object a token grants, honouring Range and conditional headers."""

    def __init__(
        self, tokens: StreamTokens, store: ObjectStore, chunk_size: int, missing: MissingObjects
    ) -> None:
        self._tokens = tokens
        self._store = store
        self._chunk_size = chunk_size
        self._missing = missing

    async def check(self, token: str, path: str | None = None) -> Reply:
        """nginx's token check in proxy delivery: nginx then proxies the request here."""
        return await check_reply(self._tokens, token, path, _proxy_target)

    async def head(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """HEAD: the headers a full GET would carry (Range does not apply to HEAD)."""
        grant, key = await self._tokens.resolve_key(token, path)
        try:
            info = await self._store.head(key)
        except ObjectNotFound:
            raise _missing(grant, key, self._missing) from None
        not_modified = _check_preconditions(conditions, info, STREAM_CACHE_CONTROL)
        reply = not_modified or Reply(200, self._headers(info, info.size))
        return _as_download(reply, downloaded_as(grant, path))

    async def get(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """GET: 200, 206 (one range or multipart), 304, or a raised 412/416."""
        grant, key = await self._tokens.resolve_key(token, path)
        try:
            # A size only plans a Range; without one, the whole object's size comes with
            # the read.
            if conditions.range is None:
                size = None
            elif key == grant.s3_key:
                size = grant.size_bytes
            else:
                size = (await self._store.head(key)).size  # the grant knows the original's
            reply = await self._serve(key, size, conditions)
            if isinstance(reply, int):
                # The object's size is not the one the token was issued with: plan once
                # more with the size the store reported.
                reply = await self._serve(key, reply, conditions)
        except ObjectNotFound:
            raise _missing(grant, key, self._missing) from None
        if isinstance(reply, int):
            raise ObjectChanged("the object changed while being read")
        return _as_download(reply, downloaded_as(grant, path))

    async def _serve(self, key: str, size: int | None, conditions: Conditions) -> Reply | int:
        """The reply, or the object's real size when it differs from ``size`` (None: any
        size, the request has no Range)."""
        plan = None if size is None else select_ranges(conditions.range, size)
        # Even an unsatisfiable plan asks storage (a head): the size in the token is the
        # catalogue's word, which may be stale; only storage knows the object's real size.
        opened = await self._open(key, plan, conditions)
        if size is not None and opened.info.size != size:
            await _close(opened.body)
            return opened.info.size
        try:
            return await self._answer(key, opened, plan, conditions)
        except BaseException:
            await _close(opened.body)
            raise

    async def _open(self, key: str, plan: ParsedRange, conditions: Conditions) -> _Opened:
        """The first storage call: a head, a ranged read, or a full read."""
        if plan is UNSATISFIABLE:
            return _Opened(await self._store.head(key), None, ranged=False)
        if not isinstance(plan, tuple) or not self._range_may_apply(conditions):
            return self._whole(await self._read(key))
        first = plan[0]
        try:
            # A strong If-Range ETag becomes If-Match: a stale one fails the read at the
            # store, and the whole object is read instead, as §13.1.5 asks.
            body = await self._read(key, first, if_match=cond.if_range_etag(conditions))
        except ObjectChanged:
            return self._whole(await self._read(key))
        except RangeNotSatisfiable:  # the object is shorter than the token says
            return _Opened(await self._store.head(key), None, ranged=False)
        return _Opened(body.info, body, ranged=True)

    @staticmethod
    def _whole(body: ObjectBody) -> _Opened:
        return _Opened(body.info, body, ranged=False)

    @staticmethod
    def _range_may_apply(conditions: Conditions) -> bool:
        """False when If-Range can never hold (weak or malformed), so read it all at once."""
        if conditions.if_range is None:
            return True
        return (
            cond.if_range_etag(conditions) is not None
            or cond.parse_http_date(conditions.if_range) is not None
        )

    async def _answer(
        self,
        key: str,
        opened: _Opened,
        plan: ParsedRange,
        conditions: Conditions,
    ) -> Reply:
        info = opened.info
        not_modified = _check_preconditions(conditions, info, STREAM_CACHE_CONTROL)
        if not_modified is not None:
            await _close(opened.body)
            return not_modified
        range_holds = conditions.if_range is None or cond.if_range_holds(
            conditions.if_range, info.etag, info.last_modified
        )
        if plan is UNSATISFIABLE and range_holds:
            raise _unsatisfiable(info.size)
        if opened.body is None or (opened.ranged and not range_holds):
            # If-Range failed after all (a date that did not match): send everything.
            await _close(opened.body)
            opened = self._whole(await self._read(key, if_match=info.etag))
        assert opened.body is not None
        if not opened.ranged or not isinstance(plan, tuple):
            return Reply(200, self._headers(info, info.size), opened.body)
        if len(plan) == 1:
            headers = self._headers(info, plan[0].length)
            headers["Content-Range"] = plan[0].content_range(info.size)
            return Reply(206, headers, opened.body)
        multipart = MultipartByteranges(
            opened.body, plan, lambda part, etag: self._read(key, part, if_match=etag)
        )
        headers = self._headers(info, multipart.content_length)
        headers["Content-Type"] = f"multipart/byteranges; boundary={multipart.boundary}"
        return Reply(206, headers, multipart)

    async def _read(
        self, key: str, part: ByteRange | None = None, *, if_match: str | None = None
    ) -> ObjectBody:
        # zero_copy: every chunk goes straight to the server's socket.
        if part is None:
            return await self._store.read(
                key, if_match=if_match, chunk_size=self._chunk_size, zero_copy=True
            )
        return await self._store.read(
            key,
            part.start,
            part.length,
            if_match=if_match,
            chunk_size=self._chunk_size,
            zero_copy=True,
        )

    @staticmethod
    def _headers(info: ObjectInfo, length: int) -> dict[str, str]:
        return {
            "Accept-Ranges": "bytes",
            "Content-Length": str(length),
            "Content-Type": _content_type(info),
            **_validators(info),
            "Cache-Control": STREAM_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        }


async def _proxy_target(_key: str) -> str:
    return PROXY_TARGET


class AccelDelivery(Delivery):
    """nginx delivery: check the token, then let nginx move the bytes (``X-Accel-Redirect``).

    A local-directory store is served by nginx's ``alias`` with sendfile; an S3 store
    through a short-lived presigned GET that nginx proxies. Either way nginx does the
    Range and conditional work.
    """

    def __init__(self, tokens: StreamTokens, store: ObjectStore) -> None:
        self._tokens = tokens
        self._store = store

    async def get(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """The empty answer whose ``X-Accel-Redirect`` tells nginx where the bytes are."""
        return await self._redirect(token, path)

    async def check(self, token: str, path: str | None = None) -> Reply:
        """nginx's cached token check: the internal location of the bytes."""
        return await check_reply(self._tokens, token, path, self.location)

    async def head(self, token: str, conditions: Conditions, path: str | None = None) -> Reply:
        """HEAD goes to nginx as well, which answers it from the same location."""
        return await self._redirect(token, path)

    async def _redirect(self, token: str, path: str | None) -> Reply:
        grant, key = await self._tokens.resolve_key(token, path)
        # No Content-Type: nginx would keep it across the redirect, even on its own error
        # pages; the file's extension (local) or S3's metadata decides it instead.
        location = await self.location(key)
        headers = {"X-Accel-Redirect": location, "Content-Length": "0"}
        if disposition := downloaded_as(grant, path):
            headers["Content-Disposition"] = disposition  # nginx keeps it across the redirect
        return Reply(200, headers)

    async def location(self, key: str) -> str:
        """The internal nginx URI that reads ``key``."""
        if self._store.local_path(key) is not None:
            return f"{ACCEL_PREFIX}/local/{self._store.bucket}/{key}"
        url = await self._store.presigned_get(key, ACCEL_PRESIGN_SECONDS)
        if url is None:
            raise StorageError("the object store cannot hand reads to nginx")
        parts = urlsplit(url)
        return f"{ACCEL_PREFIX}/s3{parts.path}?{parts.query}"


@dataclasses.dataclass(frozen=True, slots=True)
class ThumbnailDelivery:
    """Thumbnails and posters from ``store``: public (an ``<img>`` sends no Authorization)
    and cached by browsers, but those of an item ``hidden`` names only for an admin, whose
    browser shows its access token in the stills-pass cookie (checked by ``authenticator``)."""

    store: ObjectStore
    chunk_size: int
    hidden: HiddenItems
    authenticator: Authenticator

    @staticmethod
    def keys(name: str) -> tuple[str, tuple[str, ...]]:
        """The media id of ``<media uuid>.jpg`` or ``<media uuid>-poster.jpg``, and the
        thumbnails-bucket keys to try for it (the large poster, else the thumbnail: older
        items and small sources have none); 404 for any other name."""
        match = _THUMBNAIL_NAME.fullmatch(name)
        if match is None:
            raise ThumbnailNotFound("no such thumbnail")
        thumbnail = f"{match['uuid']}.jpg"
        return match["uuid"], (name, thumbnail) if match["poster"] else (thumbnail,)

    @staticmethod
    def check() -> Reply:
        """nginx's check (:data:`CHECK_HEADER`): the service serves thumbnails itself (and
        decides there on hidden items, where the request's cookie is)."""
        return _check_passed(PROXY_TARGET)

    async def serve(
        self, name: str, conditions: Conditions, *, head: bool, stills_pass: str | None = None
    ) -> Reply:
        """200 with the JPEG (headers only for HEAD), or 304 when the client has it."""
        media_id, keys = self.keys(name)
        cache_control = await self._cache_control(media_id, stills_pass)
        for key in keys:
            try:
                return await self._serve_key(key, conditions, cache_control, head=head)
            except ObjectNotFound:
                continue
        raise ThumbnailNotFound("no such thumbnail")

    async def _cache_control(self, media_id: str, stills_pass: str | None) -> str:
        """Public for an item viewers may see; private for a hidden one shown to an admin;
        for anyone else a hidden item has no thumbnail (404, as for an unknown id); 503 until
        the hidden items are known."""
        if not self.hidden.known:
            raise HiddenItemsUnknown("which items are hidden is not known yet: try again soon")
        if not self.hidden.hides(media_id):
            return THUMBNAIL_CACHE_CONTROL
        try:
            caller = await self.authenticator.authenticate(stills_pass)
        except Unauthorized:  # none, expired, forged or revoked
            raise ThumbnailNotFound("no such thumbnail") from None
        if not caller.is_admin:
            raise ThumbnailNotFound("no such thumbnail")
        return HIDDEN_THUMBNAIL_CACHE_CONTROL

    async def _serve_key(
        self, key: str, conditions: Conditions, cache_control: str, *, head: bool
    ) -> Reply:
        """As :meth:`serve`, for one stored key (``ObjectNotFound`` when it is absent)."""
        body: ObjectBody | None = None
        try:
            if head:
                info = await self.store.head(key)
            else:
                body = await self.store.read(key, chunk_size=self.chunk_size, zero_copy=True)
                info = body.info
            not_modified = _check_preconditions(conditions, info, cache_control)
        except BaseException:
            await _close(body)
            raise
        if not_modified is not None:
            await _close(body)
            return not_modified
        headers = {
            "Content-Length": str(info.size),
            "Content-Type": "image/jpeg",
            **_validators(info),
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
        }
        return Reply(200, headers, body)


def _packaged(request: IssueStreamToken) -> bool:
    """Whether the item has an HLS package under its prefix: what plays, and all a viewer
    may play."""
    return request.hls and bool(request.object_prefix)


def _grant_of(
    request: IssueStreamToken,
    now: int,
    *,
    holder: str,
    session: str,
    session_expires: int,
    admin: bool,
) -> StreamGrant:
    """The grant of ``request``'s item to ``holder`` (a user, or a share link), lasting as
    long as ``session``: an admin's also downloads the original and plays it however the
    item is packaged; anyone else's plays the package alone once there is one."""
    decided = now if request.decided_at is None else int(request.decided_at)
    return StreamGrant(
        media_id=request.media_id,
        user_id=holder,
        issued_at=min(now, decided),
        s3_key=request.s3_key,
        size_bytes=request.size_bytes,
        object_prefix=request.object_prefix or "",
        session=session,
        session_expires=session_expires,
        # The catalogue asks it for admins alone; a viewer's call never gets it.
        download_name=(request.download_name or "") if admin else "",
        plays_original=admin or not _packaged(request),
    )
