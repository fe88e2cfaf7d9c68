"""Deleting every object of a deleted media item: the ``media.deleted`` consumer.

Ingest stored the item's objects, so ingest removes them: the original (media bucket),
its thumbnail and poster (thumbnails bucket) and every object the media bucket lists under
its prefix ``<uuid>/``, whether or not a transcoder's manifest names it (renditions,
storyboards, caption files, the manifest itself, files of an older package layout). What a
take-down given up leaves behind, the storage audit finds
(:mod:`streamstack.ingest.storage_audit`).

Two steps, so nothing is lost to a crash or an outage:

1. :func:`takedown_events` follows ``media.deleted`` with a *durable* subscription (NATS: a
   durable consumer shared by every API process, acked only once the job is queued, so an
   event published while no process ran is delivered later) and turns each event into a
   ``takedown`` job on its own queue (job id = item uuid, so a repeated event is one job).
2. :class:`TakedownHandler` runs the job: stops the item's transcoding job if it runs in
   this process, deletes each object (an absent one is fine: the job is idempotent; a
   redelivery lists the prefix afresh), and runs again a little later when it stopped a
   job, for what that job wrote meanwhile.
   A failure (storage down) is retried with backoff for hours; the queue keeps the job
   across restarts (JetStream, or SQLite in dev).

A transcoding job running in another process stops by itself: catalogue answers its next
progress report with 404, and it removes its own outputs.
"""

from __future__ import annotations

import dataclasses

import msgspec
import structlog

from streamstack.contracts.catalogue import MEDIA_DELETED, MediaWithdrawn, object_prefix
from streamstack.ingest.processing import poster_key
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.jobs import DeadLetter, Job, JobQueue, QueueConfig
from streamstack.kernel.jobs.worker import JobRejected, JobWorker
from streamstack.kernel.storage import (
    DELETE_BATCH_KEYS,
    InvalidObjectKey,
    ListedObject,
    ObjectStore,
    check_object_key,
)

log = structlog.get_logger(__name__)

TAKEDOWN_KIND = "takedown"
#: Deleting objects is cheap and must finish: retried for hours before it is given up.
TAKEDOWN_QUEUE_CONFIG = QueueConfig(
    ack_wait=120.0, max_deliver=200, retry_delays=(1.0, 5.0, 30.0, 120.0)
)


def takedown_queue_name(transcode_queue: str) -> str:
    """The takedown jobs' queue, beside the transcoding queue it belongs with."""
    return f"{transcode_queue[:39]}-takedown"  # queue names have 48 characters at most


class StoppedATranscode(Exception):
    """The job stopped the item's transcoding here; it runs again for what that wrote."""


def decode_takedown(job: Job) -> MediaWithdrawn:
    """The job's payload, checked: keys must be object keys and under the item."""
    try:
        withdrawn = msgspec.json.decode(job.payload, type=MediaWithdrawn)
        for key in (withdrawn.s3_key, withdrawn.thumbnail_s3_key, poster_key(withdrawn.id)):
            if key is not None:
                check_object_key(key)
    except (msgspec.DecodeError, InvalidObjectKey) as exc:
        raise JobRejected(f"unreadable takedown job: {exc}") from None
    if withdrawn.object_prefix != object_prefix(withdrawn.id):
        raise JobRejected("takedown job names another item's prefix")
    return withdrawn


def takedown_events(events: EventBus, queue: JobQueue) -> DurableFollower:
    """Turns each ``media.deleted`` event into a durable ``takedown`` job."""

    async def on_deleted(event: Event) -> None:
        # Raising makes the bus deliver again.
        withdrawn = decode_payload(event, MediaWithdrawn, "takedown.unreadable_event")
        if withdrawn is None:
            return
        queued = await queue.enqueue(withdrawn.id, TAKEDOWN_KIND, event.payload)
        log.info("takedown.queued", media_id=withdrawn.id, duplicate=not queued)

    # Every ingest process of one deployment shares the name (one delivery each); named
    # after the queue, so deployments sharing a NATS server stay apart.
    return DurableFollower(events, MEDIA_DELETED, on_deleted, f"ingest-{queue.name}")


@dataclasses.dataclass(frozen=True, slots=True)
class TakedownHandler:
    """Deletes every object of a deleted item (the ``takedown`` job)."""

    media: ObjectStore
    thumbnails: ObjectStore
    transcoding: JobWorker | None = None
    """The transcoding workers of this process, whose job for the item is stopped."""

    async def __call__(self, job: Job) -> None:
        """Run one takedown job (idempotent: absent objects are fine)."""
        withdrawn = decode_takedown(job)
        stopped = self.transcoding is not None and self.transcoding.cancel(withdrawn.id)
        under_prefix = await self._delete_media(withdrawn)
        # The poster is named after the item, not in the event: items from before posters
        # have none.
        stills = [withdrawn.thumbnail_s3_key, poster_key(withdrawn.id)]
        await self.thumbnails.delete_many([key for key in stills if key is not None])
        log.info("takedown.done", media_id=withdrawn.id, under_prefix=under_prefix, stopped=stopped)
        if stopped:
            raise StoppedATranscode("a transcoding job was stopped: cleaning up once more")

    async def _delete_media(self, withdrawn: MediaWithdrawn) -> int:
        """Delete every object the media bucket lists under the item's prefix, and its
        original; how many under the prefix went.

        Deleted :data:`DELETE_BATCH_KEYS` keys at a time (one request to S3) as the listing
        goes, which is safe: each page is read before its keys are deleted, and a key listed
        once is not listed again. The original (not under the prefix) goes with the last
        batch rather than in a request of its own: nothing waits on its going alone or last,
        since its key is the job's, not a listing's, so a retry deletes it again whatever
        a failed request left.
        """
        prefix = object_prefix(withdrawn.id)
        deleted = 0
        batch: list[str] = []
        async for listed in self.media.objects(prefix):
            if self._deletable(prefix, listed):
                batch.append(listed.key)
            if len(batch) == DELETE_BATCH_KEYS:
                await self.media.delete_many(batch)
                deleted, batch = deleted + len(batch), []
        # Fewer than DELETE_BATCH_KEYS keys are left: there is room for the original.
        await self.media.delete_many([*batch, withdrawn.s3_key])
        return deleted + len(batch)

    @staticmethod
    def _deletable(prefix: str, listed: ListedObject) -> bool:
        """Whether a listed key is the item's to delete: under its own prefix (a listing
        that ignored its prefix must not cost another item its objects) and a key the port
        accepts (one another tool wrote is left to an operator, rather than failing every
        retry: the storage audit reports it as unrecognised)."""
        if not listed.key.startswith(prefix):
            log.error("takedown.foreign_key_listed", prefix=prefix, key=listed.key)
            return False
        try:
            check_object_key(listed.key)
        except InvalidObjectKey:
            log.warning("takedown.unusable_key_left", key=listed.key)
            return False
        return True

    @staticmethod
    async def on_dead_letter(letter: DeadLetter) -> None:
        """A takedown given up on: objects of a deleted item are left; say so loudly, and
        what removes them."""
        log.error(
            "takedown.given_up",
            media_id=letter.job.id,
            attempts=letter.attempts,
            reason=letter.reason,
            remedy="streamstack storage audit --delete",
        )
