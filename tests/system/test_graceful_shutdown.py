"""SIGTERM: a service stops taking connections but finishes the responses and uploads in flight.

``streamstack serve`` (uvicorn, ``timeout_graceful_shutdown`` from
STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS) runs in a subprocess on the embedded backends. A client
holds a long range response (reading slowly, with a small receive buffer so that the server
cannot have written it all into socket buffers) or half an upload; the service gets SIGTERM;
new connections are refused while that request is still incomplete; the request then
completes in full and the process exits with status 0.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from system_rig import Service, clean_environment
from system_video import h264_aac_mp4

from streamstack.cli import apply_migrations
from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, bearer, make_settings, mint_token

MIB = 1024 * 1024
#: Far more than loopback socket buffers can hold (a few MiB), so the response is in flight.
OBJECT_BYTES = 24 * MIB
RANGE_START = 1000
#: Well within this, the slow client finishes: uvicorn must not cut it off.
SHUTDOWN_TIMEOUT_SECONDS = 60


def connection_refused(port: int, within: float = 15.0) -> bool:
    """Whether a new TCP connection to ``port`` is refused (polling up to ``within`` s)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            probe = socket.create_connection(("127.0.0.1", port), timeout=1.0)
        except ConnectionRefusedError:
            return True
        probe.close()
        time.sleep(0.05)
    return False


def small_buffer_socket(port: int) -> socket.socket:
    """A client socket whose receive buffer is small, connected to ``port``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.settimeout(30.0)
    sock.connect(("127.0.0.1", port))
    return sock


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and whatever body bytes came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the connection closed before the response head"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, rest


def read_exactly(sock: socket.socket, have: bytes, length: int, *, pause: float = 0.0) -> bytes:
    """Read until ``length`` body bytes (including ``have``) arrived, pausing between reads."""
    parts = [have]
    received = len(have)
    while received < length:
        chunk = sock.recv(min(16 * 1024, length - received))
        if not chunk:
            break
        parts.append(chunk)
        received += len(chunk)
        if pause:
            time.sleep(pause)
    return b"".join(parts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded backends in ``tmp_path/data`` with the test keys and internal secret."""
    return make_settings("embedded", tmp_path / "data")


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """``streamstack serve`` (every module, dev mode) on a free port, ready."""
    yield from serving(settings, tmp_path, SHUTDOWN_TIMEOUT_SECONDS)


@pytest.fixture
def impatient_service(settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """``streamstack serve`` with a 1 s shut-down grace, logging JSON lines."""
    yield from serving(settings, tmp_path, 1, STREAMSTACK_LOG_FORMAT="json")


def serving(
    settings: Settings, tmp_path: Path, shutdown_seconds: float, **more: str
) -> Iterator[Service]:
    """``streamstack serve`` (every module, dev mode) on a free port, ready, until the end."""
    env = clean_environment(
        STREAMSTACK_ENVIRONMENT="dev",
        STREAMSTACK_DATA_DIR=str(settings.data_dir),
        STREAMSTACK_INTERNAL_SECRET=INTERNAL_SECRET,
        STREAMSTACK_JWT_PRIVATE_KEY_PATH=str(settings.private_key_path),
        STREAMSTACK_JWT_PUBLIC_KEY_PATH=str(settings.public_key_path),
        STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS=str(shutdown_seconds),
        STREAMSTACK_ARGON2_MEMORY_KIB="1024",
        STREAMSTACK_ARGON2_TIME_COST="1",
        STREAMSTACK_LOG_LEVEL="INFO",
        **more,
    )
    asyncio.run(apply_migrations(settings, settings.modules))
    process = Service.create([], "serve", env, tmp_path)
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


def store_media(settings: Settings, data: bytes) -> str:
    """Put ``data`` in the media bucket through the kernel's port; its key."""
    key = f"{uuid.uuid4()}.mp4"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), MIB):
            yield data[start : start + MIB]

    store = LocalObjectStore(settings.data_dir / "objects", settings.media_bucket)
    asyncio.run(store.write(key, chunks(), content_type="video/mp4"))
    return key


def stream_url(service: Service, settings: Settings, key: str, size: int) -> str:
    """A stream token for ``key``, issued as the catalogue would (the internal operation)."""
    response = httpx.post(
        f"{service.url}{ISSUE_STREAM_TOKEN.path}",
        json={"media_id": str(uuid.uuid4()), "s3_key": key, "size_bytes": size},
        headers={SECRET_HEADER: INTERNAL_SECRET, **bearer(mint_token(settings))},
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["stream_url"]
    return url


def test_an_in_flight_range_response_completes_after_sigterm(
    service: Service, settings: Settings
) -> None:
    data = os.urandom(OBJECT_BYTES)
    url = stream_url(service, settings, store_media(settings, data), len(data))
    expected = data[RANGE_START:]

    sock = small_buffer_socket(service.port)
    with sock:
        request = f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes={RANGE_START}-\r\n\r\n"
        sock.sendall(request.encode())
        status, headers, body = read_head(sock)
        assert status == 206
        assert headers["content-range"] == f"bytes {RANGE_START}-{len(data) - 1}/{len(data)}"
        length = int(headers["content-length"])
        assert length == len(expected)
        # A slow player: the first MiB, a little at a time.
        body = read_exactly(sock, body, MIB, pause=0.002)

        service.signal(signal.SIGTERM)
        # The listener closes at once, while this response is nowhere near finished.
        assert connection_refused(service.port), "the service still accepts connections"
        assert len(body) < length

        body = read_exactly(sock, body, length)
    assert len(body) == length, f"the response was cut short at {len(body)} of {length} bytes"
    assert body == expected
    # Exit status 0 (not 143, killed by the signal): a stop, not a crash.
    assert service.wait_exit(timeout=SHUTDOWN_TIMEOUT_SECONDS) == 0


def multipart(fields: dict[str, str], video: bytes, boundary: str) -> bytes:
    """A multipart/form-data body: text fields, then ``file``."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n".encode()
        + video
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def test_an_in_flight_upload_completes_after_sigterm(service: Service, settings: Settings) -> None:
    video = h264_aac_mp4(seconds=2.0)
    boundary = uuid.uuid4().hex
    body = multipart({"title": "Shutdown upload", "publish": "true"}, video, boundary)
    token = mint_token(settings, role="admin")
    head = (
        "POST /api/v1/ingest/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    half = len(body) // 2

    with socket.create_connection(("127.0.0.1", service.port), timeout=60.0) as sock:
        sock.sendall(head.encode())
        # uvicorn says "100 Continue" when ingest starts reading the body: the upload is
        # being handled, not waiting in the listen queue.
        status, _, rest = read_head(sock)
        assert (status, rest) == (100, b"")
        sock.sendall(body[:half])
        service.signal(signal.SIGTERM)
        assert connection_refused(service.port), "the service still accepts connections"
        sock.sendall(body[half:])
        status, headers, rest = read_head(sock)
        answer = read_exactly(sock, rest, int(headers["content-length"]))
    assert status == 201, answer
    item = json.loads(answer)
    assert item["title"] == "Shutdown upload"
    assert item["size_bytes"] == len(video)
    # Exit status 0 (not 143, killed by the signal): a stop, not a crash.
    assert service.wait_exit(timeout=SHUTDOWN_TIMEOUT_SECONDS) == 0


def test_an_upload_outliving_the_shutdown_grace_is_answered_503_and_logged_calmly(
    impatient_service: Service, settings: Settings
) -> None:
    # The grace ran out while a tus PATCH was still arriving: uvicorn cancelled it, the
    # client got a bare "500 Internal Server Error" and the log an error-level "Exception
    # in ASGI application" (an operator's alerting paged at every deploy).
    service = impatient_service
    token = mint_token(settings, role="admin")
    created = httpx.post(
        f"{service.url}/api/v1/ingest/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            **bearer(token),
            "Upload-Length": str(8 * MIB),
            "Upload-Metadata": "title " + base64.b64encode(b"Cut short").decode(),
        },
    )
    assert created.status_code == 201, created.text
    path = httpx.URL(created.headers["location"]).path
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {8 * MIB}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", service.port), timeout=30.0) as sock:
        video = h264_aac_mp4(seconds=2.0)  # its first bytes say what the file is
        sock.sendall(head.encode() + video + os.urandom(MIB))
        time.sleep(0.5)  # the PATCH is being received
        service.signal(signal.SIGTERM)
        status, headers, rest = read_head(sock)  # the rest of the body never comes
        answer = read_exactly(sock, rest, int(headers["content-length"]))
    assert status == 503, answer
    assert headers["retry-after"] == "5"
    assert json.loads(answer)["code"] == "server_restarting"
    assert service.wait_exit(timeout=30) == 0
    text = service.log_path.read_text().splitlines()
    lines = [json.loads(line) for line in text if line.startswith("{")]
    assert not [line for line in text if "Traceback" in line or "CancelledError" in line]
    events = [line["event"] for line in lines]
    assert "request.interrupted_by_shutdown" in events
    assert not [line for line in lines if line["level"] in ("error", "critical")], events
