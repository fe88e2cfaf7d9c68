"""Ingest's use cases: form uploads, resumable (tus) uploads, job status, sweeping, and
transcoding a failed item again.

No HTTP here: routes hand in the caller, the body as an async iterator of chunks, and
parsed headers; errors are :class:`~streamstack.kernel.errors.AppError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
import structlog

from streamstack.contracts.catalogue import (
    CatalogueClient,
    MediaItem,
    ProcessingUpdate,
    checks_after_replace,
)
from streamstack.ingest import metrics, tus
from streamstack.ingest.containers import by_content_type, by_name
from streamstack.ingest.form import StreamingForm
from streamstack.ingest.jobs import (
    TranscodeJobs,
    TranscodeRequest,
    job_request,
    needs_transcoding,
    refuse_under_way,
)
from streamstack.ingest.models import Upload
from streamstack.ingest.processing import (
    REGISTRATION_INTERRUPTED,
    MediaPipeline,
    StoredMedia,
    Uploader,
    original_key,
    outage,
)
from streamstack.ingest.replacement import OriginalReplacing, ReplacementUnderWay, replaced_item
from streamstack.ingest.repository import Lease, LeaseLost, UploadLocked, UploadRecords
from streamstack.ingest.resumable import (
    ChunkReceiver,
    NotAVideo,
    OffsetMismatch,
    UploadCancelled,
    UploadGone,
    UploadLengthExceeded,
    identifying_bytes,
    part_bytes_for,
    sniffed,
)
from streamstack.ingest.schemas import (
    DETAIL_FIELDS,
    Job,
    JobState,
    UnfinishedUpload,
    UnfinishedUploadPage,
    UploadDetails,
)
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from streamstack.kernel.guards import Principal
from streamstack.kernel.jobs import repeat_id
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import PART_BYTES, ObjectNotFound, ObjectStore, StorageUnavailable
from streamstack.kernel.text import mib
from streamstack.settings import PREFIX

log = structlog.get_logger(__name__)

#: How long a cancel waits for the request holding the upload to let go, to free its storage
#: itself: a moment, which a request committing as bytes arrive (an aborted one draining in,
#: the uploader's next one) takes. Past it the cancel is answered (it waited 10 s for a slow
#: upload's next commit), and the sweeper frees the storage once the holder let go.
CANCEL_WAIT_SECONDS = 1.0
#: Why a cancelled upload cannot resume, as its uploader is told (410 upload_cancelled).
CANCELLED_BY_UPLOADER = "the upload was cancelled"
CANCELLED_BY_ADMIN = "an administrator cancelled this upload"

#: How long a tus upload orphaned in processing is left to its uploader, whose asking how
#: it went (clients poll every few seconds) takes it up with their own token, before the
#: sweeper takes it up for them.
TAKE_UP_AFTER = datetime.timedelta(minutes=1)
#: Take-ups the sweeper runs at once (each probes, and may rewrite, a whole original).
TAKE_UP_AT_ONCE = 4
#: Uploads one sweeper round looks at, at most.
SWEEP_BATCH = 100

#: Returns when the client has gone away (the HTTP layer knows how to tell).
Abandoned = Callable[[], Awaitable[None]]
#: What a stored upload becomes, given what to run before catalogue is asked (keyword
#: ``on_registering``): an item, new or with its file replaced.
Work = Callable[..., Awaitable[MediaItem]]

_JOB_STATES: dict[str, JobState] = {
    "uploading": "uploading",
    "processing": "processing",
    "registering": "processing",
    "done": "done",
    "failed": "failed",
}


class UploadNotFound(NotFound):
    """No such upload (or not one of the caller's)."""

    code = "upload_not_found"


class UploadComplete(Conflict):
    """Every byte of the upload is in: there is nothing left to cancel."""

    code = "upload_complete"


class ClientDisconnected(AppError, status=499, code="client_disconnected"):
    """The client went away before its request was done.

    Never sent; 499 is nginx's "client closed request", so the access line and the request
    metrics tell a dropped connection apart from a request sent wrong (400)."""


class MissingFile(BadRequest):
    """A form post without its ``file`` part."""

    code = "missing_file"


@dataclasses.dataclass(frozen=True, slots=True)
class UploadStatus:
    """Where a resumable upload stands, for tus response headers."""

    upload_id: uuid.UUID
    offset: int
    length: int
    metadata: str
    expires_at: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class IngestService:
    """Uploads in, catalogue items out."""

    records: UploadRecords
    media: ObjectStore
    pipeline: MediaPipeline
    _: dataclasses.KW_ONLY
    max_upload_bytes: int
    upload_ttl: datetime.timedelta
    """How long an unfinished upload is kept after its last change."""
    free_space_reserve: int = 0
    """What an upload must leave free on a local media directory (bytes)."""
    clock: Clock = utcnow
    """Where the use cases read the time."""
    taking_up: set[asyncio.Future[None]] = dataclasses.field(
        default_factory=set, repr=False, compare=False
    )
    """Processing taken up again after a replica died (see :meth:`job`), while it runs."""

    # --- form uploads -----------------------------------------------------------------

    async def upload_form(
        self,
        form: StreamingForm,
        principal: Principal,
        context: CallContext,
        abandoned: Abandoned | None = None,
        *,
        announced: int | None = None,
    ) -> MediaItem:
        """Store the form's ``file`` part as it arrives, then process and register it.

        A request that ``announced`` its length is refused unread when that is over the
        upload limit or the room left."""
        if announced is not None:
            if announced > self.max_upload_bytes + FORM_OVERHEAD_BYTES:
                raise over_the_limit("the upload", self.max_upload_bytes)
            await self.ensure_room(announced)
        upload = self._new_upload("form", principal, length=None)
        async with self.records.lease(upload.id, new=upload) as lease:
            stored: StoredMedia | None = None
            try:
                fields: dict[str, list[str]] = {}
                async for part in form:
                    if part.name == "file":
                        if stored is not None:
                            raise BadRequest("send one file per upload", code="validation_error")
                        stored = await self._store_stream(lease, form.body())
                    elif part.name in DETAIL_FIELDS:
                        fields.setdefault(part.name, []).append(await form.text())
                if stored is None:
                    raise MissingFile("the form has no file part named 'file'")
                details = UploadDetails.from_fields(fields, self.clock())
            except BaseException as exc:
                if stored is not None:
                    await asyncio.shield(self.pipeline.discard(stored.info.key, upload.id))
                await self._fail(lease, exc)
                raise
            uploader = Uploader(principal.user_id, context)
            work = functools.partial(self.pipeline.run, stored, details, uploader)
            return await self._process(lease, stored, work, abandoned)

    async def _store_stream(self, lease: Lease, chunks: AsyncIterator[bytes]) -> StoredMedia:
        head = bytearray()
        async for chunk in chunks:
            head += chunk
            # Past a large ID3 tag (a cover picture) too: held, up to its limit, in memory.
            if len(head) >= identifying_bytes(head):
                break
        container = sniffed(bytes(head))
        key = original_key(lease.upload_id, container.extension)
        await lease.update(object_key=key, container=container.name)

        async def whole() -> AsyncIterator[bytes]:
            yield bytes(head)
            async for chunk in chunks:
                yield chunk

        with metrics.time_ingest_step("store"):
            info = await self.media.write(
                key, whole(), content_type=container.video_type, max_bytes=self.max_upload_bytes
            )
        return StoredMedia(lease.upload_id, container, info)

    # --- resumable uploads ----------------------------------------------------------------

    async def create_upload(
        self,
        principal: Principal,
        length: int,
        metadata: dict[str, str],
        raw_metadata: str,
        context: CallContext | None = None,
    ) -> UploadStatus:
        """tus creation: register an upload of ``length`` bytes and what it will become: a
        new item (its title …), or the new video file of the item its ``replaces`` names
        (404 no such item, 409 its transcoding under way or another replacement)."""
        if length == 0:
            raise BadRequest("the file is empty", code="empty_upload")
        if length > self.max_upload_bytes:
            raise over_the_limit("the file", self.max_upload_bytes)
        replaces = replaced_item(metadata)
        upload = self._new_upload("tus", principal, length=length)
        upload.upload_metadata = raw_metadata
        if replaces is None:
            details = UploadDetails.from_fields(
                {name: [metadata[name]] for name in DETAIL_FIELDS if name in metadata},
                self.clock(),
            )
            self._set_details(upload, details)
        else:
            item = await self._replacing().replaceable(replaces, context or CallContext())
            # Its title names it in the unfinished uploads' list (the new file has none).
            upload.replaces, upload.title = replaces, item.title
        await self.records.insert(upload)
        # Stored first, then checked: of creations at once, each sees the others' rows or
        # they see its own, so two can never both take the last room (nor both replace).
        try:
            await self.ensure_room(length, counted=True)
            if replaces is not None:
                await self._alone_replacing(upload)
        except AppError:
            await self.records.delete(upload.id)
            raise
        log.info("upload_created", upload_id=str(upload.id), length=length)
        return _status(upload)

    async def _alone_replacing(self, upload: Upload) -> None:
        """409 ``replacement_in_progress`` unless ``upload`` (stored) is the first upload
        not over yet that replaces its item's file."""
        assert upload.replaces is not None
        under_way = await self.records.replacing(upload.replaces, self.clock())
        if under_way and under_way[0] != upload.id:
            raise ReplacementUnderWay(
                "another upload is replacing the item's video file: let it finish, or "
                "cancel it, first"
            )

    def _replacing(self) -> OriginalReplacing:
        """What replaces items' video files: the pipeline's stores, probe and catalogue."""
        pipeline = self.pipeline
        return OriginalReplacing(
            pipeline.catalogue,
            pipeline.media,
            pipeline.thumbnails,
            pipeline.prober,
            pipeline.transcoding,
        )

    async def ensure_room(self, length: int, *, counted: bool = False) -> None:
        """413 ``storage_full`` when ``length`` more bytes would leave less than the reserve
        free on a local media directory, counting what resumable uploads still owe as taken
        (``counted``: this upload's row is among them): refused at the start, not when the
        disk fills near the end. S3 is not checked."""
        free = await self.media.free_bytes()
        if free is None:
            return
        owed = await self.records.owed_bytes() - (length if counted else 0)
        reserve = self.free_space_reserve
        room = free - owed - reserve
        if length > room:
            # The operator's only trace of it: the 413 reaches the uploader alone.
            log.warning(
                "upload_refused_for_room",
                length=length,
                free_bytes=free,
                owed_bytes=owed,
                reserve_bytes=reserve,
            )
            raise PayloadTooLarge(
                f"the server's media storage has room for {mib(max(room, 0))} more above "
                f"the {mib(reserve)} it keeps free ({PREFIX}INGEST_FREE_SPACE_RESERVE_BYTES), "
                f"and the file is {mib(length)}: free space on it first (or finish or cancel "
                "unfinished uploads, or lower that setting on a small disk)",
                code="storage_full",
            )

    async def upload_status(
        self, upload_id: uuid.UUID, principal: Principal, context: CallContext | None = None
    ) -> UploadStatus:
        """tus HEAD: the committed offset (the whole length once received).

        An upload stored whole that nobody works on any more (its replica died after the
        last byte arrived, before or during its finish) is finished, or its processing
        taken up, for the uploader asking (with ``context``): every tus client asks this
        on resuming, sees every byte in, and follows the job, as after a normal finish."""
        upload = await self._resumable(upload_id, principal)
        if context is not None and self._orphaned(upload):
            self._start_take_up(upload_id, Uploader(upload.created_by, context))
        return _status(upload)

    async def append(
        self,
        upload_id: uuid.UUID,
        principal: Principal,
        offset: int,
        content_length: int | None,
        chunks: AsyncIterator[bytes],
        context: CallContext,
    ) -> UploadStatus:
        """tus PATCH: append the body at ``offset``; the last bytes run the pipeline.

        Taking the lease reads the row, and the last commit gives the lease back: a PATCH
        that does not finish the upload costs two transactions, whatever it carries.
        """
        async with self.records.lease(
            upload_id, when_locked=lambda: self._resumable(upload_id, principal)
        ) as lease:
            try:
                return await self._append_leased(
                    lease, principal, offset, content_length, chunks, context
                )
            except LeaseLost:
                # A cancel fences the request holding the upload: 410 upload_cancelled, not
                # a lapse to resume from. Read while the row still bears this lease.
                await self._resumable(upload_id, principal)
                raise

    async def _append_leased(
        self,
        lease: Lease,
        principal: Principal,
        offset: int,
        content_length: int | None,
        chunks: AsyncIterator[bytes],
        context: CallContext,
    ) -> UploadStatus:
        """:meth:`append` once its lease is held."""
        upload_id = lease.upload_id
        assert lease.upload is not None
        upload = self._still_resumable(lease.upload, principal)
        assert upload.length is not None
        if upload.state != "uploading":
            if offset == upload.length and not content_length:
                return _status(upload)  # a retried last request: nothing left to do
            raise OffsetMismatch(f"the upload is complete at offset {upload.length}")
        if offset != upload.received:
            raise OffsetMismatch(f"the upload is at offset {upload.received}, not {offset}")
        if content_length is not None and offset + content_length > upload.length:
            raise PayloadTooLarge(
                f"the body goes past the Upload-Length of {upload.length}",
                code="upload_length_exceeded",
            )
        receiver = ChunkReceiver(self.media, lease, upload)
        expires_at = await self._receive(lease, receiver, chunks)
        if not receiver.complete:
            return UploadStatus(
                upload_id, receiver.received, upload.length, upload.upload_metadata, expires_at
            )
        await self._complete(lease, receiver, upload, Uploader(upload.created_by, context))
        return _status(await self._resumable(upload_id, principal))

    async def _complete(
        self, lease: Lease, receiver: ChunkReceiver, upload: Upload, uploader: Uploader
    ) -> None:
        """The last bytes are in: join the parts, then probe and register the file.

        If storing them fails (a full disk, the object store away), the upload goes back to
        where this request found it: its offset below the length, a client's resume sends
        the last bytes again and finishes it. Left at 100 %, no client would (it sees
        nothing left to send): only :meth:`_take_up` finishes such an upload (its replica
        died before this finish could end either way).
        """
        try:
            with metrics.time_ingest_step("store"):
                info = await receiver.assemble()
        except UploadGone as exc:
            await self._fail(lease, exc)
            raise
        except Exception as exc:
            with contextlib.suppress(Exception):
                await asyncio.shield(receiver.undo())
            log.warning("upload_store_failed", upload_id=str(lease.upload_id), error=repr(exc))
            if isinstance(exc, AppError):
                raise
            raise StorageUnavailable(
                "storing the upload failed: resume it to send its last bytes again"
            ) from exc
        assert receiver.container_name is not None
        stored = StoredMedia(lease.upload_id, by_name(receiver.container_name), info)
        await self._process(lease, stored, self._work(stored, upload, uploader))

    async def _receive(
        self, lease: Lease, receiver: ChunkReceiver, chunks: AsyncIterator[bytes]
    ) -> datetime.datetime:
        """Take the body in; commit it (releasing the lease unless the upload is complete).

        When the upload expires now, unless it goes on.
        """
        expires_at = self.clock() + self.upload_ttl
        try:
            # Closed as the block ends, however: its silence watchdog goes with it.
            async with contextlib.aclosing(lease.watch(chunks, receiver.save)) as watched:
                async for chunk in watched:
                    await receiver.add(chunk)
        except BaseException as exc:
            if isinstance(exc, NotAVideo | UploadGone):
                await self._abort_multipart(receiver.key, receiver.multipart_id)
                await self._fail(lease, exc)
                raise
            if isinstance(exc, UploadLengthExceeded):
                # A body longer than announced (chunked, so not refused up front) is not
                # the file: the request changes nothing, the client may send it again.
                try:
                    await asyncio.shield(receiver.undo())
                except Exception as undo_failed:  # the 413 still stands; the log says why
                    log.warning("upload_undo_failed", error=undo_failed.__class__.__name__)
                raise
            # Keep what did arrive: the client resumes from there.
            with contextlib.suppress(Exception):
                await asyncio.shield(receiver.save(release=True, expires_at=expires_at))
            raise
        await receiver.save(release=not receiver.complete, expires_at=expires_at)
        return expires_at

    async def terminate(self, upload_id: uuid.UUID, principal: Principal) -> None:
        """tus DELETE: drop the upload and every byte of it stored so far.

        Its uploader may, and so may any admin: cancelling an upload somebody abandoned
        frees its storage before it expires. 409 ``upload_complete`` once every byte is in
        (its file is processed or an item now: nothing is left to cancel).
        """
        cancelled = await self._cancellable(upload_id, principal)
        mine = cancelled.created_by == principal.user_id
        token = await self._lease_to_cancel(
            upload_id, CANCELLED_BY_UPLOADER if mine else CANCELLED_BY_ADMIN
        )
        if token is None:
            # Cancelled all the same (refused from now on); the sweeper frees its storage
            # once the request holding it let go.
            log.info("upload_cancel_deferred", upload_id=str(upload_id))
            return
        lease = Lease(self.records, upload_id, token)
        try:
            upload = await self._cancellable(upload_id, principal)
            if upload.state == "uploading":
                await self._abort_multipart(upload.object_key, upload.multipart_id)
            await lease.delete()
        finally:
            with contextlib.suppress(Exception):  # deleted, or it lapses by itself
                await asyncio.shield(self.records.release(upload_id, token))
        metrics.count_upload_ended("cancelled")
        log.info(
            "upload_terminated",
            upload_id=str(upload_id),
            uploader=upload.created_by,
            by=principal.user_id,
        )

    async def _lease_to_cancel(self, upload_id: uuid.UUID, why: str) -> str | None:
        """The upload's lease for a cancel; None if not free within :data:`CANCEL_WAIT_SECONDS`.

        A cancel wins over the PATCH holding the upload (an aborted one still draining in,
        or the uploader's next one, back to back): the upload is marked cancelled, so that
        request stops at its next commit and no other takes it. Answering 423 instead
        left the cancel retrying into a lease that was never free for long."""
        deadline = asyncio.get_running_loop().time() + CANCEL_WAIT_SECONDS
        marked = False
        while (token := await self.records.try_lease(upload_id)) is None:
            if not marked:
                await self.records.mark_cancelled(upload_id, why)
                marked = True
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.2)
        return token

    async def unfinished_uploads(self, limit: int, offset: int) -> UnfinishedUploadPage:
        """The resumable uploads still receiving bytes (every uploader's), the longest
        idle first: what abandoned uploads hold until they expire."""
        uploads, total = await self.records.unfinished(limit, offset)
        return UnfinishedUploadPage([_unfinished(u) for u in uploads], total, limit, offset)

    # --- jobs -----------------------------------------------------------------------------

    async def job(
        self, upload_id: uuid.UUID, principal: Principal, context: CallContext | None = None
    ) -> Job:
        """Where an upload is: uploading, processing, done (with the item) or failed.

        A stored upload whose finish or processing nobody holds any more (its replica died
        after the last byte arrived) is taken up again, for the uploader asking (with
        ``context``, whose token registers the item): the answer says uploading or
        processing, and a later one the item, as if nothing had happened."""
        upload = await self._owned(upload_id, principal)
        if context is not None and self._orphaned(upload):
            self._start_take_up(upload_id, Uploader(upload.created_by, context))
        item = msgspec.convert(upload.item, MediaItem) if upload.item is not None else None
        # The replace's answer (its captions and chapters in it) as it left the item: what
        # was made for the old file then, whatever was changed since.
        checks = checks_after_replace(item) if upload.replaces and item else None
        return Job(str(upload.id), _JOB_STATES[upload.state], item, upload.error, checks)

    def _orphaned(self, upload: Upload) -> bool:
        """Whether ``upload`` is a tus upload stored whole whose request's lease lapsed."""
        unleased = upload.lease_until is None or upload.lease_until < self.clock()
        return _stored_whole(upload) and unleased

    async def finish_take_ups(self) -> None:
        """Let the processing taken up again finish (the app's shut-down bounds the wait)."""
        if self.taking_up:
            await asyncio.wait(set(self.taking_up))

    def _start_take_up(self, upload_id: uuid.UUID, uploader: Uploader) -> None:
        """Take a stored upload's processing up again, in a task of its own."""
        task = asyncio.ensure_future(self._take_up(upload_id, uploader))
        self.taking_up.add(task)  # held until done: a bare task may be collected
        task.add_done_callback(self.taking_up.discard)

    async def _take_up(self, upload_id: uuid.UUID, uploader: Uploader) -> None:
        """Finish, or process again, a stored upload whose request died with its replica."""
        try:
            async with self.records.lease(upload_id) as lease:
                upload = lease.upload
                if upload is None or not _stored_whole(upload):
                    return  # another request took it up first, and finished
                by = "uploader" if uploader.context is not None else "sweeper"
                log.info(
                    "upload_processing_taken_up",
                    upload_id=str(upload_id),
                    by=by,
                    state=upload.state,
                )
                if upload.state == "uploading":
                    # Every byte counted, never finished: the finish its last PATCH ran. If
                    # it fails again, the upload stays so, for the next HEAD, poll or sweep.
                    receiver = ChunkReceiver(self.media, lease, upload)
                    await self._complete(lease, receiver, upload, uploader)
                    return
                try:
                    stored = await self._stored_original(upload)
                except BaseException as exc:
                    await self._fail_or_put_off(lease, exc)
                    raise
                await self._process(lease, stored, self._work(stored, upload, uploader))
        except UploadLocked:
            return  # another poll took it up a moment ago
        except Exception as exc:  # failed, with why (or put back, to try again): recorded
            log.warning("upload_take_up_failed", upload_id=str(upload_id), error=repr(exc))

    async def _stored_original(self, upload: Upload) -> StoredMedia:
        """The whole original an upload in processing stored (410 if it is gone)."""
        if upload.object_key is None or upload.container is None:
            raise UploadGone("the stored file of this upload is gone; upload it again")
        try:
            info = await self.media.head(upload.object_key)
        except ObjectNotFound:
            raise UploadGone("the stored file of this upload is gone; upload it again") from None
        return StoredMedia(upload.id, by_name(upload.container), info)

    # --- the pipeline, and failures --------------------------------------------------------

    def _work(self, stored: StoredMedia, upload: Upload, uploader: Uploader) -> Work:
        """What a stored tus upload becomes: a new item, or the new file of the item it
        replaces (for its uploader's request alone: the sweeper takes none up)."""
        if upload.replaces is None:
            details = UploadDetails(
                upload.title,
                upload.description,
                list(upload.tags),
                upload.publish,
                upload.publish_at,
            )
            return functools.partial(self.pipeline.run, stored, details, uploader, resumable=True)
        context = uploader.context or CallContext()
        return functools.partial(self._replacing().run, stored, upload.replaces, context)

    async def _process(
        self,
        lease: Lease,
        stored: StoredMedia,
        work: Work,
        abandoned: Abandoned | None = None,
    ) -> MediaItem:
        registering = asyncio.Event()

        async def mark_registering() -> None:
            await lease.update(state="registering")
            registering.set()

        size = stored.info.size
        metrics.observe_upload_size(size)
        await lease.update(
            state="processing",
            length=size,
            received=size,
            parts=[],
            multipart_id=None,
            drop_tail=True,
        )
        self._log_stored(stored)
        running = asyncio.ensure_future(work(on_registering=mark_registering))
        try:
            item = await _unless_abandoned(running, abandoned, registering)
        except BaseException as exc:
            unavailable = await self._fail_or_put_off(lease, exc, registering.is_set())
            if unavailable is None or unavailable is exc:
                raise
            raise unavailable from exc
        await lease.update(
            state="done",
            item=msgspec.to_builtins(item),
            error=None,
            expires_at=self.clock() + self.upload_ttl,
        )
        metrics.count_upload_ended("registered")
        log.info("upload_registered", upload_id=str(stored.upload_id), key=stored.info.key)
        return item

    async def _fail_or_put_off(
        self, lease: Lease, exc: BaseException, registering: bool = False
    ) -> ServiceUnavailable | None:
        """Record why an upload failed; or, for a tus upload whose finish met something
        briefly away (:func:`~streamstack.ingest.processing.outage`), leave it stored whole
        in processing (its objects kept), for the client's retry (a HEAD, a poll) or the
        sweeper to take up once the lease lets go: the 503 to answer then."""
        unavailable = outage(exc)
        upload = lease.upload
        # A replacement that was registering may be the item's original now, and nothing
        # reads that back: failed as before, its objects left to the item.
        replaced = registering and upload is not None and upload.replaces is not None
        if unavailable is None or upload is None or upload.kind != "tus" or replaced:
            await self._fail(lease, exc)
            return None
        try:
            await asyncio.shield(lease.update(state="processing"))
        except Exception as unrecorded:  # left registering: the sweeper's, as a crash's
            log.warning("upload_put_off_unrecorded", error=repr(unrecorded))
        log.warning(
            "upload_finish_put_off",
            upload_id=str(lease.upload_id),
            status=unavailable.status,
            detail=unavailable.detail,
        )
        return unavailable

    async def _fail(self, lease: Lease, exc: BaseException) -> None:
        """Record why an upload failed (for job polling); never masks ``exc``."""
        if isinstance(exc, AppError):
            detail, status = exc.detail, exc.status
        elif isinstance(exc, asyncio.CancelledError):
            detail, status = "the upload was interrupted", 499
        else:
            detail, status = "the upload failed unexpectedly", 500
        with contextlib.suppress(Exception):
            await asyncio.shield(
                lease.update(
                    state="failed",
                    error=detail,
                    error_status=status,
                    drop_tail=True,
                    expires_at=self.clock() + self.upload_ttl,
                )
            )
        metrics.count_upload_ended("refused" if status < 499 else "failed")
        # A warning: its file is gone, and its uploader must send it again.
        log.warning("upload_failed", upload_id=str(lease.upload_id), status=status, detail=detail)

    async def _abort_multipart(self, key: str | None, multipart_id: str | None) -> None:
        if key is not None and multipart_id is not None:
            await self.media.abort_multipart(key, multipart_id)

    # --- sweeping ---------------------------------------------------------------------------

    async def sweep(self, now: datetime.datetime | None = None) -> int:
        """Clean up expired uploads and those whose replica died mid-way; how many."""
        now = now or self.clock()
        swept = 0
        due = await self.records.due_for_sweeping(now, TAKE_UP_AFTER, limit=SWEEP_BATCH)
        for upload in due:
            taken_up = upload.replaces is None  # a replacement needs its admin's token
            if taken_up and _stored_whole(upload) and upload.expires_at >= now:
                # Stored whole, its finish or processing died and its uploader did not come
                # back to take it up (a closed tab, a CLI killed with its server): ingest does.
                if len(self.taking_up) < TAKE_UP_AT_ONCE:
                    self._start_take_up(upload.id, Uploader(upload.created_by))
                continue
            token = await self.records.try_lease(upload.id)
            if token is None:
                continue
            lease = Lease(self.records, upload.id, token)
            try:
                await self._sweep_one(lease, upload, now)
                swept += 1
            except Exception as exc:
                log.warning("sweep_failed", upload_id=str(upload.id), error=exc.__class__.__name__)
            finally:
                with contextlib.suppress(Exception):
                    await self.records.update_leased(
                        upload.id, token, {"lease_token": None, "lease_until": None}
                    )
        return swept

    async def sweep_step(self) -> bool:
        """One round of the sweeper task; True when a full batch went (more may wait)."""
        swept = await self.sweep()
        if swept:
            log.info("uploads_swept", count=swept)
        return swept >= SWEEP_BATCH

    async def _sweep_one(self, lease: Lease, upload: Upload, now: datetime.datetime) -> None:
        expired = upload.expires_at < now
        if upload.state == "uploading":
            await self._abort_multipart(upload.object_key, upload.multipart_id)
            if upload.kind == "form" and upload.object_key is not None:
                await self.pipeline.discard(upload.object_key, upload.id)
            await lease.delete()
            metrics.count_upload_ended("abandoned")
        elif upload.state == "processing":
            # A form post's request was its only client; a tus upload whose take-ups never
            # finished has expired.
            await self.pipeline.discard(upload.object_key, upload.id)
            await self._fail(lease, AppError("processing was interrupted; upload the file again"))
        elif upload.state == "registering":
            # Catalogue may hold an item over these objects: leave them, say so.
            log.warning("registration_interrupted", upload_id=str(upload.id), key=upload.object_key)
            await self._fail(lease, AppError(REGISTRATION_INTERRUPTED))
        elif expired:
            await lease.delete()

    # --- helpers ------------------------------------------------------------------------------

    def _new_upload(self, kind: str, principal: Principal, *, length: int | None) -> Upload:
        now = self.clock()
        return Upload(
            id=uuid.uuid4(),
            kind=kind,
            state="uploading",
            created_by=principal.user_id,
            length=length,
            received=0,
            part_bytes=part_bytes_for(length) if length else PART_BYTES,
            parts=[],
            upload_metadata="",
            title="",
            description="",
            tags=[],
            publish=True,
            created_at=now,
            updated_at=now,
            expires_at=now + self.upload_ttl,
        )

    @staticmethod
    def _set_details(upload: Upload, details: UploadDetails) -> None:
        upload.title = details.title
        upload.description = details.description
        upload.tags = list(details.tags)
        upload.publish = details.publish
        upload.publish_at = details.publish_at

    async def _owned(
        self, upload_id: uuid.UUID, principal: Principal, *, or_admin: bool = False
    ) -> Upload:
        """The caller's upload (with ``or_admin``, anyone's for an admin); 404 otherwise."""
        upload = await self.records.get(upload_id)
        mine = upload is not None and upload.created_by == principal.user_id
        if upload is None or not (mine or (or_admin and principal.is_admin)):
            raise UploadNotFound("no such upload")
        return upload

    async def _cancellable(self, upload_id: uuid.UUID, principal: Principal) -> Upload:
        """The upload if ``principal`` may terminate it: theirs, or any one for an admin
        (404 otherwise), and not complete (409)."""
        upload = await self._owned(upload_id, principal, or_admin=True)
        if upload.state in ("processing", "registering", "done"):
            raise UploadComplete("the upload is complete: its video is in the library now")
        return upload

    async def _resumable(self, upload_id: uuid.UUID, principal: Principal) -> Upload:
        """A tus upload that can still be talked to (404 unknown, 410 expired or failed)."""
        return self._still_resumable(await self.records.get(upload_id), principal)

    def _still_resumable(self, upload: Upload | None, principal: Principal) -> Upload:
        """``upload`` if it is the caller's tus upload and still open (else 404, 410)."""
        if upload is None or upload.created_by != principal.user_id or upload.kind != "tus":
            raise UploadNotFound("no such upload")
        if upload.state == "failed":
            raise UploadGone(upload.error or "the upload failed")
        if upload.state == "uploading" and upload.error is not None:
            # Cancelled while a request held it (see UploadRecords.mark_cancelled): said
            # apart from an expiry, so a client can tell its user who ended it.
            raise UploadCancelled(upload.error)
        if upload.state == "uploading" and upload.expires_at < self.clock():
            raise UploadGone("the upload expired; start it again")
        return upload

    @staticmethod
    def _log_stored(stored: StoredMedia) -> None:
        log.info(
            "upload_stored",
            upload_id=str(stored.upload_id),
            key=stored.info.key,
            size=stored.info.size,
            container=stored.container.name,
        )


def _unfinished(upload: Upload) -> UnfinishedUpload:
    """An upload still receiving bytes, as admins list it."""
    assert upload.length is not None  # a tus upload announces its length
    # Its metadata was checked when it was created, by the same parser.
    metadata = tus.parse_metadata(upload.upload_metadata)
    return UnfinishedUpload(
        id=str(upload.id),
        file_name=metadata.get("filename"),
        title=upload.title,
        offset=upload.received,
        length=upload.length,
        created_at=upload.created_at,
        last_activity_at=upload.updated_at,
        expires_at=upload.expires_at,
        uploader_id=upload.created_by,
        replaces=upload.replaces,
    )


def _stored_whole(upload: Upload) -> bool:
    """Whether ``upload`` is a tus upload whose every byte arrived: processing, or still
    uploading at its length (its finishing request died before the finish, or its undo)."""
    if upload.kind != "tus":
        return False
    counted = upload.received == upload.length and upload.error is None  # error: cancelled
    return upload.state == "processing" or (upload.state == "uploading" and counted)


def _status(upload: Upload) -> UploadStatus:
    assert upload.length is not None
    offset = upload.received if upload.state == "uploading" else upload.length
    return UploadStatus(upload.id, offset, upload.length, upload.upload_metadata, upload.expires_at)


async def _unless_abandoned(
    work: asyncio.Future[MediaItem], abandoned: Abandoned | None, registering: asyncio.Event
) -> MediaItem:
    """Await ``work``; if the client leaves before registration starts, cancel it."""
    if abandoned is None:
        return await work
    watcher: asyncio.Future[None] = asyncio.ensure_future(abandoned())
    waiting: set[asyncio.Future[object]] = {work, watcher}  # type: ignore[arg-type]
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        if not registering.is_set():
            work.cancel()
        raise
    try:
        if not work.done() and not registering.is_set():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            raise ClientDisconnected("the client disconnected before the upload was processed")
        return await work
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


#: Room for a form's text fields and part headers around the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024


def over_the_limit(what: str, limit: int) -> PayloadTooLarge:
    """413 ``upload_too_large``: ``what`` is over ``limit`` bytes, said in MiB for a person
    and in bytes, exactly."""
    return PayloadTooLarge(
        f"{what} is larger than the limit of {limit / 2**20:,.1f} MiB ({limit} bytes)",
        code="upload_too_large",
    )


class TranscodeRetries:
    """Transcoding an item again: once its transcoding failed (an admin asks, after fixing
    what made it fail: a limit, a worker, a full disk), or once it is ready (after an
    upgrade: the new package is written beside the one its viewers go on playing)."""

    def __init__(self, catalogue: CatalogueClient, jobs: TranscodeJobs) -> None:
        self.catalogue = catalogue
        self.jobs = jobs

    async def retry(self, media_id: str, context: CallContext, *, force: bool = False) -> MediaItem:
        """Queue a new job for the item; the item, ``queued``. 404 when there is no such
        item; 409 ``in_progress`` while a job is queued or running for it (unless
        ``force``: a job the queue lost), or ``processing_state_changed`` when another
        request queued one first."""
        item = await self.catalogue.get_item(media_id, context)
        request = retry_request(item, force=force)
        # Owed before the item says queued: a crash between the two still queues the job.
        await self.jobs.record(request)
        update = ProcessingUpdate(
            media_id=item.id,
            state="queued",
            only_from=item.processing_state,
            keep_package=request.refresh,
        )
        try:
            queued = await self.catalogue.update_processing(update, context)
        except AppError as exc:
            if exc.status < 500:  # refused, so nothing is queued; otherwise it may be
                await self.jobs.forget(request)
            raise
        await self.jobs.enqueue(request)
        log.info("transcode_retried", media_id=item.id, job_id=request.queue_id)
        return queued


def retry_request(item: MediaItem, *, force: bool = False) -> TranscodeRequest:
    """The new job for a failed, ready or never transcoded item (its own id: the first
    job's is still remembered by the queue's dedupe window; a refresh of an item with
    HLS); 409 while a job is queued or running for it, unless ``force``."""
    container = by_content_type(item.content_type)
    if container is None or not needs_transcoding(container, item.video_codec, item.audio_codec):
        raise Conflict(
            "the item has no video to transcode, and its sound plays as uploaded",
            code="not_transcodable",
        )
    # "none": a picture never transcoded (an item registered before transcoding existed).
    if not force:
        refuse_under_way(item)
    return job_request(item, container, repeat_id(item.id), refresh=item.has_hls)
