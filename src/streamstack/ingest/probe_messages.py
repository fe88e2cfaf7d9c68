"""What the probe worker process and the app say to each other over their socket.

Frames are a 4-byte big-endian length then a payload: msgpack-encoded messages from this
module, or raw object bytes answering a :class:`ReadRange`. Never pickle: the worker
parses hostile files, so nothing it sends may be able to run code in the app.
"""

from __future__ import annotations

import socket
from typing import Annotated, Literal

import msgspec

from streamstack.contracts.limits import Codec
from streamstack.contracts.media import MediaFacts

#: Bytes per ranged read the worker asks for (the last block of a file may be shorter).
BLOCK_BYTES = 1024 * 1024
#: The largest frame either side accepts: a data block, or a report with its two JPEGs.
MAX_FRAME_BYTES = 8 * 1024 * 1024

#: A codec profile's name (``High 4:4:4 Predictive``).
CodecProfile = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 .:+-]+$")
]

TaskKind = Literal["probe", "faststart", "image"]


class Task(msgspec.Struct, frozen=True, tag="task"):
    """The first frame the app sends: what to do with the object of ``size`` bytes."""

    kind: TaskKind
    size: int
    demuxer: str
    max_pixels: int
    max_packets: int
    output_format: str = ""
    output_name: str = ""
    #: The moment (s) a probe takes the stills from; None: the default moment.
    still_at: float | None = None
    #: Whether a probe renders stills; without, its report has none (the facts are the same).
    stills: bool = True


class ReadRange(msgspec.Struct, frozen=True, tag="read"):
    """The worker asks for ``length`` bytes from ``offset``; the app answers raw bytes."""

    offset: int
    length: int


class MediaReport(MediaFacts, frozen=True, kw_only=True, tag="probed"):
    """What a probe found: the media facts (checked against the contract's limits as the
    report is decoded), where the index is, and the thumbnail."""

    moov_at_end: bool
    thumbnail: bytes | None
    pixel_format: Codec | None = None
    """The picture's pixel format as FFmpeg names it (``yuv420p``, ``yuv420p10le``)."""
    video_profile: CodecProfile | None = None
    """The picture's codec profile as FFmpeg names it (``High``, ``High 10``)."""
    poster: bytes | None = None
    """The thumbnail's frame up to 1280 px wide; None when that is the thumbnail's size."""
    start_seconds: float | None = None
    """Where a video's timestamps start (s): a browser playing the file as uploaded counts
    its clock and seeks from there, not from 0. None: not told (sound alone, an older probe)."""
    reads_to_end: bool | None = None
    """Whether a video's packets could be read up to the end its headers state
    (:func:`~streamstack.ingest.transcoding.timeline.unread_seconds`): a browser playing a
    cut-short file as uploaded freezes where its data ends. None: not told."""


class Stills(msgspec.Struct, frozen=True, tag="stills"):
    """An uploaded image made into an item's stills (an ``image`` task): the thumbnail, and
    the poster when the picture is larger than the thumbnail, as a video frame's are."""

    thumbnail: bytes
    poster: bytes | None
    width: int
    height: int


class Remuxed(msgspec.Struct, frozen=True, tag="remuxed"):
    """The faststart copy is written to the output file."""

    size: int


#: Why a task failed; the app itself adds ``crashed`` and ``misbehaved`` about a worker.
FailureReason = Literal[
    "unreadable",
    "no_streams",
    "too_large",
    "too_small",
    "no_frame",
    "no_sound",
    "out_of_memory",
    "remux_failed",
    "crashed",
    "misbehaved",
]


class Failed(msgspec.Struct, frozen=True, tag="failed"):
    """The task failed; ``reason`` is one of a fixed set, ``detail`` goes to logs only."""

    reason: FailureReason
    detail: str = ""


WorkerMessage = ReadRange | MediaReport | Stills | Remuxed | Failed

_encoder = msgspec.msgpack.Encoder()
_task_decoder = msgspec.msgpack.Decoder(Task)
_worker_decoder = msgspec.msgpack.Decoder(WorkerMessage)


def encode(message: Task | WorkerMessage) -> bytes:
    """The payload of a message frame."""
    return _encoder.encode(message)


def decode_task(payload: bytes) -> Task:
    """The task frame, as the worker reads it."""
    return _task_decoder.decode(payload)


def decode_worker_message(payload: bytes) -> WorkerMessage:
    """A frame from the worker, validated (raises ``msgspec.DecodeError`` otherwise)."""
    message: WorkerMessage = _worker_decoder.decode(payload)
    return message


def frame(payload: bytes) -> bytes:
    """Length-prefix ``payload``."""
    return len(payload).to_bytes(4, "big") + payload


def send_frame(sock: socket.socket, payload: bytes) -> None:
    """Blocking send of one frame (the worker's side)."""
    sock.sendall(frame(payload))


def receive_frame(sock: socket.socket) -> bytes:
    """Blocking receive of one frame (the worker's side); EOFError when the app is gone."""
    size = int.from_bytes(_receive_exactly(sock, 4), "big")
    if size > MAX_FRAME_BYTES:
        raise EOFError("frame too large")
    return _receive_exactly(sock, size)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1024 * 1024))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return bytes(data)
