"""What a transcoding job stored for an item, under the item's own prefix, and its removal.

Everything a job makes lives under ``<uuid>/`` in the media bucket (``hls/…``,
``storyboard/…``; :func:`streamstack.contracts.catalogue.object_prefix`), beside files
that are not the job's to remove (caption files). So the job keeps a manifest,
``<uuid>/outputs.json``, naming every key it may have written, and which of them make the
package the master playlist plays (``live``): a listing of the prefix could not tell its
outputs from those, nor a stale attempt's keys from the live package's. An upload attempt
first widens the manifest to the old keys plus the new ones, then uploads (master playlist
last), then deletes the old keys the new package no longer has and narrows the manifest to
the new keys. A worker killed at any point leaves a manifest that covers every object it
wrote, so a redelivered job (or the removal of a failed or stopped job's outputs) finds
them all: nothing is orphaned. A deleted item's take-down needs no manifest: it deletes
everything listed under the prefix (:mod:`streamstack.ingest.takedown`).

A new package of an item that already plays (a transcode again, written under its own
``hls/<package>/`` names) keeps the package it replaces until the next one: viewers who
loaded the old playlists go on fetching its segments after the master has switched.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from pathlib import Path

import msgspec
import structlog

from streamstack.contracts.catalogue import object_prefix
from streamstack.contracts.streaming import PREFIX_FILE_TYPES
from streamstack.ingest.sandbox import open_output, output_chunks
from streamstack.kernel.storage import ObjectNotFound, ObjectStore, read_all, single_chunk

log = structlog.get_logger(__name__)

MANIFEST_NAME = "outputs.json"
#: Bytes read from a local output file per chunk while uploading it.
UPLOAD_CHUNK_BYTES = 1024 * 1024


def content_type_of(name: str) -> str:
    """The content type an output file is stored (and later served) with."""
    return PREFIX_FILE_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


async def file_chunks(directory: Path, name: str) -> AsyncIterator[bytes]:
    """A file the transcoder's child wrote, in ``UPLOAD_CHUNK_BYTES`` pieces; opened as
    :func:`~streamstack.ingest.sandbox.open_output` opens it (no symlink followed)."""
    fd = await asyncio.to_thread(open_output, directory, name)
    try:
        async for chunk in output_chunks(fd, UPLOAD_CHUNK_BYTES):
            yield chunk
    finally:
        os.close(fd)


class Manifest(msgspec.Struct, frozen=True):
    """``outputs.json``: every key a job may have written, those of the live package, and
    the size each live file was written with (``sizes``: what the storage audit compares,
    to find files cut short; a package written before sizes were kept has none, and is
    checked for missing files alone)."""

    keys: list[str]
    live: list[str] = []
    sizes: dict[str, int] = {}


def decode_manifest(data: bytes) -> Manifest:
    """An ``outputs.json``; one written as a bare list of keys (before packages were kept)
    counts all of them as live."""
    found = msgspec.json.decode(data, type=Manifest | list[str])
    return found if isinstance(found, Manifest) else Manifest(keys=found, live=found)


class ItemOutputs:
    """The objects one item's transcoding jobs wrote to the media bucket."""

    def __init__(self, media: ObjectStore, media_id: str) -> None:
        self.media = media
        self.prefix = object_prefix(media_id)
        self.manifest_key = f"{self.prefix}{MANIFEST_NAME}"

    def key(self, relative: str) -> str:
        """The object key of a file the transcoder wrote (``hls/240p/init.mp4`` …)."""
        return f"{self.prefix}{relative}"

    async def recorded(self) -> Manifest:
        """What the manifest names (nothing when there is no manifest)."""
        try:
            data = await read_all(await self.media.read(self.manifest_key))
        except ObjectNotFound:
            return Manifest(keys=[])
        try:
            manifest = decode_manifest(data)
        except msgspec.DecodeError:
            log.warning("outputs_manifest_unreadable", key=self.manifest_key)
            return Manifest(keys=[])
        mine = self.prefix
        return Manifest(
            keys=[key for key in manifest.keys if key.startswith(mine)],
            live=[key for key in manifest.live if key.startswith(mine)],
            sizes={key: size for key, size in manifest.sizes.items() if key.startswith(mine)},
        )

    async def _record(
        self, keys: Iterable[str], live: Iterable[str], sizes: Mapping[str, int]
    ) -> None:
        live = sorted(set(live))
        manifest = Manifest(
            keys=sorted({*keys, *live}),
            live=live,
            sizes={key: sizes[key] for key in live if key in sizes},
        )
        await self.media.write(
            self.manifest_key,
            single_chunk(msgspec.json.encode(manifest)),
            content_type="application/json",
        )

    async def publish(
        self,
        directory: Path,
        files: Sequence[str],
        on_file: Callable[[int, int], None] | None = None,
        *,
        keep_live: bool = False,
    ) -> None:
        """Upload ``files`` (relative to ``directory``, in order) and drop stale keys.

        Keys of an earlier attempt that this package does not have are deleted after the
        upload (except, with ``keep_live``, those of the package that was live: it stays
        until the next publish); keys it does have are overwritten in place.
        """
        old = await self.recorded()
        new = [self.key(name) for name in files]
        await self._record([*old.keys, *new], old.live, old.sizes)
        sizes = {}
        for index, name in enumerate(files):
            written = await self.media.write(
                self.key(name), file_chunks(directory, name), content_type=content_type_of(name)
            )
            sizes[written.key] = written.size
            if on_file is not None:
                on_file(index + 1, len(files))
        kept = {*new, *(old.live if keep_live else ())}
        await self.media.delete_many([key for key in old.keys if key not in kept])
        await self._record(kept, new, sizes)

    async def remove(self, *, keep_live: bool = False) -> int:
        """Delete every recorded output and the manifest (with ``keep_live``, all but the
        live package: a new one failed, the old one plays on); how many objects went."""
        manifest = await self.recorded()
        kept = set(manifest.live if keep_live else ())
        gone = [key for key in manifest.keys if key not in kept]
        await self.media.delete_many(gone)
        # The manifest goes last, on its own: until every output is gone, it names them.
        if kept:
            await self._record(kept, manifest.live, manifest.sizes)
        else:
            await self.media.delete(self.manifest_key)
        if gone:
            log.info("outputs_removed", prefix=self.prefix, count=len(gone))
        return len(gone)
