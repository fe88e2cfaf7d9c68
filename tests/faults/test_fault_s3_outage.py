"""S3 goes away while an admin uploads a video.

The upload fails with a clear answer (503 in the error shape, with Retry-After), leaves no
catalogue item and no upload in progress, and once S3 answers again the next upload works.

Two ways to make S3 go away, because moto keeps its state in memory only:

* the S3 server itself is stopped and started again: the real fault, but moto comes back
  empty, so what the failed upload left in S3 cannot be inspected afterwards;
* the network between the app and a running moto is cut (a TCP relay that resets every
  connection and refuses new ones) and then restored: moto keeps its state, so the test
  can check that no object and no multipart upload was left behind.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fault_rig import (
    BoundedClient,
    CuttableLink,
    Outcome,
    admin_headers,
    form_headers,
    form_parts,
    free_box_header,
    production_settings,
    restarted_on_exit,
    small_mp4,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from harness.servers import S3Endpoint
from harness.tools import skip_or_fail
from streamstack.settings import Settings
from support.apps import served_app

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
#: The upload's file: a real clip followed by a ``free`` box this large.
PADDING = 40 * MIB
#: S3 goes away once this much has been sent: two 8 MiB parts are stored by then.
FAULT_AFTER = 24 * MIB


async def upload(
    client: BoundedClient,
    settings: Settings,
    *,
    padding: int = 0,
    fault: Callable[[], Awaitable[None]] | None = None,
) -> Outcome:
    """POST a form upload of the clip (plus ``padding``), calling ``fault`` mid-way."""
    clip = small_mp4()
    head, tail = form_parts(f"Fault upload {uuid.uuid4().hex[:6]}")

    async def body() -> AsyncIterator[bytes]:
        yield head + clip
        if padding:
            yield free_box_header(padding)
            sent = 8
            while sent < padding:
                if fault is not None and sent >= FAULT_AFTER:
                    await fault()
                    fault_done()
                chunk = bytes(min(MIB, padding - sent))
                sent += len(chunk)
                yield chunk
        yield tail

    faulted = False

    def fault_done() -> None:
        nonlocal fault, faulted
        fault, faulted = None, True

    length = len(head) + len(clip) + padding + len(tail)
    outcome = await client.request(
        "upload",
        "POST",
        "/api/v1/ingest/upload",
        content=body(),
        headers={**form_headers(settings), "Content-Length": str(length)},
    )
    assert padding == 0 or faulted or outcome.status >= 400, "the fault never happened"
    return outcome


async def catalogue_total(client: BoundedClient, settings: Settings) -> int:
    listing = await client.request(
        "list", "GET", "/api/v1/catalogue/?status=all", headers=admin_headers(settings)
    )
    assert listing.status == 200, listing
    total: int = listing.json()["total"]
    return total


async def upload_states(database_url: str) -> list[str]:
    """The state of every upload ingest has recorded."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT state FROM ingest_uploads"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def until_ready(client: BoundedClient, seconds: float = 30.0) -> None:
    """Poll ``GET /ready`` until the app reports every backend up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (await client.request("ready", "GET", "/ready")).status != 200:
        assert asyncio.get_running_loop().time() < deadline, "the app did not become ready"
        await asyncio.sleep(0.1)


def assert_clean_failure(outcome: Outcome) -> None:
    assert outcome.is_clean_unavailable, outcome
    assert outcome.json()["code"] in {"storage_unavailable", "service_unavailable"}, outcome


def settings_for(
    tmp_path: Path, database_url: str, nats_url: str, s3: S3Endpoint, buckets: tuple[str, str]
) -> Settings:
    # A short client timeout: a dead S3 is noticed by refused connections anyway.
    return production_settings(
        tmp_path / "data",
        database_url=database_url,
        nats_url=nats_url,
        s3=s3,
        buckets=buckets,
        s3_timeout_seconds=5.0,
    )


async def test_stop_the_s3_server_during_an_upload(
    tmp_path: Path,
    s3_server: Any,
    s3_endpoint: S3Endpoint,
    s3_client: Any,
    nats_url: str,
    fresh_database_url: str,
    fresh_buckets: tuple[str, str],
) -> None:
    if s3_server is None:
        skip_or_fail("needs an S3 server the test can stop (STREAMSTACK_TEST_S3_URL is set)")
    settings = settings_for(tmp_path, fresh_database_url, nats_url, s3_endpoint, fresh_buckets)
    async with served_app(settings) as url, BoundedClient(url) as client:
        with restarted_on_exit(s3_server):
            failed = await upload(client, settings, padding=PADDING, fault=s3_server.astop)
            assert_clean_failure(failed)
            await s3_server.astart()
        # moto restarted empty: the buckets are recreated as an operator's setup would.
        for bucket in fresh_buckets:
            s3_client.create_bucket(Bucket=bucket)

        assert await catalogue_total(client, settings) == 0
        assert await upload_states(fresh_database_url) == ["failed"]

        # The app stops failing fast once its probe sees S3 answer: /ready says when.
        await until_ready(client)
        done = await upload(client, settings)
        assert done.status == 201, done
        assert await catalogue_total(client, settings) == 1
        stored = s3_client.list_objects_v2(Bucket=fresh_buckets[0]).get("Contents", [])
        assert [o["Key"] for o in stored] == [done.json()["s3_key"]]


def list_leftovers(s3_client: Any, buckets: tuple[str, str]) -> dict[str, list[str]]:
    """Objects and unfinished multipart uploads in the test's buckets."""
    found: dict[str, list[str]] = {}
    for bucket in buckets:
        objects = s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])
        uploads = s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        names = [o["Key"] for o in objects] + [f"multipart:{u['Key']}" for u in uploads]
        if names:
            found[bucket] = names
    return found


async def test_cut_the_link_to_s3_during_an_upload_leaves_nothing_behind(
    tmp_path: Path,
    s3_endpoint: S3Endpoint,
    s3_client: Any,
    nats_url: str,
    fresh_database_url: str,
    fresh_buckets: tuple[str, str],
) -> None:
    host, port = s3_endpoint.url.removeprefix("http://").rsplit(":", 1)
    link = await CuttableLink(host, int(port)).start()
    try:
        through_link = S3Endpoint(
            url=f"http://127.0.0.1:{link.port}",
            access_key_id=s3_endpoint.access_key_id,
            secret_access_key=s3_endpoint.secret_access_key,
            region=s3_endpoint.region,
        )
        settings = settings_for(tmp_path, fresh_database_url, nats_url, through_link, fresh_buckets)
        async with served_app(settings) as url, BoundedClient(url) as client:
            failed = await upload(client, settings, padding=PADDING, fault=link.sever)
            assert_clean_failure(failed)
            link.restore()

            assert await catalogue_total(client, settings) == 0
            assert await upload_states(fresh_database_url) == ["failed"]
            # The failed write's multipart upload could not be aborted while the link was
            # cut; the store retries the abort in the background once S3 answers again.
            for _ in range(60):
                if list_leftovers(s3_client, fresh_buckets) == {}:
                    break
                await asyncio.sleep(0.5)
            assert list_leftovers(s3_client, fresh_buckets) == {}
    finally:
        await link.close()
