"""Local-directory adapter for the object-store port.

Layout: ``root/<bucket>/<key>`` holds the bytes, ``root/.meta/<bucket>/<key>.json`` the
content type and ETag, ``root/.multipart/<upload id>/`` the parts of unfinished uploads (and,
while a completion joins them, the object being assembled: :mod:`.local_assembly`).
Writes go to a temporary file first and are renamed into place, so readers never see a
half-written object.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import mimetypes
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

import msgspec

from streamstack.kernel.storage import (
    InvalidObjectKey,
    ListedObject,
    ObjectChanged,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    PartInfo,
    ReadOptions,
    StorageUnavailable,
)
from streamstack.kernel.storage.file_maps import FileMap, FileMaps, Identity, identity_of
from streamstack.kernel.storage.local_assembly import (
    Assembly,
    appended_part,
    etag_of,
    part_path,
    stored_parts,
)
from streamstack.kernel.storage.private_files import (
    DIRECTORY_MODE,
    open_private,
    private_directory,
    write_private,
)


class _Meta(msgspec.Struct):
    content_type: str
    etag: str


class _Upload(msgspec.Struct):
    bucket: str
    key: str
    content_type: str


class LocalFileBody:
    """A ranged read of a local file that waits for the disk only in a worker thread.

    With a map (a ``zero_copy`` read), a chunk the page cache holds is a ``memoryview`` of
    the file's shared map (:mod:`.file_maps`): no buffer, no copy into Python (the copy was
    a tenth of a 1 MiB range's CPU, bench/throughput.py). Any other chunk is read into a
    fresh buffer, first on the event loop with ``RWF_NOWAIT`` (the kernel copies what the
    page cache holds and refuses instead of waiting), then the rest by a worker thread: a
    cached file costs no thread hop (threads fighting for the GIL cost more than half the
    throughput) and a cold one never stalls the loop (tests/streaming/test_stream_cold_cache.py).
    """

    def __init__(
        self,
        fd: int,
        mapped: FileMap | None,
        span: tuple[int, int],
        chunk_size: int,
        info: ObjectInfo,
    ) -> None:
        self.info = info
        self._fd = fd
        self._map = mapped
        self._offset, self._remaining = span
        self._chunk_size = chunk_size

    async def __aiter__(self) -> AsyncIterator[bytes | bytearray | memoryview]:
        try:
            while self._remaining > 0:
                size = min(self._chunk_size, self._remaining)
                chunk: bytearray | memoryview
                if self._mapped_and_cached(size):
                    assert self._map is not None
                    chunk = self._map.view[self._offset : self._offset + size]
                else:
                    chunk = await self._read(size)
                if not chunk:
                    break  # the file was cut short in place behind the store's back
                self._offset += len(chunk)
                self._remaining -= len(chunk)
                yield chunk
        finally:
            await self.aclose()

    def _mapped_and_cached(self, size: int) -> bool:
        """Whether the next ``size`` bytes can be a slice of the map: there is one, the
        file is still the version mapped, and the page cache holds them.

        The file's identity is asked again for each chunk because a file cut short in
        place behind the store's back would make reading its map past the new end a
        ``SIGBUS`` in whatever reads the slice in Python (the kernel, writing it to a
        socket, only fails the write); such a file is read to its new end instead.
        """
        if self._map is None or identity_of(os.fstat(self._fd)) != self._map.identity:
            return False
        return self._map.resident(self._offset, size)

    async def _read(self, size: int) -> bytearray:
        """The next ``size`` bytes (fewer at the file's end) in a buffer of their own."""
        # A fresh buffer per chunk, handed on as it is: the transport may still hold the
        # previous one.
        buffer = bytearray(size)
        got = _read_cached(self._fd, buffer, self._offset)
        if got < size:
            got += await asyncio.to_thread(_read_from_disk, self._fd, buffer, got, self._offset)
        return buffer if got == size else buffer[:got]

    async def aclose(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


def _read_cached(fd: int, buffer: bytearray, offset: int) -> int:
    """How much of ``buffer`` the page cache filled from ``offset`` (maybe less, maybe none)."""
    if not _NOWAIT:
        return 0
    try:
        return os.preadv(fd, [buffer], offset, _NOWAIT)
    except (BlockingIOError, InterruptedError):
        return 0
    except OSError as exc:  # a file system without RWF_NOWAIT: always use the thread
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise
        return 0


def _read_from_disk(fd: int, buffer: bytearray, start: int, offset: int) -> int:
    """Fill ``buffer`` from index ``start`` with the file's bytes at ``offset + start``,
    waiting for the disk (so: in a worker thread); how many bytes it read."""
    with memoryview(buffer) as view:
        return os.preadv(fd, [view[start:]], offset + start)


#: ``preadv``'s "do not wait for the disk" flag (Linux 4.14+); 0 where it does not exist.
_NOWAIT: int = getattr(os, "RWF_NOWAIT", 0)
#: How many objects' ``head`` answers a store remembers (a few hundred bytes each).
_INFO_CACHE_SIZE = 4096


class LocalObjectStore(ObjectStore):
    """An :class:`~streamstack.kernel.storage.ObjectStore` in ``root/<bucket>``."""

    def __init__(self, root: Path, bucket: str) -> None:
        self.bucket = bucket
        self._root = root.resolve()
        self._dir = self._root / bucket
        self._meta = self._root / ".meta" / bucket
        self._tmp = self._root / ".tmp"
        self._multipart = self._root / ".multipart"
        for folder in (self._dir, self._meta, self._tmp, self._multipart):
            private_directory(folder)
        self._bucket_path = f"{self._dir}{os.sep}"
        #: key -> (file identity, head answer); see :meth:`_info`.
        self._infos: dict[str, tuple[Identity, ObjectInfo]] = {}
        self._maps = FileMaps()
        #: Bumped as a delete starts and ends: a read that awaited across one caches
        #: nothing (it may have opened a file the delete then removed).
        self._deletions = 0

    async def _free_bytes(self) -> int:
        return free_bytes_at(self._dir)

    # --- reading -----------------------------------------------------------------------

    def _local_path(self, key: str) -> Path:
        """The file for ``key``, proven to sit inside the bucket directory (no symlink
        leads out of it): what writes and deletes use, and what nginx is sent to."""
        path = (self._dir / key).resolve()
        if not path.is_relative_to(self._dir):
            raise InvalidObjectKey(f"invalid object key {key[:80]!r}")
        return path

    def _file(self, key: str) -> str:
        """The file name for ``key`` without asking the file system (no ``realpath``).

        The port checked the key's shape, which keeps it inside the bucket (no ``..``, no
        absolute path, no empty segment), and the bucket holds only files and folders this
        adapter made (renamed temporary files, never symlinks), so :meth:`_local_path`'s
        proof adds nothing on the read path.
        """
        return self._bucket_path + key

    async def _head(self, key: str) -> ObjectInfo:
        try:
            stat = os.stat(self._file(key))
        except (FileNotFoundError, NotADirectoryError):
            self._forget([key])
            raise ObjectNotFound(f"no object {key!r}") from None
        return await self._info(key, stat)

    async def _info(self, key: str, stat: os.stat_result) -> ObjectInfo:
        """What ``head`` answers for the file ``stat`` describes, from the cache when the
        file is the one the cache saw: a replacement is a rename (a new inode), and the
        ETag of an object without metadata comes from its size and mtime, so (device,
        inode, mtime, size) changes whenever the answer could."""
        if not S_ISREG(stat.st_mode):
            raise ObjectNotFound(f"no object {key!r}")
        identity = identity_of(stat)
        cached = self._infos.get(key)
        if cached is not None and cached[0] == identity:
            return cached[1]
        deletions = self._deletions
        info = await asyncio.to_thread(self._describe, key, stat)
        if deletions != self._deletions:
            return info
        if len(self._infos) >= _INFO_CACHE_SIZE:
            self._infos.pop(next(iter(self._infos)))  # the oldest entry
        self._infos[key] = (identity, info)
        return info

    def _describe(self, key: str, stat: os.stat_result) -> ObjectInfo:
        try:
            meta = msgspec.json.decode(self._meta_path(key).read_bytes(), type=_Meta)
            content_type, etag = meta.content_type, meta.etag
        except (FileNotFoundError, msgspec.DecodeError):
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
            etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).replace(microsecond=0)
        return ObjectInfo(key, stat.st_size, etag, modified, content_type)

    async def _objects(self, prefix: str) -> AsyncIterator[ListedObject]:
        """The bucket directory walked depth first, one folder read per worker-thread hop.

        Only ``root/<bucket>`` is walked, so the ``.meta``, ``.multipart`` and ``.tmp`` trees
        beside it (metadata, unfinished uploads, half-written files) are never named; nor
        is anything but a regular file (a symlink is no object this store made).
        """
        if not self._dir.is_dir():
            raise StorageUnavailable(f"bucket directory {self._dir} is missing")
        start = prefix.rpartition("/")[0]
        stack = [iter(await asyncio.to_thread(self._folder_entries, start))]
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
            elif isinstance(entry, str):  # a folder: walked when it can hold matching keys
                folder = f"{entry}/"
                if folder.startswith(prefix) or prefix.startswith(folder):
                    stack.append(iter(await asyncio.to_thread(self._folder_entries, entry)))
            elif entry.key.startswith(prefix):
                yield entry

    def _folder_entries(self, folder: str) -> list[str | ListedObject]:
        """The objects (as listed) and sub-folders (their keys' prefix, a ``str``) of one
        folder of the bucket, in key order; none when the folder went meanwhile."""
        base = f"{folder}/" if folder else ""
        entries: list[tuple[str, str | ListedObject]] = []
        try:
            with os.scandir(self._dir / folder) as found:
                for item in found:
                    key = base + item.name
                    if item.is_dir(follow_symlinks=False):
                        # Sorted as "<name>/", its keys sort among their siblings as S3's do.
                        entries.append((f"{key}/", key))
                    elif item.is_file(follow_symlinks=False):
                        stat = item.stat(follow_symlinks=False)
                        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                        listed = ListedObject(key, stat.st_size, modified.replace(microsecond=0))
                        entries.append((key, listed))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]

    async def _open(self, key: str, options: ReadOptions) -> LocalFileBody:
        # One open and one fstat on the loop: both are metadata calls, and the fstat of
        # the open file is what the ETag check, the map and the read agree on (a
        # replacement is a rename, so the open file is wholly the old or the new object).
        deletions = self._deletions
        try:
            fd = os.open(self._file(key), os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            self._forget([key])
            raise ObjectNotFound(f"no object {key!r}") from None
        try:
            stat = os.fstat(fd)
            identity = identity_of(stat)
            mapped = self._maps.get(key, identity) if options.zero_copy else None
            info = mapped.info if mapped is not None else await self._info(key, stat)
            if options.if_match is not None and options.if_match != info.etag:
                raise ObjectChanged(f"object {key!r} changed")
            if options.zero_copy and mapped is None and info.size and deletions == self._deletions:
                mapped = self._map(key, fd, identity, info)
        except BaseException:
            os.close(fd)
            raise
        start, length = options.start, options.length
        end = info.size if length is None else min(info.size, start + length)
        return LocalFileBody(fd, mapped, (start, max(0, end - start)), options.chunk_size, info)

    def _map(self, key: str, fd: int, identity: Identity, info: ObjectInfo) -> FileMap | None:
        """The new map of ``key``'s open file, or None where the file cannot be mapped (a
        file system without mmap, no address space left): then it is read into buffers."""
        try:
            return self._maps.add(key, fd, identity, info)
        except OSError:
            return None

    # --- writing -----------------------------------------------------------------------

    async def _store(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> ObjectInfo:
        path = self._local_path(key)
        tmp = self._tmp / secrets.token_hex(16)
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with _full_disk_unavailable():
                with open_private(tmp) as out:
                    async for chunk in chunks:
                        digest.update(chunk)
                        await asyncio.to_thread(out.write, chunk)
                md5 = digest.hexdigest()
                await asyncio.to_thread(self._commit, key, path, tmp, content_type, md5)
        finally:
            tmp.unlink(missing_ok=True)
        return await self._head(key)

    def _commit(self, key: str, path: Path, tmp: Path, content_type: str, md5: str) -> None:
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            try:
                private_directory(path.parent)
                meta_path = self._meta_path(key)
                write_private(meta_path, msgspec.json.encode(_Meta(content_type, f'"{md5}"')))
                os.replace(tmp, path)
                return
            except FileNotFoundError:
                # A delete beside it removed the folder it had just made, as it emptied it
                # (an item's take-down while its job still writes): make it again.
                if attempt == _COMMIT_ATTEMPTS:
                    raise

    async def _delete(self, key: str) -> None:
        await self._delete_many([key])

    async def _delete_many(self, keys: Sequence[str]) -> None:
        """Delete the files (and metadata) of ``keys`` in one worker thread: a take-down of
        thousands of files never holds the event loop.

        The caches forget the keys before and again after the thread, and a read that
        opened its file before either and awaited across it caches nothing (its file may be
        gone): a map would keep a deleted file's disk space for its idle time. (The CI once
        caught such a read resuming after the second forget and mapping a deleted file.)
        """
        self._deletions += 1
        self._forget(keys)
        try:
            await asyncio.to_thread(self._remove_files, keys)
        finally:
            self._deletions += 1
            self._forget(keys)

    def _forget(self, keys: Sequence[str]) -> None:
        """Drop what the caches hold for ``keys``."""
        for key in keys:
            self._infos.pop(key, None)
            self._maps.forget(key)

    def _remove_files(self, keys: Sequence[str]) -> None:
        """Unlink each key's file and metadata, then the folders that left empty (in a
        worker thread)."""
        # Every path is proven inside the bucket before any file goes, as the port checks
        # every key first.
        paths = [(self._local_path(key), self._meta_path(key)) for key in keys]
        for path, meta in paths:
            path.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
        # Folders of an item's deleted files would otherwise stay behind, empty, for ever.
        # Each folder is tried once (an HLS rung's thousand segments share one); walking
        # up from each empty one also takes parents whose sub-folders all went.
        for path, meta in {(p.parent, m.parent) for p, m in paths}:
            _remove_empty_folders(path, self._dir)
            _remove_empty_folders(meta, self._meta)

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    # --- multipart -----------------------------------------------------------------------

    async def _start_multipart(self, key: str, content_type: str) -> str:
        upload_id = secrets.token_hex(16)
        folder = self._multipart / upload_id
        with _full_disk_unavailable():
            folder.mkdir(mode=DIRECTORY_MODE)
            write_private(
                folder / "upload.json", msgspec.json.encode(_Upload(self.bucket, key, content_type))
            )
        return upload_id

    def _upload(self, key: str, upload_id: str) -> tuple[Path, _Upload]:
        if not upload_id.isalnum():
            raise ObjectNotFound("no such multipart upload")
        folder = self._multipart / upload_id
        try:
            upload = msgspec.json.decode((folder / "upload.json").read_bytes(), type=_Upload)
        except FileNotFoundError:
            raise ObjectNotFound("no such multipart upload") from None
        if upload.key != key or upload.bucket != self.bucket:
            raise ObjectNotFound("no such multipart upload")
        return folder, upload

    async def _put_part(self, key: str, upload_id: str, number: int, data: bytes) -> PartInfo:
        folder, _ = self._upload(key, upload_id)
        if not 1 <= number <= 10000:
            raise ValueError("part number must be 1..10000")
        appended = await asyncio.to_thread(appended_part, folder, number, data)
        if appended is not None:
            return appended
        with _full_disk_unavailable():
            await asyncio.to_thread(write_private, part_path(folder, number), data)
        return PartInfo(number, len(data), etag_of(data))

    async def _list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        folder, _ = self._upload(key, upload_id)
        return await asyncio.to_thread(stored_parts, folder)

    async def _complete_multipart(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        """Append the parts to one file in the upload's folder, deleting each once it is
        in (:mod:`.local_assembly`), then rename that file into place."""
        folder, upload = self._upload(key, upload_id)
        with _full_disk_unavailable():
            assembly, remaining = await asyncio.to_thread(Assembly.resume, folder, parts)
            try:
                for part in remaining:
                    await asyncio.to_thread(assembly.append, part)
                path = self._local_path(key)
                md5 = assembly.md5()
                await asyncio.to_thread(
                    self._commit, key, path, assembly.path, upload.content_type, md5
                )
            finally:
                assembly.close()
        shutil.rmtree(folder, ignore_errors=True)
        return await self._head(key)

    async def _abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            folder, _ = self._upload(key, upload_id)
        except ObjectNotFound:
            return
        shutil.rmtree(folder, ignore_errors=True)

    async def ping(self) -> None:
        if not self._dir.is_dir():
            raise StorageUnavailable(f"bucket directory {self._dir} is missing")


#: How often a write makes its folders again when deletes beside it keep removing them (each
#: delete removes only empty folders, in the instant between their making and the write's
#: rename; a take-down of thousands of files empties one folder after another).
_COMMIT_ATTEMPTS = 8


def free_bytes_at(folder: Path) -> int:
    """The free space of the file system ``folder`` is on (what an unprivileged process may
    use; one ``statvfs``)."""
    return shutil.disk_usage(folder).free


@contextlib.contextmanager
def _full_disk_unavailable() -> Iterator[None]:
    """A full disk (or quota) is the store being unavailable for now (503: an upload may
    resume once space is freed), not a failure of the server's own (500)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageUnavailable(
                "the object store's disk is full (no space left on device)"
            ) from exc
        raise


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while empty."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): the folders above are not empty either
            return
        folder = folder.parent
