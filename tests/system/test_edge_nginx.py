"""compose/nginx.conf's proxying promises, checked against a scripted upstream.

A small HTTP server stands in for every module, so each test can see what nginx passed on
and when: uploads reach ingest while the client is still sending (no request buffering),
stream bytes reach the player while the replica is still producing them (no response
buffering) with the Range header intact, the upload limit answers 413 in the API's shape,
a dead replica is skipped, and stream tokens never reach the access log or the error log.
Every answer carries the security headers (CSP, framing, referrer, sniffing, permissions),
and floods of the sign-in routes from one address are cut off with 429 before auth.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
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
#: The pages of one video, which catalogue answers (its failures close the connection).
PREVIEW_PAGE = re.compile(r"/(watch|s|embed/s)/[^/]+$")


@dataclass
class Upstream:
    """What the scripted upstream saw, and the switches the tests flip."""

    upload_started: threading.Event = field(default_factory=threading.Event)
    first_part_read: threading.Event = field(default_factory=threading.Event)
    ranges: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)


def upstream_handler(state: Upstream) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to ``state``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: nginx's log is the one under test."""

        def do_POST(self) -> None:
            state.posts.append(self.path)
            length = int(self.headers["Content-Length"])
            received = len(self.rfile.read(min(64 * 1024, length)))
            state.upload_started.set()
            while received < length:
                received += len(self.rfile.read(min(64 * 1024, length - received)))
            self.reply(201, {"received": received})

        def do_HEAD(self) -> None:
            self.send_response(200 if PREVIEW_PAGE.match(self.path) else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            if self.headers.get("X-Streamstack-Check"):  # the edge's token check (auth_request)
                target = "@streamstack_proxy"  # as a replica in "proxy" delivery answers
                if self.path.startswith("/api/v1/stream/accel-"):
                    name = "clip.mp4" if "present" in self.path else "gone.mp4"
                    target = f"/_streamstack/local/media/{name}"
                self.send_response(200)
                self.send_header("X-Streamstack-Target", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            state.request_ids.append(self.headers.get("X-Request-ID", ""))
            if "/close-me" in self.path:  # a replica that dies mid-request
                self.close_connection = True
                return
            if self.path.startswith("/api/v1/stream/accel-"):
                target = "clip.mp4" if "present" in self.path else "gone.mp4"
                self.send_response(200)
                self.send_header("X-Accel-Redirect", f"/_streamstack/local/media/{target}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/api/v1/auth/headers":  # a service sending its own copies
                data = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Security-Policy", "default-src *")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if self.path == "/watch/unavailable":  # catalogue without its database
                self.reply(503, {"code": "database_unavailable"})
                return
            if self.path == "/watch/not-mounted":  # catalogue without the SPA's build
                self.reply(404, {"code": "not_found"})
                return
            if PREVIEW_PAGE.match(self.path):  # as catalogue answers, dev-mode headers too
                self.page(f"<!doctype html><title>card of {self.path}</title>".encode())
                return
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

        def page(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Content-Security-Policy", "default-src *")
            self.send_header("X-Frame-Options", "SAMEORIGIN")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

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
    (directory / "objects" / "media").mkdir(parents=True)
    (directory / "objects" / "media" / "clip.mp4").write_bytes(FIRST_PART + SECOND_PART)
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


def test_slashed_stream_tokens_and_invite_codes_stay_out_of_the_access_log(edge: Edge) -> None:
    """nginx merges slashes to route a request, so ``//api/v1/stream//<token>`` reached the
    stream location but was logged raw; an invite link of before the fragment carried a
    live single-use code in its query; a share link's secret lets anyone watch its video."""
    requests = [
        "GET /embed/s/SECRET-EMBED-PAGE HTTP/1.1",
        "GET //api/v1/stream//SECRET-SLASHED-TOKEN/x HTTP/1.1",
        "GET /register?from=mail&invite=SECRET-INVITE-CODE HTTP/1.1",
        "GET /api/v1/catalogue/shared/SECRET-SHARE-LINK HTTP/1.1",
        "GET /s/SECRET-SHARE-PAGE?t=12 HTTP/1.1",
    ]
    for request in requests:
        with socket.create_connection(("127.0.0.1", edge.nginx.public_port), timeout=5) as sock:
            sock.sendall(f"{request}\r\nHost: edge\r\nConnection: close\r\n\r\n".encode())
            assert sock.recv(65536)  # an answer began; nginx logs the request as it ends
    logged = [
        "GET /embed/s/[secret] HTTP/1.1",
        "GET //api/v1/stream//[token]/x HTTP/1.1",
        "GET /register?[query] HTTP/1.1",
        "GET /api/v1/catalogue/shared/[secret] HTTP/1.1",
        "GET /s/[secret]?t=12 HTTP/1.1",
    ]
    log = edge.nginx.access_log_with(*logged)
    for line in logged:
        assert line in log
    assert "SECRET-SLASHED-TOKEN" not in log and "SECRET-INVITE-CODE" not in log
    assert "SECRET-SHARE-LINK" not in log and "SECRET-SHARE-PAGE" not in log
    assert "SECRET-EMBED-PAGE" not in log


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


# --- security headers (issue 13.14) ---------------------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    """The edge's security headers, each exactly once."""
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name in (
        "content-security-policy",
        "x-frame-options",
        "referrer-policy",
        "x-content-type-options",
        "permissions-policy",
    ):
        assert len(response.headers.get_list(name)) == 1, f"{where}: {name}"
    csp = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["content-security-policy"].split("; ")
    }
    assert csp["default-src"] == ["'self'"], where
    assert csp["frame-ancestors"] == ["'none'"], where
    assert csp["media-src"] == ["'self'", "blob:"], where
    assert csp["worker-src"] == ["'self'", "blob:"], where
    assert csp["object-src"] == ["'none'"], where
    sources = {source for values in csp.values() for source in values}
    assert not {s for s in sources if "://" in s or s in ("*", "'unsafe-inline'", "'unsafe-eval'")}
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    permissions = response.headers["permissions-policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions
    assert "geolocation=()" in permissions


def test_every_answer_carries_the_security_headers(edge: Edge) -> None:
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        index = web.get("/")
        asset = re.search(r'src="(/assets/[^"]+)"', index.text)
        assert asset is not None, index.text[:500]
        answers = {
            "spa": index,
            "client route": web.get("/watch/some-item"),
            "asset": web.get(asset.group(1)),
            "missing file": web.get("/missing.png"),
            "api": web.get("/api/v1/auth/me"),
            "service's own headers": web.get("/api/v1/auth/headers"),
            "unknown api": web.get("/api/v1/unknown"),
            "internal": web.get("/internal/v1/auth/x"),
            # ingest's one replica: catalogue's stay up for the pages of one video below
            "dead replica": web.get("/api/v1/ingest/close-me"),
            "stream bytes": web.get("/api/v1/stream/accel-present-token"),
            "vanished object": web.get("/api/v1/stream/accel-missing-token"),
            "thumbnail": web.get("/api/v1/stream/thumbnails/abc.jpg"),
            "health": web.get("/nginx-health"),
        }
    statuses = {what: response.status_code for what, response in answers.items()}
    assert statuses == {
        "spa": 200,
        "client route": 200,
        "asset": 200,
        "missing file": 404,
        "api": 200,
        "service's own headers": 200,
        "unknown api": 404,
        "internal": 404,
        "dead replica": 503,
        "stream bytes": 200,
        "vanished object": 404,
        "thumbnail": 200,
        "health": 200,
    }
    for response in answers.values():
        assert_security_headers(response)
    cache = {what: response.headers.get("cache-control") for what, response in answers.items()}
    assert cache["asset"] == "public, max-age=31536000, immutable"
    assert cache["spa"] == cache["client route"] == "no-cache"
    assert cache["stream bytes"] == "private, no-transform"
    assert cache["service's own headers"] == "no-store"  # the service decides for the API
    assert cache["api"] is None
    assert answers["stream bytes"].content == FIRST_PART + SECOND_PART
    assert answers["dead replica"].headers["retry-after"] == "5"
    assert answers["dead replica"].json()["code"] == "service_unavailable"


EMBED = "/embed/s/" + "A1b2_-" * 7 + "x"  # a share link's embed page: a secret's shape


def test_only_the_embed_page_may_be_framed(edge: Edge) -> None:
    """A share link's embed page is the SPA's index with frame-ancestors * (the default of
    EMBED_ANCESTORS) and no X-Frame-Options, the other headers as everywhere; the pages
    around it, and another page in the disguise of an encoded slash, refuse framing."""
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        index = web.get("/")
        embed = web.get(EMBED + "?t=3")
        others = {
            path: web.get(path)
            for path in (
                "/s/" + EMBED.rsplit("/", 1)[1],
                "/embed/s/",
                EMBED + "/more",
                EMBED + "%2F..%2F..%2F..%2Fbrowse",
                "/embed/watch/some-item",
                "/watch" + EMBED,
            )
        }
    assert embed.status_code == 200  # catalogue's page of the link (link previews)
    assert embed.text == f"<!doctype html><title>card of {EMBED}?t=3</title>"
    assert "x-frame-options" not in embed.headers
    csp = embed.headers["content-security-policy"]
    assert csp == index.headers["content-security-policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    )
    for name in ("permissions-policy", "referrer-policy", "x-content-type-options"):
        assert embed.headers.get_list(name) == index.headers.get_list(name), name
    assert "fullscreen=(self)" in embed.headers["permissions-policy"]
    assert embed.headers["cache-control"] == "no-cache"
    for path, response in others.items():
        assert response.status_code in (200, 404), path
        assert_security_headers(response)


def test_the_pages_of_one_video_are_catalogues_and_the_spa_without_it(edge: Edge) -> None:
    """/watch/<id>, /s/<secret> and /embed/s/<secret> are catalogue's (the video's card in
    the page's head); when catalogue does not answer, the SPA's index.html as before, with
    the edge's headers either way; any other page, or another shape, is the static index."""
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        index = web.get("/")
        pages = {path: web.get(path) for path in ("/watch/some-item", "/s/A1b2_-", EMBED)}
        head = web.head("/watch/some-item")
        unavailable = web.get("/watch/unavailable")
        not_mounted = web.get("/watch/not-mounted")
        static = {
            path: web.get(path)
            for path in ("/library", "/watch/some-item/more", "/watch/", "/watchlist/x")
        }
        posted = web.post("/watch/some-item")
        # Last: no replica answers (each is counted failed for a while).
        down = {"unavailable": unavailable, "not mounted": not_mounted}
        down["/s/close-me"] = web.get("/s/close-me")
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert response.text == f"<!doctype html><title>card of {path}</title>"
        assert response.headers.get_list("cache-control") == ["no-cache"], path
        assert "default-src *" not in response.headers["content-security-policy"]
    assert head.status_code == 200 and head.content == b""
    for path, response in {**down, **static}.items():
        assert response.status_code == 200, path
        assert response.text == index.text, path
        assert response.headers["cache-control"] == "no-cache", path
        assert_security_headers(response)
    assert_security_headers(pages["/watch/some-item"])
    assert posted.status_code in (403, 405)  # pages are read, never posted to
    assert posted.text != index.text


# --- flood limits of the sign-in routes (issue 13.5) ----------------------------------------


@pytest.mark.parametrize(
    ("path", "burst"),
    [("/api/v1/auth/register", 5), ("/api/v1/auth/login", 10), ("/api/v1/auth/refresh", 20)],
)
def test_a_flood_of_sign_in_requests_is_cut_off_before_auth(
    edge: Edge, path: str, burst: int
) -> None:
    attempts = 3 * burst + 10
    before = edge.upstream.posts.count(path)
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        answers = [web.post(path, json={"email": "a@example.com"}) for _ in range(attempts)]
    reached = edge.upstream.posts.count(path) - before
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) + reached == attempts, [a.status_code for a in answers]
    # The burst plus what the rate refills while the flood runs, never the whole flood.
    assert burst <= reached < 2 * burst + 5, reached
    for answer in refused[:3]:
        body = answer.json()
        assert set(body) == {"status", "code", "detail", "request_id"}
        assert (body["status"], body["code"]) == (429, "too_many_requests")
        assert int(answer.headers["retry-after"]) > 0
        assert_security_headers(answer)


def test_other_auth_routes_are_not_rate_limited(edge: Edge) -> None:
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        statuses = {web.get("/api/v1/auth/me").status_code for _ in range(40)}
    assert statuses == {200}


# --- the error log (issue 13.19) ------------------------------------------------------------


def test_stream_tokens_never_reach_the_error_log(edge: Edge) -> None:
    error_log = edge.nginx.directory / "error.log"
    with httpx.Client(base_url=edge.nginx.public_url, timeout=30) as web:
        # Failures nginx logs as errors, quoting the request line: a replica dying
        # mid-request and a stream whose object vanished.
        assert web.get("/api/v1/stream/SECRET-ERROR-TOKEN-1/close-me").status_code == 503
        assert web.get("/api/v1/stream/accel-missing-SECRET-ERROR-TOKEN-2").status_code == 404
        # The same failure elsewhere is logged, so the log works and would have shown them.
        assert web.get("/api/v1/catalogue/close-me-error-log-works").status_code == 503
    deadline = time.monotonic() + WAIT_SECONDS
    while "close-me-error-log-works" not in error_log.read_text():
        assert time.monotonic() < deadline, "nginx logged no error for the catalogue failure"
        time.sleep(0.05)
    assert "SECRET-ERROR-TOKEN" not in error_log.read_text()
    # Both requests are in the access log before it is read for the tokens.
    logged = ("GET /api/v1/stream/[token]/close-me HTTP/1.1", "GET /api/v1/stream/[token] HTTP/1.1")
    access_log = edge.nginx.access_log_with(*logged)
    assert all(line in access_log for line in logged)
    assert "SECRET-ERROR-TOKEN" not in access_log
