"""All database access of ingest: upload rows, their tail chunks, and their leases. (Its
outbox of transcoding jobs is read and written by the kernel's ``OutboxRecords``.)

Every change to an upload that is being worked on is a conditional ``UPDATE`` that
names the lease token, so a request whose lease lapsed (its replica stalled or died)
can never overwrite the work of the request that took over.

One repository shape of our own rather than advanced-alchemy's
``SQLAlchemyAsyncRepository``: that one updates a row by primary key after loading it,
while every write here is a conditional ``UPDATE ... WHERE lease_token = :token`` whose
row count decides success; and an upload's work spans minutes of many short
transactions (each part committed as soon as it is stored, so progress survives a
crash), not one unit of work held open for the whole request. Each method here is one
``Database.unit_of_work()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import secrets
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import structlog
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from streamstack.ingest.models import Upload, UploadChunk
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import AppError, Conflict

log = structlog.get_logger(__name__)

#: A lease lapses this long after its last renewal; it is renewed four times as often.
#: Short, because a lease whose holder died (a killed replica) blocks the upload's resume
#: until it lapses.
LEASE_SECONDS = 20.0
#: The longest a lease outlives the request holding it: a killed replica's lapses
#: :data:`LEASE_SECONDS` after its last renewal; one waiting on a silent client (a
#: connection lost without a reset) is renewed once more if bytes came just before.
LEASE_OUTLIVES_SECONDS = LEASE_SECONDS * 5 / 4


#: How long a client is silent before its request commits what it sent (well before its
#: lease lapses, which it lets happen).
SILENCE_SECONDS = 5.0


class UploadLocked(AppError):
    """Another request is working on this upload right now; retry in a moment."""

    status, code = 423, "upload_locked"
    default_headers = {"Retry-After": "2"}

    def __init__(self) -> None:
        super().__init__(
            "the server is still finishing an earlier request for this upload (a connection "
            f"that was lost, or a cancel); retry in a few seconds (it lets go within "
            f"{LEASE_OUTLIVES_SECONDS:.0f} s)"
        )


class LeaseLost(Conflict):
    """This request's lease lapsed and another request took the upload over."""

    code = "upload_lease_lost"


class TailDamaged(Exception):
    """The stored tail chunks do not cover the bytes the upload row counts (a bug)."""


@dataclasses.dataclass(eq=False, slots=True)
class _Silence:
    """How long a request's client has been silent (see :meth:`Lease.watch`)."""

    since: float
    """When the last chunk (or the request) came, on the loop's clock."""
    saving: asyncio.Future[object] | None = None
    """``on_silence`` running, which a chunk arriving meanwhile waits for."""


@dataclasses.dataclass(eq=False, slots=True)
class Lease:
    """A held lease on one upload; changes made through it fail once it is lost."""

    records: UploadRecords
    upload_id: uuid.UUID
    token: str
    upload: Upload | None = None
    """The row as it was when the lease was taken (None when only the token is known)."""
    released: bool = dataclasses.field(default=False, init=False)
    waiting: bool = dataclasses.field(default=False, init=False)
    """Whether the request waits for its client's next bytes (see :meth:`watch`)."""
    arrived: bool = dataclasses.field(default=False, init=False)
    """Whether bytes arrived since the last renewal."""

    async def watch(
        self, chunks: AsyncIterator[bytes], on_silence: Callable[[], Awaitable[object]]
    ) -> AsyncGenerator[bytes, None]:
        """``chunks``, noting when the request waits for them: a request whose client
        went silent (a connection lost without a reset stays open for a minute or more)
        lets its lease lapse, so the client's resume is not locked out meanwhile.
        ``on_silence()`` runs once a silence passes :data:`SILENCE_SECONDS`, while the
        lease still holds (to commit what did arrive).

        One watchdog a request, not a timed wait a chunk: a task and a timeout per chunk
        made 8 MiB PATCHes a quarter slower (``python -m bench tus_chunks``). The watchdog runs ``on_silence`` only while the
        request waits for bytes, and a chunk arriving meanwhile waits for it to end."""
        loop = asyncio.get_running_loop()
        silence = _Silence(loop.time())
        watchdog = asyncio.create_task(self._watch_silence(silence, on_silence))
        try:
            self.waiting = True
            async for chunk in chunks:
                self.waiting = False
                silence.since = loop.time()
                if silence.saving is not None:
                    await silence.saving
                self.arrived = True
                yield chunk
                self.waiting = True
            self.waiting = False
            if silence.saving is not None:
                await silence.saving
        finally:
            self.waiting = False
            watchdog.cancel()

    async def _watch_silence(
        self, silence: _Silence, on_silence: Callable[[], Awaitable[object]]
    ) -> None:
        """Run ``on_silence`` once per silence longer than :data:`SILENCE_SECONDS`."""
        loop = asyncio.get_running_loop()
        told = None
        while True:
            due = silence.since + SILENCE_SECONDS - loop.time()
            if due > 0:
                await asyncio.sleep(due)
            elif not self.waiting or silence.since == told:
                # The request is busy (storing a part), or this silence was told.
                await asyncio.sleep(SILENCE_SECONDS / 5)
            else:
                told = silence.since
                silence.saving = asyncio.ensure_future(on_silence())
                try:  # its failure is the request's, which awaits it with its next chunk
                    await asyncio.wait({silence.saving})
                finally:
                    silence.saving = None

    async def update(self, *, drop_tail: bool = False, **values: Any) -> None:
        """Change the upload's columns (and maybe drop its tail) while this lease is held."""
        await self.records.update_leased(self.upload_id, self.token, values, drop_tail=drop_tail)

    async def append_tail(
        self, offset: int, data: bytes, *, parts_bytes: int, release: bool = False, **values: Any
    ) -> None:
        """Add ``data`` at ``offset`` to the tail and change columns, in one transaction.

        Chunks below ``parts_bytes`` (inside parts stored before the request) are deleted
        with it.
        With ``release``, the lease is given up in the same transaction (the request's
        last change), and nothing more may be changed through it.
        """
        if release:
            values = {**values, "lease_token": None, "lease_until": None}
        await self.records.append_tail(
            self.upload_id, self.token, offset, data, parts_bytes=parts_bytes, values=values
        )
        self.released = release

    async def delete(self) -> None:
        """Delete the upload's row, only while this lease is held."""
        async with self.records.database.unit_of_work() as session:
            await session.execute(
                delete(Upload).where(Upload.id == self.upload_id, Upload.lease_token == self.token)
            )


class UploadRecords:
    """The ``ingest_uploads`` table; leases run by ``clock`` (the app's) and last
    ``lease_seconds`` (:data:`LEASE_SECONDS` as it is when the records are made)."""

    def __init__(
        self, database: Database, lease_seconds: float | None = None, clock: Clock = utcnow
    ) -> None:
        self.database = database
        self.lease_seconds = LEASE_SECONDS if lease_seconds is None else lease_seconds
        self.clock = clock

    def _lease_until(self, now: datetime.datetime) -> datetime.datetime:
        """When a lease taken or renewed at ``now`` lapses."""
        return now + datetime.timedelta(seconds=self.lease_seconds)

    async def insert(self, upload: Upload) -> None:
        """Store a new upload."""
        async with self.database.unit_of_work() as session:
            session.add(upload)

    async def delete(self, upload_id: uuid.UUID) -> None:
        """Forget an upload no request holds yet (one refused as it was created)."""
        async with self.database.unit_of_work() as session:
            await session.execute(delete(Upload).where(Upload.id == upload_id))

    async def get(self, upload_id: uuid.UUID) -> Upload | None:
        """The upload, or None."""
        async with self.database.unit_of_work() as session:
            return await session.get(Upload, upload_id)

    async def update_leased(
        self,
        upload_id: uuid.UUID,
        token: str,
        values: dict[str, Any],
        *,
        drop_tail: bool = False,
    ) -> None:
        """Change columns of an upload whose lease ``token`` holds; :class:`LeaseLost` if not."""
        async with self.database.unit_of_work() as session:
            await self._update_leased(session, upload_id, token, values)
            if drop_tail:
                await session.execute(delete(UploadChunk).where(UploadChunk.upload_id == upload_id))

    async def append_tail(
        self,
        upload_id: uuid.UUID,
        token: str,
        offset: int,
        data: bytes,
        *,
        parts_bytes: int,
        values: dict[str, Any],
    ) -> None:
        """Insert one tail chunk with the columns that count it (see :meth:`Lease.append_tail`)."""
        async with self.database.unit_of_work() as session:
            await self._update_leased(session, upload_id, token, values)
            await session.execute(
                delete(UploadChunk).where(
                    UploadChunk.upload_id == upload_id,
                    (UploadChunk.offset < parts_bytes) | (UploadChunk.offset >= offset),
                )
            )
            if data:
                await session.execute(
                    insert(UploadChunk).values(upload_id=upload_id, offset=offset, data=data)
                )

    async def tail(self, upload_id: uuid.UUID, start: int, end: int) -> bytes:
        """The committed bytes ``start``..``end`` of the tail (``start`` is a chunk's offset)."""
        if end <= start:
            return b""
        async with self.database.unit_of_work() as session:
            rows = await session.execute(
                select(UploadChunk.offset, UploadChunk.data)
                .where(
                    UploadChunk.upload_id == upload_id,
                    UploadChunk.offset >= start,
                    UploadChunk.offset < end,
                )
                .order_by(UploadChunk.offset)
            )
            data = bytearray()
            for offset, chunk in rows:
                if offset != start + len(data):
                    raise TailDamaged(f"the tail has a gap at byte {start + len(data)}")
                data += chunk
        if len(data) != end - start:
            raise TailDamaged(f"the tail holds {len(data)} bytes, not {end - start}")
        return bytes(data)

    async def _update_leased(
        self, session: AsyncSession, upload_id: uuid.UUID, token: str, values: dict[str, Any]
    ) -> None:
        # Fenced by time as well as by token: a lease that lapsed changes nothing more,
        # even before another request takes the upload (it may be doing so right now);
        # and by a cancel (see mark_cancelled), which wins over the request holding it.
        now = self.clock()
        result = await session.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.lease_token == token,
                Upload.lease_until >= now,
                ~_CANCELLED,
            )
            .values(**values, updated_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(
                "the server stopped waiting for this request (its connection was silent too "
                "long, or a newer request took the upload over): ask where the upload stands "
                "and resume from there"
            )

    async def mark_cancelled(self, upload_id: uuid.UUID, why: str) -> None:
        """Cancel an upload still receiving bytes without holding its lease: it expires
        now, saying ``why``. The request holding it can commit nothing more (its next
        part, commit or renewal fails), and resumes are refused (410); its storage goes
        once its lease is free, with the upload (by the canceller or the sweeper)."""
        now = self.clock()
        async with self.database.unit_of_work() as session:
            await session.execute(
                update(Upload)
                .where(Upload.id == upload_id, Upload.state == "uploading")
                .values(error=why, expires_at=now - datetime.timedelta(seconds=1), updated_at=now)
            )

    async def try_lease(self, upload_id: uuid.UUID) -> str | None:
        """Take the lease if nobody holds it (or theirs lapsed); the token, or None."""
        taken = await self._take(upload_id)
        return taken.token if taken is not None else None

    async def _take(self, upload_id: uuid.UUID) -> Lease | None:
        """Take the lease and read the row in one statement; None if somebody holds it."""
        token = secrets.token_hex(16)
        now = self.clock()
        async with self.database.unit_of_work() as session:
            upload = await session.scalar(
                update(Upload)
                .where(
                    Upload.id == upload_id,
                    or_(Upload.lease_until.is_(None), Upload.lease_until < now),
                )
                .values(
                    lease_token=token,
                    lease_until=self._lease_until(now),
                )
                .returning(Upload)
            )
        return Lease(self, upload_id, token, upload) if upload is not None else None

    @contextlib.asynccontextmanager
    async def lease(
        self,
        upload_id: uuid.UUID,
        *,
        new: Upload | None = None,
        when_locked: Callable[[], Awaitable[object]] | None = None,
    ) -> AsyncIterator[Lease]:
        """Hold the upload's lease for the block, renewing it as the work goes on.

        With ``new``, insert that upload already leased (so that no sweeper can mistake
        it for abandoned in between). Raises :class:`UploadLocked` (423) when another
        request holds the lease (or there is no such row), after ``when_locked()``, which
        may raise a better answer (404, 410) instead.
        """
        lease: Lease | None
        if new is not None:
            lease = Lease(self, upload_id, secrets.token_hex(16), new)
            new.lease_token = lease.token
            new.lease_until = self._lease_until(self.clock())
            await self.insert(new)
        else:
            lease = await self._take(upload_id)
        if lease is None:
            if when_locked is not None:
                await when_locked()
            raise UploadLocked()
        heartbeat = asyncio.create_task(self._renew(lease))
        try:
            yield lease
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            if not lease.released:
                await asyncio.shield(self._release(upload_id, lease.token))

    async def _renew(self, lease: Lease) -> None:
        while not lease.released:
            await asyncio.sleep(self.lease_seconds / 4)
            if lease.released:
                return
            if lease.waiting and not lease.arrived:
                # The client went silent: let the lease lapse (its resume takes it over).
                # Bytes arriving before it lapsed renew it again.
                continue
            lease.arrived = False
            try:
                await self.update_leased(
                    lease.upload_id,
                    lease.token,
                    {"lease_until": self._lease_until(self.clock())},
                )
            except LeaseLost:
                log.warning("upload_lease_lost", upload_id=str(lease.upload_id))
                return
            except Exception as exc:  # the database blinked: try again next round
                log.warning("upload_lease_renewal_failed", error=exc.__class__.__name__)

    async def release(self, upload_id: uuid.UUID, token: str) -> None:
        """Give the lease ``token`` up (if it is still held), whatever else changed."""
        await self._release(upload_id, token)

    async def _release(self, upload_id: uuid.UUID, token: str) -> None:
        try:
            async with self.database.unit_of_work() as session:
                await session.execute(
                    update(Upload)
                    .where(Upload.id == upload_id, Upload.lease_token == token)
                    .values(lease_token=None, lease_until=None)
                )
        except Exception as exc:  # it lapses by itself
            log.warning("upload_lease_release_failed", error=exc.__class__.__name__)

    async def due_for_sweeping(
        self, now: datetime.datetime, take_up_after: datetime.timedelta, limit: int = 100
    ) -> list[Upload]:
        """Uploads nobody works on that expired, or whose worker vanished mid-processing
        (or before the finish of a tus upload whose every byte arrived).

        A tus upload stored whole is left to its uploader for ``take_up_after`` once its
        lease lapsed: asking how it went takes it up at once (IngestService.job)."""
        unleased = or_(Upload.lease_until.is_(None), Upload.lease_until < now)
        long_unleased = or_(Upload.lease_until.is_(None), Upload.lease_until < now - take_up_after)
        # Not a replacement (it needs its admin's token) nor a cancelled one: left to expire.
        unfinished = (
            (Upload.state == "uploading")
            & (Upload.received == Upload.length)
            & Upload.error.is_(None)
            & Upload.replaces.is_(None)
        )
        abandoned = (
            (Upload.state == "registering")
            | ((Upload.kind == "form") & Upload.state.in_(("uploading", "processing")))
            | (
                (Upload.kind == "tus")
                & ((Upload.state == "processing") | unfinished)
                & long_unleased
            )
        )
        async with self.database.unit_of_work() as session:
            rows = await session.scalars(
                select(Upload)
                .where(unleased, (Upload.expires_at < now) | abandoned)
                .order_by(Upload.expires_at)
                .limit(limit)
            )
            return list(rows)

    async def unfinished_among(self, upload_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``upload_ids`` are uploads not over yet (receiving, processing or being
        registered; not ``done`` or ``failed``), whose objects may still be in use: one
        ``IN`` query (callers send batches of a few hundred)."""
        if not upload_ids:
            return set()
        async with self.database.session() as session:
            found = await session.scalars(
                select(Upload.id).where(
                    Upload.id.in_(upload_ids), Upload.state.in_(_NOT_OVER_STATES)
                )
            )
            return set(found)

    async def replacing(self, media_id: str, now: datetime.datetime) -> list[uuid.UUID]:
        """The uploads not over yet that replace the item's video file, oldest first (an
        upload still receiving counts until it expires)."""
        live = (Upload.state != "uploading") | (Upload.expires_at >= now)
        async with self.database.session() as session:
            found = await session.scalars(
                select(Upload.id)
                .where(Upload.replaces == media_id, Upload.state.in_(_NOT_OVER_STATES), live)
                .order_by(Upload.created_at, Upload.id)
            )
            return list(found)

    async def unfinished(self, limit: int, offset: int) -> tuple[list[Upload], int]:
        """One page of the resumable uploads still receiving bytes, the longest idle first
        (the likeliest abandoned), and how many there are in all. One cancelled or expired
        is not: it cannot be resumed, and the sweeper removes it (it was listed until then,
        "0 % · expires" a time past)."""
        resumable = _RECEIVING & (Upload.expires_at >= self.clock())
        async with self.database.session() as session:
            total = await session.scalar(select(func.count()).select_from(Upload).where(resumable))
            rows = await session.scalars(
                select(Upload)
                .where(resumable)
                .order_by(Upload.updated_at, Upload.id)
                .limit(limit)
                .offset(offset)
            )
            return list(rows), total or 0

    async def unfinished_bytes(self) -> tuple[int, int]:
        """How many resumable uploads are still receiving bytes, and how many they hold."""
        async with self.database.session() as session:
            count, held = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(Upload.received), 0)).where(
                        _RECEIVING
                    )
                )
            ).one()
        return int(count), int(held)

    async def owed_bytes(self) -> int:
        """The bytes resumable uploads still receiving have yet to send (their room on a
        local disk is spoken for)."""
        async with self.database.session() as session:
            owed = await session.scalar(
                select(func.coalesce(func.sum(Upload.length - Upload.received), 0)).where(
                    _RECEIVING
                )
            )
        return int(owed or 0)


#: An upload cancelled while a request held it (see UploadRecords.mark_cancelled): only
#: a failed upload has an error otherwise.
_CANCELLED = (Upload.state == "uploading") & Upload.error.is_not(None)
#: The states of an upload whose objects may still be written, read or registered.
_NOT_OVER_STATES = ("uploading", "processing", "registering")
#: The resumable uploads still receiving bytes (form posts exist only during their request).
_RECEIVING = (Upload.kind == "tus") & (Upload.state == "uploading")
