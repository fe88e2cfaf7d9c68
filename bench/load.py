"""Load generators: Debian's ``wrk`` (with the Lua scripts in ``bench/lua``) for throughput
and latency under load, and a small keep-alive socket client for time to first byte.

Every throughput and latency number of the bench comes from ``wrk``, the same binary and
settings for a benchmark's measured row and its baseline; only the time-to-first-byte rows,
which ``wrk`` cannot see, come from :class:`FirstByteClient`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import statistics
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).parent / "lua"
MIB = 1024 * 1024


class LoadError(RuntimeError):
    """The load generator could not run or produced no numbers."""


def wrk_path() -> str:
    """The ``wrk`` executable (Debian's package puts it in /usr/bin)."""
    found = shutil.which("wrk")
    if found is None:
        raise LoadError("wrk is not installed: apt-get install wrk")
    return found


def wrk_version() -> str:
    """``wrk -v``'s first line, for the results' machine description."""
    run = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
    return (run.stdout or run.stderr).splitlines()[0].strip()


@dataclasses.dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured (its ``done()`` report, see ``lua/report.lua``)."""

    seconds: float
    requests: int
    bytes: int
    errors: dict[str, int]
    latency_us: dict[str, Any]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_second(self) -> float:
        return self.bytes / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile_ms(self, q: str) -> float:
        """Latency percentile ``q`` ("50", "99", "99.9"...) in milliseconds."""
        return float(self.latency_us["percentiles"][q]) / 1000.0

    @property
    def mean_response_bytes(self) -> float:
        return self.bytes / self.requests if self.requests else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "requests_per_second": self.requests_per_second,
            "bytes_per_second": self.bytes_per_second,
        }


class WrkRun:
    """One wrk process: start it, do other things, then :meth:`wait` for its numbers."""

    def __init__(
        self,
        url: str,
        *,
        script: str,
        seconds: float,
        connections: int,
        threads: int = 2,
        env: dict[str, str] | None = None,
        timeout_seconds: int = 30,
    ) -> None:
        threads = max(1, min(threads, connections))
        self.argv = [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout_seconds}s",
            "-s",
            str(LUA_DIR / script),
            url,
        ]
        self.seconds = seconds
        self._env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **(env or {})}
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> WrkRun:
        self._process = subprocess.Popen(
            self.argv,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return self

    def wait(self) -> WrkResult:
        if self._process is None:
            self.start()
        assert self._process is not None
        output, _ = self._process.communicate(timeout=self.seconds + 120)
        for line in output.splitlines():
            if line.startswith("BENCH_JSON "):
                raw = json.loads(line.removeprefix("BENCH_JSON "))
                return WrkResult(
                    seconds=raw["duration_us"] / 1e6,
                    requests=raw["requests"],
                    bytes=raw["bytes"],
                    errors=raw["errors"],
                    latency_us=raw["latency_us"],
                )
        raise LoadError(f"wrk produced no report ({' '.join(self.argv)}):\n{output[-2000:]}")


def run_wrk(url: str, **kwargs: Any) -> WrkResult:
    """Run wrk against ``url`` and return its numbers (see :class:`WrkRun`)."""
    return WrkRun(url, **kwargs).wait()


def range_env(object_bytes: int, range_bytes: int) -> dict[str, str]:
    """Environment for ``lua/ranges.lua``."""
    return {"BENCH_OBJECT_BYTES": str(object_bytes), "BENCH_RANGE_BYTES": str(range_bytes)}


# --- time to first byte ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class LatencySample:
    """Sorted latencies in milliseconds, and their percentiles."""

    milliseconds: list[float]

    @classmethod
    def of(cls, values: list[float]) -> LatencySample:
        return cls(sorted(values))

    def percentile(self, q: float) -> float:
        values = self.milliseconds
        if not values:
            return float("nan")
        index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
        return values[index]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def as_json(self) -> dict[str, Any]:
        values = self.milliseconds
        return {
            "samples": len(values),
            "p50_ms": self.p50,
            "p90_ms": self.percentile(90),
            "p99_ms": self.p99,
            "mean_ms": statistics.fmean(values) if values else None,
            "max_ms": values[-1] if values else None,
        }


class FirstByteClient:
    """Sequential ranged GETs on one keep-alive connection, timing the first response byte.

    Time to first byte is from the moment the request is to be sent (connecting first when
    the server closed the previous connection) to the moment the first byte of the status
    line arrives; the rest of the body is read (and checked for its
    length) before the next request, so requests never overlap.
    """

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return self._sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def get_range(self, start: int, length: int) -> tuple[float, int]:
        """(milliseconds to first byte, status) of ``Range: bytes=start-(start+length-1)``."""
        request = (
            f"GET {self.target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Range: bytes={start}-{start + length - 1}\r\nUser-Agent: streamstack-bench\r\n\r\n"
        ).encode()
        # The timer includes a reconnect: a server that answers ``Connection: close`` (moto)
        # makes every client pay for a new connection, and the service pays it too when it
        # reads from that server, so leaving it out of the direct series was unfair.
        began = time.perf_counter()
        sock = self._connect()
        sock.sendall(request)
        first = sock.recv(65536)
        elapsed = (time.perf_counter() - began) * 1000.0
        if not first:
            raise LoadError("the server closed the connection")
        buffer = first
        while b"\r\n\r\n" not in buffer:
            more = sock.recv(65536)
            if not more:
                raise LoadError("the server closed the connection mid-headers")
            buffer += more
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        remaining = int(headers.get("content-length", "0")) - len(body)
        while remaining > 0:
            more = sock.recv(min(remaining, 1 << 20))
            if not more:
                raise LoadError("the server closed the connection mid-body")
            remaining -= len(more)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return elapsed, status

    def measure(
        self, *, object_bytes: int, range_bytes: int, seconds: float, seed: int = 1
    ) -> LatencySample:
        """Random aligned ranges for ``seconds``; every answer must be a 206."""
        import random

        chooser = random.Random(seed)
        slots = object_bytes // range_bytes
        values: list[float] = []
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                start = chooser.randrange(slots) * range_bytes
                elapsed, status = self.get_range(start, range_bytes)
                if status != 206:
                    raise LoadError(f"expected 206 from {self.target}, got {status}")
                values.append(elapsed)
        finally:
            self.close()
        return LatencySample.of(values)
