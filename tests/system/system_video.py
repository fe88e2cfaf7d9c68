"""A small real video for the system tests: H.264 + AAC in MP4, moov first (faststart)."""

from __future__ import annotations

import functools
import math
import struct
import tempfile
from pathlib import Path

import av


# Cached: x264 and AAC give the same bytes for the same pictures and sound, and each
# end-to-end test encoded its few clips again.
@functools.cache
def h264_aac_mp4(
    *, seconds: float = 2.0, width: int = 320, height: int = 240, still: bool = False
) -> bytes:
    """Encode ``seconds`` of a moving gradient (or, ``still``, the same picture throughout: a
    podcast's cover) and a tone; a fraction of a second's work."""
    # faststart rewrites the file in a second pass, which needs a real file.
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "video.mp4"
        _encode(path, seconds, width, height, still)
        return path.read_bytes()


def _encode(path: Path, seconds: float, width: int, height: int, still: bool) -> None:
    fps = 25
    sample_rate = 48000
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=sample_rate, layout="mono")
        for index in range(int(seconds * fps)):
            step = 0 if still else index
            frame = av.VideoFrame(width, height, "yuv420p")
            luma = bytes((x + step * 4) % 256 for x in range(width)) * height
            frame.planes[0].update(luma)
            chroma = (width // 2) * (height // 2)
            frame.planes[1].update(bytes([(step * 9) % 256]) * chroma)
            frame.planes[2].update(bytes([128]) * chroma)
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        samples = 1024
        for start in range(0, int(seconds * sample_rate), samples):
            tone = [
                int(6000 * math.sin(2 * math.pi * 440.0 * (start + i) / sample_rate))
                for i in range(samples)
            ]
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            frame.planes[0].update(struct.pack(f"<{samples}h", *tone))
            frame.sample_rate = sample_rate
            frame.pts = start
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
