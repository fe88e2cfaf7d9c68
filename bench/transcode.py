"""Issue 14: the transcoder's speed against the Debian ``ffmpeg`` CLI, and its peak memory.

One generated 1080p30 H.264/AAC source (moving test pattern with film-grain noise, so the
encoder has real work; cached in ``bench/out/cache``) is turned into the same ladder twice
in the same run, one after the other:

* by :func:`streamstack.ingest.transcoding.pipeline.transcode` in a fresh child process
  confined to the address space :func:`~streamstack.ingest.transcoding.ladder.address_space_bytes`
  budgets (``RLIMIT_AS``, as the worker's sandbox sets it), which reports its own wall
  time around the call and its peak RSS (``ru_maxrss``);
* by ``ffmpeg`` (Debian's CLI), decoding once and encoding the same five rungs
  (240p-1080p) with the same x264 preset, CRF, VBV caps, fixed GOP and no scene cuts, and
  the same AAC audio once, in a rendition of its own, into the same ``hls`` fMP4
  packaging (its wall time includes its start-up, a few tens of milliseconds).

Our run also writes the storyboard, which the ffmpeg command does not. A third child
encodes only the lowest rung (``max_rungs=1``) of a 1080p HEVC source (a phone's): what a
worker's quick first pass costs before an item is playable (the issue's goal for upload to
first playable rendition is a quarter of the clip's duration; the worker adds its own
steps). Run it alone with ``python -m bench.transcode [--quick]``; ``--quick`` uses a 2 s
clip instead of 10 s.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.plan import BenchPlan, run_alone
from bench.report import BenchReport, Quantity, Row
from streamstack.ingest.transcoding.ladder import (
    address_space_bytes,
    gop_frames,
    plan_ladder,
    x264_options,
)

NAME = "transcode"
WIDTH, HEIGHT, RATE = 1920, 1080, 30
SECONDS = 10.0
QUICK_SECONDS = 2.0
PRESET = "veryfast"
SEGMENT_SECONDS = 4.0
#: The issue's goals.
SPEED_GOAL = 0.9
RSS_GOAL_BYTES = 400 * 2**20

_CHILD = """
import json, resource, sys, time
budget = int(sys.argv[6])
resource.setrlimit(resource.RLIMIT_AS, (budget, budget))  # as the worker's sandbox does
from streamstack.ingest.transcoding.errors import TranscodeError
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import TranscodeOptions
options = TranscodeOptions(segment_seconds=float(sys.argv[3]), preset=sys.argv[4],
                           max_rungs=int(sys.argv[5]) or None)
began, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
try:
    rungs, error = [r.name for r in transcode(sys.argv[1], sys.argv[2], options).renditions], None
except TranscodeError as exc:
    rungs, error = [], exc.message
seconds = time.perf_counter() - began
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "rungs": rungs, "error": error, "address_space_limit": budget}))
"""


def make_source(path: Path, seconds: float, codec: str = "libx264") -> Path:
    """A 1080p30 MP4 of ``seconds`` (``codec``, AAC): a moving pattern with noise, a tone."""
    import av
    import av.filter

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    graph = av.filter.Graph()
    pattern = graph.add("testsrc2", f"size={WIDTH}x{HEIGHT}:rate={RATE}:duration={seconds}")
    noise = graph.add("noise", "alls=12:allf=t+u")
    shape = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    graph.link_nodes(pattern, noise, shape, sink)
    graph.configure()
    with av.open(str(partial), "w", format="mp4") as out:
        options = {"preset": "veryfast" if codec == "libx264" else "ultrafast", "crf": "20"}
        if codec == "libx265":
            options["x265-params"] = "log-level=error"
        video = out.add_stream(codec, rate=RATE, options=options)
        assert isinstance(video, av.video.stream.VideoStream)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        while True:
            try:
                frame = sink.pull()
            except (BlockingIOError, av.error.EOFError):
                break
            assert isinstance(frame, av.VideoFrame)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        _write_tone(out, audio, seconds)
    partial.rename(path)
    return path


def _write_tone(out: Any, audio: Any, seconds: float) -> None:
    import av
    import av.filter

    graph = av.filter.Graph()
    tone = graph.add("sine", f"frequency=440:sample_rate=48000:duration={seconds}")
    shape = graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
    sink = graph.add("abuffersink")
    graph.link_nodes(tone, shape, sink)
    graph.configure()
    while True:
        try:
            out.mux(audio.encode(sink.pull()))
        except (BlockingIOError, av.error.EOFError):
            break
    out.mux(audio.encode(None))


def run_library(source: Path, out: Path, max_rungs: int = 0) -> dict[str, Any]:
    """Our transcoder in a fresh process: its own wall time, peak RSS and rungs."""
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    budget = address_space_bytes(WIDTH, HEIGHT, Fraction(RATE))
    args = [str(source), str(out), str(SEGMENT_SECONDS), PRESET, str(max_rungs), str(budget)]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], env=env, capture_output=True, text=True, check=True
    )
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def ffmpeg_command(source: Path, out: Path, rungs: list[Any], gop: int) -> list[str]:
    """The same ladder with the ffmpeg CLI: one decode, split, one HLS output per rung."""
    split = f"[0:v]fps={RATE},split={len(rungs)}" + "".join(f"[s{i}]" for i in range(len(rungs)))
    scales = [f"[s{i}]scale={r.width}:{r.height}:flags=bicubic[o{i}]" for i, r in enumerate(rungs)]
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(source)]
    command += ["-filter_complex", ";".join([split, *scales])]
    for index, rung in enumerate(rungs):
        directory = out / rung.name
        command += ["-map", f"[o{index}]"]
        command += ["-c:v", "libx264", "-g", str(gop), "-pix_fmt", "yuv420p"]
        # The library's own x264 options (preset, profile, CRF, VBV caps, GOP, lookahead),
        # each given to the video stream only.
        encoder = x264_options(rung, preset=PRESET, gop=gop)
        for name, value in encoder.items():
            command += [f"-{name}:v", value]
        command += _hls_output(directory)
    # The sound once, in a rendition of its own, as the library packages it.
    command += ["-map", "0:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
    command += _hls_output(out / "audio_1")
    return command


def _hls_output(directory: Path) -> list[str]:
    """The ``hls`` fMP4 output options of one rendition, as the library sets them."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        *("-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_segment_type", "fmp4"),
        *("-hls_playlist_type", "vod", "-hls_fmp4_init_filename", "init.mp4"),
        *("-hls_segment_options", "movflags=+negative_cts_offsets"),
        *("-hls_segment_filename", str(directory / "seg_%05d.m4s")),
        str(directory / "index.m3u8"),
    ]


def run_ffmpeg(source: Path, out: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds the ffmpeg CLI takes for the ladder (None when not installed)."""
    if shutil.which("ffmpeg") is None:
        return None
    rate = Fraction(RATE)
    command = ffmpeg_command(
        source, out, plan_ladder(WIDTH, HEIGHT, rate), gop_frames(SEGMENT_SECONDS, rate)
    )
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def run(plan: BenchPlan) -> BenchReport:
    """Measure the library and ffmpeg on the same source, one after the other."""
    seconds = QUICK_SECONDS if plan.quick else SECONDS
    source = make_source(plan.cache / f"transcode-1080p-{seconds:g}s.mp4", seconds)
    work = plan.scratch(NAME)
    ours = run_library(source, work / "ours")
    phone = make_source(plan.cache / f"transcode-1080p-hevc-{seconds:g}s.mp4", seconds, "libx265")
    first = run_library(phone, work / "first", max_rungs=1)
    theirs = run_ffmpeg(source, work / "ffmpeg")
    report = BenchReport(
        name=NAME,
        title=f"Transcoding a {seconds:g} s 1080p30 source into the 5-rung ladder ({PRESET})",
        load_generator=f"none; ffmpeg CLI baseline ({shutil.which('ffmpeg') or 'absent'})",
        raw={"ours": ours, "first_rung": first, "ffmpeg_wall_cpu": theirs, "clip_seconds": seconds},
    )
    if ours["error"] is not None:
        report.notes.append(f"our transcode failed: {ours['error']}")
    speed = Quantity("StreamStack", seconds / ours["seconds"], "x realtime")
    if theirs is None:
        report.notes.append("speed ratio skipped: no ffmpeg on PATH (apt-get install ffmpeg)")
    else:
        baseline = Quantity("ffmpeg CLI", seconds / theirs[0], "x realtime")
        report.rows.append(Row("speed ÷ ffmpeg CLI (goal ≥ 0.9)", speed, baseline))
        # Wall time swings with whatever else runs; CPU time per clip second does not.
        efficiency = Quantity("StreamStack", seconds / ours["cpu_seconds"], "clip s per CPU s")
        their_efficiency = Quantity("ffmpeg CLI", seconds / theirs[1], "clip s per CPU s")
        report.rows.append(Row("CPU efficiency ÷ ffmpeg CLI's", efficiency, their_efficiency))
    report.rows.append(
        Row(
            "ladder finished within the worker's address-space budget (RLIMIT_AS)",
            Quantity("budget", ours["address_space_limit"], "B"),
            kind="check",
            passed=ours["error"] is None,
        )
    )
    report.rows.append(
        Row(
            "worker peak RSS, 1080p source (goal ≤ 400 MiB)",
            Quantity("peak RSS", ours["peak_rss"], "B"),
            kind="check",
            passed=ours["peak_rss"] <= RSS_GOAL_BYTES,
        )
    )
    report.rows.append(
        Row(
            "1080p HEVC source, lowest rung alone ÷ clip duration (a quick first pass)",
            Quantity("240p only", first["seconds"] / seconds, "x"),
            kind="value",
        )
    )
    report.notes.append(f"rungs: {', '.join(ours['rungs'])}; our run also writes the storyboard")
    cores = os.cpu_count() or 1
    report.notes.append(
        f"the first pass used {first['cpu_seconds'] / seconds:.2f} CPU s per clip second: on an "
        f"idle machine with {cores} CPUs that is about {first['cpu_seconds'] / seconds / cores:.2f}"
        " x the clip's duration (the wall-clock row counts whatever else was running)"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.transcode [--quick]``: print this benchmark's table."""
    return run_alone(
        run,
        argv,
        prog="python -m bench.transcode",
        description=__doc__,
        quick="a 2 s clip instead of 10 s",
    )


if __name__ == "__main__":
    sys.exit(main())
