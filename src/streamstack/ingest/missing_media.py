"""The storage audit's other direction: items whose objects the database says exist but
the buckets lack (a bucket restored from a backup older than the database, a lost volume).

Catalogue pages through every item in id order (``LIST_ITEMS_MEDIA``: its original's key,
its thumbnail's, whether it has an HLS package, its caption languages). For each item the
media bucket is listed once under the item's prefix ``<uuid>/`` (package, captions), its
original and thumbnail are asked for by key, and an item with a package has its
``outputs.json`` read, whose live keys must all be listed, each the size the manifest
recorded when it was written (the listing names sizes, so a file cut short costs no more
requests; a package written before sizes were kept is counted as not checked for damage).
So an item costs one listing,
two HEADs and at most one read, never a request per segment nor a walk of the whole
bucket (a local directory lists a prefix of the top folder by reading all of it), and
memory holds one item's keys at a time (times :data:`ITEMS_AT_ONCE`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

import msgspec

from streamstack.contracts.catalogue import CatalogueClient, ItemMedia, object_prefix
from streamstack.ingest.outputs import MANIFEST_NAME, decode_manifest
from streamstack.ingest.schemas import ItemMissingMedia, MissingMedia, MissingPart
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectNotFound, ObjectStore, read_all

#: Items checked side by side: their requests overlap, their keys are held together.
ITEMS_AT_ONCE = 16


async def _stored(store: ObjectStore, key: str) -> bool:
    """Whether ``key`` is stored (one HEAD)."""
    try:
        await store.head(key)
    except ObjectNotFound:
        return False
    return True


@dataclasses.dataclass(frozen=True, slots=True)
class _Package:
    """What the audit found of an item's live package: files lost, files not the size
    they were written with, and whether its manifest records sizes (else damage is not
    looked for: packages made before sizes were kept)."""

    lost: int
    damaged: int
    sized: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class MissingMediaCheck:
    """Finds the items whose media is missing from ingest's buckets (see the module)."""

    media: ObjectStore
    thumbnails: ObjectStore
    catalogue: CatalogueClient

    async def find(self, context: CallContext, *, shown: int) -> MissingMedia:
        """Every item checked, for the admin whose token ``context`` carries; the first
        ``shown`` of those missing something named (and of those whose package records no
        sizes, so could not be checked for damage). Changes nothing."""
        checked = count = unchecked = 0
        first: list[ItemMissingMedia] = []
        unchecked_first: list[str] = []
        batch: list[ItemMedia] = []

        async def check_batch() -> None:
            nonlocal checked, count, unchecked
            found = await asyncio.gather(*(self._check(item) for item in batch))
            missing = [entry for entry, _ in found if entry is not None]
            unsized = [item.id for item, (_, sized) in zip(batch, found, strict=True) if not sized]
            checked, count = checked + len(batch), count + len(missing)
            first.extend(missing[: max(0, shown - len(first))])
            unchecked += len(unsized)
            unchecked_first.extend(unsized[: max(0, shown - len(unchecked_first))])
            batch.clear()

        async for item in self.catalogue.items_media(context):
            batch.append(item)
            if len(batch) == ITEMS_AT_ONCE:
                await check_batch()
        await check_batch()
        return MissingMedia(
            items_checked=checked,
            count=count,
            first=first,
            unchecked=unchecked,
            unchecked_first=unchecked_first,
        )

    async def _check(self, item: ItemMedia) -> tuple[ItemMissingMedia | None, bool]:
        """What of ``item`` is missing or damaged (None when nothing is), and whether its
        package could be checked for damage (True when it has none)."""
        prefix = object_prefix(item.id)
        media = {listed.key: listed.size async for listed in self.media.objects(prefix)}
        parts: list[MissingPart] = []
        objects = 0
        if not await _stored(self.media, item.original):
            parts.append("original")
            objects += 1
        package = await self._package(item.id, media) if item.has_hls else _Package(0, 0)
        if package.lost:
            parts.append("stream")
            objects += package.lost
        if package.damaged:
            parts.append("damaged")
            objects += package.damaged
        captions = sum(
            f"{prefix}captions/{language}.vtt" not in media for language in item.captions
        )
        if captions:
            parts.append("captions")
            objects += captions
        if item.thumbnail is not None and not await _stored(self.thumbnails, item.thumbnail):
            parts.append("thumbnail")
            objects += 1
        if not parts:
            return None, package.sized
        entry = ItemMissingMedia(
            id=item.id,
            title=item.title,
            missing=parts,
            missing_objects=objects,
            packaged=item.has_hls,
        )
        return entry, package.sized

    async def _package(self, media_id: str, media: Mapping[str, int]) -> _Package:
        """How many objects of the item's live package are not in ``media`` (its manifest
        alone when that is missing or unreadable: nothing says what else should be), and
        how many are not the size they were written with."""
        manifest_key = f"{object_prefix(media_id)}{MANIFEST_NAME}"
        if manifest_key not in media:
            return _Package(1, 0)
        try:
            manifest = decode_manifest(await read_all(await self.media.read(manifest_key)))
        except (ObjectNotFound, msgspec.DecodeError):
            return _Package(1, 0)
        live = [key for key in manifest.live if key.startswith(media_id)]
        lost = sum(key not in media for key in live)
        damaged = sum(
            key in media and key in manifest.sizes and media[key] != manifest.sizes[key]
            for key in live
        )
        return _Package(lost, damaged, sized=bool(manifest.sizes) or not live)
