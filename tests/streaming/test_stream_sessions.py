"""A stream grant ends with the access token it was issued to: at its expiry, and within
:data:`~streamstack.streaming.sessions.RECHECK_SECONDS` of its revocation (sign-out, a role
change, a disabled or deleted account), wherever streaming runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from jose import jwt
from streaming_rig import PATTERN, StreamRig, assert_error

from streamstack.contracts.streaming import IssueStreamToken
from streamstack.kernel.authentication import Principal
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.streaming.repository import StreamTokenStore
from streamstack.streaming.service import StreamTokenNotFound, StreamTokens
from streamstack.streaming.sessions import RECHECK_SECONDS, SignedOutSessions
from support.clock import HeldClock


async def test_a_revoked_access_tokens_grants_stop_within_the_recheck(rig: StreamRig) -> None:
    info = await rig.put_media()
    access, other = rig.user_token(), rig.user_token()
    kept = (await rig.issue(info.key, info.size, access_token=other)).json()["stream_url"]
    response = await rig.issue(info.key, info.size, access_token=access)
    url = response.json()["stream_url"]
    assert (await rig.client.get(url)).content == PATTERN
    revocations = RevocationList(rig.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
    jti = jwt.get_unverified_claims(access)["jti"]
    await rig.in_app(revocations.revoke, jti)  # as auth's sign-out does
    async with asyncio.timeout(RECHECK_SECONDS + 5):
        while (played := await rig.client.get(url)).status_code == 200:
            await asyncio.sleep(0.1)
    assert_error(played, 404, "stream_token_not_found")
    assert (await rig.client.get(kept)).content == PATTERN  # another session's grant plays


def principal(jti: str, expires_at: int) -> Principal:
    return Principal(user_id="u1", role="viewer", jti=jti, token="t", expires_at=expires_at)


async def test_a_grant_ends_when_its_access_token_expires(tmp_path: Path) -> None:
    clock = HeldClock()
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", "stream-tokens", 3600)
    tokens = StreamTokens(StreamTokenStore(store, clock), clock=clock)
    now = int(clock().timestamp())
    request = IssueStreamToken(media_id="m1", s3_key="m1.mp4", size_bytes=10)
    granted = await tokens.issue(request, principal("a" * 32, now + 600))
    assert granted.expires_in == 600  # not the bucket's hour
    token = granted.stream_url.rsplit("/", 1)[1]
    clock.advance(599)
    assert (await tokens.resolve(token)).session == "a" * 32
    clock.advance(1)
    with pytest.raises(StreamTokenNotFound):
        await tokens.resolve(token)


async def test_the_revocation_list_is_asked_once_per_recheck(tmp_path: Path) -> None:
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", "revoked", 3600)
    revocations = RevocationList(store)
    asked: list[str] = []
    is_revoked = revocations.is_revoked

    async def counting(jti: str) -> bool:
        asked.append(jti)
        return await is_revoked(jti)

    revocations.is_revoked = counting  # type: ignore[method-assign]
    moment = [0.0]
    sessions = SignedOutSessions(revocations, recheck_seconds=5.0, monotonic=lambda: moment[0])
    assert not await sessions.revoked("j1") and not await sessions.revoked("j1")
    assert asked == ["j1"]
    await revocations.revoke("j1")
    moment[0] = 4.9
    assert not await sessions.revoked("j1")  # the answer of 4.9 s ago still holds
    moment[0] = 5.0
    assert await sessions.revoked("j1")
    moment[0] = 500.0
    assert await sessions.revoked("j1") and asked == ["j1", "j1"]  # revoked stays revoked


async def test_remembered_answers_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("streamstack.streaming.sessions.MAX_REMEMBERED", 3)
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", "revoked", 3600)
    moment = [0.0]
    sessions = SignedOutSessions(RevocationList(store), monotonic=lambda: moment[0])
    for second, jti in enumerate(["a", "b", "c", "d"]):
        moment[0] = second * RECHECK_SECONDS
        await sessions.revoked(jti)
    assert set(sessions._answers) == {"d"}  # the others were outdated
