"""``streamstack upload --wait``: how the command follows a transcoding that fails, a
server that blinks, and an item that is deleted meanwhile (the path where it ends ready
runs against a served app in tests/ingest/test_ingest_cli.py).

The server's answers are scripted here: a real server cannot be made to fail a transcode
or answer 503 on cue.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from streamstack.cli.exits import CommandFailed
from streamstack.cli.processing import ITEM_PATH, PATIENCE, ProcessingFailed, follow_processing
from streamstack.cli.session import ServerUnreachable
from streamstack.cli.tus_client import ProgressLine

MEDIA_ID = "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10"


def item(state: str, percent: int = 0, detail: str | None = None) -> dict[str, Any]:
    """The fields of an item the command reads."""
    return {
        "id": MEDIA_ID,
        "processing_state": state,
        "processing_percent": percent,
        "processing_detail": detail,
    }


class Server:
    """Answers each GET with the next scripted answer: an item, a status, or unreachable."""

    def __init__(self, *answers: dict[str, Any] | int | None) -> None:
        self._answers: Iterator[dict[str, Any] | int | None] = iter(answers)
        self.asked: list[str] = []

    def get(self, path: str) -> httpx.Response:
        self.asked.append(path)
        answer = next(self._answers)
        if answer is None:
            raise ServerUnreachable("127.0.0.1 unreachable (ConnectError)")
        if isinstance(answer, int):
            return httpx.Response(answer, json={"detail": "scripted"})
        return httpx.Response(200, json=answer)


def follow(server: Server, first: dict[str, Any]) -> tuple[Any, str]:
    """Follow ``first`` against ``server``; the final item and what stderr showed."""
    stderr = io.StringIO()
    final = follow_processing(server.get, first, ProgressLine(stderr), poll_seconds=0)
    return final, stderr.getvalue()


def test_progress_is_drawn_until_the_item_is_ready() -> None:
    server = Server(item("processing", 40, "720p"), None, 503, item("ready", 100))

    final, shown = follow(server, item("queued"))

    assert final["processing_state"] == "ready"
    assert server.asked == [ITEM_PATH.format(id=MEDIA_ID)] * 4
    assert shown.splitlines() == [
        f"[{'-' * 20}]   0%  queued for transcoding",
        f"[{'#' * 8}{'-' * 12}]  40%  transcoding · 720p",
        f"[{'#' * 20}] 100%  transcoded",
    ]


def test_a_package_made_past_damage_says_so_where_the_wait_ends() -> None:
    skipped = "3 damaged parts of the original skipped: it may freeze or break up there"
    final, shown = follow(Server(item("ready", 100, skipped)), item("processing", 90))

    assert final["processing_detail"] == skipped
    assert shown.splitlines()[-1] == f"[{'#' * 20}] 100%  transcoded · {skipped}"


def test_a_failed_transcoding_raises_with_the_servers_reason() -> None:
    server = Server(item("failed", 30, "the encoder ran out of memory"))

    with pytest.raises(ProcessingFailed, match="ran out of memory") as failed:
        follow(server, item("processing", 10))

    assert failed.value.item["processing_state"] == "failed"


def test_an_item_deleted_meanwhile_ends_the_wait() -> None:
    with pytest.raises(CommandFailed, match="HTTP 404: scripted"):
        follow(Server(404), item("queued"))


def test_a_server_that_stays_away_ends_the_wait() -> None:
    server = Server(*([503, None] * (PATIENCE // 2)), item("ready", 100))

    with pytest.raises(CommandFailed, match="stopped answering"):
        follow(server, item("queued"))

    assert len(server.asked) == PATIENCE  # failures in a row, and not one ask more


def test_an_item_that_needs_no_transcoding_is_returned_at_once() -> None:
    server = Server()

    final, shown = follow(server, item("none"))

    assert (final["processing_state"], server.asked, shown) == ("none", [], "")
