"""The access line: rendered without structlog's chain, yet exactly as structlog renders lines.

A stream route answers a ranged GET in a fraction of a millisecond, so the one line logged
per request is rendered by hand (kernel/logging.py); these tests hold it to the shape every
other JSON line has, and to the redaction of stream tokens.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog

from streamstack.kernel.logging import LineBatch, UtcStamps, configure_logging
from support.apps import make_settings, running_app

#: structlog's TimeStamper(fmt="iso", utc=True): isoformat() with "Z" for "+00:00".
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
ACCESS_KEYS = ["method", "path", "status", "ms", "event", "request_id", "level", "timestamp"]


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def capture_stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a string: swapped in the test body, after pytest's own capture has
    set ``sys.stderr`` (the logger keeps the stream it is configured with)."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


async def test_an_access_line_has_the_keys_and_form_of_every_json_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = capture_stderr(monkeypatch)
    settings = make_settings(
        "embedded", tmp_path, modules=["streaming"], log_format="json", log_level="INFO"
    )
    token = "s3cr3t-token-abcdefghijklmnopqrstuvwxyz0123"
    async with running_app(settings) as client:
        response = await client.get(f"/api/v1/stream/{token}", headers={"X-Request-ID": "rid-1"})
        await asyncio.sleep(0)  # access lines are written once per loop iteration
    assert response.status_code == 404
    lines = lines_of(stderr)
    access = [line for line in lines if line["event"] == "request"]
    assert len(access) == 1
    line = access[0]
    assert list(line) == ACCESS_KEYS  # structlog's order: fields, event, context, level, time
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/stream/[token]"
    assert token not in json.dumps(line)
    assert line["status"] == 404
    assert line["request_id"] == "rid-1" == response.headers["x-request-id"]
    assert line["level"] == "info"
    assert isinstance(line["ms"], float)
    assert ISO_UTC.match(str(line["timestamp"]))
    # Every other line (structlog's own chain) stamps time the same way.
    others = [line for line in lines if line["event"] != "request"]
    assert others and all(ISO_UTC.match(str(line["timestamp"])) for line in others)


async def test_the_hand_rendered_line_is_byte_for_byte_structlog_s_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = capture_stderr(monkeypatch)
    configure_logging("json", "INFO")
    from streamstack.kernel import logging as kernel_logging

    write = kernel_logging._access_line
    assert write is not None
    path = '/odd "path" \\ é\u2028'
    write("GET", path, 206, 0.12, "abc")
    await asyncio.sleep(0)
    ours = stderr.getvalue().splitlines()[-1]
    stamp = json.loads(ours)["timestamp"]
    event = {"method": "GET", "path": path, "status": 206, "ms": 0.12, "event": "request"}
    event |= {"request_id": "abc", "level": "info", "timestamp": stamp}
    assert ours == structlog.processors.JSONRenderer()(None, "info", event)


def test_no_access_lines_below_the_configured_level(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamstack.kernel import logging as kernel_logging

    capture_stderr(monkeypatch)
    configure_logging("json", "WARNING")
    assert kernel_logging._access_line is None
    configure_logging("console", "INFO")
    assert kernel_logging._access_line is kernel_logging.structlog_access_line


def test_time_stamps_read_as_isoformat_does() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = UtcStamps().now()
    assert ISO_UTC.match(stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= datetime.now(UTC)


async def test_lines_are_written_in_order_once_per_loop_iteration() -> None:
    stream = io.StringIO()
    batch = LineBatch(stream)
    batch.add("a\n")
    batch.add("b\n")
    assert stream.getvalue() == ""
    await asyncio.sleep(0)
    assert stream.getvalue() == "a\nb\n"
    batch.add("c\n")
    await asyncio.sleep(0)
    assert stream.getvalue() == "a\nb\nc\n"


def test_outside_an_event_loop_a_line_is_written_at_once() -> None:
    stream = io.StringIO()
    LineBatch(stream).add("now\n")
    assert stream.getvalue() == "now\n"
