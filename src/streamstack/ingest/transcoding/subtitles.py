"""Subtitle streams of the source (mov_text, SubRip, WebVTT, ASS): their cues, as WebVTT.

The transcode's one demuxing pass hands every packet of a text subtitle stream to
:class:`SubtitleExtractor`, which decodes it with FFmpeg (each text decoder turns its
format into an ASS event), keeps the event's text without its ASS override tags, escaped as
WebVTT cue text, on the output timeline (the video's first picture at 0), and at the end
writes ``captions/<language>.vtt`` with :func:`~streamstack.ingest.captions.render_webvtt`.
The job outside the sandbox parses that file again and stores it as the item's
``embedded`` caption track (an uploaded track of the same language wins).

A subtitle stream is as untrusted as the rest of the file, and it never fails the
transcode: a stream that keeps failing to decode is dropped, one with too many cues or
bytes is cut at the caption limits (``MAX_CAPTION_CUES``, ``CAPTION_MAX_BYTES``), an
over-long cue is cut at ``CAPTION_CUE_TEXT_MAX``, a huge packet is not decoded at all.
Each stream's fate goes back in the result (:class:`SubtitleResult`), for the job to log.

Languages and labels come from the stream's tags (:mod:`.languages`). One track per
language: the first stream that is not ``forced`` wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import av.subtitles.stream  # PyAV imports it lazily, when the memory cap may forbid it
from av.subtitles.subtitle import AssSubtitle

from streamstack.contracts.limits import (
    CAPTION_CUE_TEXT_MAX,
    CAPTION_MAX_BYTES,
    CAPTION_TIME_MAX,
    MAX_CAPTION_CUES,
    MAX_CAPTION_TRACKS,
)
from streamstack.ingest.captions import Cue, render_webvtt
from streamstack.ingest.transcoding.languages import language_tag, track_label
from streamstack.ingest.transcoding.results import SubtitleResult

#: FFmpeg's text subtitle decoders (bitmap subtitles, DVD or Blu-ray, have no text to keep).
TEXT_SUBTITLE_CODECS = frozenset({"mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text"})
#: Text subtitle codecs whose packets are the text alone (mov_text's carry binary boxes).
_PLAIN_TEXT_CODECS = TEXT_SUBTITLE_CODECS - {"mov_text"}
#: Where the tracks are written, under the output directory (and stored, under the item).
CAPTIONS_DIRECTORY = "captions"
#: A subtitle packet larger than this is not decoded (a screenful of text is a few KiB).
MAX_PACKET_BYTES = 64 * 1024
#: Packets of one stream that may fail to decode before the stream is dropped.
MAX_DECODE_ERRORS = 20
#: ``end_display_time`` of a subtitle shown until the next one (FFmpeg's UINT32_MAX).
_UNTIL_NEXT = 0xFFFFFFFF
#: One ASS override block (``{\i1}``, ``{\an8}``, a comment): never nested, so linear.
_OVERRIDE = re.compile(r"\{[^{}]*\}")
_ASS_FIELDS_BEFORE_TEXT = 8


def cue_text(ass_event: bytes) -> str:
    """The WebVTT cue text of one ASS event (``ReadOrder,Layer,Style,…,Text``): the text
    without override tags, ``\\N`` as a line break, ``<``, ``>`` and ``&`` escaped."""
    fields = ass_event.decode("utf-8", "replace").split(",", _ASS_FIELDS_BEFORE_TEXT)
    text = _OVERRIDE.sub("", fields[-1])
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = (line.strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def within_cap(text: str) -> str:
    """``text`` cut at ``CAPTION_CUE_TEXT_MAX`` characters, never inside an ``&…;`` escape."""
    if len(text) <= CAPTION_CUE_TEXT_MAX:
        return text
    cut = text[:CAPTION_CUE_TEXT_MAX]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut.rstrip()


def _rendered_bytes(cue: Cue) -> int:
    """What ``cue`` adds to the WebVTT ``render_webvtt`` writes, at most: a blank line,
    the timing line (``hh:mm:ss.ttt --> hh:mm:ss.ttt``, hours of two digits or more) and
    the text."""
    timing = sum(10 + max(2, len(str(int(t // 3600)))) for t in (cue.start, cue.end)) + 5
    return 2 + timing + 1 + len(cue.text.encode())


class _Track:
    """One subtitle stream being read: its cues so far, and what went wrong."""

    def __init__(self, stream: av.subtitles.stream.SubtitleStream, language: str) -> None:
        self.stream = stream
        self.index = stream.index  # read now: the stream is gone once its container closes
        self.codec = stream.codec_context.name
        self.language = language
        self.label = track_label(stream.metadata.get("title"))
        self.cues: list[Cue] = []
        self.size = len("WEBVTT\n")
        self.errors = 0
        self.closed = False
        self.cut = False
        self.note: str | None = None

    def fail(self, error: BaseException) -> None:
        """A packet that did not decode; too many, and the stream is dropped."""
        self.errors += 1
        if self.errors > MAX_DECODE_ERRORS:
            self.cues.clear()
            self.close(f"dropped after {self.errors} packets failed ({error.__class__.__name__})")

    def close(self, note: str) -> None:
        """Take no more packets, and say why."""
        self.closed = True
        self.note = note

    def take(self, packet: av.Packet[Any], origin: Fraction) -> None:
        """Decode one packet and keep its cue (raises whatever a hostile packet causes)."""
        if packet.dts is None or packet.pts is None or packet.time_base is None:
            return  # the flush packet at the end of the stream
        if packet.size > MAX_PACKET_BYTES:
            raise ValueError(f"a subtitle packet of {packet.size} bytes")
        subtitle = self.stream.codec_context.decode2(self._in_utf8(packet))
        if subtitle is None:
            return  # an empty sample: the gap between two cues (mov_text)
        texts = (cue_text(rect.ass) for rect in subtitle if isinstance(rect, AssSubtitle))
        text = within_cap("\n".join(text for text in texts if text))
        at = packet.pts * packet.time_base - origin
        start = at + Fraction(subtitle.start_display_time, 1000)
        if packet.duration:
            end = at + packet.duration * packet.time_base
        elif subtitle.end_display_time < _UNTIL_NEXT:
            end = at + Fraction(subtitle.end_display_time, 1000)
        else:
            return  # shown "until the next one": no end to give a WebVTT cue
        start_ms, end_ms = max(0, round(start * 1000)), round(end * 1000)
        if text and start_ms < end_ms <= CAPTION_TIME_MAX * 1000:
            self.keep(Cue(start_ms / 1000, end_ms / 1000, text))

    def _in_utf8(self, packet: av.Packet[Any]) -> av.Packet[Any]:
        """``packet``, or a copy of it in UTF-8 when its text is in another encoding.

        FFmpeg's text decoders refuse text that is not UTF-8, and SubRip files made on
        Windows are often in Windows-1252: muxed into a Matroska file as they were, the whole
        track was lost. A plain-text packet (not mov_text, whose packet has binary boxes)
        that is not UTF-8 is read as Windows-1252 (Latin-1 for the five bytes it leaves
        undefined, which read anything): the track's note says so.
        """
        if self.codec not in _PLAIN_TEXT_CODECS:
            return packet
        data = bytes(packet)
        try:
            data.decode("utf-8")
            return packet
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        copy = av.Packet(text.encode("utf-8"))
        copy.pts, copy.dts, copy.duration = packet.pts, packet.dts, packet.duration
        copy.time_base = packet.time_base
        self.note = self.note or "read as Windows-1252: its text is not UTF-8"
        return copy

    def keep(self, cue: Cue) -> None:
        """Add ``cue``, unless the track is full (then it is closed, cut at the limit)."""
        size = self.size + _rendered_bytes(cue)
        if len(self.cues) >= MAX_CAPTION_CUES or size > CAPTION_MAX_BYTES:
            self.close(f"cut after {len(self.cues)} cues (the caption limits)")
            self.cut = True
            return
        self.size = size
        self.cues.append(cue)

    def result(self, vtt: str | None) -> SubtitleResult:
        """What became of this stream."""
        lost: Literal["unreadable", "cut"] | None = None
        if vtt is None:
            lost = "unreadable"
        elif self.cut:
            lost = "cut"
        return SubtitleResult(
            stream=self.index,
            codec=self.codec,
            language=self.language,
            label=self.label,
            vtt=vtt,
            cues=len(self.cues) if vtt is not None else 0,
            note=self.note,
            lost=lost,
        )


class SubtitleExtractor:
    """The text subtitle streams of one source, read during the transcode's demuxing."""

    def __init__(self, container: av.container.InputContainer, origin: Fraction) -> None:
        self.origin = origin
        self.tracks: dict[int, _Track] = {}
        self.refused: list[SubtitleResult] = []
        taken: set[str] = set()
        for stream in _by_preference(container.streams.subtitles):
            codec = stream.codec_context.name if stream.codec_context else "unknown"
            language = language_tag(stream.metadata.get("language"))
            why = None
            if codec not in TEXT_SUBTITLE_CODECS:
                why = f"{codec} subtitles have no text to keep"
            elif language in taken:
                why = f"another subtitle stream has the language {language}"
            elif len(taken) >= MAX_CAPTION_TRACKS:
                why = f"more than {MAX_CAPTION_TRACKS} subtitle streams"
            if why is not None:
                lost: Literal["pictures"] | None = None
                if codec not in TEXT_SUBTITLE_CODECS:
                    lost = "pictures"
                refused = SubtitleResult(stream.index, codec, language, note=why, lost=lost)
                self.refused.append(refused)
                continue
            taken.add(language)
            self.tracks[stream.index] = _Track(stream, language)

    @property
    def streams(self) -> list[av.subtitles.stream.SubtitleStream]:
        """The streams whose packets the demuxing pass must hand over."""
        return [track.stream for track in self.tracks.values()]

    def offer(self, packet: av.Packet[Any]) -> bool:
        """Take ``packet`` if it belongs to a subtitle track; whether it did.

        Never raises: whatever a packet does to the decoder counts against its stream.
        """
        track = self.tracks.get(packet.stream.index)
        if track is None:
            return False
        if not track.closed:
            try:
                track.take(packet, self.origin)
            except Exception as error:  # a hostile stream may fail in any way: drop it, go on
                track.fail(error)
        return True

    def finish(self, work: Path) -> tuple[SubtitleResult, ...]:
        """Write each track with cues as ``captions/<language>.vtt``; every stream's fate."""
        results = list(self.refused)
        for track in self.tracks.values():
            if not track.cues:
                track.note = track.note or "no cues"
                results.append(track.result(None))
                continue
            track.cues.sort(key=lambda cue: (cue.start, cue.end))
            name = f"{CAPTIONS_DIRECTORY}/{track.language}.vtt"
            (work / CAPTIONS_DIRECTORY).mkdir(exist_ok=True)
            (work / name).write_bytes(render_webvtt(track.cues))
            results.append(track.result(name))
        return tuple(sorted(results, key=lambda result: result.stream))


def _by_preference(
    streams: Sequence[av.subtitles.stream.SubtitleStream],
) -> list[av.subtitles.stream.SubtitleStream]:
    """Streams in the order they claim a language: full subtitles before ``forced`` ones
    (which show only the foreign-language lines), then as the file lists them."""
    forced = av.stream.Disposition.forced
    return sorted(streams, key=lambda stream: (bool(stream.disposition & forced), stream.index))
