"""One suite for the key-value port, run against the embedded store and NATS JetStream KV."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamstack.kernel.kv import InvalidKey, KeyExists, KeyValueStore, check_key
from streamstack.kernel.kv.embedded import EVICT_EVERY, EmbeddedKeyValueStore
from streamstack.kernel.kv.nats import NatsKeyValueStore
from streamstack.kernel.nats import NatsConnection
from support.waiting import eventually

StoreFactory = Callable[..., KeyValueStore]


@pytest.fixture(params=["embedded", "nats"])
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Build a fresh bucket with the given TTL on the adapter under test."""
    connections: list[NatsConnection] = []

    def factory(ttl: int, bucket: str | None = None) -> KeyValueStore:
        bucket = bucket or f"test-{uuid.uuid4().hex[:12]}"
        if request.param == "embedded":
            return EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", bucket, ttl)
        connection = NatsConnection(request.getfixturevalue("nats_url"))
        connections.append(connection)
        return NatsKeyValueStore(connection, bucket, ttl)

    yield factory
    for connection in connections:
        await connection.close()


async def test_get_of_absent_key_is_none(make_store: StoreFactory) -> None:
    store = make_store(60)
    assert await store.get("missing") is None


async def test_put_then_get_and_overwrite(make_store: StoreFactory) -> None:
    store = make_store(60)
    await store.put("k1", b"one")
    assert await store.get("k1") == b"one"
    await store.put("k1", b"two")
    assert await store.get("k1") == b"two"


async def test_create_refuses_an_existing_key(make_store: StoreFactory) -> None:
    store = make_store(60)
    await store.create("token-a", b"first")
    with pytest.raises(KeyExists) as info:
        await store.create("token-a", b"second")
    assert info.value.status == 409
    assert await store.get("token-a") == b"first"


async def test_delete_then_create_again(make_store: StoreFactory) -> None:
    store = make_store(60)
    await store.put("gone", b"x")
    await store.delete("gone")
    assert await store.get("gone") is None
    await store.delete("never-there")
    await store.create("gone", b"back")
    assert await store.get("gone") == b"back"


async def test_values_expire_after_the_bucket_ttl(make_store: StoreFactory) -> None:
    store = make_store(1)
    await store.put("short", b"lived")
    assert await store.get("short") == b"lived"

    async def expired() -> bool:
        return await store.get("short") is None

    # Polled rather than a fixed sleep of twice the TTL: the test goes on once it has expired.
    await eventually(expired, "the value expired", seconds=10)
    await store.create("short", b"again")  # an expired key counts as absent
    assert await store.get("short") == b"again"


async def test_a_bucket_opened_again_with_another_ttl_keeps_values_that_long(
    make_store: StoreFactory,
) -> None:
    # A restart after the stream token lifetime setting changed opens its bucket again.
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    await make_store(3600, bucket).put("before", b"kept an hour")
    store = make_store(1, bucket)
    await store.put("after", b"kept a second")

    async def expired() -> bool:
        return await store.get("after") is None

    await eventually(expired, "the value expired after the new TTL", seconds=10)


async def test_ping_answers(make_store: StoreFactory) -> None:
    await make_store(60).ping()


@pytest.mark.parametrize(
    "key", ["", "a b", "../x", "a..b", "x.", "/abs", "a\x00b", "é", "a*", "a>"]
)
async def test_invalid_keys_are_refused_before_io(make_store: StoreFactory, key: str) -> None:
    store = make_store(60)
    with pytest.raises(InvalidKey) as info:
        await store.put(key, b"v")
    assert info.value.status == 400


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.from_regex(r"[A-Za-z0-9_=\-][A-Za-z0-9_=\-]{0,40}", fullmatch=True),
    value=st.binary(max_size=2048),
)
async def test_any_valid_key_round_trips_any_value(
    make_store: StoreFactory, key: str, value: bytes
) -> None:
    store = make_store(60)
    await store.put(key, value)
    assert await store.get(key) == value


@given(key=st.text(max_size=80))
def test_check_key_accepts_exactly_the_nats_alphabet(key: str) -> None:
    try:
        check_key(key)
    except InvalidKey:
        return
    assert key and all(c.isascii() and (c.isalnum() or c in "_=-./") for c in key)
    assert ".." not in key and not key.endswith(".") and not key.startswith((".", "/"))


async def test_embedded_store_keeps_values_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    first = EmbeddedKeyValueStore(path, "revoked-tokens", 3600)
    await first.put("jti-1", b"1")
    await first.close()
    second = EmbeddedKeyValueStore(path, "revoked-tokens", 3600)
    assert await second.get("jti-1") == b"1"
    other_bucket = EmbeddedKeyValueStore(path, "stream-tokens", 3600)
    assert await other_bucket.get("jti-1") is None


async def test_embedded_store_forgets_expired_values_in_its_file_too(tmp_path: Path) -> None:
    """A long-running dev server stores a stream token per play: expired ones must leave
    the file as they leave memory, not pile up there until the next restart."""
    path = tmp_path / "kv.sqlite3"
    store = EmbeddedKeyValueStore(path, "stream-tokens", 1)
    for i in range(EVICT_EVERY):
        await store.put(f"old-{i}", b"x")
    await asyncio.sleep(1.1)
    for i in range(EVICT_EVERY):
        await store.put(f"new-{i}", b"x")
    await store.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        keys = {key for (key,) in db.execute("SELECT key FROM kv")}
    # Every old value had expired by the eviction the new writes led to, so none is left.
    # Not "all new ones stay": on a loaded machine writing them takes over the TTL, and the
    # first of them rightly expire too (CI saw 759 of 1,024 left); the last one cannot.
    assert not any(key.startswith("old-") for key in keys)
    assert f"new-{EVICT_EVERY - 1}" in keys


async def test_nats_store_keeps_values_across_a_server_restart(nats_server, nats_url: str) -> None:  # type: ignore[no-untyped-def]
    if nats_server is None:
        pytest.skip("NATS is external (STREAMSTACK_TEST_NATS_URL); cannot restart it")
    connection = NatsConnection(nats_url)
    store = NatsKeyValueStore(connection, f"restart-{uuid.uuid4().hex[:8]}", 3600)
    try:
        await store.put("jti-2", b"1")
        nats_server.restart()
        for _ in range(50):  # the connection heals by itself
            try:
                assert await store.get("jti-2") == b"1"
                break
            except Exception:
                await asyncio.sleep(0.2)
        else:
            pytest.fail("the store did not recover after NATS restarted")
    finally:
        await connection.close()
