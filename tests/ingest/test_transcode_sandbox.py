"""The transcoder inside the media-worker sandbox, as the job worker will run it.

No network, a bounded address space, a cap on file size and open files, a cleared
environment: the entry point must work there, stream its progress out and hand its
result and its refusals back across the process boundary.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import transcode_media

from streamstack.ingest.jobs import TranscodeRequest, WorkerLimits
from streamstack.ingest.probe import MediaProber
from streamstack.ingest.sandbox import Limits, Sandbox, SandboxRaised
from streamstack.ingest.transcoding.errors import TranscodeError
from streamstack.ingest.transcoding.ladder import address_space_bytes
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import Progress, TranscodeOptions, TranscodeResult

MIB = 1024 * 1024
FAST = TranscodeOptions(segment_seconds=1.0, preset="ultrafast")


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(preload=["streamstack.ingest.transcoding.pipeline"])


def limits(workdir: Path, memory_bytes: int | None = None) -> Limits:
    """What a worker gives a 640x480 transcode: the budget the ladder module computes."""
    return Limits(
        memory_bytes=memory_bytes or address_space_bytes(640, 480),
        file_bytes=64 * MIB,
        open_files=32,
        workdir=str(workdir),
    )


async def sandboxed_transcode(
    sandbox: Sandbox,
    source: Path,
    workdir: Path,
    *,
    memory_bytes: int | None = None,
    progress: tuple[type[Progress], Callable[[Progress], None]] | None = None,
) -> TranscodeResult:
    """``transcode(source, workdir / "out", FAST)`` in the sandbox, with a worker's limits."""
    return await sandbox.call(
        transcode,
        str(source),
        str(workdir / "out"),
        FAST,
        returns=TranscodeResult,
        limits=limits(workdir, memory_bytes),
        seconds=120,
        progress=progress,
    )


async def test_a_sandboxed_transcode_reports_progress_and_returns_its_result(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    seen: list[Progress] = []
    result = await sandboxed_transcode(sandbox, source, tmp_path, progress=(Progress, seen.append))
    assert [r.name for r in result.renditions] == ["240p", "360p", "480p"]
    assert all((tmp_path / "out" / path).is_file() for path in result.files)
    assert len(seen) >= 20
    assert seen[-1] == Progress(1.0, "done")


async def test_a_refusal_crosses_the_sandbox_with_its_reason(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = transcode_media.subtitles_alone(tmp_path)
    with pytest.raises(SandboxRaised) as caught:
        await sandboxed_transcode(sandbox, source, tmp_path)
    assert caught.value.kind == "TranscodeError"
    error = TranscodeError(*caught.value.arguments)  # how the worker maps it back
    assert error.reason == "no_video"


async def test_too_little_memory_is_a_reason_not_a_crash(sandbox: Sandbox, tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=1280, height=720)
    # Well under the ladder's need, so the first allocations (threads, frame pools) fail
    # where Python sees them: at 600 MiB one run in a few got as far as x264's own
    # allocations, and one in many crashed there (SIGSEGV) instead (400 MiB: 40 of 40).
    with pytest.raises(SandboxRaised) as caught:
        await sandboxed_transcode(sandbox, source, tmp_path, memory_bytes=400 * MIB)
    assert caught.value.kind == "TranscodeError"
    # Where the allocation fails decides which: a thread or buffer (out_of_memory), or
    # x264 refusing to open ("Generic error in an external library").
    assert TranscodeError(*caught.value.arguments).reason in {"out_of_memory", "encode_failed"}
    assert not (tmp_path / "out" / "hls").exists()


async def test_the_address_space_budget_is_enough_for_a_720p_ladder(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=1280, height=720)
    result = await sandboxed_transcode(
        sandbox, source, tmp_path, memory_bytes=address_space_bytes(1280, 720)
    )
    assert [r.name for r in result.renditions] == ["240p", "360p", "480p", "720p"]


async def test_the_most_audio_tracks_fit_the_sandbox_and_more_are_dropped(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Nine tracks: eight become renditions beside the three rungs, within the worker's
    # address space and open-file limits.
    tags = tuple({"title": f"Dub {n}"} for n in range(1, 10))
    source = transcode_media.x264(
        tmp_path / "dubs.mkv", container="matroska", width=640, height=480, audio_tags=tags
    )
    result = await sandboxed_transcode(sandbox, source, tmp_path)
    assert [r.name for r in result.renditions] == ["240p", "360p", "480p"]
    assert [a.track.label for a in result.audio] == [f"Dub {n}" for n in range(1, 9)]
    assert all((tmp_path / "out" / path).is_file() for path in result.files)


async def test_the_transcoder_runs_nicer_than_its_worker_and_the_probe_does_not(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Beside the app on one machine a transcode must yield the cores to serving; the probe,
    # which an upload's answer waits for, keeps the worker's priority.
    request = TranscodeRequest("a" * 32, "a.mp4", demuxer="mp4", width=640, height=480)
    transcoder = WorkerLimits(niceness=7).sandbox_limits(request, tmp_path)
    prober = MediaProber(timeout_seconds=10, memory_bytes=512 * MIB, concurrency=1)
    ours = os.getpriority(os.PRIO_PROCESS, 0)

    def priority_in(limits: Limits) -> Awaitable[int]:
        return sandbox.call(
            os.getpriority, os.PRIO_PROCESS, 0, returns=int, limits=limits, seconds=30
        )

    assert await priority_in(transcoder) == min(19, ours + 7)
    assert await priority_in(prober.limits(tmp_path)) == ours
