"""A share link's grant (``ISSUE_SHARED_STREAM_TOKEN``, asked by the catalogue for no user):
a viewer's grant of one item under the session ``share-<id>``, which plays the item's
package but never its original nor another item, stops within the recheck once that
session is on the revocation list (the link stopped), and ends at the link's expiry."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from streaming_rig import PATTERN, StreamRig, assert_error, item_request, store_package

from streamstack.contracts.streaming import (
    ISSUE_SHARED_STREAM_TOKEN,
    IssueSharedStreamToken,
    IssueStreamToken,
    share_session,
)
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.streaming.repository import StreamTokenStore
from streamstack.streaming.service import StreamTokenNotFound, StreamTokens
from streamstack.streaming.sessions import RECHECK_SECONDS
from support.apps import INTERNAL_SECRET
from support.clock import HeldClock


async def issue_shared(
    rig: StreamRig, grant: dict[str, Any], share_id: str, **fields: Any
) -> httpx.Response:
    """Ask for a share link's grant over ``/internal/`` as the catalogue would (no bearer)."""
    payload = {"share_id": share_id, "grant": grant, **fields}
    headers = {SECRET_HEADER: INTERNAL_SECRET}
    return await rig.client.post(ISSUE_SHARED_STREAM_TOKEN.path, json=payload, headers=headers)


async def test_a_shared_grant_plays_its_items_package_alone(rig: StreamRig) -> None:
    media_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    await rig.in_app(store_package, rig.media, other)
    request = {**item_request(media_id), "download_name": "film.mp4"}
    response = await issue_shared(rig, request, str(uuid.uuid4()))
    assert response.status_code == 200, response.text
    grant = response.json()
    base = grant["stream_url"]
    assert grant["hls_url"] == f"{base}/hls/master.m3u8"
    assert grant["download_url"] is None  # a share link never downloads
    assert (await rig.client.get(grant["hls_url"])).status_code == 200
    segment = await rig.client.get(f"{base}/hls/240p/seg_00001.m4s", headers={"Range": "bytes=0-9"})
    assert segment.status_code == 206 and segment.content == PATTERN[:10]
    assert_error(await rig.client.get(base), 404, "stream_file_not_found")  # the original
    assert_error(await rig.client.get(f"{base}/original"), 404, "stream_file_not_found")
    assert_error(
        await rig.client.get(f"{base}/../{other}/hls/master.m3u8"), 404, None
    )  # another item's package is outside the grant's prefix


async def test_an_unpackaged_items_shared_grant_plays_its_original(rig: StreamRig) -> None:
    info = await rig.put_media()
    grant = {"media_id": str(uuid.uuid4()), "s3_key": info.key, "size_bytes": info.size}
    response = await issue_shared(rig, grant, str(uuid.uuid4()))
    assert response.status_code == 200, response.text
    assert (await rig.client.get(response.json()["stream_url"])).content == PATTERN


async def test_a_shared_grant_needs_the_service_secret(rig: StreamRig) -> None:
    info = await rig.put_media()
    grant = {"media_id": str(uuid.uuid4()), "s3_key": info.key, "size_bytes": info.size}
    payload = {"share_id": str(uuid.uuid4()), "grant": grant}
    refused = await rig.client.post(ISSUE_SHARED_STREAM_TOKEN.path, json=payload)
    assert refused.status_code == 401
    bad = await issue_shared(rig, grant, "not-a-uuid")
    assert bad.status_code == 400


async def test_a_stopped_links_grants_stop_within_the_recheck(rig: StreamRig) -> None:
    info = await rig.put_media()
    grant = {"media_id": str(uuid.uuid4()), "s3_key": info.key, "size_bytes": info.size}
    stopped, kept = str(uuid.uuid4()), str(uuid.uuid4())
    url = (await issue_shared(rig, grant, stopped)).json()["stream_url"]
    other = (await issue_shared(rig, grant, kept)).json()["stream_url"]
    assert (await rig.client.get(url)).content == PATTERN
    revocations = RevocationList(rig.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
    await rig.in_app(revocations.revoke, share_session(stopped))  # as the catalogue's revoke
    async with asyncio.timeout(RECHECK_SECONDS + 5):
        while (played := await rig.client.get(url)).status_code == 200:
            await asyncio.sleep(0.1)
    assert_error(played, 404, "stream_token_not_found")
    assert (await rig.client.get(other)).content == PATTERN  # another link's grant plays


async def test_a_shared_grant_ends_at_the_links_expiry(tmp_path: Path) -> None:
    clock = HeldClock()
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", "stream-tokens", 3600)
    tokens = StreamTokens(StreamTokenStore(store, clock), clock=clock)
    now = int(clock().timestamp())
    item = IssueStreamToken(media_id="m1", s3_key="m1.mp4", size_bytes=10)
    share_id = str(uuid.uuid4())
    granted = await tokens.issue_shared(
        IssueSharedStreamToken(share_id=share_id, grant=item, expires_at=now + 600)
    )
    assert granted.expires_in == 600  # not the bucket's hour
    token = granted.stream_url.rsplit("/", 1)[1]
    found = await tokens.resolve(token)
    assert (found.user_id, found.session) == (share_session(share_id),) * 2
    assert found.download_name == ""
    clock.advance(599)
    await tokens.resolve(token)
    clock.advance(1)
    with pytest.raises(StreamTokenNotFound):
        await tokens.resolve(token)
    never = await tokens.issue_shared(IssueSharedStreamToken(share_id=share_id, grant=item))
    assert never.expires_in == 3600  # a link that never expires: the grant's own TTL
