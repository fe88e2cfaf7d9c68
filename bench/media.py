"""The bytes the benchmarks serve: a large object in each store, and generated videos."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from streamstack.kernel.storage.local import LocalObjectStore

MIB = 1024 * 1024
#: The streamed object on the local-directory store (in the page cache after the first run).
OBJECT_BYTES = 128 * MIB
#: The streamed object on S3: moto copies the whole object on every ranged GET, so a big
#: one measures moto's copying (7 MB/s at 128 MiB against 94 MB/s at 16 MiB here).
S3_OBJECT_BYTES = 16 * MIB
MEDIA_KEY = "3f2b8c1e-7a41-4c1a-9d1e-00000000be0c.mp4"


def object_file(directory: Path, size: int = OBJECT_BYTES) -> Path:
    """A file of ``size`` incompressible bytes (made once, then reused)."""
    path = directory / f"object-{size}.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    directory.mkdir(parents=True, exist_ok=True)
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for index in range(size // MIB):
            # Different bytes per MiB, so a wrong range cannot look right by accident.
            out.write(index.to_bytes(8, "big") + block[8:])
        out.write(block[: size % MIB])
    return path


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(4 * MIB):
            yield chunk


def store_local(objects_root: Path, bucket: str, key: str, source: Path) -> None:
    """Put ``source`` into a local-directory store the way the service itself writes."""

    async def write() -> None:
        await LocalObjectStore(objects_root, bucket).write(
            key, _file_chunks(source), content_type="video/mp4"
        )

    asyncio.run(write())


def store_s3(client: Any, bucket: str, key: str, source: Path) -> None:
    """Put ``source`` into an S3 bucket (created if missing) with boto3."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    client.upload_file(str(source), bucket, key, ExtraArgs={"ContentType": "video/mp4"})


# --- a generated video of any size ----------------------------------------------------------


def generate_video(path: Path, target_bytes: int, *, faststart: bool) -> Path:
    """An MP4 (MPEG-4 Part 2 video, all key frames) of about ``target_bytes``.

    A few dozen frames of noise are encoded once at the highest quality (noise does not
    compress: about 1-2 MB a frame at 1080p), then their packets are muxed again and again
    with advancing timestamps until the file is big enough. ``faststart`` puts the ``moov``
    index first (FFmpeg rewrites the file once more at the end); otherwise it is last.
    """
    import av

    if path.exists() and path.stat().st_size >= target_bytes:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    rate = 24
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(partial), "w", format="mp4", options=options) as output:
        stream = output.add_stream("mpeg4", rate=rate)
        stream.width, stream.height = 1920, 1080
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 1
        stream.codec_context.qmin = stream.codec_context.qmax = 2
        stream.codec_context.bit_rate = 400_000_000
        packets: list[bytes] = []
        for index in range(24):
            frame = av.VideoFrame(1920, 1080, "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size))
            frame.pts = index
            for packet in stream.encode(frame):
                packets.append(bytes(packet))
        for packet in stream.encode():
            packets.append(bytes(packet))
        time_base = Fraction(1, rate)
        written = 0
        pts = 0
        while written < target_bytes:
            data = packets[pts % len(packets)]
            packet = av.Packet(data)
            packet.stream = stream
            packet.time_base = time_base
            packet.pts = packet.dts = pts
            packet.duration = 1
            packet.is_keyframe = True
            output.mux(packet)
            written += len(data)
            pts += 1
    partial.rename(path)
    return path
