"""The access line: rendered without structlog's chain, yet exactly as structlog renders lines.

A stream route answers a ranged GET in a fraction of a millisecond, so the one line logged
per request is rendered by hand (kernel/logging.py); these tests hold it to the shape every
other JSON line has, and to the redaction of stream tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

import pytest
import structlog
from litestar.types import (
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)
from prometheus_client import REGISTRY

from streamstack.kernel import logging as kernel_logging
from streamstack.kernel.logging import (
    IterationBatch,
    RequestIdMiddleware,
    UtcStamps,
    configure_logging,
    json_access_lines,
)
from streamstack.kernel.metrics import RequestMetrics
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
        await asyncio.sleep(0)  # ended requests are settled once per loop iteration
        structlog.get_logger("streamstack.test").info("another_line")  # structlog's own chain
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


def test_the_hand_rendered_lines_are_byte_for_byte_structlog_s_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = capture_stderr(monkeypatch)
    configure_logging("json", "INFO")
    write = kernel_logging._access_lines
    assert write is not None
    entries = [("GET", '/odd "path" \\ é\u2028', 206, 0.12, "abc"), ("HEAD", "/b", 200, 3.0, "d")]
    write(entries)
    ours = stderr.getvalue().splitlines()[-2:]  # written at once, in order
    for line, (method, path, status, ms, request_id) in zip(ours, entries, strict=True):
        stamp = json.loads(line)["timestamp"]
        event = {"method": method, "path": path, "status": status, "ms": ms, "event": "request"}
        event |= {"request_id": request_id, "level": "info", "timestamp": stamp}
        assert line == structlog.processors.JSONRenderer()(None, "info", event)


def test_no_access_lines_below_the_configured_level(monkeypatch: pytest.MonkeyPatch) -> None:
    capture_stderr(monkeypatch)
    configure_logging("json", "WARNING")
    assert kernel_logging._access_lines is None
    configure_logging("console", "INFO")
    assert kernel_logging._access_lines is kernel_logging.structlog_access_lines


def test_a_clients_request_lines_stay_out_of_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker reports progress over HTTP every 2 s per job: httpx's INFO line for each,
    # naming no job, drowned the worker's own lines.
    stderr = capture_stderr(monkeypatch)
    configure_logging("json", "INFO")
    logging.getLogger("httpx").info('HTTP Request: POST http://catalogue/processing "200 OK"')
    logging.getLogger("httpx").warning("HTTP Request failed")
    lines = stderr.getvalue().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["HTTP Request failed"]


def test_a_stdlib_records_exception_is_logged_with_its_traceback_as_ours_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn logs "Exception in ASGI application" with exc_info through stdlib logging: the
    # JSON line carried the exc_info tuple's repr, the stack as "<traceback object at 0x…>".
    stderr = capture_stderr(monkeypatch)
    configure_logging("json", "INFO")

    def fail_deep_down() -> None:
        raise RuntimeError("the disk is on fire")

    for log in (logging.getLogger("uvicorn.error"), structlog.get_logger("streamstack.test")):
        try:
            fail_deep_down()
        except RuntimeError:
            log.error("Exception in ASGI application", exc_info=True)
    ours, theirs = (json.loads(line) for line in stderr.getvalue().splitlines()[-2:])
    for line in (ours, theirs):
        assert "exc_info" not in line
        assert line["level"] == "error"
        exception = str(line["exception"])
        assert exception.startswith("Traceback (most recent call last):")
        assert "in fail_deep_down" in exception
        assert exception.endswith("RuntimeError: the disk is on fire")
    assert "traceback object" not in stderr.getvalue()


def test_the_shutdown_grace_s_cuts_are_warnings_and_only_they(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn logs them as errors: an operator's alerting paged at every deploy that cut
    # an upload or a long range response.
    stderr = capture_stderr(monkeypatch)
    configure_logging("json", "INFO")
    uvicorn = logging.getLogger("uvicorn.error")
    incomplete = "ASGI callable returned without completing response."
    uvicorn.error(incomplete)  # no shut-down under way: a bug's line
    uvicorn.error("Cancel %s running task(s), timeout graceful shutdown exceeded", 2)
    uvicorn.error(incomplete)  # a response begun when the grace ran out
    levels = [json.loads(line)["level"] for line in stderr.getvalue().splitlines()]
    assert levels == ["error", "warning", "warning"]


def test_time_stamps_read_as_isoformat_does() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = UtcStamps().now()
    assert ISO_UTC.match(stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= datetime.now(UTC)


async def test_items_are_handed_over_in_order_once_per_loop_iteration() -> None:
    handed: list[list[str]] = []
    batch = IterationBatch(handed.append)
    batch.add("a")
    batch.add("b")
    assert handed == []
    await asyncio.sleep(0)
    assert handed == [["a", "b"]]
    batch.add("c")
    await asyncio.sleep(0)
    assert handed == [["a", "b"], ["c"]]


async def test_a_flush_hands_over_what_is_pending_and_nothing_twice() -> None:
    handed: list[list[str]] = []
    batch = IterationBatch(handed.append)
    batch.add("a")
    batch.flush()  # as a scrape does, before the loop's next iteration
    assert handed == [["a"]]
    await asyncio.sleep(0)
    batch.flush()
    assert handed == [["a"]]


def test_outside_an_event_loop_an_item_is_handed_over_at_once() -> None:
    handed: list[list[str]] = []
    IterationBatch(handed.append).add("now")
    assert handed == [["now"]]


class Writes(io.StringIO):
    """A string stream that keeps each ``write`` apart."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


def test_a_settled_batch_of_access_lines_is_one_write_in_order() -> None:
    stream = Writes()
    write = json_access_lines(stream)
    write([("GET", f"/{n}", 200, 1.0, f"r{n}") for n in range(3)])
    write([("GET", "/3", 200, 1.0, "r3")])
    assert len(stream.calls) == 2
    assert [json.loads(line)["path"] for line in stream.getvalue().splitlines()] == [
        "/0",
        "/1",
        "/2",
        "/3",
    ]


@pytest.fixture
def broken_pipe() -> Iterator[TextIO]:
    """A line-buffered text stream on a pipe whose reading end is closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", buffering=1) as stream:
        yield stream
        with contextlib.suppress(BrokenPipeError):
            stream.close()


async def test_a_failed_access_line_write_fails_neither_requests_nor_the_scrape(
    broken_pipe: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernel_logging, "_access_lines", json_access_lines(broken_pipe))
    app_name = "broken-stderr"
    metrics = RequestMetrics(app_name)
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        cast("dict[str, Any]", scope)["path_template"] = "/answer"  # as the router sets it
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 200,
            "headers": [],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})

    async def receive() -> ReceiveMessage:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = RequestIdMiddleware(app, metrics=metrics)
    request = {"type": "http", "method": "GET", "path": "/answer", "headers": []}
    for _ in range(2):
        await middleware(cast("Scope", dict(request)), receive, send)
    metrics.refresh_in_progress()  # the scrape settles (and writes) both ended requests
    await middleware(cast("Scope", dict(request)), receive, send)
    await asyncio.sleep(0)  # and the loop settles the third

    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200] * 3
    labels = {"method": "GET", "path": "/answer", "status_code": "200", "app_name": app_name}
    assert REGISTRY.get_sample_value("streamstack_requests_total", labels) == 3
