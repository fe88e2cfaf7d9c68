"""Transcoding jobs: what ingest enqueues after registering an upload, and the worker's handler.

After an upload is stored, probed and registered, ingest enqueues a ``transcode`` job on
the ``media`` queue (setting ``transcode_queue``) (job id = the item's uuid, so a second
enqueue is a no-op). The job is a row of ingest's outbox, recorded before the item is
registered: if the upload could not queue it, the outbox's relay task does, until the queue
took it (:class:`TranscodeJobs`). A worker (``streamstack worker``, or the one
``streamstack dev`` runs in-process) then, for each job:

1. tells catalogue the item is ``processing`` (a 404 there means the item was deleted:
   the job stops and removes what it wrote);
2. spools the original from the object store into a private scratch directory, streamed
   in bounded chunks (a file of the original's size; never the whole file in memory);
3. runs :func:`streamstack.ingest.transcoding.pipeline.transcode` in the media sandbox (no
   network, the memory and time limits of the settings), reporting percent and rungs to
   catalogue at most every ``progress_interval`` seconds;
4. uploads the package under the item's prefix (``<uuid>/hls/…``, ``<uuid>/storyboard/…``;
   :class:`~streamstack.ingest.outputs.ItemOutputs`, master playlist last), and stores the
   source's text subtitle streams as the item's ``embedded`` caption tracks
   (:mod:`~streamstack.ingest.embedded_captions`; an uploaded track of the language wins);
5. marks the item ``ready`` with its renditions, and rewrites the master playlist to list
   the item's caption tracks (uploaded ones too).

A redelivered job does it all again and overwrites the same keys (stale keys of an earlier
attempt are deleted). An input that can never transcode (``TranscodeError``) is rejected at
once; anything else is retried with the queue's backoff, and the retry hook tells admins so
on the item (with the progress the failed attempt had). When a job is given up, the
dead-letter hook marks the item ``failed`` with the reason and removes its outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import msgspec
import structlog

from streamstack.contracts.catalogue import (
    ORIGINAL_MISSING_DETAIL,
    PACKAGE_FORMAT,
    CatalogueClient,
    MediaItem,
    NewMediaItem,
    ProcessingState,
    ProcessingUpdate,
    Rendition,
)
from streamstack.contracts.languages import language_name
from streamstack.contracts.limits import PROCESSING_DETAIL_MAX
from streamstack.ingest.caption_tracks import CaptionTracks
from streamstack.ingest.containers import Container
from streamstack.ingest.embedded_captions import store_embedded_captions
from streamstack.ingest.models import IngestOutboxRow
from streamstack.ingest.outputs import ItemOutputs
from streamstack.ingest.probe_messages import MediaReport
from streamstack.ingest.sandbox import (
    Limits,
    Sandbox,
    SandboxCrashed,
    SandboxRaised,
    SandboxStalled,
    SandboxTimeout,
)
from streamstack.ingest.transcoding.errors import ORIGINAL_UNREADABLE, TranscodeError
from streamstack.ingest.transcoding.ladder import address_space_bytes, plan_ladder
from streamstack.ingest.transcoding.results import (
    Progress,
    SubtitleResult,
    TranscodeOptions,
    TranscodeResult,
)
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import AppError, Conflict, NotFound
from streamstack.kernel.jobs import REPEAT_MARK, DeadLetter, Job, JobQueue
from streamstack.kernel.jobs.worker import (
    Attempt,
    JobRejected,
    current_attempt,
    describe,
    outage_reason,
    waiting_text,
)
from streamstack.kernel.outbox import JobSink, OutboxRelay
from streamstack.kernel.storage import ObjectNotFound, ObjectStore
from streamstack.kernel.storage.private_files import private_directory
from streamstack.kernel.tasks import wait_at_most

log = structlog.get_logger(__name__)

#: The kind of transcoding jobs (their queue is the ``transcode_queue`` setting, ``media``).
TRANSCODE_KIND = "transcode"
#: Bytes per chunk while spooling the original (the file is never whole in memory).
SPOOL_CHUNK_BYTES = 256 * 1024
#: Free disk kept beyond the spool file and the package (about the original's size again).
SPOOL_HEADROOM_BYTES = 256 * 1024 * 1024
#: Percent of the progress bar given to encoding; the rest is packaging and uploading.
ENCODING_PERCENT = 90
#: Of which the quick first pass (the lowest rung alone) takes this much, when there is one.
FIRST_RUNG_PERCENT = 20
MIB = 1024 * 1024
#: Name prefix of each attempt's scratch directory.
SCRATCH_PREFIX = "transcode-"
#: The lock file in each scratch directory, held (``flock``) by its worker while it runs:
#: the kernel lets it go when the worker dies, however it dies.
SCRATCH_LOCK = ".owner"
#: A job recorded before its item is registered is left to the relay only after this long:
#: longer than registering an item and its upload's own attempt to queue the job take, so
#: the relay never queues a job for an item catalogue is still creating (its worker would
#: find no item, and drop the job).
REGISTRATION_GRACE_SECONDS = 600.0
#: How often the relay looks for jobs the queue has not taken (at once after an upload's
#: own attempt failed).
RELAY_INTERVAL_SECONDS = 30.0
#: Recorded jobs one relay step queues at most.
RELAY_BATCH = 50


#: How a job under way is said, by the item's processing state.
_UNDER_WAY = {"queued": "queued", "processing": "running"}


def refuse_under_way(item: MediaItem, before: str = "") -> None:
    """409 ``in_progress`` while a job is queued or running for the item, saying which (and
    ``before`` what to wait, when given)."""
    said = _UNDER_WAY.get(item.processing_state)
    if said is not None:
        before = f" before {before}" if before else ""
        raise Conflict(
            f"the item's transcoding is {said}: wait until it is done{before}", code="in_progress"
        )


class TranscodeRequest(msgspec.Struct, frozen=True):
    """A job's payload: which item, where its original is, and what ingest saw in it."""

    media_id: str
    s3_key: str
    demuxer: str | None = None
    width: int | None = None
    height: int | None = None
    job_id: str = ""
    """The job's id in the queue when it is not the item's: a retry's (``repeat_id``)."""
    refresh: bool = False
    """The item plays an earlier package meanwhile: the new one is written beside it (under
    :attr:`package`), the item keeps it until the new one is published, and keeps it if
    this job fails."""

    @property
    def queue_id(self) -> str:
        """The job's id in the queue and in the outbox."""
        return self.job_id or self.media_id

    @property
    def package(self) -> str:
        """The name of the package this job writes: a repeat's token, else none."""
        return self.job_id.partition(REPEAT_MARK)[2]


def job_request(
    item: NewMediaItem | MediaItem, container: Container, job_id: str = "", *, refresh: bool = False
) -> TranscodeRequest:
    """The job transcoding ``item``, whose original is stored in ``container``."""
    return TranscodeRequest(
        item.id, item.s3_key, container.demuxer, item.width, item.height, job_id, refresh
    )


#: The H.264 profiles every current browser and hardware decoder plays: 8-bit 4:2:0.
#: Firefox, Safari and phones' decoders refuse High 10, High 4:2:2 and High 4:4:4.
BROWSER_H264_PROFILES = frozenset(
    {"Baseline", "Constrained Baseline", "Main", "High", "Progressive High", "Constrained High"}
)
#: The pixel formats of those profiles (``yuvj420p``: the same, in full range).
BROWSER_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})
#: How far from 0 a video's timestamps may start and still play as uploaded (s): a frame or
#: two, or an AAC encoder's priming. A later start shows on a browser's clock and throws its
#: seeking off (0:10 / 0:13 for a 4 s video that starts at 10 s).
DIRECT_START_SLACK_SECONDS = 0.1


def browser_safe(container: Container, report: MediaReport) -> bool:
    """Whether an original plays in every current browser as uploaded: 8-bit 4:2:0 H.264
    (:data:`BROWSER_H264_PROFILES`) + AAC in MP4 whose timestamps start at 0
    (:data:`DIRECT_START_SLACK_SECONDS`) and whose data reaches the end it states, or sound
    alone that does (:func:`plays_as_sound`)."""
    if report.video_codec is None:
        return plays_as_sound(container, report.audio_codec)
    # A report without the picture's format or profile (a probe worker of an older
    # release, a stream the decoder could not tell) is not safe: the original waits for
    # its package, which every browser plays, rather than spin in the ones it does not.
    return (
        container.name == "mp4"
        and report.video_codec == "h264"
        and report.audio_codec in (None, "aac")
        and report.pixel_format in BROWSER_PIXEL_FORMATS
        and report.video_profile in BROWSER_H264_PROFILES
        and report.start_seconds is not None
        and abs(report.start_seconds) <= DIRECT_START_SLACK_SECONDS
        and report.reads_to_end is True
    )


def plays_as_sound(container: Container, audio_codec: str | None) -> bool:
    """Whether a file of sound alone plays in every current browser as uploaded, seeking
    right and with its length known: AAC or MP3 in MP4/MOV (M4A), whose index says both.
    Any other is transcoded to HLS: a bare MP3 without a seek table (VBR, no Xing header)
    seeks to guessed places and shows a guessed length; a recorded WebM has no length and
    no cues at all."""
    return container.name in ("mp4", "mov") and audio_codec in ("aac", "mp3")


def needs_transcoding(
    container: Container, video_codec: str | None, audio_codec: str | None
) -> bool:
    """Every upload with a picture gets a ladder; sound alone gets an audio-only package
    unless browsers play it as uploaded."""
    return video_codec is not None or not plays_as_sound(container, audio_codec)


def original_plays(container: Container, report: MediaReport) -> bool:
    """Whether an item plays its original (catalogue's ``original_playable``): it is
    :func:`browser_safe`, or it gets no package to play instead. Upload and reading the
    file again decide it alike."""
    return browser_safe(container, report) or not needs_transcoding(
        container, report.video_codec, report.audio_codec
    )


class TranscodeJobs:
    """The enqueueing side: ingest hands registered items to the workers, and keeps trying
    until the queue took each job.

    A job is an outbox row (:class:`~streamstack.ingest.models.IngestOutboxRow`, relayed by
    the kernel's :class:`~streamstack.kernel.outbox.OutboxRelay` into the queue) recorded
    before catalogue is asked for its item, queued by the upload once the item exists, and
    marked sent. When the queue does not answer (NATS down for a moment), the row becomes
    due and :attr:`relay`, a background task, queues it with the task's backoff until the
    queue takes it, in this process or, after a restart, the next. A row whose upload died
    before queueing it is queued by the relay after :data:`REGISTRATION_GRACE_SECONDS`.
    Queueing a job twice is harmless: its id is the item's uuid (a retry's, that and a
    token of its own), and the queue drops a second job of an id within its dedupe window.
    """

    def __init__(self, queue: JobQueue, database: Database, clock: Clock = utcnow) -> None:
        self.queue = queue
        self.clock = clock
        self.outbox = OutboxRelay(
            database,
            JobSink(queue),
            IngestOutboxRow,
            name="ingest.transcode-enqueue",
            batch_size=RELAY_BATCH,
            clock=clock,
        )
        self.relay = self.outbox.task(interval_seconds=RELAY_INTERVAL_SECONDS)

    @staticmethod
    def request(item: NewMediaItem, container: Container) -> TranscodeRequest | None:
        """The job ``item`` needs once registered; None when it is not queued for one."""
        if item.processing_state != "queued":
            return None
        return job_request(item, container)

    async def record(self, request: TranscodeRequest) -> None:
        """Owe the job, before its item is registered (the relay's, if the upload dies); again,
        in place of the record of a try whose finish was put off while registering."""
        now = self.clock()
        due_at = now + datetime.timedelta(seconds=REGISTRATION_GRACE_SECONDS)
        async with self.outbox.records() as outbox:
            payload = msgspec.json.encode(request)
            await outbox.discard(request.queue_id)
            await outbox.enqueue(request.queue_id, TRANSCODE_KIND, payload, now, due_at=due_at)

    async def forget(self, request: TranscodeRequest) -> None:
        """Its item was not registered: no job is owed."""
        async with self.outbox.records() as outbox:
            await outbox.discard(request.queue_id)

    async def let_go(self, request: TranscodeRequest | None) -> None:
        """Forget ``request``'s record, if one was made, for an item not registered (or
        not changed); a failure is only logged: its job finds nothing queued for it, and ends."""
        if request is None:
            return
        try:
            await self.forget(request)
        except Exception as exc:
            log.warning("transcode_record_left", media_id=request.media_id, error=repr(exc))

    async def enqueue(self, request: TranscodeRequest) -> None:
        """Queue a registered item's job now; if the queue does not take it, the relay will
        (this never fails the upload)."""
        failure = "transcode_enqueue_failed"
        try:
            payload = msgspec.json.encode(request)
            await self.outbox.sink.publish(TRANSCODE_KIND, payload, event_id=request.queue_id)
            # Queued: from here only marking the row can fail, and the relay's repeat of
            # the job is then dropped by the queue's dedupe.
            failure = "transcode_record_left"
            async with self.outbox.records() as outbox:
                await outbox.mark_sent([request.queue_id], self.clock())
        except Exception as exc:
            log.warning(
                failure,
                media_id=request.media_id,
                error=repr(exc),
                retried_by=self.relay.name,
            )
            try:
                async with self.outbox.records() as outbox:
                    await outbox.count_failure(request.queue_id, self.clock())
            except Exception as unrecorded:  # still due after the grace: only later
                log.warning("transcode_enqueue_unrecorded", error=repr(unrecorded))
            self.relay.wake()


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerLimits:
    """How a worker transcodes: encoder choices and the sandbox's limits."""

    encoding: TranscodeOptions = dataclasses.field(default_factory=TranscodeOptions)
    """Preset, segment length and largest frame; a job's pass sets the rest."""
    timeout_seconds: float = 43_200.0
    stall_seconds: float = 600.0
    """How long the transcoder may go without progress before it is stopped: a long film
    needs hours, a transcoder that stopped moving needs stopping sooner."""
    memory_bytes: int = 0
    """``RLIMIT_AS`` of the transcoder; 0 budgets it from the source's frame size."""
    spool_dir: Path | None = None
    """Where scratch directories go (None: a folder of this user's in the system's
    temporary directory, :meth:`scratch_root`)."""
    max_source_bytes: int = 10 * 1024**3
    niceness: int = 19
    """How much nicer than the worker the transcoder runs (see ``transcode_niceness``)."""
    progress_interval: float = 2.0

    def scratch_root(self) -> Path:
        """The folder of every scratch directory on this machine, made private if new: the
        spool directory, else one known folder under the system's temporary directory, so
        the next worker started here finds what a killed one left."""
        if self.spool_dir is not None:
            return private_directory(self.spool_dir)
        default = Path(tempfile.gettempdir()) / f"streamstack-{SCRATCH_PREFIX}{os.getuid()}"
        return private_directory(default, owned=True)

    def options(self, request: TranscodeRequest, max_rungs: int | None = None) -> TranscodeOptions:
        """The transcoder's options for one pass of a job."""
        return msgspec.structs.replace(
            self.encoding,
            demuxer=request.demuxer,
            max_rungs=max_rungs,
            # Subtitles once per job: with the whole ladder, not the early first rung.
            subtitles=max_rungs is None,
            package=request.package,
        )

    def early_pass(self, request: TranscodeRequest) -> bool:
        """Whether to publish the lowest rung alone first: when the ladder has several, so
        the item plays minutes earlier (one more decoding pass of the source); never when
        it plays an earlier package meanwhile."""
        if not request.width or not request.height or request.refresh:
            return False
        return len(plan_ladder(request.width, request.height, Fraction(30))) > 1

    def sandbox_limits(self, request: TranscodeRequest, workdir: Path) -> Limits:
        """Address space (set, or budgeted from the frame size), file size and descriptors."""
        memory = self.memory_bytes or address_space_bytes(
            max(2, request.width or 1920), max(2, request.height or 1080)
        )
        return Limits(
            memory_bytes=memory,
            file_bytes=max(self.max_source_bytes, 64 * MIB),
            open_files=64,
            workdir=str(workdir),
            niceness=self.niceness,
        )


class ItemGone(Exception):
    """Catalogue answered 404: the item was deleted while its job ran."""


class TranscodeTimeout(Exception):
    """The transcoder ran past its time limit (retried: a loaded machine may be the cause)."""


class TranscodeCrashed(Exception):
    """The transcoder's process died without an answer (killed, or out of memory)."""


class TranscodeHandler:
    """The job handler of the transcoding workers, and their retry and dead-letter hooks."""

    def __init__(
        self, media: ObjectStore, catalogue: CatalogueClient, limits: WorkerLimits
    ) -> None:
        self.media = media
        self.catalogue = catalogue
        self.limits = limits
        self.captions = CaptionTracks(media, catalogue)
        self.unreported: dict[str, TranscodeResult] = {}
        """Packages published whose ``ready`` catalogue has not heard, by job: the job's
        worker holds it through the outage and runs it again for the report alone (a
        film's hours of encoding were done again)."""
        self.failed: dict[str, _JobRun] = {}
        """The last run of each job whose handler raised, by job id, until the worker says
        what follows (:meth:`on_retry` reports it; :meth:`on_dead_letter` drops it)."""
        self._sandbox: Sandbox | None = None
        self._sandbox_lock = asyncio.Lock()

    async def sandbox(self) -> Sandbox:
        """The media sandbox, started on the first job (its fork server takes a moment)."""
        async with self._sandbox_lock:
            if self._sandbox is None:
                self._sandbox = await asyncio.to_thread(
                    Sandbox, ["streamstack.ingest.transcoding.pipeline"]
                )
            return self._sandbox

    async def sweep_scratch(self) -> None:
        """Delete the scratch directories workers that died on this machine left (at the
        worker's start); a live worker's are never touched."""
        # A directory without a lock file may be a live worker's of a version before the
        # lock (a rolling upgrade): it goes only once older than any job runs.
        unlocked_seconds = 2 * self.limits.timeout_seconds + 3600
        await asyncio.to_thread(sweep_scratch, self.limits.scratch_root(), unlocked_seconds)

    async def __call__(self, job: Job) -> None:
        """Run one transcoding job end to end (see the module docstring)."""
        request = decode_request(job)
        run = _JobRun(self, request)
        self.failed.pop(job.id, None)  # an earlier run of this attempt (held through an outage)
        try:
            await run.execute()
        except ItemGone:
            self.unreported.pop(request.queue_id, None)
            await run.abandon()
        except Exception:
            self.failed[job.id] = run  # what the retry hook reports
            raise

    async def on_retry(self, job: Job, attempt: Attempt, error: BaseException) -> None:
        """The worker hands ``job`` back after ``attempt`` failed: tell admins another
        follows, at the failed run's percent (the bar stood still through the backoff, then
        went back to nothing with no word); best effort."""
        run = self.failed.pop(job.id, None)
        if run is None:  # no run of ours failed (nothing to report with)
            log.warning("transcode_retry_unreported", job_id=job.id, attempt=attempt.number)
            return
        with contextlib.suppress(Exception):
            await run.report_retry(attempt, error)

    async def on_hold(self, job: Job, reason: str) -> None:
        """The worker holds ``job`` while a service it needs is down: say so on the item, at
        the held run's percent (the bar stood still with its last stage, "encoding 240p",
        as if the job were slow); best effort (catalogue may be what is down)."""
        run = self.failed.get(job.id)  # kept: the retry hook may report it yet
        if run is not None:
            with contextlib.suppress(Exception):
                await run.report_processing(waiting_text(reason))

    async def _mark_failed(self, media_id: str, detail: str, keep: bool, unreadable: bool) -> bool:
        """Mark the item ``failed``, going on playing the package it has when ``keep``: a
        refresh's earlier one, or the lowest rung a first transcode published early
        (removing it hid a video from viewers watching it when the whole ladder failed);
        whether it kept one (catalogue may never have heard of an early rung: 409)."""
        try:
            await self.update(
                media_id, "failed", detail=detail, keep=keep, original_unreadable=unreadable
            )
            return keep
        except Conflict:
            if not keep:
                raise
        await self.update(media_id, "failed", detail=detail, original_unreadable=unreadable)
        return False

    async def on_dead_letter(self, letter: DeadLetter) -> None:
        """A job given up on: mark its item ``failed`` with the reason (and its original
        unplayable when the transcoder could not read it), remove its outputs."""
        run = self.failed.pop(letter.job.id, None)
        unreadable = run is not None and run.original_unreadable
        try:
            request = decode_request(letter.job)
        except JobRejected:
            log.error("transcode_dead_letter_unreadable", job_id=letter.job.id)
            return
        self.unreported.pop(request.queue_id, None)
        # The state says it failed; the detail says why, as the admin will act on it.
        detail = one_line(failure_text(letter.reason))
        outputs = ItemOutputs(self.media, request.media_id)
        keep = request.refresh or bool((await outputs.recorded()).live)
        with contextlib.suppress(ItemGone):  # deleted meanwhile: nothing left to mark
            keep = await self._mark_failed(request.media_id, detail, keep, unreadable)
        await outputs.remove(keep_live=keep)
        log.warning(
            "transcode_failed", media_id=request.media_id, attempts=letter.attempts, detail=detail
        )

    async def update(
        self,
        media_id: str,
        state: ProcessingState,
        *,
        percent: int = 0,
        detail: str | None = None,
        result: TranscodeResult | None = None,
        keep: bool = False,
        original_unreadable: bool = False,
    ) -> MediaItem:
        """Tell catalogue where the item stands (with ``keep`` and no ``result``, the item
        keeps the package it plays); :class:`ItemGone` when it answers 404."""
        renditions = (
            []
            if result is None
            else [Rendition(height=r.height, bandwidth=r.bandwidth) for r in result.renditions]
        )
        update = ProcessingUpdate(
            media_id=media_id,
            state=state,
            percent=max(0, min(100, percent)),
            detail=detail,
            renditions=renditions,
            hls=result is not None,
            storyboard=result is not None and result.storyboard is not None,
            keep_package=keep and result is None,
            package_format=PACKAGE_FORMAT if result is not None else None,
            duration_seconds=result.duration_seconds if result is not None else None,
            original_unreadable=original_unreadable,
        )
        try:
            return await self.catalogue.update_processing(update)
        except AppError as exc:
            if exc.status == 404:
                raise ItemGone(media_id) from exc
            raise


def sweep_scratch(root: Path, unlocked_seconds: float) -> int:
    """Delete the scratch directories in ``root`` whose worker is gone; how many.

    Workers on one machine share ``root``: a directory is a dead worker's when its lock
    file can be locked (a live one holds it); one without a lock file is taken once
    untouched for ``unlocked_seconds``.
    """
    if not root.is_dir():
        return 0
    swept = 0
    for entry in root.iterdir():
        if entry.name.startswith(SCRATCH_PREFIX) and _abandoned(entry, unlocked_seconds):
            shutil.rmtree(entry, ignore_errors=True)
            swept += 1
        elif entry.name.startswith(f".{SCRATCH_PREFIX}") and _untouched(entry, unlocked_seconds):
            shutil.rmtree(entry, ignore_errors=True)  # killed while being made (never locked)
            swept += 1
    if swept:
        log.info("transcode_scratch_swept", directory=str(root), count=swept)
    return swept


def _abandoned(directory: Path, unlocked_seconds: float) -> bool:
    """Whether nobody holds ``directory``'s lock (no lock file: untouched long enough)."""
    if directory.is_symlink() or not directory.is_dir():
        return False
    try:
        lock = os.open(directory / SCRATCH_LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _untouched(directory, unlocked_seconds)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its worker runs
    finally:
        os.close(lock)
    return True


def _untouched(directory: Path, seconds: float) -> bool:
    return directory.is_dir() and directory.stat().st_mtime < time.time() - seconds


@contextlib.contextmanager
def scratch_space(root: Path) -> Iterator[Path]:
    """A private (0700) scratch directory in ``root`` for the block, locked as its own (see
    :func:`sweep_scratch`), removed at the end."""
    # Made under a name the sweep leaves alone, and named a scratch directory only once
    # locked: a sweep never sees it unlocked while it lives.
    making = Path(tempfile.mkdtemp(prefix=f".{SCRATCH_PREFIX}", dir=root))
    scratch = root / making.name.removeprefix(".")
    lock = os.open(making / SCRATCH_LOCK, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        making.rename(scratch)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(making, ignore_errors=True)
        os.close(lock)


def decode_request(job: Job) -> TranscodeRequest:
    """The job's payload, or :class:`JobRejected` (a malformed job never succeeds)."""
    if job.kind != TRANSCODE_KIND:
        raise JobRejected(f"unknown job kind {job.kind!r}")
    try:
        return msgspec.json.decode(job.payload, type=TranscodeRequest)
    except msgspec.DecodeError as exc:
        raise JobRejected(f"malformed transcode job: {exc}") from None


def failure_text(reason: str) -> str:
    """A dead letter's reason without the exception class of our own refusals."""
    for prefix in ("JobRejected: ", "TranscodeTimeout: ", "TranscodeCrashed: "):
        if reason.startswith(prefix):
            return reason.removeprefix(prefix)
    return reason


def one_line(text: str) -> str:
    """``text`` on one line, within the processing detail's limit."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PROCESSING_DETAIL_MAX else flat[: PROCESSING_DETAIL_MAX - 1] + "…"


def damage_note(result: TranscodeResult) -> str | None:
    """What an admin is told of a package made past damage in its original, or without
    some of its subtitles (the item said "ready" as if whole); None when it is whole."""
    notes = []
    if skipped := result.skipped_packets:
        parts = "part" if skipped == 1 else "parts"
        notes.append(
            f"{skipped} damaged {parts} of the original skipped: it may freeze or break up "
            "there, as the original does"
        )
    if missing := result.missing_sound_seconds:
        notes.append(f"{missing:.1f} s of the original's sound could not be read: silent there")
    if unread := result.unread_seconds:
        notes.append(
            f"the original could not be read past {result.duration_seconds:.1f} s of the "
            f"{result.duration_seconds + unread:.1f} s it says it lasts: the video ends there"
        )
    notes.extend(subtitle_losses(result.subtitles))
    return "; ".join(notes) or None


#: What each loss of a subtitle stream means to its admin, and what to do about it.
_SUBTITLE_LOSSES = {
    "pictures": "are pictures, not text (DVD or Blu-ray): add them as a caption file",
    "unreadable": "could not be read: add them as a caption file",
    "cut": "were cut short at the caption limits",
}


def subtitle_losses(subtitles: Sequence[SubtitleResult]) -> list[str]:
    """One note per kind of loss among the file's subtitle streams (the log names each
    stream), the tracks named by language: "the file's subtitles in Deutsch, English are
    pictures, not text …"."""
    notes = []
    for kind, meaning in _SUBTITLE_LOSSES.items():
        languages = sorted({language_name(sub.language) for sub in subtitles if sub.lost == kind})
        if languages:
            named = ", ".join(languages)
            notes.append(f"the file's subtitles in {named} {meaning}")
    return notes


#: What an item's progress says while its job waits for a worker (again, once handed back).
QUEUED_FOR_A_WORKER = "queued for a worker"
#: What it says once a worker took the job, before its first step says more.
STARTED_ON_A_WORKER = "started on a worker"
#: How long a job handed back at a worker's stop may take to say so (the worker is stopping).
HANDED_BACK_REPORT_SECONDS = 3.0


class _JobRun:
    """One attempt at one job: scratch space, progress, the stages."""

    def __init__(self, handler: TranscodeHandler, request: TranscodeRequest) -> None:
        self.handler = handler
        self.request = request
        self.limits = handler.limits
        self.outputs = ItemOutputs(handler.media, request.media_id)
        self.percent = 0
        self.detail = STARTED_ON_A_WORKER
        self.sent: tuple[int, str] | None = None
        self.span = (0, ENCODING_PERCENT)
        """The part of the progress bar the running transcode pass fills."""
        self.published: TranscodeResult | None = None
        """What catalogue has been told is playable (the early first rung)."""
        self.gone = False
        self.attempt = current_attempt()
        self.original_unreadable = False
        """The transcoder refused the original as unreadable (see ``ORIGINAL_UNREADABLE``),
        or it is not stored at all."""

    async def execute(self) -> None:
        """Spool, transcode, upload, mark ready; the scratch directory always goes."""
        published = self.handler.unreported.get(self.request.queue_id)
        if published is not None:  # run again after an outage hid its report: send it alone
            # Not "started" again at each retry: that read as the job restarting.
            log.info(
                "transcode.waiting_for_catalogue",
                media_id=self.request.media_id,
                job_id=self.request.queue_id,
                detail="transcoded; telling the catalogue it is ready",
            )
            await self.report_ready(published)
            return
        # A job that hangs or runs long is then visible in the logs from its start.
        log.info(
            "transcode_started",
            media_id=self.request.media_id,
            job_id=self.request.queue_id,
            refresh=self.request.refresh,
        )
        with scratch_space(self.limits.scratch_root()) as scratch:
            await self.stages(scratch)

    async def stages(self, scratch: Path) -> None:
        """Everything from the spool to ``ready``, in ``scratch``."""
        try:
            # Within the try: a stop that cancels this first report says "queued" again.
            await self.send_progress(force=True)
            async with self.reporting():
                source = await self.spool(scratch / "source")
                if self.limits.early_pass(self.request):
                    await self.first_rung(source, scratch)
                self.span = (self.percent, ENCODING_PERCENT)
                result = await self.transcode(source, scratch / "out", scratch)
                self.set_progress(ENCODING_PERCENT, "uploading")
                await self.outputs.publish(
                    scratch / "out", result.files, self.on_uploaded, keep_live=self.request.refresh
                )
                await self.store_captions(scratch / "out", result)
            await self.report_ready(result)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not self.gone or task is None:
                await self.say_handed_back()
                raise
            task.uncancel()  # our own reporter stopped the work: the item is gone
            raise ItemGone(self.request.media_id) from None

    async def say_handed_back(self) -> None:
        """Tell catalogue the job is queued for a worker again: its worker stopped (the job is
        released, no attempt spent). The item showed the stopped job's progress, "encoding
        240p, 360p …", until another worker took it. Best effort, within seconds."""
        self.percent = 0
        with contextlib.suppress(Exception):
            async with asyncio.timeout(HANDED_BACK_REPORT_SECONDS):
                await self.report_processing(QUEUED_FOR_A_WORKER)

    async def report_ready(self, result: TranscodeResult) -> None:
        """Tell catalogue the published package is ready; kept in ``unreported`` while an
        outage keeps catalogue from hearing it."""
        try:
            item = await self.handler.update(
                self.request.media_id, "ready", detail=damage_note(result), result=result
            )
        except Exception as exc:
            if outage_reason(exc) is not None:  # the worker holds the job, runs it again
                self.handler.unreported[self.request.queue_id] = result
            raise
        self.handler.unreported.pop(self.request.queue_id, None)
        await self.list_captions(item)
        log.info(
            "transcode_ready",
            media_id=self.request.media_id,
            renditions=[r.name for r in result.renditions],
        )

    async def first_rung(self, source: Path, scratch: Path) -> None:
        """Encode and publish the lowest rung alone: the item is playable from here on.

        The whole ladder comes next; its package has the same names for this rung, so it
        overwrites it, and its master playlist (uploaded last) adds the others.
        """
        self.span = (0, FIRST_RUNG_PERCENT)
        first = await self.transcode(source, scratch / "first", scratch, max_rungs=1)
        await self.outputs.publish(scratch / "first", first.files)
        shutil.rmtree(scratch / "first", ignore_errors=True)
        self.set_progress(FIRST_RUNG_PERCENT, f"{first.renditions[0].name} ready")
        self.sent = (self.percent, self.detail)
        item = await self.handler.update(
            self.request.media_id,
            "processing",
            percent=self.percent,
            detail=self.detail,
            result=first,
        )
        self.published = first
        await self.list_captions(item)

    async def store_captions(self, directory: Path, result: TranscodeResult) -> None:
        """The source's subtitle streams as the item's ``embedded`` caption tracks."""
        try:
            item = await store_embedded_captions(
                self.handler.captions, self.request.media_id, directory, result.subtitles
            )
        except AppError as exc:
            if exc.status == 404:
                raise ItemGone(self.request.media_id) from exc
            raise
        if item is not None:
            languages = [track.language for track in item.captions]
            log.info("transcode_captions", media_id=item.id, languages=languages)

    async def list_captions(self, item: MediaItem) -> None:
        """Make the master playlist just uploaded list the item's caption tracks (also a
        track an admin added since ``item`` was read); :class:`ItemGone` if it was deleted.

        Otherwise best effort: players show the tracks from the stream grant anyway, so a
        failure here is logged rather than worth transcoding the item again.
        """
        try:
            await self.handler.captions.list_in_master(item)
        except NotFound as exc:
            raise ItemGone(item.id) from exc
        except Exception as exc:
            log.error("transcode_captions_unlisted", media_id=item.id, error=repr(exc))

    async def abandon(self) -> None:
        """The item was deleted: remove what this job (and earlier attempts) uploaded."""
        removed = await asyncio.shield(self.outputs.remove())
        log.info("transcode_abandoned", media_id=self.request.media_id, removed=removed)

    async def spool(self, path: Path) -> Path:
        """Copy the original to ``path``, streamed a bounded chunk at a time; a rejected
        job when it is not stored (no retry finds it, and viewers cannot play it either)."""
        try:
            body = await self.handler.media.read(self.request.s3_key, chunk_size=SPOOL_CHUNK_BYTES)
        except ObjectNotFound:
            self.original_unreadable = True
            raise JobRejected(ORIGINAL_MISSING_DETAIL) from None
        try:
            size = body.info.size
            if size > self.limits.max_source_bytes:
                raise JobRejected(
                    f"the original is larger than {self.limits.max_source_bytes} bytes"
                )
            free = shutil.disk_usage(path.parent).free
            if free < 2 * size + SPOOL_HEADROOM_BYTES:
                raise OSError(f"not enough free disk to spool {size} bytes ({free} free)")
            self.set_progress(0, "reading the original")
            with path.open("wb") as file:
                async for chunk in body:
                    await asyncio.to_thread(file.write, chunk)
        finally:
            await body.aclose()
        return path

    async def transcode(
        self, source: Path, output: Path, workdir: Path, max_rungs: int | None = None
    ) -> TranscodeResult:
        """The transcoder in the sandbox; its refusals become a rejected job."""
        # Imported at the first job, not with this module: the pipeline imports PyAV, which
        # only the sandbox's children run and a process that never transcodes should not load.
        from streamstack.ingest.transcoding.pipeline import transcode

        sandbox = await self.handler.sandbox()
        try:
            return await sandbox.call(
                transcode,
                str(source),
                str(output),
                self.limits.options(self.request, max_rungs),
                returns=TranscodeResult,
                limits=self.limits.sandbox_limits(self.request, workdir),
                seconds=self.limits.timeout_seconds,
                progress=(Progress, self.on_progress),
                idle_seconds=self.limits.stall_seconds,
            )
        except SandboxRaised as exc:
            if exc.kind == "TranscodeError":
                refusal = TranscodeError(*exc.arguments)
                self.original_unreadable = refusal.reason in ORIGINAL_UNREADABLE
                raise JobRejected(refusal.message) from None
            raise RuntimeError(
                f"transcoder raised {exc.kind}: {', '.join(exc.arguments)}"
            ) from None
        except SandboxTimeout:
            raise TranscodeTimeout(
                f"transcoding took longer than the limit of {self.limits.timeout_seconds:g} s "
                "(STREAMSTACK_TRANSCODE_TIMEOUT_SECONDS)"
            ) from None
        except SandboxStalled:
            raise TranscodeTimeout(
                f"transcoding made no progress for {self.limits.stall_seconds:g} s "
                "(STREAMSTACK_TRANSCODE_STALL_SECONDS)"
            ) from None
        except SandboxCrashed as exc:
            raise TranscodeCrashed(f"the transcoding process died ({exc})") from None

    # --- progress -------------------------------------------------------------------------

    def on_progress(self, progress: Progress) -> None:
        """The transcoder's progress: percent of the encoding share, and the rungs."""
        low, high = self.span
        if progress.stage == "encoding":
            rungs = ", ".join(progress.rungs)
            self.set_progress(low + round(progress.fraction * (high - low)), f"encoding {rungs}")
        elif progress.stage == "packaging":
            self.set_progress(high, "packaging")

    def on_uploaded(self, done: int, total: int) -> None:
        """One more file of the package is in the object store."""
        share = 100 - ENCODING_PERCENT - 1
        self.set_progress(ENCODING_PERCENT + share * done // max(1, total), "uploading")

    def set_progress(self, percent: int, detail: str) -> None:
        """Remember where the job is; the reporter sends it at its next tick."""
        self.percent, self.detail = max(self.percent, percent), one_line(detail)

    async def report_retry(self, attempt: Attempt, error: BaseException) -> None:
        """Tell admins ``attempt`` failed and another follows (the worker decided so)."""
        why = failure_text(describe(error))
        await self.report_processing(
            f"attempt {attempt.number} of {attempt.allowed} failed ({why}): trying again"
        )

    async def send_progress(self, *, force: bool = False) -> None:
        """Send the progress to catalogue if it changed (or when forced)."""
        current = (self.percent, self.detail)
        if current == self.sent and not force:
            return
        self.sent = current
        detail = self.detail
        if self.attempt is not None and self.attempt.number > 1:
            # The bar starts again from nothing: say why it went back.
            detail = f"{detail} (attempt {self.attempt.number} of {self.attempt.allowed})"
        await self.report_processing(detail)

    async def report_processing(self, detail: str) -> None:
        """Tell catalogue the job is processing, at :attr:`percent`, saying ``detail``
        (the item keeps playing what it played: the first rung, or a refresh's package)."""
        await self.handler.update(
            self.request.media_id,
            "processing",
            percent=self.percent,
            detail=one_line(detail),
            result=self.published,
            keep=self.request.refresh,
        )

    @contextlib.asynccontextmanager
    async def reporting(self) -> AsyncIterator[None]:
        """Send progress every ``progress_interval`` s while the block runs.

        A 404 from catalogue (the item was deleted) cancels the block's task; ``execute``
        turns that cancellation into :class:`ItemGone`. At the block's end a report already
        on its way is let finish: cancelling it mid-statement cost catalogue a pooled
        connection (invalidated, then closed) on the way to the "ready" update.
        """
        worker = asyncio.current_task()
        assert worker is not None
        stopped = asyncio.Event()

        async def report() -> None:
            while True:
                await wait_at_most(self.limits.progress_interval, stopped.wait())
                if stopped.is_set():
                    return
                try:
                    await self.send_progress()
                except ItemGone:
                    self.gone = True
                    worker.cancel()
                    return
                except Exception as exc:  # progress is best effort; the job goes on
                    log.warning("transcode_progress_failed", error=exc.__class__.__name__)

        reporter = asyncio.create_task(report(), name=f"progress-{self.request.media_id}")
        try:
            yield
        finally:
            stopped.set()
            await reporter
