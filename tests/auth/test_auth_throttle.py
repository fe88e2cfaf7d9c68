"""Login throttling: per email and per address, growing backoff, bounded, reset on success."""

from __future__ import annotations

import asyncio
import contextlib

import msgspec
import pytest
from auth_accounts import API, PASSWORD, assert_error, login, new_email, register

from streamstack.auth.throttle import (
    THROTTLE_BUCKET,
    THROTTLE_TTL_SECONDS,
    FailureCount,
    LoginThrottle,
    LoginThrottled,
)
from streamstack.kernel.backends import Backends
from support.apps import running_app


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def retry_after(throttle: LoginThrottle, email: str, address: str) -> int | None:
    """The Retry-After the throttle answers now, or None when the attempt may proceed."""
    try:
        await throttle.check(email, address)
    except LoginThrottled as exc:
        return int(exc.headers["Retry-After"])
    return None


@contextlib.asynccontextmanager
async def throttle_on(settings, clock, **limits):
    """A LoginThrottle on the real KV adapter of the test's backend kind, and that store."""
    backends = Backends(settings)
    try:
        store = backends.kv(THROTTLE_BUCKET, THROTTLE_TTL_SECONDS)
        yield LoginThrottle(store, settings.internal_secret, clock=clock, **limits), store
    finally:
        await backends.close()


async def test_backoff_doubles_is_capped_and_a_success_clears_it(auth_settings):
    """Against the real KV adapter of this backend kind, with a hand-moved clock."""
    clock = Clock()
    email, address = new_email(), "203.0.113.7"
    async with throttle_on(
        auth_settings, clock, email_attempts=3, address_attempts=1000, max_seconds=900
    ) as (throttle, _store):
        # The free attempts.
        for _ in range(2):
            assert await retry_after(throttle, email, address) is None
            await throttle.record_failure(email, address)
        assert await retry_after(throttle, email, address) is None
        # From the third failure on, each failure locks for twice as long, up to 15 min.
        waits = []
        for _ in range(14):
            await throttle.record_failure(email, address)
            wait = await retry_after(throttle, email, address)
            assert wait is not None
            waits.append(wait)
            # Attempts during the lock are refused without being counted...
            for _ in range(3):
                assert await retry_after(throttle, email, address) == wait
            # ...and the lock ends when it said it would.
            clock.now += wait
            assert await retry_after(throttle, email, address) is None
        assert waits[:6] == [1, 2, 4, 8, 16, 32]
        assert max(waits) == 900
        assert waits[-3:] == [900, 900, 900]
        # Other emails from other addresses are not affected.
        assert await retry_after(throttle, new_email(), "198.51.100.1") is None
        # The owner signs in: the email's counter starts again from zero.
        await throttle.record_success(email)
        await throttle.record_failure(email, "198.51.100.2")
        assert await retry_after(throttle, email, "198.51.100.2") is None


async def test_failures_from_one_address_throttle_every_email(auth_settings):
    async with throttle_on(
        auth_settings, Clock(), email_attempts=1000, address_attempts=4, max_seconds=60
    ) as (throttle, _store):
        for _ in range(4):
            await throttle.record_failure(new_email(), "203.0.113.9")
        assert await retry_after(throttle, new_email(), "203.0.113.9") == 1
        # A success for one email does not clear the address (an attacker's own account
        # must not reset the count of their guesses at others).
        await throttle.record_success(new_email())
        assert await retry_after(throttle, new_email(), "203.0.113.9") == 1
        assert await retry_after(throttle, new_email(), "203.0.113.10") is None


@pytest.fixture
def throttled_settings(auth_settings_factory):
    return auth_settings_factory(login_throttle_email_attempts=3, login_throttle_max_seconds=1)


async def test_throttled_logins_get_429_with_retry_after_whether_or_not_the_account_exists(
    throttled_settings,
):
    async with running_app(throttled_settings) as client:
        email = new_email()
        await register(client, email)
        unknown = new_email("nobody")
        answers = {}
        for who in (email, unknown):
            for _ in range(3):
                assert_error(await login(client, who, "wrong password"), 401)
            # Now even the right password waits: the lock is checked first.
            throttled = await login(client, who, PASSWORD)
            assert_error(throttled, 429, "login_throttled")
            assert throttled.headers["retry-after"] == "1"
            body = throttled.json()
            del body["request_id"]
            answers[who] = body
        assert answers[email] == answers[unknown]

        # Bounded: after Retry-After seconds the owner gets in, and that clears the count.
        await asyncio.sleep(int(throttled.headers["retry-after"]) + 0.2)
        assert (await login(client, email)).status_code == 200
        for _ in range(2):
            assert_error(await login(client, email, "wrong password"), 401)
        assert (await login(client, email)).status_code == 200


async def test_throttle_counts_per_client_address(auth_settings_factory):
    settings = auth_settings_factory(
        login_throttle_email_attempts=100, login_throttle_address_attempts=3
    )
    async with running_app(settings) as client:
        victim = new_email()
        await register(client, victim)
        for _ in range(3):
            assert_error(await login(client, new_email("guess"), "wrong password"), 401)
        assert_error(await login(client, victim), 429, "login_throttled")
        # Only sign-in is throttled.
        assert (await client.get(f"{API}/.well-known/jwks.json")).status_code == 200


async def test_a_counter_that_grew_for_years_still_gives_the_capped_delay(auth_settings):
    clock = Clock()
    email, address = new_email(), "203.0.113.11"
    async with throttle_on(
        auth_settings, clock, email_attempts=3, address_attempts=3, max_seconds=900
    ) as (throttle, store):
        # White-box: write the state that ~40 years of one guess per 15 minutes would leave.
        for key in throttle._keys(email, address):
            await store.put(key, msgspec.json.encode(FailureCount(1_500_000, 0.0)))
        await throttle.record_failure(email, address)
        assert await retry_after(throttle, email, address) == 900
