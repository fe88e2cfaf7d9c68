"""Issuing stream tokens: over /internal/ and in-process, who may, what is stored, expiry."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Request, post
from streaming_rig import PATTERN, StreamRig, StreamSettings, assert_error, stream_rig

from harness.servers import NatsServer
from streamstack.contracts.limits import STREAM_TOKEN_BURST, STREAM_TOKEN_REFILL_SECONDS
from streamstack.contracts.streaming import (
    ISSUE_STREAM_TOKEN,
    STREAM_TOKENS_BUCKET,
    IssueStreamToken,
    StreamingClient,
)
from streamstack.kernel.guards import provide_call_context
from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.operation import CallContext
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from streamstack.streaming import module as streaming_module
from streamstack.streaming import repository as token_repository
from support.apps import INTERNAL_SECRET, bearer, mint_token, running_app
from support.clock import HeldClock


def token_of(stream_url: str) -> str:
    prefix = "/api/v1/stream/"
    assert stream_url.startswith(prefix), stream_url
    return stream_url.removeprefix(prefix)


async def test_issue_stores_the_grant_and_returns_a_playable_url(rig: StreamRig) -> None:
    info = await rig.put_media()
    user_id, media_id = str(uuid.uuid4()), str(uuid.uuid4())
    before = int(time.time())

    response = await rig.issue(
        info.key, info.size, media_id=media_id, access_token=rig.user_token(user_id=user_id)
    )

    assert response.status_code == 200, response.text
    grant = response.json()
    # The grant lasts as long as the access token that asked (30 min), not the hour a
    # token may live at most.
    assert rig.settings.stream_token_ttl_seconds == 3600
    assert 1800 - 5 <= grant["expires_in"] <= 1800
    token = token_of(grant["stream_url"])
    assert len(token) >= 22  # at least 128 bits of URL-safe base64
    assert token.replace("-", "").replace("_", "").isalnum()
    kv = rig.backends.kv(STREAM_TOKENS_BUCKET, rig.settings.stream_token_ttl_seconds)
    stored = await rig.in_app(kv.get, token)
    assert stored is not None
    fields = stored.decode().split("|")
    stored_media, stored_user, stamp, key, size, prefix, session, ends, download, plays = fields
    assert download == ""  # a viewer's grant: no download of the original
    assert plays == "1"  # no package: the original is what plays
    assert (stored_media, stored_user, key, size) == (media_id, user_id, info.key, "1000")
    assert len(session) == 32 and int(ends) == int(stamp) + grant["expires_in"]
    assert prefix == ""  # no prefix asked for: the original alone
    assert grant["hls_url"] is None
    assert grant["storyboard_url"] is None
    assert before <= int(stamp) <= int(time.time())
    played = await rig.client.get(grant["stream_url"])
    assert played.content == PATTERN


async def test_every_issue_draws_a_new_token(rig: StreamRig) -> None:
    info = await rig.put_media()

    urls = {await rig.stream_url(info) for _ in range(5)}

    assert len(urls) == 5
    for url in urls:
        assert (await rig.client.get(url, headers={"Range": "bytes=0-0"})).content == PATTERN[:1]


async def test_one_account_asking_for_tokens_in_a_loop_is_throttled(
    stream_settings: StreamSettings,
) -> None:
    """A script looping on the issue would store a token per request for an hour: past
    its burst, the account gets 429 with Retry-After and nothing stored, with a fresh
    access token too (a refresh gains nothing), until the budget refills with time; other
    accounts are not held back."""
    clock = HeldClock()
    async with stream_rig(stream_settings(), clock=clock) as rig:
        info = await rig.put_media()
        account = str(uuid.uuid4())
        looping, other = rig.user_token(user_id=account), rig.user_token()
        for _ in range(STREAM_TOKEN_BURST):
            assert (await rig.issue(info.key, info.size, access_token=looping)).status_code == 200
        refused = await rig.issue(info.key, info.size, access_token=looping)
        assert_error(refused, 429, "stream_tokens_throttled")
        assert refused.headers["retry-after"] == str(STREAM_TOKEN_REFILL_SECONDS)
        refreshed = rig.user_token(user_id=account)
        assert_error(await rig.issue(info.key, info.size, access_token=refreshed), 429)
        assert (await rig.issue(info.key, info.size, access_token=other)).status_code == 200
        clock.advance(STREAM_TOKEN_REFILL_SECONDS)
        assert (await rig.issue(info.key, info.size, access_token=looping)).status_code == 200
        refused = await rig.issue(info.key, info.size, access_token=looping)
        assert_error(refused, 429, "stream_tokens_throttled")


async def test_an_existing_token_is_never_overwritten(
    rig: StreamRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await rig.put_media(PATTERN), await rig.put_media(PATTERN[::-1])
    draws = iter(["T" * 43, "T" * 43, "U" * 43])
    monkeypatch.setattr(token_repository.secrets, "token_urlsafe", lambda _: next(draws))

    first_url = await rig.stream_url(first)
    second_url = await rig.stream_url(second)

    assert first_url.endswith("T" * 43)
    assert second_url.endswith("U" * 43)
    assert (await rig.client.get(first_url)).content == PATTERN
    assert (await rig.client.get(second_url)).content == PATTERN[::-1]


async def test_issue_requires_a_valid_access_token(rig: StreamRig) -> None:
    info = await rig.put_media()
    settings = rig.settings
    other_keys = Path(rig.settings.data_dir) / "other-jwt"
    ensure_dev_keypair(other_keys / "private.pem", other_keys / "public.pem")
    forged_settings = settings.replace(jwt_private_key_path=other_keys / "private.pem")
    bad_tokens = {
        "garbage": "not.a.jwt",
        "refresh token": mint_token(settings, typ="refresh"),
        "expired": mint_token(settings, ttl_seconds=-10),
        "wrong audience": mint_token(settings, aud="someone-else"),
        "forged": mint_token(forged_settings),
    }
    for what, token in bad_tokens.items():
        response = await rig.issue(info.key, info.size, access_token=token)
        assert_error(response, 401)
        assert response.json()["code"] == "invalid_token", what

    anonymous = await rig.client.post(
        ISSUE_STREAM_TOKEN.path,
        json={"media_id": "m", "s3_key": info.key, "size_bytes": info.size},
        headers={SECRET_HEADER: INTERNAL_SECRET},
    )
    assert_error(anonymous, 401, "unauthorized")  # no token at all: the kernel's answer


async def test_a_revoked_access_token_gets_no_stream_token(rig: StreamRig) -> None:
    info = await rig.put_media()
    jti = uuid.uuid4().hex
    revocations = RevocationList(rig.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
    await rig.in_app(revocations.revoke, jti)

    response = await rig.issue(info.key, info.size, access_token=rig.user_token(jti=jti))

    assert_error(response, 401, "token_revoked")


async def test_the_internal_endpoint_requires_the_service_secret(rig: StreamRig) -> None:
    payload = {"media_id": "m", "s3_key": "a.mp4", "size_bytes": 1}
    headers = bearer(rig.user_token())

    missing = await rig.client.post(ISSUE_STREAM_TOKEN.path, json=payload, headers=headers)
    wrong = await rig.client.post(
        ISSUE_STREAM_TOKEN.path, json=payload, headers={**headers, SECRET_HEADER: "guess"}
    )

    assert_error(missing, 401, "invalid_service_secret")
    assert_error(wrong, 401, "invalid_service_secret")


@pytest.mark.parametrize(
    "payload",
    [
        {"media_id": "m", "s3_key": "../outside.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": "/etc/passwd", "size_bytes": 1},
        {"media_id": "m", "s3_key": "a/../../b.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": "a|b.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": "with space.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": "a\\b.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": "", "size_bytes": 1},
        {"media_id": "m", "s3_key": "k" * 1025, "size_bytes": 1},
        {"media_id": "m", "s3_key": "a.mp4", "size_bytes": -1},
        {"media_id": "m", "s3_key": "a.mp4", "size_bytes": 2**60},
        {"media_id": "m", "s3_key": "a.mp4", "size_bytes": "12"},
        {"media_id": "", "s3_key": "a.mp4", "size_bytes": 1},
        {"media_id": "a|b", "s3_key": "a.mp4", "size_bytes": 1},
        {"media_id": "m" * 65, "s3_key": "a.mp4", "size_bytes": 1},
        {"s3_key": "a.mp4", "size_bytes": 1},
        {"media_id": "m", "s3_key": None, "size_bytes": 1},
    ],
)
async def test_bad_issue_requests_are_400(rig: StreamRig, payload: dict[str, Any]) -> None:
    headers = {SECRET_HEADER: INTERNAL_SECRET, **bearer(rig.user_token())}

    response = await rig.client.post(ISSUE_STREAM_TOKEN.path, json=payload, headers=headers)

    assert_error(response, 400)


async def test_malformed_json_is_400(rig: StreamRig) -> None:
    headers = {SECRET_HEADER: INTERNAL_SECRET, **bearer(rig.user_token())}

    response = await rig.client.post(ISSUE_STREAM_TOKEN.path, content=b"{nope", headers=headers)

    assert_error(response, 400)


# --- in-process: what the catalogue does when streaming is mounted beside it ---------------


def caller_module() -> ModuleDefinition:
    """A stand-in for the catalogue: forwards the caller's identity to streaming."""

    def mount(context: ModuleContext) -> MountedModule:
        client = StreamingClient(context.transport("streaming"))

        @post("/test/stream-token", dependencies={"call": provide_call_context})
        async def ask(request: Request[Any, Any, Any], call: CallContext) -> dict[str, Any]:
            # Built by hand, unchecked, as a module's own code would: the transport checks it.
            wanted = IssueStreamToken(**msgspec.json.decode(await request.body()))
            return msgspec.structs.asdict(await client.issue_token(wanted, call))

        return MountedModule(name="catalogue", route_handlers=[ask])

    return ModuleDefinition(name="catalogue", mount=mount)


@pytest.fixture
async def in_process(stream_settings: StreamSettings) -> AsyncIterator[StreamRig]:
    settings: Settings = stream_settings(modules=("streaming", "catalogue"))
    definitions = {"streaming": streaming_module.MODULE, "catalogue": caller_module()}
    async with running_app(settings, definitions, migrate=False) as client:
        yield StreamRig(client, settings)


async def test_in_process_issue_works_like_the_http_one(in_process: StreamRig) -> None:
    info = await in_process.put_media()
    body = {"media_id": "m1", "s3_key": info.key, "size_bytes": info.size}

    granted = await in_process.client.post(
        "/test/stream-token", json=body, headers=bearer(in_process.user_token())
    )
    anonymous = await in_process.client.post("/test/stream-token", json=body)
    bad_key = await in_process.client.post(
        "/test/stream-token",
        json={**body, "s3_key": "../x"},
        headers=bearer(in_process.user_token()),
    )

    assert granted.status_code == 201, granted.text
    assert 1800 - 5 <= granted.json()["expires_in"] <= 1800  # the access token's life
    played = await in_process.client.get(granted.json()["stream_url"])
    assert played.content == PATTERN
    assert_error(anonymous, 401, "unauthorized")
    assert_error(bad_key, 400, "validation_error")


# --- expiry -------------------------------------------------------------------------------


@pytest.fixture
def short_lived_settings(
    stream_backend: str, stream_settings: StreamSettings, tmp_path: Path
) -> Any:
    """Settings whose stream tokens live one second.

    On NATS the TTL belongs to the bucket, which the session's server holds with the normal
    TTL for the other tests: opening it with one second would give it that TTL, so this test
    gets a NATS server of its own.
    """
    if stream_backend == "embedded":
        yield stream_settings(stream_token_ttl_seconds=1)
        return
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield stream_settings(stream_token_ttl_seconds=1, nats_url=server.url)
    finally:
        server.stop()


async def test_an_expired_token_is_404(short_lived_settings: Settings) -> None:
    async with stream_rig(short_lived_settings) as rig:
        url = await rig.object_url()
        assert (await rig.client.get(url)).status_code == 200

        deadline = time.monotonic() + 20
        while (response := await rig.client.get(url)).status_code == 200:
            assert time.monotonic() < deadline, "the token outlived its TTL by far"
            await asyncio.sleep(0.25)

        assert_error(response, 404, "stream_token_not_found")
