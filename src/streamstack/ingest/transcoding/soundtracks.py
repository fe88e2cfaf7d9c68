"""The source's audio tracks: which are kept, what they are called, and their way to AAC.

Every audio stream of the source becomes an audio rendition of its own (up to
:data:`MAX_AUDIO_TRACKS`), so a film's second language or a commentary is not lost: the
master playlist lists them as one ``AUDIO`` group, the one a player would pick first and
``DEFAULT`` (:func:`pick_audio`, the rule the probe follows too). Each track is put on the video's timeline by its own
:class:`~.timeline.AudioTimeline` and held back until the picture has caught up; at the
end the last picture is held until the longest track's sound ends (a podcast's one still,
a talk whose picture stops early), and a track that ends early (a commentary of the first
minutes) is filled with silence to the video's end.
"""

from __future__ import annotations

import collections
import dataclasses
from fractions import Fraction

import av

from streamstack.contracts.languages import language_name
from streamstack.ingest.transcoding.ladder import AUDIO_SAMPLE_RATE, MAX_AUDIO_TRACKS
from streamstack.ingest.transcoding.languages import UNDETERMINED, language_tag, track_label
from streamstack.ingest.transcoding.rendition import SoundEncoder
from streamstack.ingest.transcoding.results import AudioTrack
from streamstack.ingest.transcoding.timeline import (
    AAC_FRAME_SAMPLES,
    AudioTimeline,
    stream_seconds,
)

#: Sound held back waiting for the picture to catch up, at most (about 21 s at 48 kHz):
#: beyond it the sound goes on anyway (a file interleaved that badly is rare).
MAX_PENDING_FRAMES = 1000


def pick_audio(container: av.container.InputContainer) -> list[av.audio.stream.AudioStream]:
    """The audio streams to keep (those FFmpeg can decode): the one a player plays first
    (the highest :func:`_precedence`, the first of equals), then the others in file order.

    One rule for a film's dubs and a music file's tracks alike, and for the probe (the
    item's codec and length) and the transcoder (its default track, or the one track of
    sound alone), so all of them speak of the same sound.
    """
    streams = [s for s in container.streams.audio if _decodable(s)]
    if streams:
        main = max(streams, key=_precedence)  # max() keeps the first of equals
        streams.remove(main)
        streams.insert(0, main)
    return streams[:MAX_AUDIO_TRACKS]


def _precedence(stream: av.audio.stream.AudioStream) -> tuple[int, int, int]:
    """How a player ranks ``stream`` as the sound to play. First FFmpeg's own first test
    (``av_find_best_stream``): marked default, and not for the impaired. FFmpeg then counts
    the few frames it read while probing and compares bit rates, which lets a nearly empty
    track win; what the headers state instead: the longest, to the second (encoders pad a
    track by milliseconds, so the same length is a tie), then more channels."""
    flags = stream.disposition
    impaired = av.stream.Disposition.hearing_impaired | av.stream.Disposition.visual_impaired
    standing = int(not flags & impaired) + int(bool(flags & av.stream.Disposition.default))
    seconds = stream_seconds(stream)
    length = round(seconds) if seconds is not None else -1  # unknown: after any known
    return standing, length, stream.codec_context.channels


def _decodable(stream: av.stream.Stream) -> bool:
    if not isinstance(stream, av.audio.stream.AudioStream) or stream.codec_context is None:
        return False
    try:
        return stream.codec_context.codec.is_decoder
    except (av.FFmpegError, ValueError):  # no codec of that id in this FFmpeg
        return False


def describe_track(stream: av.audio.stream.AudioStream, number: int) -> AudioTrack:
    """How the package names ``stream``, the ``number``-th track kept (1 is the default)."""
    language = language_tag(stream.metadata.get("language"))
    label = track_label(stream.metadata.get("title"))
    if label is None:
        label = language_name(language) if language != UNDETERMINED else f"Track {number}"
    return AudioTrack(stream=stream.index, language=language, label=label, default=number == 1)


@dataclasses.dataclass
class Soundtrack:
    """One kept audio stream: decoded frames onto the timeline, then to the encoder."""

    stream: av.audio.stream.AudioStream
    index: int
    """Its place among the encoder's tracks."""
    encoder: SoundEncoder
    origin: Fraction
    _timeline: AudioTimeline | None = None
    _pending: collections.deque[av.AudioFrame] = dataclasses.field(
        default_factory=collections.deque
    )
    _sent: int = 0
    """Samples handed to the encoder so far: where the next sound starts."""

    def push(self, frame: av.AudioFrame | None) -> None:
        """A decoded frame (None at the end) onto the video's timeline, held for release."""
        if self._timeline is None:
            if frame is None:
                return
            time_base = self.stream.time_base or Fraction(1, frame.sample_rate)
            self._timeline = AudioTimeline(frame, time_base, self.origin)
        self._pending.extend(self._timeline.push(frame))

    def release(self, shown: Fraction | None, *, end: bool = False) -> None:
        """Hand the encoder the sound that starts before ``shown`` (the picture so far;
        None: there is no picture, so all of it).

        Sound runs ahead of the picture only past :data:`MAX_PENDING_FRAMES` (a decoder
        holding a podcast's one still back until the end of the file); the picture is held
        until the sound ends, so at the end only sound within a codec's padding of the
        picture's end is dropped (``timeline.SOUND_TAIL_SECONDS``).
        """
        while self._pending:
            sound = self._pending[0]
            starts = Fraction(sound.pts or 0, AUDIO_SAMPLE_RATE)
            overflow = len(self._pending) > MAX_PENDING_FRAMES
            before = shown is None or starts < shown
            if not before and not end and not overflow:
                return
            self._pending.popleft()
            if before or not end:
                self.encoder.put((self.index, sound))
                self._sent = (sound.pts or 0) + sound.samples

    @property
    def missing_seconds(self) -> Fraction:
        """Holes in the track's sound so far (see ``AudioTimeline.missing``)."""
        return self._timeline.missing if self._timeline is not None else Fraction(0)

    @property
    def ends_seconds(self) -> Fraction:
        """Where the track's sound decoded so far ends, seconds on the timeline (sent to the
        encoder or still held back)."""
        if not self._pending:
            return self.sent_seconds
        last = self._pending[-1]
        return Fraction((last.pts or 0) + last.samples, AUDIO_SAMPLE_RATE)

    @property
    def sent_seconds(self) -> Fraction:
        """How much sound the encoder has had, seconds."""
        return Fraction(self._sent, AUDIO_SAMPLE_RATE)

    def fill(self, shown: Fraction) -> None:
        """Silence from where the sound ended to where the picture ends (after the last
        release): a track shorter than the video, or with no sound at all, still covers
        it, so a player never waits at its end for sound that will not come."""
        end = round(shown * AUDIO_SAMPLE_RATE)
        while self._sent < end:
            samples = min(AAC_FRAME_SAMPLES, end - self._sent)
            self.encoder.put((self.index, silence(self._sent, samples)))
            self._sent += samples


def silence(pts: int, samples: int) -> av.AudioFrame:
    """``samples`` of silence at ``pts`` (in samples), shaped as the timeline shapes sound."""
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = AUDIO_SAMPLE_RATE
    frame.pts = pts
    frame.time_base = Fraction(1, AUDIO_SAMPLE_RATE)
    return frame
