"""compose/nginx.conf's proxying promises, checked against a scripted upstream.

A small HTTP server stands in for every module, so each test can see what nginx passed on
and when: uploads reach ingest while the client is still sending (no request buffering),
stream bytes reach the player while the replica is still producing them (no response
buffering) with the Range header intact, the upload limit answers 413 in the API's shape,
a dead replica is skipped, and stream tokens never reach the access log.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from system_rig import MODULES, Nginx, running, web_root

from harness.servers import free_port
from harness.tools import require_tool

MAX_UPLOAD_BYTES = 1024 * 1024
WAIT_SECONDS = 10.0
FIRST_PART = b"a" * 1024
SECOND_PART = b"b" * 1024


@dataclass
class Upstream:
    """What the scripted upstream saw, and the switches the tests flip."""

    upload_started: threading.Event = field(default_factory=threading.Event)
    first_part_read: threading.Event = field(default_factory=threading.Event)
    ranges: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


def upstream_handler(state: Upstream) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to ``state``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: nginx's log is the one under test."""

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received = len(self.rfile.read(min(64 * 1024, length)))
            state.upload_started.set()
            while received < length:
                received += len(self.rfile.read(min(64 * 1024, length - received)))
            self.reply(201, {"received": received})

        def do_GET(self) -> None:
            state.request_ids.append(self.headers.get("X-Request-ID", ""))
            if not self.path.startswith("/api/v1/stream/") or "/thumbnails/" in self.path:
                self.reply(200, {"path": self.path})
                return
            state.ranges.append(self.headers.get("Range", ""))
            self.send_response(206)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(FIRST_PART + SECOND_PART)))
            self.send_header("Content-Range", "bytes 0-2047/4096")
            self.end_headers()
            self.wfile.write(FIRST_PART)
            self.wfile.flush()
            # The rest only once the player has the first part: proves no buffering.
            state.first_part_read.wait(WAIT_SECONDS)
            self.wfile.write(SECOND_PART)

        def reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@dataclass
class Edge:
    """nginx in front of the scripted upstream."""

    nginx: Nginx
    upstream: Upstream


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    binary = require_tool("nginx", "checks compose/nginx.conf's proxying with real nginx")
    directory = tmp_path_factory.mktemp("edge")
    state = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), upstream_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = f"127.0.0.1:{server.server_address[1]}"
    dead = f"127.0.0.1:{free_port()}"  # nothing listens: a replica that is down
    servers = {module: [live] for module in MODULES}
    servers["catalogue"] = [dead, live]
    nginx = Nginx.create(
        binary,
        directory / "nginx",
        servers=servers,
        web=web_root(directory / "web"),
        objects_dir=directory / "objects",
        s3_endpoint="http://127.0.0.1:9",
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_request_body_bytes=64 * 1024,
    )
    try:
        with running([nginx]):
            nginx.start()
            nginx.wait_ready()
            yield Edge(nginx, state)
    finally:
        server.shutdown()
        server.server_close()


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of an HTTP/1.1 answer with Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the response head"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(lines[0].split()[1]), body


def test_uploads_reach_ingest_while_the_client_is_still_sending(edge: Edge) -> None:
    total = MAX_UPLOAD_BYTES
    head = (
        "POST /api/v1/ingest/upload HTTP/1.1\r\nHost: edge\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", edge.nginx.public_port), timeout=30) as sock:
        sock.sendall(head.encode() + b"x" * (total // 4))
        # With request buffering nginx would hold everything until the last byte arrived.
        assert edge.upstream.upload_started.wait(WAIT_SECONDS), "nginx buffered the upload"
        sock.sendall(b"x" * (total - total // 4))
        status, body = read_response(sock)
    assert status == 201
    assert json.loads(body) == {"received": total}


def test_uploads_over_the_ingest_limit_are_refused_by_nginx(edge: Edge) -> None:
    too_big = MAX_UPLOAD_BYTES + 1024 * 1024 + 1  # the limit plus the multipart allowance
    head = (
        "POST /api/v1/ingest/upload HTTP/1.1\r\nHost: edge\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {too_big}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", edge.nginx.public_port), timeout=30) as sock:
        sock.sendall(head.encode())
        status, body = read_response(sock)
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"


def test_stream_bytes_pass_through_unbuffered_with_the_range(edge: Edge) -> None:
    request = (
        "GET /api/v1/stream/SECRET-TOKEN-0123456789?start=1 HTTP/1.1\r\nHost: edge\r\n"
        "Range: bytes=0-2047\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", edge.nginx.public_port), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while FIRST_PART not in data:
            chunk = sock.recv(65536)  # times out if nginx holds the first part back
            assert chunk
            data += chunk
        assert SECOND_PART[:1] not in data.partition(b"\r\n\r\n")[2]
        edge.upstream.first_part_read.set()
        while not data.endswith(SECOND_PART):
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 206")
    assert edge.upstream.ranges[-1] == "bytes=0-2047"
    log = edge.nginx.access_log_with("GET /api/v1/stream/[token]?start=1 HTTP/1.1")
    assert "GET /api/v1/stream/[token]?start=1 HTTP/1.1" in log
    assert "SECRET-TOKEN" not in log


def test_a_well_formed_request_id_is_kept_and_any_other_replaced(edge: Edge) -> None:
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        web.get("/api/v1/auth/me", headers={"X-Request-ID": "caller-id.0123_abc"})
        web.get("/api/v1/auth/me", headers={"X-Request-ID": 'bad" id'})
        unknown = web.get("/api/v1/unknown", headers={"X-Request-ID": "x" * 129})
    assert edge.upstream.request_ids[-2:][0] == "caller-id.0123_abc"
    assert len(edge.upstream.request_ids[-1]) == 32  # nginx's own $request_id
    assert unknown.json()["request_id"] not in ("x" * 129, None)
    assert "request_id=caller-id.0123_abc " in edge.nginx.access_log_with("caller-id.0123_abc")


def test_a_dead_replica_is_skipped(edge: Edge) -> None:
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        for _ in range(4):
            response = web.get("/api/v1/catalogue/some-item")
            assert response.status_code == 200
            assert response.json() == {"path": "/api/v1/catalogue/some-item"}


def test_public_thumbnails_are_logged_as_they_are(edge: Edge) -> None:
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        assert web.get("/api/v1/stream/thumbnails/abc.jpg").status_code == 200
    line = "GET /api/v1/stream/thumbnails/abc.jpg HTTP/1.1"
    assert line in edge.nginx.access_log_with(line)
