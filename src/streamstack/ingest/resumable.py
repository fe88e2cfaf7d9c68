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

import math
from typing import Any

from streamstack.ingest.containers import SNIFF_BYTES, Container, by_name, sniff_container
from streamstack.ingest.models import Upload
from streamstack.ingest.processing import single_chunk
from streamstack.ingest.uploads import Lease
from streamstack.kernel.errors import AppError, PayloadTooLarge, UnsupportedMediaType
from streamstack.kernel.storage import PART_BYTES, ObjectInfo, ObjectNotFound, ObjectStore, PartInfo

#: S3 allows this many parts in one multipart upload.
MAX_PARTS = 10_000
_MIB = 1024 * 1024


class NotAVideo(UnsupportedMediaType):
    """The bytes are not one of the accepted containers."""

    code = "unsupported_container"

    def __init__(self, empty: bool = False) -> None:
        super().__init__(
            "the file is empty"
            if empty
            else "the file is not a supported video: MP4, MOV, WebM or Matroska (MKV)"
        )


class UploadGone(AppError):
    """The upload expired, failed or was terminated, or its stored parts vanished."""

    status, code = 410, "upload_gone"


class UploadLengthExceeded(PayloadTooLarge):
    """More bytes than the upload announced."""

    code = "upload_length_exceeded"


def part_bytes_for(length: int) -> int:
    """The part size for an upload of ``length`` bytes: 8 MiB, or more to fit 10,000 parts."""
    needed = math.ceil(length / MAX_PARTS / _MIB) * _MIB
    return max(PART_BYTES, needed)


def sniffed(head: bytes) -> Container:
    """The container ``head`` starts with, or :class:`NotAVideo` (415)."""
    container = sniff_container(head)
    if container is None:
        raise NotAVideo(empty=not head)
    return container


def encode_parts(parts: list[PartInfo]) -> list[Any]:
    """Parts as the JSON column stores them."""
    return [[p.number, p.size, p.etag] for p in parts]


class ChunkReceiver:
    """One request's worth of bytes appended to a resumable upload it holds the lease of."""

    def __init__(self, media: ObjectStore, lease: Lease, upload: Upload) -> None:
        assert upload.length is not None
        self.media = media
        self.lease = lease
        self.length = upload.length
        self.part_bytes = upload.part_bytes
        self.key = upload.object_key
        self.container_name = upload.container
        self.multipart_id = upload.multipart_id
        self.parts = [PartInfo(number, size, etag) for number, size, etag in upload.parts]
        self.buffer = bytearray(upload.tail)
        self.received = upload.received
        self.committed = upload.received

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
        if self.key is None and (len(self.buffer) >= SNIFF_BYTES or self.complete):
            await self._identify()
        while self.key is not None and len(self.buffer) >= self.part_bytes:
            await self._store_part(bytes(self.buffer[: self.part_bytes]))
            del self.buffer[: self.part_bytes]
            self.committed = self.received - len(self.buffer)
            await self.lease.update(
                parts=encode_parts(self.parts), tail=b"", received=self.committed
            )

    async def save(self, **also: Any) -> None:
        """Commit what arrived since the last commit as the new tail."""
        if self.received != self.committed or also:
            await self.lease.update(tail=bytes(self.buffer), received=self.received, **also)
            self.committed = self.received

    async def assemble(self) -> ObjectInfo:
        """Join the parts and the tail into the object (once :attr:`complete`)."""
        if self.key is None:
            await self._identify()
        assert self.key is not None and self.container_name is not None
        if self.multipart_id is None:
            return await self.media.write(
                self.key, single_chunk(bytes(self.buffer)), content_type=self._content_type()
            )
        if self.buffer:
            await self._store_part(bytes(self.buffer))
        try:
            return await self.media.complete_multipart(self.key, self.multipart_id, self.parts)
        except ObjectNotFound:
            # A retry after a completion whose answer was lost: the object is there.
            try:
                info = await self.media.head(self.key)
            except ObjectNotFound:
                info = None
            if info is None or info.size != self.length:
                raise UploadGone("the stored part of this upload is gone; start it again") from None
            return info

    async def _identify(self) -> None:
        container = sniffed(bytes(self.buffer[:SNIFF_BYTES]))
        self.key = f"{self.lease.upload_id}.{container.extension}"
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
