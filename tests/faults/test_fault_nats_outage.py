"""NATS stops while people stream and sign in, then comes back.

While it is down: issuing a stream token and delivering one answer 503 with Retry-After
(both need the KV store), at once and never hanging; browsing still works (it needs no
NATS). When NATS is back, the same process recovers by itself, and a token revoked before
the outage is still refused: the revocation list lives in JetStream's file storage.

Signing in needs only the database: the login-throttling counters live in NATS KV, but
auth steps around them while the store is down, so sign-ins keep working throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from fault_rig import (
    BoundedClient,
    Outcome,
    admin_headers,
    assert_no_slow_answers,
    new_item,
    production_settings,
    restarted_on_exit,
)

from harness.tools import skip_or_fail
from support.apps import bearer, served_app
from support.waiting import eventually

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
VIDEO = bytes(range(256)) * 1024  # 256 KiB
RECOVERY_SECONDS = 30.0
#: How often each background viewer asks for a stream token: a player's pace. Asked in a
#: loop, the account's stream-token budget (20, then one every 3 s) would answer 429
#: instead of showing the outage.
TOKEN_PACE_SECONDS = 2.0


async def register(client: BoundedClient, email: str) -> Outcome:
    return await client.request(
        "register", "POST", "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )


async def sign_in(client: BoundedClient, email: str) -> Outcome:
    return await client.request(
        "login", "POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )


async def play(client: BoundedClient, stream_url: str) -> Outcome:
    return await client.request("play", "GET", stream_url, headers={"Range": "bytes=0-65535"})


async def ask_token(client: BoundedClient, item_id: str, token: str) -> Outcome:
    return await client.request(
        "stream-token", "POST", f"/api/v1/catalogue/{item_id}/stream-token", headers=bearer(token)
    )


async def test_stop_nats_while_streams_and_logins_run(
    tmp_path: Path,
    nats_server: Any,
    nats_url: str,
    fresh_database_url: str,
    s3_endpoint: Any,
    s3_client: Any,
    fresh_buckets: tuple[str, str],
) -> None:
    if nats_server is None:
        skip_or_fail("needs a NATS server the test can stop (STREAMSTACK_TEST_NATS_URL is set)")
    settings = production_settings(
        tmp_path / "data",
        database_url=fresh_database_url,
        nats_url=nats_url,
        s3=s3_endpoint,
        buckets=fresh_buckets,
    )
    item = new_item(size=len(VIDEO))
    s3_client.put_object(
        Bucket=fresh_buckets[0], Key=item["s3_key"], Body=VIDEO, ContentType="video/mp4"
    )
    email = f"viewer-{uuid.uuid4().hex[:8]}@example.com"

    async with served_app(settings) as url, BoundedClient(url) as client:
        # --- before: an item to watch, a signed-in viewer, and a revoked token -----------
        created = await client.request(
            "create", "POST", "/api/v1/catalogue/", json=item, headers=admin_headers(settings)
        )
        assert created.status == 201, created
        loaders = [f"loader-{n}-{uuid.uuid4().hex[:8]}@example.com" for n in range(3)]
        for address in (email, *loaders):
            registered = await register(client, address)
            assert registered.status == 201, registered
        viewer = (await sign_in(client, email)).json()["access_token"]
        revoked = (await sign_in(client, email)).json()["access_token"]
        logout = await client.request(
            "logout", "POST", "/api/v1/auth/logout", headers=bearer(revoked)
        )
        assert logout.status == 204, logout
        refused = await ask_token(client, item["id"], revoked)
        assert refused.status == 401 and refused.json()["code"] == "token_revoked", refused
        granted = await ask_token(client, item["id"], viewer)
        assert granted.status == 200, granted
        stream_url = granted.json()["stream_url"]
        assert (await play(client, stream_url)).status == 206
        # Played for the first time during the outage: the grant of a token played in the
        # last few seconds is reused without asking NATS (streaming's GRANT_CACHE_SECONDS).
        unplayed = await ask_token(client, item["id"], viewer)
        assert unplayed.status == 200, unplayed
        unplayed_url = unplayed.json()["stream_url"]

        # --- streams and logins keep running through the outage --------------------------
        background: list[Outcome] = []
        stop_load = asyncio.Event()

        async def viewer_load(address: str) -> None:
            asked_at = None
            while not stop_load.is_set():
                background.append(await play(client, stream_url))
                signed_in = await sign_in(client, address)
                background.append(signed_in)
                now = asyncio.get_running_loop().time()
                if signed_in.status == 200 and (
                    asked_at is None or now - asked_at >= TOKEN_PACE_SECONDS
                ):
                    asked_at = now
                    access = signed_in.json()["access_token"]
                    background.append(await ask_token(client, item["id"], access))

        load = asyncio.gather(*(viewer_load(address) for address in loaders))
        with restarted_on_exit(nats_server):
            try:
                await asyncio.sleep(0.5)
                await nats_server.astop()

                # --- during: 503 with Retry-After, at once; browsing unaffected -----------
                during = [
                    await play(client, unplayed_url),
                    await ask_token(client, item["id"], viewer),
                ]
                for outcome in during:
                    assert outcome.is_clean_unavailable, outcome
                signed_in = await sign_in(client, email)
                assert signed_in.status == 200, signed_in
                during.append(signed_in)
                browse = await client.request("browse", "GET", "/api/v1/catalogue/")
                assert browse.status == 200, browse
                assert browse.json()["total"] == 1
                await asyncio.sleep(1.0)  # let the load run against the dead server a while
                await nats_server.astart()

                # --- after: the same process recovers by itself ----------------------------
                async def plays() -> bool:
                    return (await play(client, unplayed_url)).status == 206

                await eventually(plays, "delivery recovering", RECOVERY_SECONDS)
            finally:
                stop_load.set()
                with contextlib.suppress(Exception):
                    await load
        await load  # re-raise a Hung from the load, if any

        fresh = await ask_token(client, item["id"], viewer)
        assert fresh.status == 200, fresh
        assert (await play(client, fresh.json()["stream_url"])).status == 206
        assert (await sign_in(client, email)).status == 200
        still_refused = await ask_token(client, item["id"], revoked)
        assert still_refused.status == 401, still_refused
        assert still_refused.json()["code"] == "token_revoked"
        me = await client.request("me", "GET", "/api/v1/auth/me", headers=bearer(revoked))
        assert me.status == 401, me

        # Background workers retry with backoff: readiness comes back when they do.
        async def ready() -> bool:
            return (await client.request("ready", "GET", "/ready")).status == 200

        await eventually(ready, "readiness after the outage", RECOVERY_SECONDS)

    unexpected = [
        str(o)
        for o in background
        if not (
            o.status == 200 if o.what == "login" else (o.status < 300 or o.is_clean_unavailable)
        )
    ]
    assert not unexpected, unexpected[:5]
    assert any(o.is_clean_unavailable for o in background), "the load never saw the outage"
    assert_no_slow_answers(background + during)
