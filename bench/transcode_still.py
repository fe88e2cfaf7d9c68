"""A held picture's cost: one 1080p still with a minute of sound (a podcast), transcoded.

One generated MP4 (one 1080p picture of a test pattern with noise, then 60 s of an AAC
tone; made with PyAV, cached in ``bench/out/cache``), and the same as a 30 fps video of the
still (each picture coded again, as ``ffmpeg -loop 1`` makes podcasts), are each turned into
the production ladder
(five rungs, ``veryfast``) by :func:`streamstack.ingest.transcoding.pipeline.transcode` in
a fresh child process under the worker's address-space budget, as :mod:`bench.transcode`
runs it. The same-run baseline is the 10 s of 1080p30 motion :mod:`bench.transcode`
uses: the row compares seconds of media made per second of work, so a still that costs
what motion costs reads about 1. ``--quick`` uses a 10 s still and a 2 s clip. Run it
alone with ``python -m bench.transcode_still [--quick]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.plan import BenchPlan, run_alone
from bench.report import BenchReport, Quantity, Row
from bench.transcode import HEIGHT, PRESET, WIDTH, make_source, run_library

NAME = "transcode_still"
STILL_SECONDS = 60.0
QUICK_STILL_SECONDS = 10.0
MOTION_SECONDS = 10.0
QUICK_MOTION_SECONDS = 2.0


def make_still(path: Path, seconds: float, *, rate: int | None = None) -> Path:
    """A 1080p MP4 of one picture (H.264, a pattern with noise) and ``seconds`` of AAC:
    the picture once, or with ``rate`` that many times a second for as long (``ffmpeg -loop
    1 -tune stillimage``, as podcast tools make one)."""
    import av
    import av.filter

    from bench.transcode import _write_tone

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    graph = av.filter.Graph()
    pattern = graph.add("testsrc2", f"size={WIDTH}x{HEIGHT}:rate=30:duration=0.0334")
    noise = graph.add("noise", "alls=12:allf=u")
    shape = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    graph.link_nodes(pattern, noise, shape, sink)
    graph.configure()
    picture = sink.pull()
    assert isinstance(picture, av.VideoFrame)
    # The pattern comes as an I picture, which x264 would code every repeat as.
    picture.pict_type = av.video.frame.PictureType.NONE
    with av.open(str(partial), "w", format="mp4") as out:
        options = {"preset": "veryfast", "crf": "20", "tune": "stillimage"}
        video = out.add_stream("libx264", rate=rate or 30, options=options)
        assert isinstance(video, av.video.stream.VideoStream)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for index in range(round(seconds * rate) if rate else 1):
            picture.pts = index
            out.mux(video.encode(picture))
        out.mux(video.encode(None))
        _write_tone(out, audio, seconds)
    partial.rename(path)
    return path


def run(plan: BenchPlan) -> BenchReport:
    """Transcode the still and, as the baseline, the motion clip, one after the other."""
    still_seconds = QUICK_STILL_SECONDS if plan.quick else STILL_SECONDS
    motion_seconds = QUICK_MOTION_SECONDS if plan.quick else MOTION_SECONDS
    still = make_still(plan.cache / f"still-1080p-{still_seconds:g}s.mp4", still_seconds)
    looped = plan.cache / f"still-1080p30-{still_seconds:g}s.mp4"
    looped = make_still(looped, still_seconds, rate=30)
    motion = make_source(plan.cache / f"transcode-1080p-{motion_seconds:g}s.mp4", motion_seconds)
    work = plan.scratch(NAME)
    held = run_library(still, work / "still")
    constant = run_library(looped, work / "looped")
    moving = run_library(motion, work / "motion")
    report = BenchReport(
        name=NAME,
        title=f"One 1080p still with {still_seconds:g} s of sound, 5-rung ladder ({PRESET})",
        load_generator=f"none; baseline: {motion_seconds:g} s of 1080p30 motion, same ladder",
        raw={"still": held, "looped": constant, "motion": moving, "still_seconds": still_seconds},
    )
    for label, measured in (("still", held), ("looped", constant), ("motion", moving)):
        if measured["error"] is not None:
            report.notes.append(f"the {label} transcode failed: {measured['error']}")
    speed = Quantity("still", still_seconds / held["seconds"], "x realtime")
    baseline = Quantity("motion", motion_seconds / moving["seconds"], "x realtime")
    report.rows.append(Row("media seconds per wall second ÷ motion's", speed, baseline))
    cpu = Quantity("still", still_seconds / held["cpu_seconds"], "media s per CPU s")
    motion_cpu = Quantity("motion", motion_seconds / moving["cpu_seconds"], "media s per CPU s")
    report.rows.append(Row("media seconds per CPU second ÷ motion's", cpu, motion_cpu))
    looped_speed = Quantity("30 fps still", still_seconds / constant["seconds"], "x realtime")
    report.rows.append(Row("the still at 30 fps ÷ motion's", looped_speed, baseline))
    report.rows.append(
        Row("still transcode, wall", Quantity("still", held["seconds"], "s"), kind="value")
    )
    report.rows.append(
        Row("30 fps still, wall", Quantity("30 fps", constant["seconds"], "s"), kind="value")
    )
    # Grows with the length where held repeats pile up (an hour's still ran out of memory).
    report.rows.append(
        Row("still, peak RSS", Quantity("still", held["peak_rss"], "B"), kind="value")
    )
    report.notes.append(f"rungs: {', '.join(held['rungs'])}")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.transcode_still [--quick]``: print this benchmark's table."""
    return run_alone(
        run,
        argv,
        prog="python -m bench.transcode_still",
        description=__doc__,
        quick="a 10 s still, a 2 s clip",
    )


if __name__ == "__main__":
    sys.exit(main())
