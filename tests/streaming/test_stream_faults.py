"""Faults: NATS or S3 going away gives quick 503s in the error shape, and the service heals
by itself when they return. The app runs in uvicorn, as in production."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from streaming_rig import (
    PATTERN,
    LiveStream,
    StreamSettings,
    SwitchableProxy,
    assert_error,
    chunks_of,
    live_stream,
    media_key,
)

from harness.tools import skip_or_fail
from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN
from streamstack.kernel.backends import Backends
from streamstack.kernel.transport import SECRET_HEADER
from support.apps import INTERNAL_SECRET, bearer, mint_token

RECOVERY_SECONDS = 30


async def until_ok(live: LiveStream, url: str) -> httpx.Response:
    """GET ``url`` until it answers 200 in full (the backend came back), within a generous
    bound. A response cut short counts as not yet: under a loaded CI a store that just
    came back may still pause past the short read timeout these tests set."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        try:
            response = await live.http.get(url)
            last = f"{response.status_code}: {response.text}"
        except httpx.TransportError as exc:
            last = f"cut short: {exc!r}"
        else:
            if response.status_code == 200:
                return response
        assert time.monotonic() < deadline, f"still {last}"
        await asyncio.sleep(0.2)


async def issue(live: LiveStream, key: str, size: int) -> httpx.Response:
    return await live.http.post(
        live.app_url + ISSUE_STREAM_TOKEN.path,
        json={"media_id": "m", "s3_key": key, "size_bytes": size},
        headers={SECRET_HEADER: INTERNAL_SECRET, **bearer(mint_token(live.settings))},
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert_error(response, 503)
    assert int(response.headers["retry-after"]) > 0


async def test_nats_outage_is_503_and_the_service_heals_itself(
    production_stream_settings: StreamSettings, nats_server: Any
) -> None:
    if nats_server is None:
        skip_or_fail("needs the session's own NATS server, to stop it")
    async with live_stream(production_stream_settings()) as live:
        info = await live.put_media()
        url = live.app_url + await live.stream_url(info)
        assert (await live.http.get(url)).status_code == 200
        # A token never played yet: a played one's grant is reused for a few seconds
        # (repository.GRANT_CACHE_SECONDS) and would still play.
        unplayed = live.app_url + await live.stream_url(info)

        await nats_server.astop()
        try:
            play_down = await live.http.get(unplayed, headers={"Range": "bytes=0-9"})
            issue_down = await issue(live, info.key, info.size)
        finally:
            await nats_server.astart()

        healed = await until_ok(live, unplayed)
        issued_again = await issue(live, info.key, info.size)

    assert_unavailable(play_down)
    assert play_down.json()["code"] in ("kv_unavailable", "nats_unavailable")
    assert_unavailable(issue_down)
    assert healed.content == PATTERN  # the token survived, on JetStream's disk
    assert issued_again.status_code == 200


async def test_thumbnails_wait_for_the_hidden_items_when_nats_is_down_at_start_up(
    production_stream_settings: StreamSettings, nats_server: Any
) -> None:
    """Until streaming has read which items are hidden, it cannot tell an unpublished
    item's thumbnail from a published one's: 503, not the picture (fail closed), and the
    thumbnail once NATS is back."""
    if nats_server is None:
        skip_or_fail("needs the session's own NATS server, to stop it")
    await nats_server.astop()
    try:
        # Start-up waits for NATS for this long, twice (5 s by default): the wait is not
        # what this test is about, what streaming answers meanwhile and after is.
        settings = production_stream_settings(nats_timeout_seconds=1.0)
        async with live_stream(settings) as live:
            thumbnails = live.backends.objects(live.settings.thumbnails_bucket)
            key = f"{uuid.uuid4()}.jpg"
            await thumbnails.write(key, chunks_of(b"\xff\xd8\xff\xd9"), content_type="image/jpeg")
            url = f"{live.app_url}/api/v1/stream/thumbnails/{key}"
            down = await live.http.get(url)
            await nats_server.astart()
            healed = await until_ok(live, url)
    finally:
        await nats_server.astart()

    assert_unavailable(down)
    assert down.json()["code"] == "hidden_items_unknown"
    assert healed.content == b"\xff\xd8\xff\xd9"


async def test_s3_outage_is_503_and_the_service_heals_itself(
    production_stream_settings: StreamSettings, s3_server: Any, s3_client: Any
) -> None:
    if s3_server is None:
        skip_or_fail("needs the session's own S3 server, to stop it")
    settings = production_stream_settings()
    async with live_stream(settings) as live:
        info = await live.put_media()
        url = live.app_url + await live.stream_url(info)
        thumbnail = f"{live.app_url}/api/v1/stream/thumbnails/{info.key[:36]}.jpg"
        assert (await live.http.get(url)).status_code == 200

        await s3_server.astop()
        try:
            play_down = await live.http.get(url)
            head_down = await live.http.head(url)
            thumbnail_down = await live.http.get(thumbnail)
        finally:
            await s3_server.astart()
        # moto keeps nothing across a restart: put the buckets and the object back.
        for bucket in (settings.media_bucket, settings.thumbnails_bucket):
            s3_client.create_bucket(Bucket=bucket)
        await live.put_media(key=info.key)

        healed = await until_ok(live, url)

    assert_unavailable(play_down)
    assert play_down.json()["code"] == "storage_unavailable"
    assert head_down.status_code == 503
    assert_unavailable(thumbnail_down)
    assert healed.content == PATTERN


@pytest.fixture
async def hung_s3_proxy(s3_endpoint: Any) -> Any:
    upstream = urlsplit(s3_endpoint.url)
    async with SwitchableProxy(upstream.hostname or "127.0.0.1", upstream.port or 80) as proxy:
        yield proxy


async def test_a_hung_s3_costs_the_configured_timeout_not_forever(
    production_stream_settings: StreamSettings, hung_s3_proxy: SwitchableProxy
) -> None:
    settings = production_stream_settings(s3_endpoint_url=hung_s3_proxy.url, s3_timeout_seconds=0.5)
    async with live_stream(settings) as live:
        url = live.app_url + await live.stream_url(await live.put_media())
        assert (await live.http.get(url)).status_code == 200

        hung_s3_proxy.hang()
        # Far longer than 0.5 s x the client's attempts: a hanging request fails the test.
        down = await live.http.get(url, timeout=30)
        hung_s3_proxy.recover()

        healed = await until_ok(live, url)

    assert_unavailable(down)
    assert down.json()["code"] == "storage_unavailable"
    assert healed.content == PATTERN


async def test_s3_failing_mid_stream_cuts_the_response_short(
    production_stream_settings: StreamSettings, hung_s3_proxy: SwitchableProxy
) -> None:
    direct = production_stream_settings()
    settings = dataclasses.replace(
        direct, s3_endpoint_url=hung_s3_proxy.url, s3_timeout_seconds=0.5
    )
    big = PATTERN * 16 * 1024  # 16 MB: far more than the socket buffers hold
    # Stored straight into S3 at the usual timeout: through the proxy at 0.5 s, a loaded
    # CI's slow CompleteMultipartUpload was sent again, and moto answers the repeat 500.
    async with Backends(direct) as backends:
        stored = await backends.objects(direct.media_bucket).write(
            media_key(), chunks_of(big), content_type="video/mp4"
        )
    async with live_stream(settings) as live:
        url = live.app_url + await live.stream_url(stored)

        received = 0

        async def read_while_s3_hangs() -> None:
            nonlocal received
            async with live.http.stream("GET", url, timeout=30) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_raw():
                    received += len(chunk)
                    if not hung_s3_proxy.hung:
                        hung_s3_proxy.hang()

        with pytest.raises(httpx.HTTPError):  # the connection ends before Content-Length
            await read_while_s3_hangs()
        hung_s3_proxy.recover()

        healed = await until_ok(live, url)

    assert 0 < received < len(big)
    assert healed.content == big
