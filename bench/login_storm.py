"""Item 4: streaming p99 during 20 concurrent logins ÷ streaming p99 alone.

Two deployments on the embedded backends, production argon2id cost (19 MiB, t=2):

* ``streamstack dev``: every module in one process, so logins and playback share its
  event loop, its GIL and the machine's cores;
* split: ``serve --module auth`` and ``serve --module streaming`` as two processes, which
  share only the cores.

Playback is wrk with 1 MiB random ranges on 4 connections; the storm is a second wrk with
20 connections posting the same (valid) sign-in over and over, for the same 15 s.

The sign-in throttle is raised out of the way for these processes (:data:`NO_THROTTLE`):
20 concurrent sign-ins of one account from one address would otherwise lock it after five,
and the bench would time 429 answers instead of password hashing.
"""

from __future__ import annotations

import contextlib

import httpx

from bench.load import MIB, WrkResult, WrkRun, range_env
from bench.media import MEDIA_KEY, OBJECT_BYTES, object_file, store_local
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service
from bench.report import BenchReport, Quantity, Row
from streamstack.auth.passwords import hashing_slots

NAME = "login_storm"
SECONDS = 15.0
PLAYERS = 4
LOGINS = 20
RANGE_BYTES = MIB
EMAIL = "storm@example.com"
PASSWORD = "correct horse battery staple"
LOGIN_BODY = f'{{"email": "{EMAIL}", "password": "{PASSWORD}"}}'
#: Every sign-in is a real one: argon2id verification, a new session, tokens signed.
NO_THROTTLE = {
    "STREAMSTACK_LOGIN_THROTTLE_EMAIL_ATTEMPTS": "1000000000",
    "STREAMSTACK_LOGIN_THROTTLE_ADDRESS_ATTEMPTS": "1000000000",
    "STREAMSTACK_LOGIN_THROTTLE_ACCOUNT_ATTEMPTS": "1000000000",
}
#: ``serve`` on the embedded backends (production mode would want NATS, S3, Postgres): the
#: two processes compete for the cores exactly as they would beside those servers.
EMBEDDED = {"STREAMSTACK_ENVIRONMENT": "dev", **NO_THROTTLE}


def playback(url: str, seconds: float) -> WrkRun:
    return WrkRun(
        url,
        script="ranges.lua",
        seconds=seconds,
        connections=PLAYERS,
        env=range_env(OBJECT_BYTES, RANGE_BYTES),
    )


def storm(auth_url: str, seconds: float) -> WrkRun:
    return WrkRun(
        f"{auth_url}/api/v1/auth/login",
        script="post_json.lua",
        seconds=seconds,
        connections=LOGINS,
        env={"BENCH_BODY": LOGIN_BODY},
    )


def register(auth_url: str) -> None:
    response = httpx.post(
        f"{auth_url}/api/v1/auth/register",
        json={"email": EMAIL, "password": PASSWORD, "display_name": "Storm"},
        timeout=30,
    )
    response.raise_for_status()
    login = httpx.post(
        f"{auth_url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30
    )
    login.raise_for_status()


def measure(stream_url: str, auth_url: str, seconds: float) -> dict[str, WrkResult]:
    """Playback alone, then playback during the storm (each warmed up first)."""
    playback(stream_url, 1).wait()
    alone = playback(stream_url, seconds).wait()
    logins = storm(auth_url, seconds).start()
    during = playback(stream_url, seconds).start()
    return {"alone": alone, "during": during.wait(), "logins": logins.wait()}


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    source = object_file(plan.cache)
    report = BenchReport(
        NAME,
        f"4. Login storm: streaming latency during {LOGINS} concurrent logins ÷ alone, "
        f"{seconds:g} s per run",
        f"wrk (Debian): -c{PLAYERS} lua/ranges.lua (1 MiB ranges) for playback, "
        f"-c{LOGINS} lua/post_json.lua for the sign-ins, at the same time",
    )
    results: dict[str, dict[str, WrkResult]] = {}
    with Service("dev", workdir, keys, command="dev", settings=NO_THROTTLE) as dev:
        store_local(dev.data_dir / "objects", "media", MEDIA_KEY, source)
        register(dev.url)
        results["one process (dev)"] = measure(
            dev.url + dev.issue_stream_url(MEDIA_KEY, OBJECT_BYTES), dev.url, seconds
        )
    with contextlib.ExitStack() as stack:
        auth = stack.enter_context(
            Service("auth", workdir, keys, modules=("auth",), settings=EMBEDDED).migrate()
        )
        streaming = Service("streaming", workdir, keys, modules=("streaming",), settings=EMBEDDED)
        store_local(streaming.data_dir / "objects", "media", MEDIA_KEY, source)
        stack.enter_context(streaming)
        register(auth.url)
        results["split processes"] = measure(
            streaming.url + streaming.issue_stream_url(MEDIA_KEY, OBJECT_BYTES),
            auth.url,
            seconds,
        )
    for deployment, runs in results.items():
        alone, during, logins = runs["alone"], runs["during"], runs["logins"]
        for q in ("99", "50"):
            report.rows.append(
                Row(
                    f"{deployment}: streaming p{q} during logins ÷ alone",
                    Quantity("during", during.percentile_ms(q), "ms"),
                    Quantity("alone", alone.percentile_ms(q), "ms"),
                )
            )
        report.rows.append(
            Row(
                f"{deployment}: streaming throughput during logins ÷ alone",
                Quantity("during", during.bytes_per_second, "B/s"),
                Quantity("alone", alone.bytes_per_second, "B/s"),
            )
        )
        report.rows.append(
            Row(
                f"{deployment}: sign-ins completed (p99 latency {logins.percentile_ms('99'):,.0f} ms)",
                Quantity("logins", logins.requests_per_second, "req/s"),
                kind="value",
            )
        )
        for name, result in runs.items():
            if result.error_count:
                report.notes.append(f"{deployment} {name}: errors {result.errors}")
    report.notes.append(
        f"argon2id runs in worker processes at nice 19, at most {hashing_slots(1)} at once on "
        "this machine (every core but one); the sign-in throttle is raised for the bench "
        f"processes; object {OBJECT_BYTES // MIB} MiB on the local directory, in the page cache"
    )
    report.raw = {
        deployment: {name: result.as_json() for name, result in runs.items()}
        for deployment, runs in results.items()
    }
    return report
