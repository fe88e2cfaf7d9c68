"""Local-directory adapter for the object-store port.

Layout: ``root/<bucket>/<key>`` holds the bytes, ``root/.meta/<bucket>/<key>.json`` the
content type and ETag, ``root/.multipart/<upload id>/`` the parts of unfinished uploads.
Writes go to a temporary file first and are renamed into place, so readers never see a
half-written object.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import msgspec

from streamstack.kernel.storage import (
    DEFAULT_CHUNK_BYTES,
    InvalidObjectKey,
    ObjectChanged,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    PartInfo,
    StorageUnavailable,
    check_object_key,
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
    """A ranged read of a local file, one worker-thread read per chunk."""

    def __init__(self, file: BinaryIO, length: int, chunk_size: int, info: ObjectInfo) -> None:
        self.info = info
        self._file = file
        self._remaining = length
        self._chunk_size = chunk_size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while self._remaining > 0:
                data = await asyncio.to_thread(
                    self._file.read, min(self._chunk_size, self._remaining)
                )
                if not data:
                    break
                self._remaining -= len(data)
                yield data
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        self._file.close()


class LocalObjectStore:
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

    # --- reading -----------------------------------------------------------------------

    def local_path(self, key: str) -> Path:
        """The file for ``key``, proven to sit inside the bucket directory."""
        path = (self._dir / check_object_key(key)).resolve()
        if not path.is_relative_to(self._dir):
            raise InvalidObjectKey(f"invalid object key {key[:80]!r}")
        return path

    async def head(self, key: str) -> ObjectInfo:
        path = self.local_path(key)
        return await asyncio.to_thread(self._head, key, path)

    def _head(self, key: str, path: Path) -> ObjectInfo:
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"no object {key!r}") from None
        if not path.is_file():
            raise ObjectNotFound(f"no object {key!r}")
        try:
            meta = msgspec.json.decode(self._meta_path(key).read_bytes(), type=_Meta)
            content_type, etag = meta.content_type, meta.etag
        except (FileNotFoundError, msgspec.DecodeError):
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
            etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).replace(microsecond=0)
        return ObjectInfo(key, stat.st_size, etag, modified, content_type)

    async def read(
        self,
        key: str,
        start: int = 0,
        length: int | None = None,
        *,
        if_match: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_BYTES,
    ) -> LocalFileBody:
        path = self.local_path(key)
        info = await self.head(key)
        if if_match is not None and if_match != info.etag:
            raise ObjectChanged(f"object {key!r} changed")
        file = await asyncio.to_thread(path.open, "rb")
        try:
            # The ETag check and the open are not atomic, but a replacement is a rename,
            # so the open file is wholly the old or wholly the new object.
            if os.fstat(file.fileno()).st_size != info.size:
                raise ObjectChanged(f"object {key!r} changed")
            file.seek(start)
        except BaseException:
            file.close()
            raise
        end = info.size if length is None else min(info.size, start + length)
        return LocalFileBody(file, max(0, end - start), chunk_size, info)

    # --- writing -----------------------------------------------------------------------

    async def write(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        path = self.local_path(key)
        tmp = self._tmp / secrets.token_hex(16)
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with open_private(tmp) as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ObjectTooLarge(f"object larger than {max_bytes} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(out.write, chunk)
            await asyncio.to_thread(self._commit, key, path, tmp, content_type, digest.hexdigest())
        finally:
            tmp.unlink(missing_ok=True)
        return await self.head(key)

    def _commit(self, key: str, path: Path, tmp: Path, content_type: str, md5: str) -> None:
        private_directory(path.parent)
        meta_path = self._meta_path(key)
        write_private(meta_path, msgspec.json.encode(_Meta(content_type, f'"{md5}"')))
        os.replace(tmp, path)

    async def delete(self, key: str) -> None:
        path = self.local_path(key)
        path.unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    # --- multipart -----------------------------------------------------------------------

    async def start_multipart(self, key: str, content_type: str) -> str:
        check_object_key(key)
        upload_id = secrets.token_hex(16)
        folder = self._multipart / upload_id
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

    async def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> PartInfo:
        folder, _ = self._upload(key, upload_id)
        if not 1 <= number <= 10000:
            raise ValueError("part number must be 1..10000")
        await asyncio.to_thread(write_private, folder / f"{number:05d}.part", data)
        etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
        return PartInfo(number, len(data), etag)

    async def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        folder, _ = self._upload(key, upload_id)
        parts = []
        for path in sorted(folder.glob("*.part")):
            data = await asyncio.to_thread(path.read_bytes)
            etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
            parts.append(PartInfo(int(path.stem), len(data), etag))
        return parts

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        folder, upload = self._upload(key, upload_id)

        async def joined() -> AsyncIterator[bytes]:
            for part in parts:
                with (folder / f"{part.number:05d}.part").open("rb") as f:
                    while data := await asyncio.to_thread(f.read, DEFAULT_CHUNK_BYTES * 4):
                        yield data

        info = await self.write(key, joined(), content_type=upload.content_type)
        shutil.rmtree(folder, ignore_errors=True)
        return info

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            folder, _ = self._upload(key, upload_id)
        except ObjectNotFound:
            return
        shutil.rmtree(folder, ignore_errors=True)

    async def presigned_get(self, key: str, expires_seconds: int) -> str | None:
        return None

    async def ping(self) -> None:
        if not self._dir.is_dir():
            raise StorageUnavailable(f"bucket directory {self._dir} is missing")
