"""The app side of probing: start a worker process per task and serve its ranged reads.

The worker (:mod:`.probe_worker`) runs in a :class:`~.sandbox.Sandbox` child (no
network, bounded memory, files and descriptors) and gets a socket and nothing else. It
asks for 1 MiB blocks of the one object it was started for; this side reads them through
the :class:`~streamstack.kernel.storage.ObjectStore` port (pinned to the object's ETag),
counts them, and refuses anything outside the object or beyond a read budget. A
wall-clock timeout kills the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import structlog

from streamstack.ingest.containers import MOV, Container, is_faststart
from streamstack.ingest.probe_messages import (
    BLOCK_BYTES,
    MAX_FRAME_BYTES,
    Failed,
    MediaReport,
    ReadRange,
    Remuxed,
    Stills,
    Task,
    TaskKind,
    WorkerMessage,
    decode_worker_message,
    encode,
    frame,
)
from streamstack.ingest.sandbox import Limits, Sandbox, open_output, output_chunks
from streamstack.ingest.still_images import ImageHeader
from streamstack.ingest.transcoding.ladder import MIN_PICTURE_SIDE
from streamstack.kernel.errors import Unprocessable
from streamstack.kernel.storage import ObjectInfo, ObjectStore, read_all

log = structlog.get_logger(__name__)

#: Largest frame (width x height) a probe will decode: 8K UHD.
MAX_PIXELS = 7680 * 4320
#: Packets decoded at most while looking for the thumbnail frame.
MAX_PACKETS = 600
#: A faststart copy gets the probe timeout plus one second per this many bytes.
REMUX_BYTES_PER_SECOND = 4 * 1024 * 1024
_OUTPUT_NAME = "faststart.out"
#: File descriptors a worker may hold: stdio, its socket, FFmpeg's output file, spares.
WORKER_OPEN_FILES = 16

_REASONS = {
    "unreadable": "the file could not be read as {container}: it may be damaged or truncated",
    "no_streams": "the file has no audio or video stream that can be decoded",
    "too_large": "the video's frame size is larger than allowed ({max_pixels} pixels)",
    "too_small": "the video's picture is too small: at least {min_side} pixels a side",
    "no_frame": "no video frame could be decoded",
    "no_sound": "no sound could be decoded from the file: it may be damaged, or empty",
    "out_of_memory": "reading the file needs more memory than allowed",
    "remux_failed": "the file could not be rewritten with its index first",
    "timeout": "reading the file took longer than {seconds:g} seconds",
    "crashed": "the file could not be read: the probe stopped unexpectedly",
    "misbehaved": "the file could not be read: the probe asked for data it may not read",
}


#: Why an uploaded image made no stills, in its uploader's words (the worker's reasons).
_IMAGE_REASONS = {
    "too_large": "the image is larger than allowed",
    "too_small": "the image is too small: at least {min_side} pixels a side",
    "no_frame": "no picture could be decoded from the {kind} image",
    "out_of_memory": "decoding the image needs more memory than allowed",
    "timeout": _REASONS["timeout"],
    "unreadable": "the {kind} image could not be decoded: it may be damaged or cut short",
}

#: Reads ``length`` bytes from ``offset`` of what a worker was started for.
ReadSource = Callable[[int, int], Awaitable[bytes]]


class ProbeFailed(Unprocessable):
    """The uploaded file could not be probed; the detail says why in a user's words."""

    code = "probe_failed"


class ImageUnreadable(Unprocessable):
    """An uploaded image could not be decoded in the sandbox; the detail says why."""

    code = "image_unreadable"


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """A probe's report, and what reading the object cost."""

    report: MediaReport
    bytes_read: int
    range_reads: int


@dataclasses.dataclass(slots=True)
class _Served:
    bytes_read: int = 0
    range_reads: int = 0


class MediaProber:
    """Runs probe and faststart tasks in worker processes, a few at a time."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        memory_bytes: int,
        concurrency: int,
        max_pixels: int = MAX_PIXELS,
        max_packets: int = MAX_PACKETS,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.memory_bytes = memory_bytes
        self.max_pixels = max_pixels
        self.max_packets = max_packets
        self._slots = asyncio.Semaphore(concurrency)
        # Workers are forked from a clean single-threaded server that has imported PyAV
        # once, never from this multi-threaded app process.
        self.sandbox = Sandbox(preload=["streamstack.ingest.probe_worker"])

    def limits(self, workdir: Path, file_bytes: int = 0) -> Limits:
        """What one worker may use: the probe's memory, ``file_bytes`` of output, few files."""
        return Limits(
            memory_bytes=self.memory_bytes,
            file_bytes=file_bytes,
            open_files=WORKER_OPEN_FILES,
            workdir=str(workdir),
        )

    async def probe(
        self,
        store: ObjectStore,
        info: ObjectInfo,
        container: Container,
        still_at: float | None = None,
        *,
        stills: bool = True,
    ) -> ProbeOutcome:
        """Duration, codecs, size, frame rate and JPEG thumbnail (and poster) of an object;
        the stills are of the frame at ``still_at`` seconds when given. Without ``stills``
        the report has none: the worker neither seeks to their frame nor encodes them (a
        reading for the facts alone)."""
        task = self._task("probe", info, container, still_at=still_at, stills=stills)
        with _scratch_dir() as workdir:
            message, served = await self._run(
                task,
                _object_reads(store, info),
                workdir,
                file_bytes=0,
                seconds=self.timeout_seconds,
            )
        if not isinstance(message, MediaReport):
            raise self._failure(message, container)
        if not all(
            image is None or image.startswith(b"\xff\xd8")
            for image in (message.thumbnail, message.poster)
        ):
            raise self._failure(Failed("no_frame"), container)
        log.info(
            "probed",
            key=info.key,
            size=info.size,
            bytes_read=served.bytes_read,
            range_reads=served.range_reads,
        )
        return ProbeOutcome(message, served.bytes_read, served.range_reads)

    async def faststart(
        self, store: ObjectStore, info: ObjectInfo, container: Container
    ) -> ObjectInfo:
        """Rewrite the object with its ``moov`` index first (stream copy, no re-encode).

        The copy is written by the worker to a private scratch file, checked, then
        streamed over the same key, which only changes once the new object is complete.
        """
        output_format = "mov" if container == MOV else "mp4"
        task = self._task(
            "faststart", info, container, output_format=output_format, output_name=_OUTPUT_NAME
        )
        timeout = self.timeout_seconds + info.size / REMUX_BYTES_PER_SECOND
        with _scratch_dir() as workdir:
            limit = 2 * info.size + 64 * 1024 * 1024
            message, _ = await self._run(
                task, _object_reads(store, info), workdir, file_bytes=limit, seconds=timeout
            )
            if not isinstance(message, Remuxed):
                raise self._failure(message, container)
            try:
                fd = open_output(workdir, _OUTPUT_NAME)
            except OSError:
                raise ProbeFailed(_REASONS["remux_failed"]) from None
            try:
                size = os.fstat(fd).st_size
                if not 0 < size <= limit or not is_faststart(
                    lambda at, n: os.pread(fd, n, at), size
                ):
                    raise self._failure(Failed("remux_failed"), container)
                return await store.write(
                    info.key,
                    output_chunks(fd, BLOCK_BYTES),
                    content_type=info.content_type,
                    max_bytes=limit,
                )
            finally:
                os.close(fd)

    async def image_stills(self, data: bytes, header: ImageHeader) -> Stills:
        """The thumbnail and poster of an uploaded image (``header`` checked already), made
        in a worker as a video frame's are, within the probe's limits. 422
        ``image_unreadable`` when the worker cannot decode it."""
        task = Task("image", len(data), header.kind.demuxer, self.max_pixels, self.max_packets)

        async def read(offset: int, length: int) -> bytes:
            return data[offset : offset + length]

        with _scratch_dir() as workdir:
            try:
                message, _ = await self._run(
                    task, read, workdir, file_bytes=0, seconds=self.timeout_seconds
                )
            except ProbeFailed as exc:  # the timeout, told in the image's words
                raise ImageUnreadable(exc.detail) from None
        if not isinstance(message, Stills) or not all(
            image is None or image.startswith(b"\xff\xd8")
            for image in (message.thumbnail, message.poster)
        ):
            reason = message.reason if isinstance(message, Failed) else "unreadable"
            template = _IMAGE_REASONS.get(reason, _IMAGE_REASONS["unreadable"])
            raise ImageUnreadable(template.format(kind=header.kind.name, min_side=MIN_PICTURE_SIDE))
        log.info(
            "image_stills_made", kind=header.kind.name, width=message.width, height=message.height
        )
        return message

    def _task(self, kind: TaskKind, info: ObjectInfo, container: Container, **options: Any) -> Task:
        """A task on the object ``info`` of ``container``, within this prober's limits."""
        return Task(
            kind, info.size, container.demuxer, self.max_pixels, self.max_packets, **options
        )

    def _failure(self, message: WorkerMessage, container: Container) -> ProbeFailed:
        reason = message.reason if isinstance(message, Failed) else "misbehaved"
        if isinstance(message, Failed) and message.detail:
            log.info("probe_failed", reason=reason, detail=message.detail)
        template = _REASONS.get(reason, _REASONS["unreadable"])
        return ProbeFailed(
            template.format(
                container=container.name.upper(),
                max_pixels=self.max_pixels,
                min_side=MIN_PICTURE_SIDE,
                seconds=self.timeout_seconds,
            )
        )

    async def _run(
        self,
        task: Task,
        source: ReadSource,
        workdir: Path,
        *,
        file_bytes: int,
        seconds: float,
    ) -> tuple[WorkerMessage, _Served]:
        # Imported at the first probe, not with this module: the worker's module imports
        # PyAV, which a process that never probes (streamstack worker, other modules' serve)
        # should not load. The fork server imported it already (the sandbox's preload).
        from streamstack.ingest.probe_worker import run_worker

        served = _Served()
        async with self._slots:
            worker = self.sandbox.connected(run_worker, limits=self.limits(workdir, file_bytes))
            try:
                async with worker as (reader, writer), asyncio.timeout(seconds):
                    return await self._serve(task, source, reader, writer, served)
            except TimeoutError:
                raise ProbeFailed(_REASONS["timeout"].format(seconds=seconds)) from None
            except (asyncio.IncompleteReadError, ConnectionError, msgspec.DecodeError):
                return Failed("remux_failed" if task.kind == "faststart" else "crashed"), served

    @staticmethod
    async def _serve(
        task: Task,
        source: ReadSource,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        served: _Served,
    ) -> tuple[WorkerMessage, _Served]:
        """Send the task, then answer the worker's reads (of the ``task.size`` bytes of
        ``source``) until it reports."""
        # Nothing legitimate reads the file more than about twice (an index at the end).
        budget = 2 * task.size + 8 * BLOCK_BYTES
        writer.write(frame(encode(task)))
        while True:
            message = await _receive(reader)
            if not isinstance(message, ReadRange):
                return message, served
            if not _allowed(message, task.size, served, budget):
                return Failed("misbehaved", "read outside the object"), served
            data = await source(message.offset, message.length)
            served.bytes_read += len(data)
            served.range_reads += 1
            writer.write(frame(data))
            await writer.drain()


async def _receive(reader: asyncio.StreamReader) -> WorkerMessage:
    size = int.from_bytes(await reader.readexactly(4), "big")
    if size > MAX_FRAME_BYTES:
        raise msgspec.DecodeError("frame too large")
    return decode_worker_message(await reader.readexactly(size))


def _allowed(request: ReadRange, size: int, served: _Served, budget: int) -> bool:
    return (
        0 <= request.offset < size
        and 0 < request.length <= BLOCK_BYTES
        and request.offset + request.length <= size
        and served.bytes_read + request.length <= budget
    )


def _object_reads(store: ObjectStore, info: ObjectInfo) -> ReadSource:
    """Ranged reads of the stored object ``info``, pinned to its ETag."""
    return functools.partial(_read_range, store, info)


async def _read_range(store: ObjectStore, info: ObjectInfo, offset: int, length: int) -> bytes:
    body = await store.read(info.key, offset, length, if_match=info.etag, chunk_size=BLOCK_BYTES)
    return await read_all(body)


@contextlib.contextmanager
def _scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="streamstack-probe-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
