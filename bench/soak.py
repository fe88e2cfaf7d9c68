"""Load: 200 concurrent range clients for 60 s against ``streamstack dev``.

Pass criteria (the issue's): zero errors (no socket error, timeout or non-2xx answer)
and memory flat: the process's RSS at the end within 10 % of its RSS at the start, both
taken under the same load after a warm-up run of the same 200 clients.
"""

from __future__ import annotations

import threading

from bench.load import MIB, WrkRun, range_env
from bench.media import MEDIA_KEY, OBJECT_BYTES, object_file, store_local
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service, rss_bytes
from bench.report import BenchReport, Quantity, Row

NAME = "soak"
CLIENTS = 200
SECONDS = 60.0
WARM_UP_SECONDS = 15.0
RANGE_BYTES = MIB
TOLERANCE = 0.10


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    warm_up = plan.seconds(WARM_UP_SECONDS)
    keys = BenchKeys(workdir / "keys")
    source = object_file(plan.cache)
    report = BenchReport(
        NAME,
        f"Soak: {CLIENTS} concurrent range clients for {seconds:g} s against streamstack dev",
        f"wrk (Debian) -t2 -c{CLIENTS} --timeout 30s, lua/ranges.lua (1 MiB random ranges)",
    )
    samples: list[tuple[float, int]] = []
    with Service("dev", workdir, keys, command="dev") as dev:
        store_local(dev.data_dir / "objects", "media", MEDIA_KEY, source)
        url = dev.url + dev.issue_stream_url(MEDIA_KEY, OBJECT_BYTES)
        env = range_env(OBJECT_BYTES, RANGE_BYTES)
        warm = WrkRun(url, script="ranges.lua", seconds=warm_up, connections=CLIENTS, env=env)
        warm_result = warm.wait()
        load = WrkRun(url, script="ranges.lua", seconds=seconds, connections=CLIENTS, env=env)
        done = threading.Event()
        load.start()

        def sample() -> None:
            elapsed = 0.0
            while not done.wait(1.0):
                elapsed += 1.0
                samples.append((elapsed, rss_bytes(dev.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = load.wait()
        done.set()
        sampler.join()
    # The first sample is taken one second into the measured run, the last one second
    # before wrk stops: both under full load.
    start_rss = samples[0][1]
    end_rss = samples[-2][1] if len(samples) > 2 else samples[-1][1]
    growth = end_rss / start_rss - 1
    errors = result.error_count
    report.rows = [
        Row(
            "errors (socket, timeout, non-2xx)",
            Quantity("errors", errors, ""),
            Quantity("requests", result.requests, ""),
            kind="check",
            passed=errors == 0,
        ),
        Row(
            f"RSS at the end ÷ at the start (within {TOLERANCE:.0%})",
            Quantity("end", end_rss, "B"),
            Quantity("start", start_rss, "B"),
            kind="check",
            passed=abs(growth) <= TOLERANCE,
        ),
        Row("throughput", Quantity("served", result.bytes_per_second, "B/s"), kind="value"),
        Row("p99 latency", Quantity("p99", result.percentile_ms("99"), "ms"), kind="value"),
    ]
    report.notes.append(
        f"RSS {start_rss / MIB:.1f} MiB -> {end_rss / MIB:.1f} MiB ({growth:+.1%}), peak "
        f"{max(rss for _, rss in samples) / MIB:.1f} MiB; {result.requests:,} requests; "
        f"warm-up {warm_up:g} s ({warm_result.requests:,} requests, errors "
        f"{warm_result.error_count})"
    )
    report.raw = {
        "warm_up": warm_result.as_json(),
        "load": result.as_json(),
        "rss_samples": samples,
    }
    return report
