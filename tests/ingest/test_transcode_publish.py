"""Publishing, reruns, kills, progress and refusals of the transcoder.

A killed transcode (SIGKILL, as when a worker dies) must never leave a playlist that
lists a partial rendition; a rerun into the same directory (a redelivered job) replaces
the package and clears the debris; inputs that can never work fail with a reason.
"""

from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

import m3u8  # type: ignore[import-untyped]
import pytest
import transcode_media

from streamstack.ingest.transcoding.errors import TranscodeError
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import Progress, TranscodeOptions

T = TypeVar("T")
FAST = TranscodeOptions(segment_seconds=1.0, preset="ultrafast")

#: A child process that transcodes and SIGKILLs itself once progress passes one half.
_KILLED_RUN = """
import os, signal, sys
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import TranscodeOptions

def die_halfway(progress):
    if progress.fraction >= 0.5:
        os.kill(os.getpid(), signal.SIGKILL)

transcode(sys.argv[1], sys.argv[2], TranscodeOptions(segment_seconds=1.0, preset="ultrafast"), die_halfway)
"""


def killed_run(source: Path, out: Path) -> None:
    """Run a transcode in a child process that is SIGKILLed half way through."""
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_RUN, str(source), str(out)],
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL


def listed_files_exist(out: Path) -> bool:
    """Whether every playlist under ``out/hls`` lists only files that exist, completely."""
    master = m3u8.load(str(out / "hls/master.m3u8"))
    for variant in master.playlists:
        media_path = out / "hls" / variant.uri
        media = m3u8.load(str(media_path))
        if not media.is_endlist:
            return False
        for uri in [media.segment_map[0].uri, *(s.uri for s in media.segments)]:
            if not (media_path.parent / uri).is_file():
                return False
    return True


def round_trip(value: T) -> T:
    """``value`` pickled and back, as a sandboxed child process hands it over."""
    copy: T = pickle.loads(pickle.dumps(value))  # noqa: S301 (our own bytes)
    return copy


def debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_a_killed_first_run_publishes_nothing_and_a_rerun_completes(tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    out = tmp_path / "out"
    killed_run(source, out)
    assert not (out / "hls").exists()
    assert not (out / "storyboard").exists()
    assert debris(out)  # the killed run's staging directory, under a dotted name

    result = transcode(source, out, FAST)
    assert debris(out) == []
    assert listed_files_exist(out)
    assert len(result.renditions) == 3


def test_a_killed_rerun_leaves_the_previous_package_whole(tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    out = tmp_path / "out"
    first = transcode(source, out, FAST)
    before = {path: (out / path).read_bytes() for path in first.files}
    killed_run(source, out)
    assert listed_files_exist(out)
    assert {path: (out / path).read_bytes() for path in first.files} == before


def test_a_rerun_replaces_the_package_without_leftovers(tmp_path: Path) -> None:
    big = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    small = transcode_media.silent_mp4(tmp_path)
    out = tmp_path / "out"
    transcode(big, out, FAST)
    result = transcode(small, out, FAST)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(result.files)  # no 360p/480p left from the first run
    assert [r.name for r in result.renditions] == ["240p"]
    again = transcode(small, out, FAST)
    assert again.files == result.files
    assert debris(out) == []


def test_progress_rises_to_one_and_names_the_rungs(tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    seen: list[Progress] = []
    transcode(source, tmp_path / "out", FAST, seen.append)
    fractions = [p.fraction for p in seen]
    assert len(seen) >= 20  # often enough for a progress bar
    assert fractions == sorted(fractions)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert (seen[-1].fraction, seen[-1].stage) == (1.0, "done")
    encoding = [p for p in seen if p.stage == "encoding"]
    assert encoding and all(p.rungs == ("240p", "360p", "480p") for p in encoding)
    assert any(p.stage == "packaging" for p in seen)


def test_an_input_of_neither_picture_nor_sound_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(TranscodeError) as caught:
        transcode(transcode_media.subtitles_alone(tmp_path), tmp_path / "out", FAST)
    assert caught.value.reason == "no_video"
    assert "neither a video nor an audio stream" in caught.value.message
    assert debris(tmp_path / "out") == []


def test_unreadable_input_is_refused_and_the_error_crosses_a_process_boundary(
    tmp_path: Path,
) -> None:
    noise = tmp_path / "noise.mp4"
    # Seeded: a random draw now and then sniffs as some format with a tiny picture (too_small).
    noise.write_bytes(random.Random(0).randbytes(64 * 1024))
    with pytest.raises(TranscodeError) as caught:
        transcode(noise, tmp_path / "out", FAST)
    assert caught.value.reason == "unreadable"
    copy = round_trip(caught.value)
    assert (copy.reason, copy.message) == (caught.value.reason, caught.value.message)
    assert not (tmp_path / "out" / "hls").exists()


def test_the_entry_point_takes_and_returns_picklable_values(tmp_path: Path) -> None:
    result = transcode(transcode_media.silent_mp4(tmp_path), tmp_path / "out", FAST)
    assert round_trip(result) == result
    assert round_trip(FAST) == FAST


def test_importing_the_transcoder_pulls_in_no_web_stack() -> None:
    # The sandboxed child imports it: PyAV, msgspec and the standard library only.
    src = Path(__file__).resolve().parents[2] / "src"
    probe = (
        "import sys, streamstack.ingest.transcoding.pipeline as p;"
        "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(src), *sys.path[1:]])},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(eval(done.stdout))  # noqa: S307 (a list literal we printed)
    assert loaded - {"__main__", "av", "msgspec", "streamstack"} <= {
        name for name in loaded if name.startswith(("_", "cython", "typing_extensions"))
    }


def test_a_frame_larger_than_allowed_is_refused_before_decoding(tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    small_limit = TranscodeOptions(segment_seconds=1.0, preset="ultrafast", max_pixels=320 * 240)
    with pytest.raises(TranscodeError) as caught:
        transcode(source, tmp_path / "out", small_limit)
    # The message names the limit and the setting that raises it (admin walk F11).
    assert caught.value.reason == "too_large"
    assert caught.value.message == (
        "the video's frame size is larger than allowed"
        " (640x480 is 307200 pixels; STREAMSTACK_TRANSCODE_MAX_PIXELS allows 76800)"
    )


def test_a_picture_too_small_to_transcode_fails_at_once_with_a_reason(tmp_path: Path) -> None:
    # Registered before the probe refused such pictures: a reason, not FFmpeg's EINVAL.
    source = transcode_media.h264_mp4(tmp_path, width=2, height=240)
    with pytest.raises(TranscodeError) as caught:
        transcode(source, tmp_path / "out", FAST)
    assert (caught.value.reason, caught.value.detail) == ("too_small", "2x240")
    assert caught.value.message == "the video's picture is too small to transcode (2x240)"


def test_progress_without_a_known_duration_follows_the_bytes_read(tmp_path: Path) -> None:
    source = transcode_media.unknown_duration_mkv(tmp_path)
    seen: list[Progress] = []
    result = transcode(source, tmp_path / "out", FAST, seen.append)
    encoding = [p.fraction for p in seen if p.stage == "encoding"]
    assert len(encoding) >= 20
    assert encoding == sorted(encoding)
    assert encoding[-1] >= 0.9
    assert result.duration_seconds == pytest.approx(transcode_media.SECONDS)


def test_an_output_directory_with_a_percent_sign_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    # The hls muxer would read it as a pattern; the worker chooses the directory.
    with pytest.raises(ValueError, match="may not contain '%'"):
        transcode(transcode_media.silent_mp4(tmp_path), tmp_path / "out%05d", FAST)
    assert not (tmp_path / "out%05d").exists()
