"""Item 2: time to first byte of 64 KiB ranges, through the service minus direct S3.

One client, one request at a time on a keep-alive connection (:class:`FirstByteClient`),
random 64 KiB ranges of the object on moto. Three series, measured in alternating rounds
so that a noisy neighbour slows them alike: direct presigned GETs on moto, the same ranges
through a streaming service on that moto (NATS KV for tokens), and the service's KV lookup
alone (a nats-py ``kv.get`` of the same token from this process).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from bench.load import FirstByteClient, LatencySample
from bench.media import MEDIA_KEY, S3_OBJECT_BYTES
from bench.plan import BenchPlan
from bench.processes import BenchKeys
from bench.report import BenchReport, Quantity, Row
from bench.throughput import s3_streaming
from streamstack.contracts.streaming import STREAM_TOKENS_BUCKET

NAME = "first_byte"
RANGE_BYTES = 64 * 1024
SECONDS = 15.0
ROUNDS = 5


async def kv_lookups(nats_url: str, key: str, seconds: float) -> list[float]:
    """Milliseconds per ``kv.get(key)`` on the stream-tokens bucket, one after another."""
    import nats

    client = await nats.connect(nats_url)
    try:
        kv = await client.jetstream().key_value(STREAM_TOKENS_BUCKET)
        values: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            began = time.perf_counter()
            entry = await kv.get(key)
            values.append((time.perf_counter() - began) * 1000.0)
            if not entry.value:
                raise RuntimeError("the stream token vanished from KV")
        return values
    finally:
        await client.close()


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    rounds = 1 if plan.quick else ROUNDS
    keys = BenchKeys(workdir / "keys")
    report = BenchReport(
        NAME,
        f"2. Range time to first byte: {RANGE_BYTES // 1024} KiB ranges, {seconds:g} s per "
        f"series in {rounds} alternating rounds",
        "bench/load.py FirstByteClient (one keep-alive connection, sequential requests); "
        "nats-py for the KV lookup",
    )
    series: dict[str, list[float]] = {"s3_direct": [], "service_s3": [], "kv_lookup": []}
    with contextlib.ExitStack() as stack:
        on_s3 = s3_streaming(stack, plan, workdir, keys)
        service = on_s3.service
        stream_path = service.issue_stream_url(MEDIA_KEY, S3_OBJECT_BYTES)
        token = stream_path.rsplit("/", 1)[1]
        urls = {
            "s3_direct": on_s3.presigned_url,
            "service_s3": service.url + stream_path,
        }
        for url in urls.values():  # warm-up: connections, pools, caches
            FirstByteClient(url).measure(
                object_bytes=S3_OBJECT_BYTES, range_bytes=RANGE_BYTES, seconds=1
            )
        for index in range(rounds):
            for name, url in urls.items():
                series[name] += (
                    FirstByteClient(url)
                    .measure(
                        object_bytes=S3_OBJECT_BYTES,
                        range_bytes=RANGE_BYTES,
                        seconds=seconds / rounds,
                        seed=index + 1,
                    )
                    .milliseconds
                )
            series["kv_lookup"] += asyncio.run(kv_lookups(on_s3.nats_url, token, seconds / rounds))
    samples = {name: LatencySample.of(values) for name, values in series.items()}
    direct, service_ttfb, kv = samples["s3_direct"], samples["service_s3"], samples["kv_lookup"]
    for label, q in (("p50", 50.0), ("p99", 99.0)):
        report.rows.append(
            Row(
                f"{label} TTFB: service on S3 minus direct S3",
                Quantity("service", service_ttfb.percentile(q), "ms"),
                Quantity("moto direct", direct.percentile(q), "ms"),
                kind="difference",
            )
        )
        report.rows.append(
            Row(
                f"{label} TTFB: service minus (direct S3 + KV lookup alone)",
                Quantity("service", service_ttfb.percentile(q), "ms"),
                Quantity("moto + KV", direct.percentile(q) + kv.percentile(q), "ms"),
                kind="difference",
            )
        )
        report.rows.append(
            Row(
                f"{label} KV lookup alone", Quantity("kv.get", kv.percentile(q), "ms"), kind="value"
            )
        )
    report.notes.append(
        f"samples: {len(direct.milliseconds)} direct, {len(service_ttfb.milliseconds)} "
        f"through the service, {len(kv.milliseconds)} KV lookups; object "
        f"{S3_OBJECT_BYTES // 2**20} MiB on moto; differences of percentiles, not "
        "percentiles of differences"
    )
    report.raw = {name: sample.as_json() for name, sample in samples.items()}
    return report
