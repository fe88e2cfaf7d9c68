"""A backend that hangs costs one request its timeout, not every request.

NATS or S3 is frozen (SIGSTOP: connections are accepted by the kernel but nothing ever
answers, the worst kind of outage, as a hung host or a dropped network path). The first
request that needs it waits out the client's timeout and gets its 503; from then on a
circuit breaker fails the requests at once (well within :data:`FAST_SECONDS`) until its
background probe sees the backend answer again (SIGCONT), and the same process serves
normally again.

The bounds are made for a loaded two-core machine (a CI run beside other work), where any
request may now and then stall for a few hundred milliseconds: none of the answers after the
first may wait out the timeout, and their median must be under :data:`FAST_SECONDS`, a
quarter of it (before the breaker, every one of them took the full timeout). A bound any
tighter measured the machine's load, not the breaker.
"""

from __future__ import annotations

import statistics
import uuid
from pathlib import Path
from typing import Any

import pytest
from fault_rig import (
    BoundedClient,
    Outcome,
    admin_headers,
    frozen,
    new_item,
    production_settings,
)

from harness.tools import skip_or_fail
from streamstack.settings import Settings
from support.apps import bearer, served_app
from support.waiting import eventually

pytestmark = pytest.mark.slow

VIDEO = bytes(range(256)) * 1024  # 256 KiB
#: The median answer while the breaker is open must be faster than this.
#: The backends' timeout here: what every answer took before the breaker.
TIMEOUT_SECONDS = 1.0
FAST_SECONDS = TIMEOUT_SECONDS / 4
RECOVERY_SECONDS = 30.0
PASSWORD = "a long enough password"


async def play(client: BoundedClient, stream_url: str) -> Outcome:
    return await client.request("play", "GET", stream_url, headers={"Range": "bytes=0-65535"})


async def prepared_stream(client: BoundedClient, settings: Settings, s3: Any) -> str:
    """An item in S3 and the catalogue, and a stream URL of it for a signed-in viewer."""
    item = new_item(size=len(VIDEO))
    key = item["s3_key"]
    s3.put_object(Bucket=settings.media_bucket, Key=key, Body=VIDEO, ContentType="video/mp4")
    created = await client.request(
        "create", "POST", "/api/v1/catalogue/", json=item, headers=admin_headers(settings)
    )
    assert created.status == 201, created
    email = f"viewer-{uuid.uuid4().hex[:8]}@example.com"
    account = {"email": email, "password": PASSWORD}
    registered = await client.request("register", "POST", "/api/v1/auth/register", json=account)
    assert registered.status == 201, registered
    signed_in = await client.request("login", "POST", "/api/v1/auth/login", json=account)
    token = signed_in.json()["access_token"]
    granted = await client.request(
        "stream-token",
        "POST",
        f"/api/v1/catalogue/{item['id']}/stream-token",
        headers=bearer(token),
    )
    assert granted.status == 200, granted
    assert (await play(client, granted.json()["stream_url"])).status == 206
    # Return another token, never played: a played token's grant is reused for a few
    # seconds without asking NATS (streaming's GRANT_CACHE_SECONDS) and would still play.
    again = await client.request(
        "stream-token",
        "POST",
        f"/api/v1/catalogue/{item['id']}/stream-token",
        headers=bearer(token),
    )
    assert again.status == 200, again
    stream_url: str = again.json()["stream_url"]
    return stream_url


def assert_fail_fast(outcomes: list[Outcome], code: str) -> None:
    """Every answer a clean 503; after the first, fast (the breaker is open)."""
    for outcome in outcomes:
        assert outcome.is_clean_unavailable, outcome
        assert outcome.json()["code"] == code, outcome
    later = [o.seconds for o in outcomes[1:]]
    shown = [f"{o.seconds:.3f} s" for o in outcomes]
    assert statistics.median(later) < FAST_SECONDS, shown
    assert max(later) < TIMEOUT_SECONDS, shown


async def recovered(client: BoundedClient, stream_url: str) -> None:
    async def plays() -> bool:
        return (await play(client, stream_url)).status == 206

    await eventually(plays, "streaming recovering", RECOVERY_SECONDS)


@pytest.fixture
def settings(
    tmp_path: Path,
    fresh_database_url: str,
    nats_url: str,
    s3_endpoint: Any,
    fresh_buckets: tuple[str, str],
) -> Settings:
    return production_settings(
        tmp_path / "data",
        database_url=fresh_database_url,
        nats_url=nats_url,
        s3=s3_endpoint,
        buckets=fresh_buckets,
        s3_timeout_seconds=TIMEOUT_SECONDS,
        nats_timeout_seconds=TIMEOUT_SECONDS,
    )


async def test_a_hung_nats_costs_one_timeout_then_503s_come_at_once(
    settings: Settings, nats_server: Any, s3_client: Any
) -> None:
    if nats_server is None:
        skip_or_fail("needs a NATS server the test can freeze (STREAMSTACK_TEST_NATS_URL is set)")
    async with served_app(settings) as url, BoundedClient(url) as client:
        stream_url = await prepared_stream(client, settings, s3_client)
        with frozen(nats_server):
            outcomes = [await play(client, stream_url) for _ in range(12)]
            assert_fail_fast(outcomes, "kv_unavailable")
        await recovered(client, stream_url)


async def test_a_hung_s3_costs_one_timeout_then_503s_come_at_once(
    settings: Settings, s3_server: Any, s3_client: Any
) -> None:
    if s3_server is None:
        skip_or_fail("needs an S3 server the test can freeze (STREAMSTACK_TEST_S3_URL is set)")
    async with served_app(settings) as url, BoundedClient(url) as client:
        stream_url = await prepared_stream(client, settings, s3_client)
        with frozen(s3_server):
            outcomes = [await play(client, stream_url) for _ in range(12)]
            assert_fail_fast(outcomes, "storage_unavailable")
        await recovered(client, stream_url)
