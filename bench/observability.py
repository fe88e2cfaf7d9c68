"""Issue 15.7: what request metrics and access lines cost on the stream route.

Two streaming services on the same local-directory object, identical but for
``STREAMSTACK_REQUEST_OBSERVABILITY`` (on: request metrics + one access line per
request, as in production; off: neither). Both rows use 1 MiB and 64 KiB ranges (the small
ones make the per-request cost visible), measured in alternating rounds so a noisy neighbour
slows both alike. Goal: on ÷ off ≥ 0.95 (a cost of at most 5 %).
"""

from __future__ import annotations

import contextlib

from bench.load import MIB, WrkResult, range_env, run_wrk
from bench.media import MEDIA_KEY, OBJECT_BYTES, object_file
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service
from bench.report import BenchReport, Quantity, Row
from bench.throughput import CONNECTIONS, local_streaming

NAME = "observability"
SECONDS = 10.0
ROUNDS = 6
RANGES = {"1 MiB": MIB, "64 KiB": 64 * 1024}


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    rounds = 2 if plan.quick else ROUNDS  # two: each side goes first once
    keys = BenchKeys(workdir / "keys")
    source = object_file(plan.cache)
    report = BenchReport(
        NAME,
        f"15.7 Observability cost on the stream route: {CONNECTIONS} clients, {seconds:g} s per "
        f"series in {rounds} alternating rounds (ABBA)",
        f"wrk (Debian) -t2 -c{CONNECTIONS}, lua/ranges.lua (random aligned ranges)",
    )
    totals: dict[tuple[str, bool], list[WrkResult]] = {}
    with contextlib.ExitStack() as stack:
        services: dict[bool, Service] = {}
        for on in (True, False):
            service = local_streaming(
                workdir,
                keys,
                f"streaming-obs-{'on' if on else 'off'}",
                source,
                {"STREAMSTACK_REQUEST_OBSERVABILITY": str(on).lower()},
            )
            services[on] = stack.enter_context(service)
        urls = {
            on: s.url + s.issue_stream_url(MEDIA_KEY, OBJECT_BYTES) for on, s in services.items()
        }
        for label, size in RANGES.items():
            env = range_env(OBJECT_BYTES, size)
            for url in urls.values():  # warm-up: page cache, pools
                run_wrk(url, script="ranges.lua", seconds=1, connections=CONNECTIONS, env=env)
            for round_index in range(rounds):
                # ABBA: each side goes first in every other round.
                order = list(urls.items())
                for on, url in order[::-1] if round_index % 2 else order:
                    result = run_wrk(
                        url,
                        script="ranges.lua",
                        seconds=seconds / rounds,
                        connections=CONNECTIONS,
                        env=env,
                    )
                    totals.setdefault((label, on), []).append(result)
    for label in RANGES:
        rates: dict[bool, float] = {}
        for on in (True, False):
            results = totals[(label, on)]
            rates[on] = sum(r.requests_per_second for r in results) / len(results)
            errors = sum(r.error_count for r in results)
            if errors:
                report.notes.append(f"{label}, observability {on}: {errors} errors")
        report.rows.append(
            Row(
                f"stream route, {label} ranges: metrics + access lines on ÷ off",
                Quantity("on", rates[True], "req/s"),
                Quantity("off", rates[False], "req/s"),
            )
        )
    report.notes.append(
        "both services: `streamstack serve --module streaming` (uvicorn, 1 worker) on the "
        "local-directory store, the object in the page cache; the streaming module's own "
        "bytes counter stays on in both (it is part of the product's metrics)"
    )
    report.raw = {
        f"{label}-{'on' if on else 'off'}": [r.as_json() for r in results]
        for (label, on), results in totals.items()
    }
    return report
