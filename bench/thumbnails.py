"""Thumbnails: what a browse page's stills cost, and what the stills pass adds.

A browse page loads 24 thumbnails; each is a request to streaming, which since session 24
also asks whether the item is hidden (a dict lookup) and, for a hidden one, checks the
admin's stills pass (the access token: RS256 verified once and then remembered, and a
revocation lookup in KV per request). One ``streamstack serve --module streaming``
process on the local directory (dev backends), one 20 KiB still stored for a published
item and for an unpublished one (its id in the saved hidden set before start-up), 16
connections, 10 s per row:

* a published item's thumbnail ÷ ``/health`` of the same process (the app's floor);
* an unpublished item's, with an admin's stills pass ÷ the published item's.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import httpx

from bench.load import WrkResult, run_wrk
from bench.media import store_local
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service
from bench.report import BenchReport, Quantity, Row
from bench.throughput import LOCAL_BACKENDS
from streamstack.contracts.streaming import STILLS_PASS_COOKIE, THUMBNAILS_PATH

NAME = "thumbnails"
CONNECTIONS = 16
SECONDS = 10.0
STILL_BYTES = 20 * 1024
THUMBNAILS_BUCKET = "thumbnails"


def hide(data_dir: Path, media_id: str) -> None:
    """Save ``media_id`` as unpublished where the service reads its hidden items at start-up."""
    import asyncio

    from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
    from streamstack.streaming.models import Seen
    from streamstack.streaming.repository import (
        HIDDEN_ITEMS_BUCKET,
        HIDDEN_ITEMS_TTL_SECONDS,
        HiddenItemsRecord,
    )

    async def save() -> None:
        store = EmbeddedKeyValueStore(
            data_dir / "kv.sqlite3", HIDDEN_ITEMS_BUCKET, HIDDEN_ITEMS_TTL_SECONDS
        )
        seen = {media_id: Seen(hidden=True, at=time.time(), lasting=True)}
        await HiddenItemsRecord(store).save(seen)
        await store.close()

    asyncio.run(save())


def stills_service(workdir: Path, keys: BenchKeys) -> tuple[Service, str, str]:
    """The service, and the paths of a published and an unpublished item's thumbnail."""
    service = Service(
        "streaming-stills", workdir, keys, modules=("streaming",), settings=LOCAL_BACKENDS
    )
    still = workdir / "still.jpg"
    still.write_bytes(b"\xff\xd8" + os.urandom(STILL_BYTES - 4) + b"\xff\xd9")
    shown, hidden = str(uuid.uuid4()), str(uuid.uuid4())
    for media_id in (shown, hidden):
        store_local(service.data_dir / "objects", THUMBNAILS_BUCKET, f"{media_id}.jpg", still)
    hide(service.data_dir, hidden)
    return service, f"{THUMBNAILS_PATH}/{shown}.jpg", f"{THUMBNAILS_PATH}/{hidden}.jpg"


def check_answers(url: str, shown: str, hidden: str, cookie: str) -> None:
    """The rows measure what they say: 200 for the published still, 404 for the hidden one
    without the pass and 200 with it."""
    answers = (
        httpx.get(url + shown).status_code,
        httpx.get(url + hidden).status_code,
        httpx.get(url + hidden, headers={"Cookie": cookie}).status_code,
    )
    if answers != (200, 404, 200):
        raise RuntimeError(f"published, hidden, hidden with a pass answered {answers}")


def measure(url: str, seconds: float, cookie: str | None = None) -> WrkResult:
    return run_wrk(
        url,
        script="get_cookie.lua" if cookie else "get.lua",
        seconds=seconds,
        connections=CONNECTIONS,
        env={"BENCH_COOKIE": cookie} if cookie else None,
    )


def rate(label: str, result: WrkResult) -> Quantity:
    return Quantity(label, result.requests_per_second, "req/s")


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    report = BenchReport(
        NAME,
        f"Thumbnails: {STILL_BYTES // 1024} KiB stills, {CONNECTIONS} clients, {seconds:g} s per row",
        f"wrk (Debian) -t2 -c{CONNECTIONS}, lua/get.lua and lua/get_cookie.lua",
    )
    service, shown, hidden = stills_service(workdir, keys)
    cookie = f"{STILLS_PASS_COOKIE}={keys.access_token(role='admin')}"
    with service:
        check_answers(service.url, shown, hidden, cookie)
        targets = {
            "health": (service.url + "/health", None),
            "published": (service.url + shown, None),
            "hidden_with_pass": (service.url + hidden, cookie),
        }
        for url, with_cookie in targets.values():  # warm the connections and caches
            measure(url, 1, with_cookie)
        results = {name: measure(url, seconds, c) for name, (url, c) in targets.items()}
    report.rows = [
        Row(
            "a published item's thumbnail ÷ /health",
            rate("thumbnail", results["published"]),
            rate("/health", results["health"]),
        ),
        Row(
            "an unpublished item's, with an admin's stills pass ÷ a published item's",
            rate("with the pass", results["hidden_with_pass"]),
            rate("published", results["published"]),
        ),
    ]
    report.notes += [
        f"{name}: {result.errors} errors in {result.requests} requests"
        for name, result in results.items()
        if result.error_count
    ]
    report.notes.append(
        f"one `streamstack serve --module streaming` process (uvicorn, 1 worker, dev backends: "
        f"the embedded KV holds the revocation list); {os.cpu_count()} cores shared with wrk"
    )
    report.raw = {name: result.as_json() for name, result in results.items()}
    return report
