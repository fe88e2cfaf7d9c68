"""What the fault tests share: the app on real servers behind a real HTTP listener.

The in-process test client buffers whole request and response bodies and runs the app on
the test's own terms; a backend failing *during* a request needs the real thing. So
``support.apps.served_app`` runs ``create_app(settings)`` under uvicorn in a thread (its own event
loop) and the test talks to it over loopback with :class:`BoundedClient`, whose every
request has a hard time bound: a request that reaches the bound is a hang, and fails the
test with :class:`Hung` instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from streamstack.settings import Settings
from support.apps import bearer, make_settings, mint_token

#: No request may take this long: reaching it means something waits on a dead backend.
HANG_BOUND_SECONDS = 20.0


class Hung(AssertionError):
    """A request did not come back within :data:`HANG_BOUND_SECONDS`."""


def production_settings(
    data_dir: Path,
    *,
    database_url: str,
    nats_url: str,
    s3: Any,
    buckets: tuple[str, str],
    **overrides: Any,
) -> Settings:
    """All four modules on Postgres, NATS and S3."""
    return make_settings(
        "production",
        data_dir,
        database_url=database_url,
        nats_url=nats_url,
        s3=s3,
        buckets=buckets,
        **overrides,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """How one request ended: its status and headers, and how long it took."""

    what: str
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return httpx.Response(self.status, content=self.body).json()

    @property
    def is_error_shape(self) -> bool:
        """The body is our JSON error shape with the response's status."""
        try:
            body = self.json()
        except ValueError:
            return False
        return (
            isinstance(body, dict)
            and set(body) == {"status", "code", "detail", "request_id"}
            and body["status"] == self.status
        )

    @property
    def is_clean_unavailable(self) -> bool:
        """A 503 in the error shape that says when to retry."""
        return self.status == 503 and self.is_error_shape and "retry-after" in self.headers

    def __str__(self) -> str:
        return f"{self.what}: {self.status} {self.body[:200]!r} in {self.seconds:.2f} s"


class BoundedClient:
    """An HTTP client whose every request ends within :data:`HANG_BOUND_SECONDS`."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(HANG_BOUND_SECONDS, connect=5)
        )

    async def request(self, what: str, method: str, url: str, **kwargs: Any) -> Outcome:
        began = time.monotonic()
        try:
            async with asyncio.timeout(HANG_BOUND_SECONDS):
                response = await self._client.request(method, url, **kwargs)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise Hung(f"{what}: no answer within {HANG_BOUND_SECONDS:g} s") from exc
        return Outcome(
            what,
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
            time.monotonic() - began,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> BoundedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def assert_no_slow_answers(outcomes: list[Outcome]) -> None:
    """Every request came back well within the hang bound (half of it)."""
    slow = [str(o) for o in outcomes if o.seconds > HANG_BOUND_SECONDS / 2]
    assert not slow, f"requests that nearly hung: {slow[:5]}"


# --- data the tests set up through the public API -------------------------------------------


def admin_headers(settings: Settings) -> dict[str, str]:
    """A bearer header of an admin (signed like auth signs tokens)."""
    return bearer(mint_token(settings, role="admin"))


def new_item(*, size: int = 1000, tags: list[str] | None = None) -> dict[str, Any]:
    """A ``POST /api/v1/catalogue/`` body with a fresh id; its ``s3_key`` is
    ``<id>.mp4`` (an item names its own objects)."""
    item_id = str(uuid.uuid4())
    return {
        "id": item_id,
        "title": f"Fault test {item_id[:8]}",
        "s3_key": f"{item_id}.mp4",
        "size_bytes": size,
        "content_type": "video/mp4",
        "tags": tags if tags is not None else ["alpha", "beta", "gamma"],
    }


@contextlib.contextmanager
def frozen(server: Any) -> Iterator[None]:
    """SIGSTOP the server's process group for the block (its socket still accepts, nothing
    answers: a hung host); SIGCONT it whatever happens."""
    pid = server.pid
    assert pid is not None, "the server is not running"
    os.killpg(pid, signal.SIGSTOP)
    try:
        # The signal is delivered asynchronously: a request sent at once may still be served.
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "T":
            assert time.monotonic() < deadline, "the server did not stop"
            time.sleep(0.01)
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


@contextlib.contextmanager
def restarted_on_exit(server: Any) -> Iterator[Any]:
    """Whatever the test does to ``server``, it is running again afterwards."""
    try:
        yield server
    finally:
        server.start()


# --- uploads ---------------------------------------------------------------------------------

FORM_BOUNDARY = "fault-test-boundary-5d2c"


def small_mp4() -> bytes:
    """A real two-second 160x120 H.264 MP4, index first (a few KiB)."""
    import tempfile

    import av

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
            stream = out.add_stream("libx264", rate=10)
            stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
            for index in range(20):
                frame = av.VideoFrame(160, 120, "yuv420p")
                for plane in frame.planes:
                    plane.update(bytes([(index * 11) % 256]) * plane.buffer_size)
                frame.pts = index
                out.mux(stream.encode(frame))
            out.mux(stream.encode())
        return path.read_bytes()


def free_box_header(size: int) -> bytes:
    """The header of an MP4 ``free`` box of ``size`` bytes in all (readers skip it)."""
    return size.to_bytes(4, "big") + b"free"


def form_parts(title: str, filename: str = "clip.mp4") -> tuple[bytes, bytes]:
    """The bytes before and after the file's content in a multipart upload form."""
    head = (
        f'--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
        f'{title}\r\n--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode()
    return head, f"\r\n--{FORM_BOUNDARY}--\r\n".encode()


def form_headers(settings: Settings) -> dict[str, str]:
    return {
        **admin_headers(settings),
        "Content-Type": f"multipart/form-data; boundary={FORM_BOUNDARY}",
    }


class CuttableLink:
    """A TCP relay to an upstream server whose link can be cut and restored.

    Cut: every open connection is reset, and new ones are accepted and reset at once, as
    when the server's host drops off the network.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.cut = False
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> CuttableLink:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        await self.sever()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def sever(self) -> None:
        self.cut = True
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self.cut = False

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(256 * 1024):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort() if self.cut else sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}
