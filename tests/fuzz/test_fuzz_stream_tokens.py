"""Properties of the stream token format: the bearer string and its KV value.

A token is ``secrets.token_urlsafe(32)`` stored in the ``stream-tokens`` bucket with the
value ``media_id|user_id|timestamp|s3_key|size_bytes``. (The range parser's properties
are in ``tests/streaming/test_stream_range_parser.py``.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamstack.contracts.streaming import (
    DOWNLOAD_NAME_MAX,
    DownloadName,
    IssueStreamToken,
    content_disposition,
    download_name,
)
from streamstack.kernel.authentication import Authenticator
from streamstack.kernel.jwt import TokenVerifier
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.operation import CallContext
from streamstack.kernel.revocation import RevocationList
from streamstack.kernel.storage import InvalidObjectKey, check_object_key
from streamstack.settings import Settings
from streamstack.streaming.contract import issue_token_handler
from streamstack.streaming.models import StreamGrant
from streamstack.streaming.repository import StreamTokenStore
from streamstack.streaming.service import (
    STREAM_PATH,
    TOKEN_SHAPE,
    StreamTokenNotFound,
    StreamTokens,
)
from support.apps import make_settings, mint_token

media_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_\-]{0,63}\Z")
segments = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._\-]{0,30}\Z")
object_keys = st.lists(segments, min_size=1, max_size=4).map("/".join)
user_ids = st.text(
    st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), min_size=1, max_size=64
)
sizes = st.integers(min_value=0, max_value=2**53)
grants = st.builds(
    StreamGrant,
    media_id=media_ids,
    user_id=user_ids,
    issued_at=st.integers(min_value=0, max_value=2**40),
    s3_key=object_keys,
    size_bytes=sizes,
    object_prefix=st.sampled_from(["", "item/"]),
    session=st.from_regex(r"\A[A-Za-z0-9_\-]{0,64}\Z"),
    session_expires=st.integers(min_value=0, max_value=2**40),
    download_name=st.one_of(st.just(""), st.builds(download_name, st.text(), object_keys)),
    plays_original=st.booleans(),
)
#: Values that look almost like ours: five to eight fields of the right kinds, mangled.
near_misses = st.lists(
    st.one_of(st.text(max_size=20), st.integers(-(2**70), 2**70).map(str), object_keys),
    min_size=3,
    max_size=10,
).map(lambda fields: "|".join(fields).encode())


@given(grants)
def test_a_grant_round_trips_through_its_kv_value(grant: StreamGrant) -> None:
    assert StreamGrant.decode(grant.encode()) == grant


@given(st.one_of(st.binary(max_size=300), near_misses))
def test_any_kv_value_decodes_to_a_sound_grant_or_to_nothing(raw: bytes) -> None:
    grant = StreamGrant.decode(raw)
    if grant is not None:
        assert grant.size_bytes >= 0
        assert check_object_key(grant.s3_key) == grant.s3_key
        assert all("|" not in field for field in (grant.media_id, grant.user_id, grant.s3_key))


def test_a_grant_from_before_downloads_decodes_without_one() -> None:
    grant = StreamGrant.decode(b"m|u|1|m.mp4|10|m/|" + b"a" * 32 + b"|99")
    assert grant is not None and grant.download_name == "" and grant.session_expires == 99
    assert grant.plays_original  # every grant did, before packages were played alone


def test_a_grant_from_before_package_only_plays_its_original() -> None:
    grant = StreamGrant.decode(b"m|u|1|m.mp4|10|m/|" + b"a" * 32 + b"|99|Film.mp4")
    assert grant is not None and grant.download_name == "Film.mp4" and grant.plays_original
    assert StreamGrant.decode(b"m|u|1|m.mp4|10|m/|" + b"a" * 32 + b"|99||yes") is None


@given(st.text(max_size=400), object_keys)
def test_any_title_makes_a_safe_download_name(title: str, key: str) -> None:
    name = download_name(title, key)
    assert msgspec.convert(name, DownloadName) == name  # what streaming accepts
    assert not any(char in name for char in '/\\"|') and name.isprintable()
    assert not name.startswith(".") and len(name) <= DOWNLOAD_NAME_MAX + 11
    header = content_disposition(name)
    assert header.isascii() and header.isprintable()


def test_an_unsafe_key_in_a_kv_value_is_refused() -> None:
    for key in ("../etc/passwd", "/abs.mp4", "a//b.mp4", "a\\b.mp4", "a/./b.mp4", ""):
        with pytest.raises(InvalidObjectKey):
            check_object_key(key)
        assert StreamGrant.decode(f"m|u|1|{key}|10".encode()) is None


@pytest.fixture(scope="module")
def token_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings("embedded", tmp_path_factory.mktemp("tokens") / "data")


@pytest.fixture(scope="module")
def kv_stores(token_settings: Settings) -> Iterator[list[EmbeddedKeyValueStore]]:
    """The stream-token and revoked-token buckets on one embedded KV file."""
    kv_file = token_settings.data_dir / "kv.sqlite3"
    stores = [
        EmbeddedKeyValueStore(kv_file, "stream-tokens", 3600),
        EmbeddedKeyValueStore(kv_file, "revoked-tokens", 3600),
    ]
    yield stores
    for store in stores:
        asyncio.run(store.close())


@pytest.fixture(scope="module")
def tokens(kv_stores: list[EmbeddedKeyValueStore]) -> StreamTokens:
    """Streaming's token service, as streaming mounts it."""
    return StreamTokens(StreamTokenStore(kv_stores[0]))


@pytest.fixture(scope="module")
def authenticator(
    token_settings: Settings, kv_stores: list[EmbeddedKeyValueStore]
) -> Authenticator:
    """The kernel's authenticator, which runs before the operation's handler."""
    verifier = TokenVerifier.from_file(
        token_settings.public_key_path,
        issuer=token_settings.jwt_issuer,
        audience=token_settings.jwt_audience,
    )
    return Authenticator(verifier, RevocationList(kv_stores[1]))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_token_text_is_simply_unknown(tokens: StreamTokens, token: str) -> None:
    async def resolve() -> None:
        with pytest.raises(StreamTokenNotFound):
            await tokens.resolve(token)

    asyncio.run(resolve())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(media_id=media_ids, key=object_keys, size=sizes, user=st.uuids())
def test_an_issued_token_has_the_public_shape_and_resolves_to_its_grant(
    token_settings: Settings,
    tokens: StreamTokens,
    authenticator: Authenticator,
    media_id: str,
    key: str,
    size: int,
    user: uuid.UUID,
) -> None:
    access = mint_token(token_settings, user_id=str(user))

    async def issue_and_resolve() -> StreamGrant:
        caller = await authenticator.authenticate(access)
        granted = await issue_token_handler(tokens)(
            IssueStreamToken(media_id=media_id, s3_key=key, size_bytes=size),
            CallContext(bearer_token=access, principal=caller),
        )
        assert granted.stream_url.startswith(f"{STREAM_PATH}/")
        token = granted.stream_url.removeprefix(f"{STREAM_PATH}/")
        assert TOKEN_SHAPE.fullmatch(token) and len(token) >= 43  # 32 random bytes
        return await tokens.resolve(token)

    grant = asyncio.run(issue_and_resolve())
    assert (grant.media_id, grant.user_id, grant.s3_key, grant.size_bytes) == (
        media_id,
        str(user),
        key,
        size,
    )
    assert len(grant.session) == 32 and grant.session_expires > grant.issued_at
