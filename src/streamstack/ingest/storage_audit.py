"""The storage audit: objects in ingest's buckets that no item or upload accounts for, and
(:mod:`streamstack.ingest.missing_media`) items whose objects the buckets lack.

Objects can outlive their item: a take-down job given up after hours of storage outage
(:meth:`streamstack.ingest.takedown.TakedownHandler.on_dead_letter`), a database restored
from a backup older than the buckets, a crash between storing an upload and registering
its item. The audit lists both buckets, maps each key to the media id it belongs to by the
names ingest gives objects (:func:`media_id_of`), and calls an object an *orphan* when

* its media id is no unfinished upload's (ingest's own table) and no item's (catalogue,
  through ``FIND_EXISTING_ITEMS``), or it is an original of an item that names another
  (a replaced file's: :func:`_stray_original`), and
* it is older than the grace period (``ingest_orphan_grace_seconds``), which covers an
  upload between storing its object and registering its item.

Uploads are asked first, then catalogue: an upload is over only once its item is
registered, so an object whose upload has just finished is found in catalogue. A key that
names no media id is *unrecognised* and never deleted. The buckets are read a page at a
time and the ids asked about in batches, so memory stays bounded whatever their size.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Mapping

import structlog

from streamstack.contracts.catalogue import CatalogueClient, object_prefix, owns_object
from streamstack.contracts.limits import EXISTING_ITEMS_BATCH_MAX
from streamstack.ingest.missing_media import MissingMediaCheck
from streamstack.ingest.processing import original_of, poster_key
from streamstack.ingest.repository import UploadRecords
from streamstack.ingest.schemas import (
    AuditedObject,
    BucketAudit,
    BucketRole,
    ObjectTally,
    StorageAuditReport,
)
from streamstack.kernel.clock import Clock
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import (
    DELETE_BATCH_KEYS,
    InvalidObjectKey,
    ListedObject,
    ObjectStore,
    check_object_key,
)

log = structlog.get_logger(__name__)

#: The length of a uuid's canonical text, which starts every key of a media id.
_UUID_TEXT_LENGTH = len(str(uuid.UUID(int=0)))
#: Objects held, waiting for their ids to be looked up, before the lookup is made anyway (an
#: item's HLS package is thousands of segments: the batch of ids alone bounds nothing).
HELD_OBJECTS_MAX = 10_000


def media_id_of(key: str, role: BucketRole) -> str | None:
    """The media id whose object ``key`` is, or None when ingest names no object so.

    Media bucket: an original ``<uuid>.<ext>`` or anything under the item's
    :func:`~streamstack.contracts.catalogue.object_prefix` (renditions, storyboards,
    captions): :func:`~streamstack.contracts.catalogue.owns_object`. Thumbnails bucket: a
    thumbnail ``<uuid>.<ext>``, or the item's :func:`~streamstack.ingest.processing.poster_key`.
    Only a uuid in its canonical (lower-case) text counts (as ingest spells them), and only a
    key the port accepts, so whatever is called an orphan can be deleted.
    """
    candidate = key[:_UUID_TEXT_LENGTH]
    try:
        media_id = str(uuid.UUID(candidate))
        check_object_key(key)
    except (ValueError, InvalidObjectKey):
        return None
    if role == "media":
        return media_id if owns_object(media_id, key) else None
    if key == poster_key(media_id):
        return media_id
    under_prefix = key.startswith(object_prefix(media_id))
    return media_id if owns_object(media_id, key) and not under_prefix else None


def _stray_original(
    role: BucketRole,
    media_id: str,
    key: str,
    original: str | None,
    unfinished: set[uuid.UUID],
) -> bool:
    """Whether ``key``, in an item's media bucket, is an original the item no longer names
    (its file replaced: the old one after a crash before its deletion, or a new one never
    recorded) and no unfinished upload is replacing the item with. Unknown when catalogue
    did not say which original the item has (an older catalogue): kept."""
    if role != "media" or original is None or key == original:
        return False
    is_original, upload = original_of(media_id, key)
    return is_original and upload not in unfinished


@dataclasses.dataclass(slots=True)
class _Tally:
    """An :class:`ObjectTally` being counted: every object added, the first ``shown`` kept."""

    shown: int
    now: datetime.datetime
    count: int = 0
    bytes: int = 0
    first: list[AuditedObject] = dataclasses.field(default_factory=list)
    newest: datetime.datetime | None = None

    def add(self, listed: ListedObject) -> None:
        self.count += 1
        self.bytes += listed.size
        if self.newest is None or listed.last_modified > self.newest:
            self.newest = listed.last_modified
        if len(self.first) < self.shown:
            age = max(0, int((self.now - listed.last_modified).total_seconds()))
            self.first.append(AuditedObject(listed.key, listed.size, age))

    def counted(self) -> ObjectTally:
        return ObjectTally(self.count, self.bytes, self.first)


@dataclasses.dataclass(slots=True)
class _BucketPass:
    """One bucket being audited (and with ``delete``, cleaned): what was found so far, and
    the objects waiting for their media ids to be looked up."""

    role: BucketRole
    store: ObjectStore
    delete: bool
    everything: _Tally
    orphans: _Tally
    unrecognised: _Tally
    young: _Tally
    held: dict[str, list[ListedObject]] = dataclasses.field(default_factory=dict)
    held_count: int = 0

    def hold(self, media_id: str, listed: ListedObject) -> None:
        self.held.setdefault(media_id, []).append(listed)
        self.held_count += 1

    def full(self) -> bool:
        return len(self.held) >= EXISTING_ITEMS_BATCH_MAX or self.held_count >= HELD_OBJECTS_MAX

    def audited(self) -> BucketAudit:
        return BucketAudit(
            role=self.role,
            bucket=self.store.bucket,
            objects=self.everything.count,
            bytes=self.everything.bytes,
            orphans=self.orphans.counted(),
            unrecognised=self.unrecognised.counted(),
            younger_than_grace=self.young.counted(),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class StorageAudit:
    """Finds, and on request deletes, the orphans of ingest's buckets (see the module)."""

    buckets: Mapping[BucketRole, ObjectStore]
    catalogue: CatalogueClient
    uploads: UploadRecords
    grace: datetime.timedelta
    clock: Clock
    missing: MissingMediaCheck

    async def report(
        self, context: CallContext, *, shown: int, grace: datetime.timedelta | None = None
    ) -> StorageAuditReport:
        """Each bucket's objects, orphans and unrecognised keys (the first ``shown`` of
        each kind), for the admin whose token ``context`` carries; ``grace`` for this run
        (the setting's when None). Changes nothing."""
        return await self._run(
            context, shown, delete=False, grace=self.grace if grace is None else grace
        )

    async def delete_orphans(
        self, context: CallContext, *, shown: int, grace: datetime.timedelta | None = None
    ) -> StorageAuditReport:
        """Audit afresh and delete each orphan (older than ``grace``, the setting's when
        None) as it is found (each deletion logged); the report, whose orphans are the
        objects deleted."""
        return await self._run(
            context, shown, delete=True, grace=self.grace if grace is None else grace
        )

    async def _run(
        self, context: CallContext, shown: int, *, delete: bool, grace: datetime.timedelta
    ) -> StorageAuditReport:
        now = self.clock()
        audits = []
        newest: list[datetime.datetime] = []
        for role, store in self.buckets.items():
            everything, orphans, unrecognised, young = (_Tally(shown, now) for _ in range(4))
            bucket = _BucketPass(role, store, delete, everything, orphans, unrecognised, young)
            await self._audit_bucket(bucket, context, now, grace)
            if bucket.young.newest is not None:
                newest.append(bucket.young.newest)
            audits.append(bucket.audited())
            log.info(
                "storage_audit.bucket_done",
                bucket=store.bucket,
                objects=bucket.everything.count,
                orphans=bucket.orphans.count,
                orphan_bytes=bucket.orphans.bytes,
                unrecognised=bucket.unrecognised.count,
                deleted=delete,
            )
        missing = await self.missing.find(context, shown=shown)
        if missing.count:
            log.warning(
                "storage_audit.media_missing",
                items=missing.count,
                first=[entry.id for entry in missing.first],
            )
        return StorageAuditReport(
            grace_seconds=int(grace.total_seconds()),
            deleted=delete,
            buckets=audits,
            missing=missing,
            judged_after=max(newest) + grace if newest else None,
        )

    async def _audit_bucket(
        self,
        bucket: _BucketPass,
        context: CallContext,
        now: datetime.datetime,
        grace: datetime.timedelta,
    ) -> None:
        """List the bucket, sorting each object: unrecognised, or held until a batch of
        media ids is looked up."""
        async for listed in bucket.store.objects():
            bucket.everything.add(listed)
            media_id = media_id_of(listed.key, bucket.role)
            if media_id is None:
                bucket.unrecognised.add(listed)
            else:
                bucket.hold(media_id, listed)
                if bucket.full():
                    await self._settle(bucket, context, now - grace)
        await self._settle(bucket, context, now - grace)

    async def _settle(
        self, bucket: _BucketPass, context: CallContext, judged_before: datetime.datetime
    ) -> None:
        """Look up the held objects' media ids; count (and maybe delete) the orphans, those
        stored before ``judged_before``, and count the younger objects of no item."""
        held, bucket.held, bucket.held_count = bucket.held, {}, 0
        if not held:
            return
        replacing = [
            upload
            for media_id, objects in held.items()
            for listed in objects
            if (upload := original_of(media_id, listed.key)[1]) is not None
        ]
        # Uploads first: one that is over has registered its item (see the module).
        asked = [*(uuid.UUID(i) for i in held), *replacing]
        unfinished = await self.uploads.unfinished_among(asked)
        unknown = [i for i in held if uuid.UUID(i) not in unfinished]
        originals = await self.catalogue.item_originals(unknown, context)
        of_no_item = [
            (media_id, listed)
            for media_id in unknown
            for listed in held[media_id]
            if media_id not in originals
            or _stray_original(bucket.role, media_id, listed.key, originals[media_id], unfinished)
        ]
        orphans = []
        for media_id, listed in of_no_item:
            if listed.last_modified <= judged_before:
                orphans.append((media_id, listed))
            else:
                bucket.young.add(listed)
        # A request deletes a batch, and its orphans are logged once it is gone: should a
        # later request fail, the log still names every orphan deleted before it.
        for start in range(0, len(orphans), DELETE_BATCH_KEYS):
            batch = orphans[start : start + DELETE_BATCH_KEYS]
            if bucket.delete:
                await bucket.store.delete_many([listed.key for _, listed in batch])
                for media_id, listed in batch:
                    log.info(
                        "storage_audit.orphan_deleted",
                        bucket=bucket.store.bucket,
                        key=listed.key,
                        size=listed.size,
                        media_id=media_id,
                    )
            for _, listed in batch:
                bucket.orphans.add(listed)
