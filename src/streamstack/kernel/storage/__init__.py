"""Object-store port: buckets of immutable objects, streamed in and read by byte range.

Adapters: S3 via aiobotocore (:mod:`.s3`) and a local directory with the same bucket/key
layout (:mod:`.local`), both subclasses of :class:`ObjectStore`, whose public methods
check every key and bound every write before an adapter's hook runs. Both pass
``tests/kernel/test_storage_port.py``.
"""

from __future__ import annotations

import functools
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from streamstack.kernel.errors import (
    AppError,
    BadGateway,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
)

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

DEFAULT_CHUNK_BYTES = 256 * 1024
#: Parts of a streamed write; S3 wants at least 5 MiB for every part but the last.
PART_BYTES = 8 * 1024 * 1024
#: Keys one request deletes at most (S3's DeleteObjects limit): :meth:`ObjectStore.delete_many`
#: hands an adapter this many at a time, and a caller that deletes as it goes collects as many.
DELETE_BATCH_KEYS = 1000


@functools.cache
def deletion_log() -> FilteringBoundLogger:
    """The logger of failed deletions (``storage.delete_failed``), made on first use:
    settings, the command line and the sandboxed media children import this module and
    load no structlog (``tests/app/test_import_weight.py``)."""
    import structlog

    logger: FilteringBoundLogger = structlog.get_logger(__name__)
    return logger


_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*")


class ObjectNotFound(NotFound, code="object_not_found"):
    """No object under that key."""


class ObjectChanged(PreconditionFailed, code="object_changed"):
    """The object's ETag is no longer the one the reader expected."""


class InvalidObjectKey(BadRequest, code="invalid_object_key"):
    """A key that could escape its bucket or folder."""


class StorageUnavailable(ServiceUnavailable, code="storage_unavailable"):
    """The object store did not answer."""


class StorageError(BadGateway, code="storage_error"):
    """The object store answered with an error we cannot map."""


class ObjectsNotDeleted(StorageError, code="objects_not_deleted"):
    """The object store refused to delete some of the objects asked for at once.

    ``key`` and ``reason`` are the first refused key and the store's code for it (S3's
    ``AccessDenied`` …), ``refused`` how many were refused; the other keys may or may not
    be gone. All three cross module transports (:meth:`facts`).
    """

    def __init__(self, key: str, reason: str, refused: int) -> None:
        super().__init__(f"{refused} object(s) not deleted, the first {key[:80]!r}: {reason}")
        self.key = key
        self.reason = reason
        self.refused = refused

    def facts(self) -> dict[str, str | int]:
        """The first refused key, the store's reason and how many were refused, so a module
        in another process gets them too."""
        return {"key": self.key, "reason": self.reason, "refused": self.refused}

    @classmethod
    def from_facts(cls, facts: Mapping[str, str | int]) -> ObjectsNotDeleted | None:
        """The error again from :meth:`facts` received over HTTP; None if they are not."""
        key, reason, refused = facts.get("key"), facts.get("reason"), facts.get("refused")
        if isinstance(key, str) and isinstance(reason, str) and isinstance(refused, int):
            return cls(key, reason, refused)
        return None


def _failed_deletion(keys: Sequence[str], error: Exception) -> dict[str, object]:
    """What ``storage.delete_failed`` says of a batch of ``keys`` whose deletion raised
    ``error``: every key, how many, the error's code, and for :class:`ObjectsNotDeleted`
    the first refused key and the store's reason.

    Every key, not a count with the first and last: the store may have deleted any of them
    before it failed (S3 deletes a request's keys in no set order), so no range tells which
    are left, and an operator finishing by hand needs the names. A batch is at most
    :data:`DELETE_BATCH_KEYS` keys, which bounds the line.
    """
    described: dict[str, object] = {
        "keys": list(keys),
        "count": len(keys),
        "error": error.code if isinstance(error, AppError) else type(error).__name__,
    }
    if isinstance(error, ObjectsNotDeleted):
        described.update(refused_key=error.key, reason=error.reason)
    return described


class ObjectTooLarge(PayloadTooLarge, code="object_too_large"):
    """A streamed write went past its size limit; nothing was kept."""


def check_object_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidObjectKey`.

    Safe means: 1-1024 characters of ``[A-Za-z0-9._-]`` in ``/``-separated segments,
    each segment starting with a letter or digit, so ``..``, ``.``, absolute paths,
    empty segments, backslashes and NUL bytes are all refused.
    """
    if len(key) > 1024:
        raise InvalidObjectKey(f"invalid object key {key[:80]!r}")
    return _checked_key(key)


@functools.lru_cache(maxsize=4096)
def _checked_key(key: str) -> str:
    """:func:`check_object_key`'s pattern test, remembered for the keys that pass it.

    Streaming checks the same few segment keys again and again, and the regular
    expression costs several times the cache's look-up; a refused key raises, which the
    cache never remembers, so it holds at most 4096 safe keys of at most 1024 characters.
    """
    if not _KEY.fullmatch(key):
        raise InvalidObjectKey(f"invalid object key {key[:80]!r}")
    return key


class ObjectInfo(msgspec.Struct, frozen=True):
    """What ``head`` tells about an object."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str


class ListedObject(msgspec.Struct, frozen=True):
    """One object as a listing names it: what S3's ListObjectsV2 tells without a ``head``.

    ``key`` is the key as the store holds it, which may be one :func:`check_object_key`
    refuses (written by another tool): a listing names what is there.
    """

    key: str
    size: int
    last_modified: datetime


class PartInfo(msgspec.Struct, frozen=True):
    """One stored part of a multipart upload."""

    number: int
    size: int
    etag: str


class ObjectBody(Protocol):
    """An open ranged read: iterate it for chunks, and always ``aclose`` it.

    ``info`` describes the whole object the read opened (its full size, not the range's),
    so a reader learns the ETag and Last-Modified without a separate ``head``.
    Chunks are ``chunk_size`` bytes long, except the last. An adapter may hand out what
    it holds instead of copying it: a ``bytearray`` it read into, or (for a ``zero_copy``
    read) a ``memoryview`` of a mapped file (the local directory), neither of which it
    touches again; a reader that needs ``bytes`` converts it.
    """

    info: ObjectInfo

    def __aiter__(self) -> AsyncIterator[bytes | bytearray | memoryview]: ...

    async def aclose(self) -> None: ...


class ReadOptions(msgspec.Struct, frozen=True, gc=False):
    """What a read asks besides the key: :meth:`ObjectStore.read`'s parameters, handed to
    an adapter's :meth:`ObjectStore._open` as one value (callers never build it).

    ``gc=False``: one is made per read, and numbers, a string and None cannot form a
    cycle, so the garbage collector need not track it.
    """

    start: int
    length: int | None
    if_match: str | None
    chunk_size: int
    zero_copy: bool


class ObjectStore(ABC):
    """One bucket of an object store.

    The public methods are the port and the one place its invariants are kept: each checks
    the key (:func:`check_object_key`) before an adapter sees it, and ``write`` bounds the
    stream (:func:`_within_limit`). An adapter subclasses this and fills in the underscored
    hooks, which are only ever handed checked keys.
    """

    bucket: str

    async def head(self, key: str) -> ObjectInfo:
        """Size, ETag, last-modified and content type; :class:`ObjectNotFound` if absent."""
        return await self._head(check_object_key(key))

    async def read(
        self,
        key: str,
        start: int = 0,
        length: int | None = None,
        *,
        if_match: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_BYTES,
        zero_copy: bool = False,
    ) -> ObjectBody:
        """Open ``length`` bytes from ``start`` (to the end when None).

        With ``if_match``, raise :class:`ObjectChanged` unless the object's ETag equals it.
        ``zero_copy`` is for a reader that only hands each chunk to a socket: the local
        directory then sends cached bytes as views of the file's map, which count in this
        process's RSS while mapped (so a reader of whole objects, like ingest's, leaves it
        off).
        """
        options = ReadOptions(start, length, if_match, chunk_size, zero_copy)
        return await self._open(check_object_key(key), options)

    async def write(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        """Stream ``chunks`` into a new object (multipart when large).

        On any failure, or past ``max_bytes`` (:class:`ObjectTooLarge`), nothing is kept.
        """
        key = check_object_key(key)
        return await self._store(key, _within_limit(chunks, max_bytes), content_type)

    async def delete(self, key: str) -> None:
        """Delete the object; an absent key is fine."""
        await self._delete(check_object_key(key))

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Delete every object of ``keys``, :data:`DELETE_BATCH_KEYS` at a time (one
        request where the store can do that).

        Like :meth:`delete`, an absent key is fine. Every key is checked before any object
        is deleted, so one bad key (:class:`InvalidObjectKey`) deletes nothing. A store that
        refuses some keys raises :class:`ObjectsNotDeleted` after deleting what it could; a
        batch that fails is logged key by key (``storage.delete_failed``) first.
        """
        checked = [check_object_key(key) for key in keys]
        for start in range(0, len(checked), DELETE_BATCH_KEYS):
            batch = checked[start : start + DELETE_BATCH_KEYS]
            try:
                await self._delete_many(batch)
            except Exception as exc:
                # Logged here, for every caller: a job's log lines carry its id.
                deletion_log().error(
                    "storage.delete_failed", bucket=self.bucket, **_failed_deletion(batch, exc)
                )
                raise

    async def start_multipart(self, key: str, content_type: str) -> str:
        """Begin a multipart upload and return its id."""
        return await self._start_multipart(check_object_key(key), content_type)

    async def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> PartInfo:
        """Store part ``number`` (1-based)."""
        return await self._put_part(check_object_key(key), upload_id, number, data)

    async def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        """The parts stored so far, by number; :class:`ObjectNotFound` if no such upload."""
        return await self._list_parts(check_object_key(key), upload_id)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        """Join the parts into the object."""
        return await self._complete_multipart(check_object_key(key), upload_id, parts)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop a multipart upload and its parts; an unknown id is fine."""
        await self._abort_multipart(check_object_key(key), upload_id)

    async def presigned_get(self, key: str, expires_seconds: int) -> str | None:
        """A URL that reads the object without credentials, or None if not supported."""
        return await self._presign(check_object_key(key), expires_seconds)

    def local_path(self, key: str) -> Path | None:
        """The file holding the object when the store is a local directory, else None."""
        return self._local_path(check_object_key(key))

    def objects(self, prefix: str = "") -> AsyncIterator[ListedObject]:
        """Every object whose key starts with ``prefix`` (all when empty), in key order.

        The adapter reads the bucket a page at a time as the caller iterates, so a bucket
        of any size is listed in bounded memory. ``prefix`` is checked at once: empty, or a
        checked key with or without a final ``/`` (:class:`InvalidObjectKey` otherwise).
        Objects stored or deleted during the listing may or may not be named.
        """
        if prefix:
            check_object_key(prefix.removesuffix("/"))
        return self._objects(prefix)

    async def free_bytes(self) -> int | None:
        """How many more bytes the store can take (a local directory's free disk space), or
        None when it cannot say (an S3 bucket grows as it is written)."""
        return await self._free_bytes()

    @abstractmethod
    async def ping(self) -> None:
        """Raise :class:`StorageUnavailable` unless the bucket answers."""

    # --- the adapter's hooks: each is handed a checked key ---------------------------------

    @abstractmethod
    async def _head(self, key: str) -> ObjectInfo:
        """:meth:`head`."""

    @abstractmethod
    async def _open(self, key: str, options: ReadOptions) -> ObjectBody:
        """:meth:`read`."""

    @abstractmethod
    async def _store(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> ObjectInfo:
        """:meth:`write` of ``chunks``, which raise :class:`ObjectTooLarge` past the limit."""

    @abstractmethod
    def _objects(self, prefix: str) -> AsyncIterator[ListedObject]:
        """:meth:`objects`, handed an empty or checked prefix."""

    @abstractmethod
    async def _delete(self, key: str) -> None:
        """:meth:`delete`."""

    async def _delete_many(self, keys: Sequence[str]) -> None:
        """:meth:`delete_many` of one batch (1 to :data:`DELETE_BATCH_KEYS` keys): one
        :meth:`_delete` each, unless the adapter can delete many in one request."""
        for key in keys:
            await self._delete(key)

    @abstractmethod
    async def _start_multipart(self, key: str, content_type: str) -> str:
        """:meth:`start_multipart`."""

    @abstractmethod
    async def _put_part(self, key: str, upload_id: str, number: int, data: bytes) -> PartInfo:
        """:meth:`put_part`."""

    @abstractmethod
    async def _list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        """:meth:`list_parts`."""

    @abstractmethod
    async def _complete_multipart(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        """:meth:`complete_multipart`."""

    @abstractmethod
    async def _abort_multipart(self, key: str, upload_id: str) -> None:
        """:meth:`abort_multipart`."""

    async def _presign(self, key: str, expires_seconds: int) -> str | None:
        """:meth:`presigned_get`; a store that cannot presign keeps this None."""
        return None

    async def _free_bytes(self) -> int | None:
        return None

    def _local_path(self, key: str) -> Path | None:
        """:meth:`local_path`; a store not kept in local files keeps this None."""
        return None


async def _within_limit(
    chunks: AsyncIterable[bytes], max_bytes: int | None
) -> AsyncIterator[bytes]:
    """``chunks`` as they come, raising :class:`ObjectTooLarge` as soon as they pass
    ``max_bytes`` (no limit when None): how :meth:`ObjectStore.write` bounds a stream."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise ObjectTooLarge(f"object larger than {max_bytes} bytes")
        yield chunk


async def single_chunk(data: bytes) -> AsyncIterator[bytes]:
    """``data`` as a one-chunk stream, for :meth:`ObjectStore.write` of a small object."""
    yield data


async def read_all(body: ObjectBody) -> bytes:
    """Read a whole (small) body and close it."""
    try:
        return b"".join([chunk async for chunk in body])
    finally:
        await body.aclose()
