"""The missing-file warning's memory: once per item per window, and bounded."""

from __future__ import annotations

import pytest
import structlog

from streamstack.streaming import missing
from streamstack.streaming.models import StreamGrant
from support.clock import HeldClock


def grant(media_id: str) -> StreamGrant:
    """A viewer's grant of a packaged item."""
    return StreamGrant(
        media_id=media_id,
        user_id="viewer",
        issued_at=0,
        s3_key=f"{media_id}.mp4",
        size_bytes=10,
        object_prefix=f"{media_id}/",
        plays_original=False,
    )


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> structlog.testing.CapturingLogger:
    """The warnings the module logs."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(missing, "log", captured)
    return captured


def warned(recorder: structlog.testing.CapturingLogger) -> list[tuple[str, str]]:
    """(item, remedy) of each warning so far."""
    return [(call.kwargs["media_id"], call.kwargs["remedy"]) for call in recorder.calls]


def test_an_item_is_warned_of_again_once_its_window_has_passed(
    recorder: structlog.testing.CapturingLogger,
) -> None:
    clock = HeldClock()
    objects = missing.MissingObjects(clock)

    objects.note(grant("a"), "a/hls/240p/seg_00001.m4s")
    clock.advance(missing.WARN_EVERY_SECONDS - 1)
    objects.note(grant("a"), "a/hls/240p/seg_00002.m4s")
    clock.advance(1)
    objects.note(grant("a"), "a.mp4")
    objects.note(grant("b"), "b/captions/en.vtt")

    assert warned(recorder) == [
        ("a", "streamstack transcode --force a"),
        ("a", "streamstack upload --replace a FILE"),
        ("b", "streamstack captions add b LANGUAGE FILE"),
    ]


def test_the_memory_forgets_the_oldest_item_first(
    recorder: structlog.testing.CapturingLogger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(missing, "REMEMBERED_ITEMS", 2)
    objects = missing.MissingObjects(HeldClock())

    for media_id in ("a", "b", "c", "b", "a"):
        objects.note(grant(media_id), f"{media_id}/hls/master.m3u8")

    # "a" was forgotten when "c" came; "b" was still remembered.
    assert [media_id for media_id, _ in warned(recorder)] == ["a", "b", "c", "a"]
