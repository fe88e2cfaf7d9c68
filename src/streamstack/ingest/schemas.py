"""What ingest accepts with a file and what it answers, with their limits.

The limits are the contracts' own (:mod:`streamstack.contracts.limits`: an item that
ingest accepts must be one catalogue accepts), checked here too so that a bad title fails
before gigabytes are uploaded.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from streamstack.contracts.catalogue import (
    CaptionTrack,
    MediaItem,
    ReplaceCheck,
    check_publish_time,
)
from streamstack.contracts.limits import Description, DurationSeconds, Instant, Tags, Title
from streamstack.ingest.containers import Container, Form, FormKind
from streamstack.kernel.errors import BadRequest
from streamstack.kernel.jobs import Backlog, QueueConfig, WorkerSeen
from streamstack.kernel.jobs.worker import waiting_text

#: The text fields a form post or a tus ``Upload-Metadata`` header may carry.
DETAIL_FIELDS = ("title", "description", "tags", "publish", "publish_at")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")

JobState = Literal["uploading", "processing", "done", "failed"]


class UploadDetails(msgspec.Struct, frozen=True):
    """What the uploader says about the file: catalogue's title, description, tags, and
    what happens once it is in: publish, or stay a draft (scheduled for ``publish_at``)."""

    title: Title
    description: Description = ""
    tags: Tags = []
    publish: bool = True
    publish_at: Instant | None = None

    @classmethod
    def from_fields(
        cls, fields: Mapping[str, Sequence[str]], now: datetime.datetime
    ) -> UploadDetails:
        """Build from text fields; tags may repeat or be comma-separated. 400 if invalid,
        a ``publish_at`` too (as an edit's schedule: in the future, not too far ahead)."""
        title = _single(fields, "title").strip()
        if not title:
            raise BadRequest("a title is required", code="validation_error")
        tags = [
            tag.strip()
            for value in fields.get("tags", ())
            for tag in value.split(",")
            if tag.strip()
        ]
        publish_at = _single(fields, "publish_at").strip() or None
        # A schedule keeps the item a draft until then; publishing now as well is a contradiction.
        publish_text = (_single(fields, "publish").strip() or str(publish_at is None)).lower()
        if publish_text not in _TRUE + _FALSE:
            raise BadRequest("publish must be true or false", code="validation_error")
        try:
            details = msgspec.convert(
                {
                    "title": title,
                    "description": _single(fields, "description").strip(),
                    "tags": list(dict.fromkeys(tags)),
                    "publish": publish_text in _TRUE,
                    "publish_at": publish_at,
                },
                cls,
            )
        except msgspec.ValidationError as exc:
            raise BadRequest(str(exc), code="validation_error") from None
        if details.publish_at is not None:
            if details.publish:
                raise BadRequest(
                    "give publish (now) or publish_at (later), not both", code="validation_error"
                )
            check_publish_time(details.publish_at, now)
        return details


def _single(fields: Mapping[str, Sequence[str]], name: str) -> str:
    values = fields.get(name, ())
    if len(values) > 1:
        raise BadRequest(f"{name} is given more than once", code="validation_error")
    return values[0] if values else ""


class Job(msgspec.Struct, frozen=True):
    """``GET /api/v1/ingest/jobs/{upload_id}``: where an upload is, and how it ended."""

    upload_id: str
    state: JobState
    item: MediaItem | None = None
    error: str | None = None
    checks: list[ReplaceCheck] | None = None
    """An upload that replaced an item's video file, done: what was made for the old file
    and stays with the new one, for the admin to check (empty: nothing); None for any
    other upload, and until it is done."""


class CaptionTrackList(msgspec.Struct, frozen=True):
    """``PUT /api/v1/ingest/items/{item_id}/captions/{language}``: the item's caption tracks
    after the change, by language."""

    media_id: str
    captions: list[CaptionTrack]
    cues_after_end: int = 0
    """Of the track just stored, the cues that start at or after the video's end (never
    shown): most often the caption file of another cut or episode. Stored all the same."""
    cues: int = 0
    """How many cues the track just stored has."""
    duration_seconds: float | None = None
    """The video's length, which ``cues_after_end`` is measured against (None: unknown)."""

    @classmethod
    def stored(cls, item: MediaItem, starts: Sequence[float]) -> CaptionTrackList:
        """The answer to storing a track whose cues start at ``starts`` on ``item``."""
        length = item.duration_seconds
        late = 0 if length is None else sum(start >= length for start in starts)
        return cls(item.id, item.captions, late, len(starts), length)


class UnfinishedUpload(msgspec.Struct, frozen=True):
    """A resumable upload that has not received all its bytes yet, as admins list it:
    what it holds in storage until it goes on, is cancelled or expires."""

    id: str
    file_name: str | None
    """The ``filename`` of its tus metadata (None when the client sent none)."""
    title: str
    offset: int
    """The bytes received (and stored) so far."""
    length: int
    """The bytes announced (``Upload-Length``)."""
    created_at: datetime.datetime
    last_activity_at: datetime.datetime
    expires_at: datetime.datetime
    """When the sweeper drops it unless it goes on."""
    uploader_id: str
    """The user who started it (ingest knows users by id only)."""
    replaces: str | None = None
    """The item whose video file it replaces (``title`` is that item's); None for a new one."""


class UnfinishedUploadPage(msgspec.Struct, frozen=True):
    """``GET /api/v1/ingest/uploads``: one page of unfinished uploads, the longest idle
    first, and how many there are in all."""

    items: list[UnfinishedUpload]
    total: int
    limit: int
    offset: int


class ThumbnailMoment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PUT /api/v1/ingest/items/{item_id}/thumbnail``: the moment of the video whose
    frame becomes the item's thumbnail and poster."""

    at_seconds: DurationSeconds


#: What an item's stills were made of: the frame an admin chose, the frame chosen at
#: processing (the automatic one), or an image an admin uploaded.
ThumbnailSource = Literal["frame", "automatic", "image"]


class ChosenThumbnail(msgspec.Struct, frozen=True):
    """The item's new stills. Their URLs carry a version (as the item's do from now on),
    so a browser that kept the old images (they are cached for minutes) loads these."""

    media_id: str
    source: ThumbnailSource
    at_seconds: float | None
    """The moment of the frame an admin chose; None for the automatic frame or an image."""
    thumbnail_url: str | None
    """None when the item shows no stills: a sound without a cover back from an image."""
    poster_url: str | None


class FactsRead(msgspec.Struct, frozen=True):
    """An item's original read again: which of its facts changed (:class:`MediaItem`'s
    names: ``chapters``, ``audio_codec`` …, and ``playable`` when whether it plays did;
    none when the file says what it said), and the item as it is now, with its chapters
    (``queued`` when it was queued for transcoding)."""

    media_id: str
    changed: list[str]
    item: MediaItem


class AcceptedFormat(msgspec.Struct, frozen=True):
    """One kind of file ingest takes, as people know it (a form of a container)."""

    label: str
    """What people call it, with its usual extensions where the name does not say them:
    "Matroska (MKV)", "WMA"."""
    kind: FormKind
    """``video``, or ``sound`` alone (a file of either may carry sound alone)."""
    extensions: list[str]
    """Every ending such files have, lower case, without the dot: ``ts``, ``mts``, ``m2ts``."""
    content_types: list[str]
    """What such a file is stored and served as, the usual one first."""
    container: str
    """The container it is: ``mp4``, ``matroska``, ``asf`` … (several forms may share one)."""


class AcceptedFormats(msgspec.Struct, frozen=True):
    """``GET /api/v1/ingest/formats``: every kind of file ingest takes, the videos, then the
    sound files. Ingest decides by a file's first bytes, whatever its name: these say which
    files to offer an uploader, and what a refused one could have been."""

    formats: list[AcceptedFormat]

    @classmethod
    def of(cls, forms: Iterable[tuple[Container, Form]]) -> AcceptedFormats:
        """The answer listing ``forms`` (``containers.accepted_forms()``), in their order."""
        return cls(
            [
                AcceptedFormat(
                    label=form.label,
                    kind=form.kind,
                    extensions=list(form.extensions),
                    content_types=list(container.form_types(form)),
                    container=container.name,
                )
                for container, form in forms
            ]
        )


# --- the storage audit (streamstack.ingest.storage_audit) --------------------------------

#: Ingest's two buckets, by what they hold (their names are settings).
BucketRole = Literal["media", "thumbnails"]


class AuditedObject(msgspec.Struct, frozen=True):
    """One object the storage audit names: its key, size, and how long ago it was stored."""

    key: str
    size_bytes: int
    age_seconds: int


class ObjectTally(msgspec.Struct, frozen=True):
    """Objects of one kind in a bucket: how many, their bytes, and the first of them in key
    order (as many as the request's ``limit``)."""

    count: int
    bytes: int
    first: list[AuditedObject]


class BucketAudit(msgspec.Struct, frozen=True):
    """One bucket as the audit found it.

    ``orphans``: objects of a media id that is no item and no unfinished upload, older than
    the grace period (deleted, when the answer is a deletion's). ``unrecognised``: objects
    whose key names no media id the way ingest names objects (another tool's, or a bug's);
    the audit never deletes them.
    """

    role: BucketRole
    bucket: str
    objects: int
    bytes: int
    orphans: ObjectTally
    unrecognised: ObjectTally
    younger_than_grace: ObjectTally
    """Objects of no item (as orphans are) stored within the grace period: left alone by
    this run, judged by one after the report's ``judged_after``."""


#: What of an item the database says it has can be missing from the buckets: its
#: ``original`` (the uploaded file), its ``stream`` (the HLS package: its ``outputs.json``
#: or a file it names as live), its ``thumbnail``, its ``captions`` (a track's file).
#: ``damaged``: files of its stream not the size they were written with (cut short).
MissingPart = Literal["original", "stream", "damaged", "thumbnail", "captions"]


class ItemMissingMedia(msgspec.Struct, frozen=True):
    """One item whose objects the database says exist but the buckets lack: its id, its
    title, what is missing, and how many objects; ``packaged`` when it has an HLS package
    (what viewers play, so a lost original alone still plays)."""

    id: str
    title: str
    missing: list[MissingPart]
    missing_objects: int
    packaged: bool = False


class MissingMedia(msgspec.Struct, frozen=True):
    """The items whose media is missing or damaged (how many, the first of them in id
    order, as many as the request's ``limit``), out of ``items_checked``."""

    items_checked: int
    count: int
    first: list[ItemMissingMedia]
    unchecked: int = 0
    """Items whose stream was made before file sizes were recorded: checked for missing
    files, not damaged ones (transcoding one again makes it checkable)."""
    unchecked_first: list[str] = []
    """The first of those, by id, as many as the request's ``limit``."""


class StorageAuditReport(msgspec.Struct, frozen=True):
    """Ingest's buckets audited: each bucket's objects, orphans and unrecognised keys, and
    the items whose media is missing from them (``missing``).

    ``deleted`` says whether the orphans were deleted as they were found (a deletion's
    answer) or only reported; a missing object is never made or deleted by the audit."""

    grace_seconds: int
    deleted: bool
    buckets: list[BucketAudit]
    missing: MissingMedia
    judged_after: datetime.datetime | None = None
    """When every object of no item now younger than the grace period is old enough to be
    called an orphan (None when there is none)."""


# --- the transcoding queue and its workers (streamstack.ingest.transcoding_status) ----------

#: What the transcoding queue is doing: ``idle`` (no job waits or runs), ``working`` (jobs
#: run, and wait only for a moment), ``busy`` (jobs wait while every worker's slots are
#: taken), ``no_worker`` (jobs wait and no worker has been seen: nothing takes them).
TranscodingState = Literal["idle", "working", "busy", "no_worker"]


class TranscodingWorker(msgspec.Struct, frozen=True):
    """A transcoding worker (``streamstack worker``, or the one ``streamstack dev`` runs)
    that announced itself within ``seen_within_seconds``."""

    id: str
    """Its own id, new at each start."""
    host: str
    """The machine (host name) it runs on."""
    pid: int
    """Its process id on that machine."""
    concurrency: int
    """How many jobs it runs at once."""
    running: int
    """How many jobs it runs now."""
    started_at: datetime.datetime
    last_seen_at: datetime.datetime
    """When it last announced itself (by its machine's clock)."""
    waiting: str | None = None
    """While a service its jobs need is down, what they wait for, in words ("waiting: the
    object store's disk is full (…) — trying again"); they are held, attempts unspent,
    and run again on their own."""

    @classmethod
    def of(cls, worker: WorkerSeen) -> TranscodingWorker:
        """The answer's form of the queue's record of a worker."""
        return cls(
            id=worker.id,
            host=worker.host,
            pid=worker.pid,
            concurrency=worker.concurrency,
            running=worker.running,
            started_at=datetime.datetime.fromtimestamp(worker.started, datetime.UTC),
            last_seen_at=datetime.datetime.fromtimestamp(worker.seen, datetime.UTC),
            waiting=worker.waiting and waiting_text(worker.waiting),
        )


class TranscodingStatus(msgspec.Struct, frozen=True):
    """``GET /api/v1/ingest/transcoding``: the transcoding jobs that wait and run, the
    workers seen, and what that means (``state``)."""

    state: TranscodingState
    waiting: int
    """Jobs no worker has taken yet (also those waiting to be tried again)."""
    running: int
    """Jobs the workers seen run."""
    stranded: int
    """Jobs still held by a worker no longer seen (killed, or cut off from the queue): the
    queue holds more jobs than the workers seen say they run. Nothing renews their hold, so
    each is queued again within ``requeued_within_seconds``."""
    requeued_within_seconds: int
    """How long a job's hold lasts unrenewed (the queue's ack wait): a stranded job is
    queued again, for any worker, within it."""
    workers: list[TranscodingWorker]
    """The workers seen, the longest running first."""
    seen_within_seconds: int
    """A worker is listed while it announced itself this recently (it does so three times
    as often); one stopped, or cut off from the queue, drops out after it."""
    unrelayed: int = 0
    """Jobs ingest recorded that are not in the queue yet (its outbox hands them over
    within seconds; they stay while the queue is unreachable). Items queued or
    transcoding beyond ``waiting + running + unrelayed`` have no job: the queue lost it."""

    @classmethod
    def of(
        cls, backlog: Backlog, workers: Sequence[WorkerSeen], config: QueueConfig
    ) -> TranscodingStatus:
        """The status of a queue configured by ``config`` whose backlog is ``backlog`` and
        ``workers`` are seen."""
        # Neither queue names a job's holder, but every worker announces how many it runs:
        # the jobs held beyond those are a vanished worker's.
        running = min(backlog.running, sum(worker.running for worker in workers))
        return cls(
            state=transcoding_state(backlog, workers),
            waiting=backlog.waiting,
            running=running,
            stranded=backlog.running - running,
            requeued_within_seconds=math.ceil(config.ack_wait),
            workers=[TranscodingWorker.of(worker) for worker in workers],
            seen_within_seconds=round(config.presence_ttl),
        )


def transcoding_state(backlog: Backlog, workers: Sequence[WorkerSeen]) -> TranscodingState:
    """What a backlog and the workers seen mean (see :data:`TranscodingState`)."""
    if backlog.total and not workers:
        return "no_worker"
    slots_free = sum(worker.concurrency - worker.running for worker in workers)
    if backlog.waiting and slots_free <= 0:
        return "busy"
    return "working" if backlog.total else "idle"
