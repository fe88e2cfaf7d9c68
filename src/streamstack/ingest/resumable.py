"""Receiving a resumable upload's bytes into S3 multipart parts, across requests and replicas.

S3 wants every part but the last to be at least 5 MiB, and a tus client may send
chunks of any size. So bytes accumulate in a buffer that starts as the upload's saved
*tail*; every full part is uploaded and committed at once (parts list, empty tail, new
offset), and whatever is left when the request ends is committed as the new tail. The
committed offset is therefore always exactly what is stored: an interrupted request
resumes from it on any replica, and a part uploaded but not committed is simply
uploaded again under the same number.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
from typing import Any, NoReturn

import structlog

from streamstack.contracts.limits import ID3_TAG_MAX_BYTES
from streamstack.ingest.containers import (
    SNIFF_BYTES,
    Container,
    by_name,
    id3_tag_end,
    named,
    sniff_container,
    sniff_length,
)
from streamstack.ingest.models import Upload
from streamstack.ingest.processing import original_key
from streamstack.ingest.repository import Lease, TailDamaged
from streamstack.kernel.errors import AppError, Conflict, PayloadTooLarge, UnsupportedMediaType
from streamstack.kernel.storage import (
    PART_BYTES,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    PartInfo,
    single_chunk,
)

log = structlog.get_logger(__name__)

#: S3 allows this many parts in one multipart upload.
MAX_PARTS = 10_000
_MIB = 1024 * 1024


#: What ingest takes, after a refusal of a file of none of the accepted containers.
SUPPORTED = f"supported are video: {named('video')}; and sound: {named('sound')}"
#: What the refusal says when it does not know what a file is: its bytes decide, so a name
#: ending ``.mp4`` is no contradiction of it (walk 52 F6).
NOT_A_VIDEO = (
    f"the file's contents are no supported video or sound, whatever its name says; {SUPPORTED}"
)


#: Files people pick by mistake, known by how they start: named in the refusal, so it
#: says what the file is rather than only what it is not.
OTHER_FILES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
)
#: Characters a text file has besides printable ones: tab, line feed, form feed, return.
_TEXT_CONTROLS = frozenset("\t\n\f\r")


class NotAVideo(UnsupportedMediaType):
    """The bytes are not one of the accepted containers."""

    code = "unsupported_container"

    def __init__(self, head: bytes) -> None:
        """Refuses a file that starts with ``head``: empty, one of :data:`OTHER_FILES`, text,
        or anything else."""
        what = next((name for start, name in OTHER_FILES if head.startswith(start)), None)
        if what is None and _is_text(head):
            what = "text"
        if not head:
            super().__init__("the file is empty")
        elif what is not None:  # "the file is a PNG image, not a video or sound, …"
            super().__init__(
                f"the file is {what}, not a video or sound, whatever its name says; {SUPPORTED}"
            )
        else:
            super().__init__(NOT_A_VIDEO)


def _is_text(head: bytes) -> bool:
    """Whether ``head`` reads as the start of a UTF-8 (or ASCII) text: no other control
    characters than a text's (a character the head cuts short at its end is no sign)."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in _TEXT_CONTROLS for char in text)


class TagTooLarge(NotAVideo):
    """The ID3 tag the file starts with is larger than ingest holds to look past it."""

    code = "id3_tag_too_large"

    def __init__(self, size: int) -> None:
        UnsupportedMediaType.__init__(
            self,
            f"the file starts with an ID3 tag of {size / 2**20:,.1f} MiB; at most "
            f"{ID3_TAG_MAX_BYTES / 2**20:,.1f} MiB is accepted: make its cover picture smaller",
        )


class UploadGone(AppError):
    """The upload expired, failed or was terminated, or its stored parts vanished."""

    status, code = 410, "upload_gone"


class UploadCancelled(UploadGone):
    """The upload was cancelled (by its uploader or an administrator): it cannot resume."""

    code = "upload_cancelled"


class OffsetMismatch(Conflict):
    """The client's ``Upload-Offset`` is not where the upload is (or no longer is)."""

    code = "offset_mismatch"


class UploadLengthExceeded(PayloadTooLarge):
    """More bytes than the upload announced."""

    code = "upload_length_exceeded"


def part_bytes_for(length: int) -> int:
    """The part size for an upload of ``length`` bytes: 8 MiB, or more to fit 10,000 parts."""
    needed = math.ceil(length / MAX_PARTS / _MIB) * _MIB
    return max(PART_BYTES, needed)


def identifying_bytes(head: bytes | bytearray) -> int:
    """How many leading bytes identify a file that starts with ``head`` (its first
    :data:`SNIFF_BYTES` at least): more behind a large ID3 tag, or :class:`TagTooLarge`."""
    tag = id3_tag_end(head)
    if tag is not None and tag > ID3_TAG_MAX_BYTES:
        raise TagTooLarge(tag)
    return sniff_length(head)


def sniffed(head: bytes) -> Container:
    """The container ``head`` (the :func:`identifying_bytes` of a file, or all of a shorter
    one) starts with, or :class:`NotAVideo` (415)."""
    container = sniff_container(head[: identifying_bytes(head)])
    if container is None:
        raise NotAVideo(head)
    return container


def encode_parts(parts: list[PartInfo]) -> list[Any]:
    """Parts as the JSON column stores them."""
    return [[p.number, p.size, p.etag] for p in parts]


@dataclasses.dataclass(frozen=True, slots=True)
class _Committed:
    """What a request found when it started: what :meth:`ChunkReceiver.undo` restores."""

    received: int
    parts: list[PartInfo]
    key: str | None
    container_name: str | None
    multipart_id: str | None

    @property
    def stored(self) -> int:
        """The bytes in its parts, where its tail starts."""
        return sum(part.size for part in self.parts)


class ChunkReceiver:
    """One request's worth of bytes appended to a resumable upload it holds the lease of.

    The committed upload is ``parts`` (``stored`` bytes) then the tail chunks in the
    database up to ``committed``; this request's bytes since then are in ``buffer``,
    which never grows past a part. Only a full part reads the tail back, once per part,
    so what a request costs depends on its own bytes, not on the tail before it.
    """

    def __init__(self, media: ObjectStore, lease: Lease, upload: Upload) -> None:
        assert upload.length is not None
        self.media = media
        self.lease = lease
        self.length = upload.length
        self.part_bytes = upload.part_bytes
        self.key = upload.object_key
        self.container_name = upload.container
        self.multipart_id = upload.multipart_id
        self.replaces = upload.replaces
        self.parts = [PartInfo(number, size, etag) for number, size, etag in upload.parts]
        self.stored = sum(part.size for part in self.parts)
        self.buffer = bytearray()
        self.received = upload.received
        self.committed = upload.received
        self.identifying = SNIFF_BYTES
        """Bytes that identify the file: more once its first show a large ID3 tag."""
        self.started = _Committed(
            upload.received, list(self.parts), self.key, self.container_name, self.multipart_id
        )

    @property
    def complete(self) -> bool:
        """Whether every announced byte has arrived."""
        return self.received == self.length

    async def add(self, chunk: bytes) -> None:
        """Take in a chunk; full parts go to the object store and are committed."""
        if self.received + len(chunk) > self.length:
            raise UploadLengthExceeded(f"more bytes than the Upload-Length of {self.length}")
        self.buffer += chunk
        self.received += len(chunk)
        if self.key is None and (self.received >= self.identifying or self.complete):
            await self._identify()
        while self.key is not None and self.received - self.stored >= self.part_bytes:
            await self._flush_part()

    async def save(self, *, release: bool = False, **also: Any) -> None:
        """Commit what arrived since the last commit as one more tail chunk.

        With ``release``, the lease goes in the same transaction (the request's last write).
        """
        if self.received != self.committed or also or release:
            await self.lease.append_tail(
                self.committed,
                bytes(self.buffer),
                # Not self.stored: the tail this request found stays, below its new parts,
                # until the next request commits, for undo() to go back to (a failed finish
                # comes after this commit; dropped, every resend was TailDamaged).
                parts_bytes=self.started.stored,
                release=release,
                received=self.received,
                **also,
            )
            self.buffer.clear()
            self.committed = self.received

    async def undo(self) -> None:
        """Put the upload back as this request found it (a request too long changes nothing).

        Parts this request stored stay in the object store under numbers the next request
        overwrites; a multipart upload it started is aborted.
        """
        started = self.started
        if started.multipart_id is None and self.multipart_id is not None:
            assert self.key is not None
            await self.media.abort_multipart(self.key, self.multipart_id)
        await self.lease.update(
            received=started.received,
            parts=encode_parts(started.parts),
            object_key=started.key,
            container=started.container_name,
            multipart_id=started.multipart_id,
        )

    async def _whole_tail(self) -> bytes:
        """The committed tail and this request's bytes: everything after the stored parts."""
        try:
            tail = await self.lease.records.tail(self.lease.upload_id, self.stored, self.committed)
        except TailDamaged as damage:
            await self._drop_damaged_tail(damage)
        return tail + self.buffer

    async def _drop_damaged_tail(self, damage: TailDamaged) -> NoReturn:
        """Set the upload back to its stored parts and say where to resume (409): a tail
        that does not add up (a bug) can only be sent again, and a 500 was for good."""
        log.warning(
            "upload_tail_damaged",
            upload_id=str(self.lease.upload_id),
            error=str(damage),
            resume_at=self.stored,
        )
        await self.lease.update(
            received=self.stored, parts=encode_parts(self.parts), drop_tail=True
        )
        self.buffer.clear()
        self.received = self.committed = self.stored
        # What undo() (a failed finish) goes back to: not the damaged tail.
        self.started = dataclasses.replace(
            self.started, received=self.stored, parts=list(self.parts)
        )
        raise OffsetMismatch(
            f"the server lost bytes of this upload after the first {self.stored}: "
            f"resume from offset {self.stored}"
        )

    async def _flush_part(self) -> None:
        data = await self._whole_tail() if self.committed > self.stored else bytes(self.buffer)
        await self._store_part(data[: self.part_bytes])
        self.stored += self.part_bytes
        self.buffer = bytearray(data[self.part_bytes :])
        self.committed = self.stored
        # The chunks below the new part boundary stay until the next request commits:
        # undo() may still need them.
        await self.lease.update(parts=encode_parts(self.parts), received=self.committed)

    async def assemble(self) -> ObjectInfo:
        """Join the parts and the tail into the object (once :attr:`complete`)."""
        if self.key is None:
            await self._identify()
        assert self.key is not None and self.container_name is not None
        last = await self._whole_tail()
        if self.multipart_id is None:
            return await self.media.write(
                self.key, single_chunk(last), content_type=self._content_type()
            )
        try:
            if last:
                await self._store_part(last)
            return await self.media.complete_multipart(self.key, self.multipart_id, self.parts)
        except Exception as exc:
            # A retry after a completion whose answer was lost, or whose process died before
            # recording it: the multipart upload is over (no part is taken), the object there.
            joined = await self._joined_before()
            if joined is not None:
                return joined
            if isinstance(exc, ObjectNotFound | UploadGone):
                raise UploadGone("the stored part of this upload is gone; start it again") from None
            raise

    async def _joined_before(self) -> ObjectInfo | None:
        """The object an earlier completion made, whole; None if there is none (or the
        store cannot say now)."""
        assert self.key is not None
        try:
            info = await self.media.head(self.key)
        except Exception:  # the caller's failure is the one to answer
            return None
        return info if info.size == self.length else None

    async def _identify(self) -> None:
        # Only the first bytes of an upload identify it, so this tail is a few bytes, or an
        # ID3 tag and a few bytes (less than a part): nothing is stored before them.
        head = await self._whole_tail()
        self.identifying = identifying_bytes(head)
        if len(head) < self.identifying and not self.complete:
            return
        container = sniffed(head)
        self.key = original_key(self.lease.upload_id, container.extension, self.replaces)
        self.container_name = container.name
        await self.lease.update(object_key=self.key, container=container.name)

    async def _store_part(self, data: bytes) -> None:
        assert self.key is not None
        if self.multipart_id is None:
            self.multipart_id = await self.media.start_multipart(self.key, self._content_type())
            await self.lease.update(multipart_id=self.multipart_id)
        try:
            part = await self.media.put_part(self.key, self.multipart_id, len(self.parts) + 1, data)
        except ObjectNotFound:
            raise UploadGone("the stored part of this upload is gone; start it again") from None
        self.parts.append(part)

    def _content_type(self) -> str:
        assert self.container_name is not None
        return by_name(self.container_name).video_type
