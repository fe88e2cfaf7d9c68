"""An item's caption tracks in the media bucket, and their record in the catalogue.

Each track is two objects under the item's prefix: ``captions/<language>.vtt``, the WebVTT
:func:`~streamstack.ingest.captions.render_webvtt` wrote from the parsed cues (never the
uploader's bytes), and ``captions/<language>.m3u8``, the one-segment HLS subtitle playlist
naming it. The catalogue records which tracks an item has (``CHANGE_CAPTION``); when the
item has an HLS master playlist, it is rewritten to list exactly the recorded tracks.

The order of the steps leaves nothing behind that no record names:

* an upload writes the WebVTT first and records it after; if the catalogue answers that
  the item does not exist (404) or has too many tracks (409), the file is deleted again.
  An item deleted after the record has its caption files removed by the take-down,
  which deletes everything under the item's prefix (it may have run before the
  upload's last writes: see below);
* an embedded track (extracted by the transcoding job) is recorded first, because an
  uploaded track of the same language wins: the file is written only when the record
  says the track is the embedded one;
* a removal forgets the record first, then deletes the files.

Every change (and the transcoding job's master) reads the record again at its end
(:meth:`CaptionTracks.list_in_master`) and removes what it wrote if the item is gone.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import structlog

from streamstack.contracts.caption_encodings import CAPTION_ENCODING_BY_LABEL
from streamstack.contracts.catalogue import (
    CaptionChange,
    CaptionSource,
    CatalogueClient,
    MediaItem,
    RecordedCaptions,
    object_prefix,
)
from streamstack.contracts.languages import canonical_language
from streamstack.contracts.streaming import (
    HLS_MASTER_PATH,
    PREFIX_FILE_TYPES,
    caption_path,
    caption_paths,
    caption_playlist_path,
)
from streamstack.ingest.captions import CaptionRefused, Cue, parse_caption_file, render_webvtt
from streamstack.ingest.transcoding.playlists import subtitle_playlist, with_subtitles
from streamstack.kernel.errors import AppError, BadRequest, Conflict, NotFound
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectNotFound, ObjectStore, read_all, single_chunk

log = structlog.get_logger(__name__)

#: How often one change writes the master at most while other changes keep coming.
MASTER_REWRITES = 4

_PLAYLIST_TYPE = PREFIX_FILE_TYPES[".m3u8"]
_WEBVTT_TYPE = PREFIX_FILE_TYPES[".vtt"]


class EmbeddedTrack(msgspec.Struct, frozen=True):
    """A subtitle stream of an upload, as the transcoding job extracted it."""

    language: str
    """A ``CaptionLanguage`` (BCP 47); an untagged stream arrives as ``und`` (undetermined)."""
    label: str | None
    """The stream's title, if it has one (None: a new track is named by its language)."""
    cues: list[Cue]


def _asked_by(context: CallContext | None) -> str | None:
    """The account id of the admin a change is made for (None: the transcoding worker's,
    for no one), for the catalogue's log of who changed an item's captions."""
    principal = None if context is None else context.principal
    return None if principal is None else principal.user_id


def parsed_upload(data: bytes, encoding: str | None = None) -> list[Cue]:
    """The cues of an uploaded caption file, read in the encoding (a label of
    ``CAPTION_ENCODINGS``) its uploader named, if any; a refusal as a 413 or 422 in the
    error shape."""
    try:
        return parse_caption_file(data, CAPTION_ENCODING_BY_LABEL[encoding] if encoding else None)
    except CaptionRefused as refused:
        raise AppError(refused.detail, code=refused.code, status=refused.status) from None


class CaptionTracks:
    """Writes, records and removes the caption tracks of items (see the module docstring)."""

    def __init__(self, media: ObjectStore, catalogue: CatalogueClient) -> None:
        self.media = media
        self.catalogue = catalogue

    async def store(
        self,
        media_id: str,
        language: str,
        cues: Sequence[Cue],
        *,
        label: str | None = None,
        source: CaptionSource = "upload",
        context: CallContext | None = None,
    ) -> MediaItem:
        """Write the track of ``language`` (replacing one there was), record it, and rewrite
        the item's master playlist; the item with its tracks after the change.

        ``language`` is taken in any case (:meth:`recorded_spelling`). ``label`` None keeps a
        replaced track's label (a new one is named by its language).
        404 when the item does not exist, 409 when it has ``MAX_CAPTION_TRACKS`` already:
        then nothing of the track is left in storage.
        """
        language = await self.recorded_spelling(media_id, language)
        change = CaptionChange(
            media_id=media_id,
            language=language,
            label=label,
            source=source,
            by=_asked_by(context),
        )
        vtt = render_webvtt(cues)
        if source == "embedded":
            item = await self.catalogue.change_caption(change, context)
            if not _recorded_as(item, language, source):
                log.info("captions.upload_kept", media_id=media_id, language=language)
                return item
            await self._write(media_id, caption_path(language), vtt, _WEBVTT_TYPE)
        else:
            await self._write(media_id, caption_path(language), vtt, _WEBVTT_TYPE)
            try:
                item = await self.catalogue.change_caption(change, context)
            except (NotFound, Conflict):
                # No record names the file: a missing item, or one track too many.
                await self._delete_files(media_id, language)
                raise
        duration = max(item.duration_seconds or 0.0, max((cue.end for cue in cues), default=0.0))
        playlist = subtitle_playlist(language, duration).encode()
        await self._write(media_id, caption_playlist_path(language), playlist, _PLAYLIST_TYPE)
        await self.list_in_master(item, language)
        log.info("captions.stored", media_id=media_id, language=language, source=source)
        return item

    async def store_embedded(
        self, media_id: str, tracks: Sequence[EmbeddedTrack]
    ) -> MediaItem | None:
        """Store the subtitle tracks the transcoding job extracted from an upload, each as
        :meth:`store` with ``source="embedded"`` (languages with an uploaded track keep it;
        past ``MAX_CAPTION_TRACKS`` the rest are skipped); the item after the last one, None
        when there were none. 404 when the item was deleted meanwhile: the job should stop.
        """
        item: MediaItem | None = None
        for track in tracks:
            try:
                item = await self.store(
                    media_id, track.language, track.cues, label=track.label, source="embedded"
                )
            except Conflict as refused:
                log.warning(
                    "captions.embedded_skipped",
                    media_id=media_id,
                    language=track.language,
                    reason=refused.detail,
                )
        return item

    async def remove(
        self, media_id: str, language: str, context: CallContext | None = None
    ) -> MediaItem:
        """Forget the track of ``language``, delete its files and rewrite the master
        playlist; 404 when the item or the track does not exist."""
        language = await self.recorded_spelling(media_id, language)
        change = CaptionChange(
            media_id=media_id, language=language, remove=True, by=_asked_by(context)
        )
        item = await self.catalogue.change_caption(change, context)
        await self._delete_files(media_id, language)
        await self.list_in_master(item, language)
        log.info("captions.removed", media_id=media_id, language=language)
        return item

    async def recorded_spelling(self, media_id: str, written: str) -> str:
        """The language tag ``written`` (any case, ``_`` for ``-``) in the spelling its track
        is kept under: the canonical one (``EN`` is ``en``), or the other case of a track the
        item was given before tags were made canonical (``pt-br``), whose files are named so;
        400 when ``written`` is no language tag."""
        language = canonical_language(written)
        if language is None:
            raise BadRequest(
                f"{written!r} is not a language tag: use one such as en, fr, pt-BR or zh-Hant",
                code="validation_error",
            )
        try:
            recorded = (await self.catalogue.read_captions(media_id)).captions
        except NotFound:
            return language  # the change itself answers that the item does not exist
        same = (track.language for track in recorded if track.language.lower() == language.lower())
        return next(same, language)

    async def list_in_master(self, item: MediaItem, language: str | None = None) -> None:
        """Rewrite the item's master playlist (if it has one) to list its tracks, then read
        the record again and write the master again while the tracks differ from those
        written; if the item is gone, delete the master and the files of ``language`` (the
        change being made) and raise 404.

        Whoever wrote the master (an admin's change, another one at once, the transcoding
        job with the record it got when it marked the item ready) may have written it from
        an older record than the one it overwrote: two uploads at once left the master
        listing one of them, and a job finishing as a track was added dropped the track.
        The writer whose write is the last one reads, after it, every record made before.
        An item deleted meanwhile may have been taken down already (a playlist written
        after it would stay under its prefix).
        """
        tracks = RecordedCaptions(has_hls=item.has_hls, captions=item.captions)
        for _ in range(MASTER_REWRITES):
            await self._write_master(item.id, tracks)
            try:
                recorded = await self.catalogue.read_captions(item.id)
            except NotFound:
                await self._delete_files(item.id, language, master=True)
                raise
            if not recorded.has_hls or recorded == tracks:
                return
            tracks = recorded
        log.warning("captions.master_unsettled", media_id=item.id)

    async def _write_master(self, media_id: str, tracks: RecordedCaptions) -> None:
        """Rewrite the item's stored HLS master playlist (if it has one) to list exactly
        ``tracks``."""
        if not tracks.has_hls:
            return
        key = object_prefix(media_id) + HLS_MASTER_PATH
        try:
            master = (await read_all(await self.media.read(key))).decode("utf-8")
        except ObjectNotFound:
            return
        rewritten = with_subtitles(master, tracks.captions)
        if rewritten != master:
            await self._write(media_id, HLS_MASTER_PATH, rewritten.encode(), _PLAYLIST_TYPE)

    async def _write(self, media_id: str, path: str, data: bytes, content_type: str) -> None:
        key = object_prefix(media_id) + path
        await self.media.write(key, single_chunk(data), content_type=content_type)

    async def _delete_files(
        self, media_id: str, language: str | None, *, master: bool = False
    ) -> None:
        prefix = object_prefix(media_id)
        tracks = caption_paths(language) if language is not None else []
        paths = [*tracks, *([HLS_MASTER_PATH] if master else [])]
        await self.media.delete_many([prefix + path for path in paths])


def _recorded_as(item: MediaItem, language: str, source: CaptionSource) -> bool:
    """Whether the item's track of ``language`` is recorded as coming from ``source``."""
    return any(track.language == language and track.source == source for track in item.captions)
