"""Issue 13.13: a tus PATCH's cost must not grow with the bytes already buffered.

One fresh ``streamstack dev`` process (embedded backends: SQLite, local directory). The
same upload is sent twice over keep-alive HTTP, once in 64 KiB PATCHes and once in
8 MiB PATCHes (the part size, so nothing is buffered between requests):

* throughput with 64 KiB chunks ÷ with 8 MiB chunks (1.0 would mean small chunks cost
  nothing extra; a PATCH that rewrote the buffered tail made it about 0.01);
* median latency of the last 10 % of the 64 KiB PATCHes ÷ the first 10 % (about 1.0 when
  a PATCH costs what its own bytes cost, growing with the tail otherwise). The small-chunk
  upload runs three times and each PATCH counts with its fastest run, so that a burst of
  load from elsewhere on the machine does not pass for growth.

The upload announces one byte more than is sent, so it never completes: probing and
registration are not part of what is measured. It is terminated afterwards.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid

import httpx

from bench.media import MIB
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service
from bench.report import BenchReport, Quantity, Row

NAME = "tus_chunks"
UPLOAD_BYTES = 24 * MIB
QUICK_UPLOAD_BYTES = 8 * MIB
SMALL_CHUNK = 64 * 1024
LARGE_CHUNK = 8 * MIB
#: Runs of the small-chunk upload; each PATCH's latency is its fastest run's.
SMALL_RUNS = 3
#: An MP4 ``ftyp`` box, so that ingest accepts the first bytes as a video.
FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def upload_in_chunks(client: httpx.Client, token: str, data: bytes, chunk: int) -> list[float]:
    """Create an upload one byte longer than ``data``, PATCH ``data``; each PATCH's seconds."""
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    created = client.post(
        "/api/v1/ingest/uploads",
        headers={**auth, "Upload-Length": str(len(data) + 1), "Upload-Metadata": "title QmVuY2g="},
    )
    created.raise_for_status()
    url = created.headers["location"]
    latencies = []
    for offset in range(0, len(data), chunk):
        began = time.perf_counter()
        response = client.patch(
            url,
            content=data[offset : offset + chunk],
            headers={
                **auth,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        latencies.append(time.perf_counter() - began)
        if response.status_code != 204:
            raise RuntimeError(
                f"PATCH at {offset} answered {response.status_code}: {response.text}"
            )
    client.delete(url, headers=auth).raise_for_status()
    return latencies


def tenth(latencies: list[float], *, last: bool) -> float:
    """Median of the first (or last) 10 % of ``latencies``, in milliseconds."""
    count = max(1, len(latencies) // 10)
    part = latencies[-count:] if last else latencies[:count]
    return statistics.median(part) * 1000


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    keys = BenchKeys(workdir / "keys")
    size = QUICK_UPLOAD_BYTES if plan.quick else UPLOAD_BYTES
    data = FTYP + random.Random(13).randbytes(size - len(FTYP))
    report = BenchReport(
        NAME,
        f"13.13 tus in small chunks: a {size // MIB} MiB upload in 64 KiB vs 8 MiB PATCHes",
        "httpx, one keep-alive connection, PATCHes one after another",
    )
    with Service("dev", workdir, keys, command="dev") as service:
        token = keys.access_token(role="admin", user_id=str(uuid.uuid4()))
        with httpx.Client(base_url=service.url, timeout=120) as client:
            runs = [
                upload_in_chunks(client, token, data, SMALL_CHUNK)
                for _ in range(1 if plan.quick else SMALL_RUNS)
            ]
            large = upload_in_chunks(client, token, data, LARGE_CHUNK)
    small = [min(seconds) for seconds in zip(*runs, strict=True)]
    report.rows += [
        Row(
            "throughput with 64 KiB PATCHes ÷ with 8 MiB PATCHes",
            Quantity("64 KiB", size / statistics.median(sum(run) for run in runs), "B/s"),
            Quantity("8 MiB", size / sum(large), "B/s"),
        ),
        Row(
            "64 KiB PATCHes: median latency of the last 10 % ÷ the first 10 %",
            Quantity("last 10 %", tenth(small, last=True), "ms"),
            Quantity("first 10 %", tenth(small, last=False), "ms"),
        ),
    ]
    report.notes.append(
        f"{len(small)} PATCHes of 64 KiB (x{len(runs)}), {len(large)} of 8 MiB; one "
        "`streamstack dev` "
        "process (SQLite, local directory); the upload never completes, so no probing"
    )
    report.raw = {
        "upload_bytes": size,
        "small_latencies_ms": [[round(s * 1000, 3) for s in run] for run in runs],
        "large_latencies_ms": [round(s * 1000, 3) for s in large],
    }
    return report
