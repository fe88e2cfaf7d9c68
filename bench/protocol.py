"""What watching clients costs the served HTTP protocol on every request.

``kernel/response_writes.HeadWithBodyProtocol`` is uvicorn's httptools protocol writing
through a :class:`HeadHoldingTransport` (a head held for its body: one send, not two),
plus a bound and a timeout on request heads and a least rate for bodies, code on every
request of every route. The baseline is the same protocol without that watch (uvicorn's,
writing through the same transport). Both parse the same keep-alive requests and answer
them from a two-byte ASGI app, in one process with no socket (the far end counts writes),
so the row is the protocols' CPU alone, which a socket and a real route would hide.
Alternating rounds; goal: watched ÷ unwatched ≥ 0.9 in requests per CPU second (the
protocols alone take a third of a /health request over loopback: 0.9 here is about 3 %
there).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bench.plan import BenchPlan
from bench.report import BenchReport, Quantity, Row
from streamstack.kernel.response_writes import HeadHoldingTransport, HeadWithBodyProtocol

NAME = "protocol"
REQUESTS = 20_000
ROUNDS = 9
REQUEST = b"GET /health HTTP/1.1\r\nHost: bench\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"


async def two_bytes(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI app can answer."""
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


class CountingTransport(asyncio.Transport):
    """A connection's far end that counts the writes it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self._closing = False

    def write(self, data: Any) -> None:
        self.writes += 1

    def writelines(self, list_of_data: Any) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 80), "peername": ("127.0.0.1", 1)}.get(name, default)

    def pause_reading(self) -> None:
        """Nothing to pause: requests are handed over, not read."""

    def resume_reading(self) -> None:
        """As :meth:`pause_reading`."""

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """No buffer: writes are counted."""

    def get_write_buffer_size(self) -> int:
        return 0


class UnwatchedProtocol(HttpToolsProtocol):
    """uvicorn's protocol writing through the served one's transport, watching nothing."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadHoldingTransport(transport, self.loop))


async def cpu_per_request(protocol: type[HttpToolsProtocol], requests: int) -> float:
    """CPU microseconds a request of one keep-alive connection takes, app included."""
    config = Config(two_bytes, log_config=None, lifespan="off", access_log=False)
    config.load()
    served = protocol(config=config, server_state=ServerState(), app_state={})
    far_end = CountingTransport()
    served.connection_made(far_end)
    started = time.process_time()
    for _ in range(requests):
        served.data_received(REQUEST)
        for _ in range(3):  # the app's task runs and answers
            await asyncio.sleep(0)
    used = time.process_time() - started
    served.connection_lost(None)
    if far_end.writes < requests:
        raise RuntimeError(f"{far_end.writes} answers to {requests} requests")
    return used / requests * 1e6


def run(plan: BenchPlan) -> BenchReport:
    rounds = 2 if plan.quick else ROUNDS
    requests = REQUESTS // 10 if plan.quick else REQUESTS
    report = BenchReport(
        NAME,
        f"Served protocol, clients watched ÷ unwatched: {requests:,} keep-alive requests "
        f"per series, {rounds} alternating rounds, one process, no socket",
        "in-process: requests handed to the protocol, CPU time (time.process_time)",
    )
    protocols = {"watched": HeadWithBodyProtocol, "unwatched": UnwatchedProtocol}
    samples: dict[str, list[float]] = {name: [] for name in protocols}
    for round_index in range(rounds):
        order = list(protocols.items())
        for name, protocol in order[::-1] if round_index % 2 else order:
            samples[name].append(asyncio.run(cpu_per_request(protocol, requests)))
    # The fastest series of each side, as timeit takes: what a series loses to a neighbour
    # or a frequency step is noise, never the code (medians swung by a tenth between runs).
    per_second = {name: 1e6 / min(runs) for name, runs in samples.items()}
    report.rows.append(
        Row(
            "requests per CPU second, watched ÷ unwatched (goal ≥ 0.9)",
            Quantity("watched", per_second["watched"], "req/s"),
            Quantity("unwatched", per_second["unwatched"], "req/s"),
        )
    )
    report.notes.append("the fastest series of each side; the app answers 2 bytes")
    report.raw = {"cpu_us_per_request": samples}
    return report
