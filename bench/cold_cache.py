"""Issue 15.1: ``/health`` latency while ranges stream from files out of the page cache.

One streaming service on the local-directory store. A background client streams the whole
object again and again, the object evicted from the page cache (``POSIX_FADV_DONTNEED``)
before each pass, while this process times ``/health`` one request after another on a
keep-alive connection. The baseline is the same series while the same object streams from
the page cache (warm): streaming at full speed keeps one process busy either way, so the
difference is what waiting for the disk adds; if a disk read blocked the event loop, the
health checks would wait for it. ``/health`` alone is reported too.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx

from bench.load import FirstByteClient, LatencySample
from bench.media import MEDIA_KEY, OBJECT_BYTES, object_file
from bench.plan import BenchPlan
from bench.processes import BenchKeys
from bench.report import BenchReport, Quantity, Row
from bench.throughput import MEDIA_BUCKET, local_streaming

NAME = "cold_cache"
SECONDS = 10.0


def evict(path: Path) -> None:
    """Drop ``path``'s pages from the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def health_series(url: str, seconds: float) -> list[float]:
    """Milliseconds per ``GET /health``, one after another, for ``seconds``."""
    import time

    client = FirstByteClient(f"{url}/health")
    values: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            elapsed, status = client.get_range(0, 1)  # /health ignores the Range header
            if status != 200:
                raise RuntimeError(f"/health answered {status}")
            values.append(elapsed)
    finally:
        client.close()
    return values


def streamer(url: str, path: Path | None, stop: threading.Event, passes: list[int]) -> None:
    """Stream the whole object again and again, evicting ``path`` before each pass."""
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            if path is not None:
                evict(path)
            with client.stream("GET", url) as response:
                for _ in response.iter_bytes(1 << 20):
                    if stop.is_set():
                        break
            passes.append(1)


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    report = BenchReport(
        NAME,
        f"15.1 /health while a cold file streams: {seconds:g} s per series",
        "bench/load.py FirstByteClient for /health (one keep-alive connection); httpx "
        "streaming the object, evicted from the page cache before each pass",
    )
    service = local_streaming(workdir, keys, "streaming-cold", object_file(plan.cache))
    path = service.data_dir / "objects" / MEDIA_BUCKET / MEDIA_KEY
    passes: dict[str, list[int]] = {"warm": [], "cold": []}
    samples: dict[str, LatencySample] = {}
    with service:
        stream_url = service.url + service.issue_stream_url(MEDIA_KEY, OBJECT_BYTES)
        health_series(service.url, 1)  # warm-up
        samples["alone"] = LatencySample.of(health_series(service.url, seconds))
        for kind, evicted in (("warm", None), ("cold", path)):
            stop = threading.Event()
            thread = threading.Thread(
                target=streamer, args=(stream_url, evicted, stop, passes[kind]), daemon=True
            )
            thread.start()
            try:
                samples[kind] = LatencySample.of(health_series(service.url, seconds))
            finally:
                stop.set()
                thread.join(timeout=60)
    cold, warm, alone = samples["cold"], samples["warm"], samples["alone"]
    for label, q in (("p50", 50.0), ("p99", 99.0)):
        report.rows.append(
            Row(
                f"{label} /health while a cold file streams ÷ while a cached one streams",
                Quantity("cold", cold.percentile(q), "ms"),
                Quantity("warm", warm.percentile(q), "ms"),
            )
        )
        report.rows.append(
            Row(
                f"{label} /health while a cached file streams ÷ alone",
                Quantity("warm", warm.percentile(q), "ms"),
                Quantity("alone", alone.percentile(q), "ms"),
            )
        )
    report.notes.append(
        "the streaming client is a thread of the bench process, which shares its GIL with the "
        "/health timer: compare cold with warm, not with alone"
    )
    report.notes.append(
        f"health checks: {len(cold.milliseconds)} during {len(passes['cold'])} cold passes, "
        f"{len(warm.milliseconds)} during {len(passes['warm'])} cached passes over a "
        f"{OBJECT_BYTES // 2**20} MiB object, {len(alone.milliseconds)} alone"
    )
    report.raw = {
        **{kind: sample.as_json() for kind, sample in samples.items()},
        "passes": {kind: len(done) for kind, done in passes.items()},
    }
    return report
