"""Sign-in throttling: counted before the password check, keyed so the owner stays in.

Every test runs on both backend kinds (SQLite and Postgres). The concurrency tests go
through a real uvicorn server; the client address is set with ``X-Forwarded-For``, which
uvicorn honours from the loopback proxy as it does from nginx in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from auth_accounts import API, PASSWORD, assert_error, new_email
from sqlalchemy import select, update

from streamstack.auth.models import AttemptCounter
from streamstack.auth.repository import AuthRecords
from streamstack.auth.throttle import AttemptThrottle, LoginThrottled, ThrottleLimits
from streamstack.cli import apply_migrations
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import running_app, served_app

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@contextlib.asynccontextmanager
async def auth_database(settings: Settings) -> AsyncIterator[Database]:
    """The auth tables of this test's database, migrated."""
    await apply_migrations(settings, ("auth",))
    database = Database(settings.effective_database_url)
    try:
        yield database
    finally:
        await database.close()


async def attempt(
    database: Database, throttle: AttemptThrottle, email: str, address: str, now: datetime.datetime
) -> int | None:
    """Count one sign-in attempt in its own unit of work: None, or the Retry-After."""
    try:
        async with database.session() as session, session.begin():
            await throttle.reserve_login(AuthRecords(session).attempts, email, address, now)
    except LoginThrottled as exc:
        return int(exc.headers["Retry-After"])
    return None


async def succeed(database: Database, throttle: AttemptThrottle, email: str, address: str) -> None:
    async with database.session() as session, session.begin():
        await throttle.login_succeeded(AuthRecords(session).attempts, email, address)


def limits(**changes: int) -> ThrottleLimits:
    base = {"email_address": 3, "address": 1000, "account": 1000, "registration": 1000}
    return ThrottleLimits(**{**base, "max_seconds": 900, **changes})


async def test_backoff_doubles_is_capped_and_refused_attempts_are_not_counted(auth_settings):
    throttle = AttemptThrottle("secret", limits(email_address=3))
    email, address = new_email(), "203.0.113.7"
    now = T0
    async with auth_database(auth_settings) as database:
        assert [await attempt(database, throttle, email, address, now) for _ in range(3)] == [
            None,
            None,
            None,
        ]
        waits = []
        for _ in range(14):
            wait = await attempt(database, throttle, email, address, now)
            assert wait is not None
            waits.append(wait)
            # Attempts during the lock are refused with the same wait: not counted.
            for _ in range(3):
                assert await attempt(database, throttle, email, address, now) == wait
            now += datetime.timedelta(seconds=wait)
            assert await attempt(database, throttle, email, address, now) is None
        assert waits[:6] == [1, 2, 4, 8, 16, 32]
        assert max(waits) == 900
        assert waits[-3:] == [900, 900, 900]
        # The owner signs in from there: that email + address starts again from zero.
        await succeed(database, throttle, email, address)
        assert [await attempt(database, throttle, email, address, now) for _ in range(2)] == [
            None,
            None,
        ]
        # An idle hour later a counter starts again too.
        later = now + datetime.timedelta(hours=2)
        assert await attempt(database, throttle, email, "198.51.100.3", later) is None


async def test_one_address_guessing_many_emails_is_slowed_and_a_success_does_not_reset_it(
    auth_settings,
):
    throttle = AttemptThrottle("secret", limits(email_address=1000, address=4))
    async with auth_database(auth_settings) as database:
        for _ in range(3):
            assert await attempt(database, throttle, new_email(), "203.0.113.9", T0) is None
        # The fourth attempt is allowed and locks the address; an attacker's own successful
        # sign-in takes back only its own attempt.
        own = new_email("own")
        assert await attempt(database, throttle, own, "203.0.113.9", T0) is None
        assert await attempt(database, throttle, new_email(), "203.0.113.9", T0) == 1
        await succeed(database, throttle, own, "203.0.113.9")
        assert await attempt(database, throttle, new_email(), "203.0.113.9", T0) is None
        assert await attempt(database, throttle, new_email(), "203.0.113.9", T0) == 1
        assert await attempt(database, throttle, new_email(), "203.0.113.10", T0) is None


async def test_an_address_others_failed_from_lets_each_owner_in_and_stays_slowed(auth_settings):
    """People behind one address (an office, a school) sign in one after another after
    others' typos locked it past its free attempts: each success takes back its attempt
    *and* the lock its own count set, so the next person is not refused (each success
    re-armed a lock of 2^(count-free) s); failures still meet the backoff."""
    throttle = AttemptThrottle("secret", limits(email_address=1000, address=4))
    address, now = "203.0.113.20", T0
    async with auth_database(auth_settings) as database:
        for _ in range(6):  # others' typos: the 4th, 5th and 6th lock for 1, 2, 4 s
            now += datetime.timedelta(seconds=4)
            assert await attempt(database, throttle, new_email("typo"), address, now) is None
        now += datetime.timedelta(seconds=4)
        for person in ("alice", "bob", "carol"):
            email = new_email(person)
            assert await attempt(database, throttle, email, address, now) is None, person
            await succeed(database, throttle, email, address)
        # A failure after them still locks the address as the count says (2^(7-4) s).
        assert await attempt(database, throttle, new_email("guess"), address, now) is None
        assert await attempt(database, throttle, new_email("guess"), address, now) == 8


async def test_a_guess_spread_over_many_addresses_meets_the_account_ceiling(auth_settings):
    throttle = AttemptThrottle("secret", limits(email_address=1000, address=1000, account=6))
    email = new_email()
    async with auth_database(auth_settings) as database:
        for n in range(6):
            assert await attempt(database, throttle, email, f"198.51.100.{n}", T0) is None
        assert await attempt(database, throttle, email, "198.51.100.77", T0) == 1
        assert await attempt(database, throttle, new_email(), "198.51.100.77", T0) is None


async def test_a_refusal_names_the_kind_of_counter_that_refused_it(auth_settings):
    """The answer is one 429 whichever counter is locked; the operator's log tells them apart."""
    throttle = AttemptThrottle("secret", limits(email_address=1, address=3, account=3))

    async def refusal(email: str, address: str) -> str | None:
        try:
            async with database.session() as session, session.begin():
                await throttle.reserve_login(AuthRecords(session).attempts, email, address, T0)
        except LoginThrottled as exc:
            return exc.reason
        return None

    guessed, spread = new_email(), new_email()
    async with auth_database(auth_settings) as database:
        assert await refusal(guessed, "203.0.113.1") is None
        assert await refusal(guessed, "203.0.113.1") == "throttled_account_address"
        assert [await refusal(new_email(), "203.0.113.1") for _ in range(3)] == [
            None,
            None,
            "throttled_address",
        ]
        assert [await refusal(spread, f"198.51.100.{n}") for n in range(4)] == [
            None,
            None,
            None,
            "throttled_account",
        ]


async def test_a_counter_that_grew_for_years_still_gives_the_capped_delay(auth_settings):
    throttle = AttemptThrottle("secret", limits(email_address=3))
    email, address = new_email(), "203.0.113.11"
    async with auth_database(auth_settings) as database:
        assert await attempt(database, throttle, email, address, T0) is None
        # White-box: the count ~40 years of one guess per 15 minutes would leave.
        async with database.session() as session, session.begin():
            await session.execute(update(AttemptCounter).values(attempts=1_500_000))
        assert await attempt(database, throttle, email, address, T0) is None
        assert await attempt(database, throttle, email, address, T0) == 900


async def test_idle_counters_are_swept_and_locked_ones_kept(auth_settings):
    throttle = AttemptThrottle("secret", limits(email_address=1))
    async with auth_database(auth_settings) as database:
        assert await attempt(database, throttle, new_email(), "203.0.113.50", T0) is None
        later = T0 + datetime.timedelta(hours=2)
        locked = new_email()
        assert await attempt(database, throttle, locked, "203.0.113.51", later) is None
        async with database.session() as session, session.begin():
            await AuthRecords(session).attempts.sweep(later, 3600, one_in=1)
        async with database.session() as session:
            remaining = (await session.scalars(select(AttemptCounter.updated_at))).all()
        assert remaining and all(at == later for at in remaining)
        assert await attempt(database, throttle, locked, "203.0.113.51", later) == 1


# --- over HTTP, concurrently ------------------------------------------------------------


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def register(http: httpx.AsyncClient, email: str) -> None:
    response = await http.post(f"{API}/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text


async def sign_in(
    http: httpx.AsyncClient, email: str, password: str, address: str
) -> httpx.Response:
    return await http.post(
        f"{API}/login",
        json={"email": email, "password": password},
        headers=from_address(address),
    )


@pytest.fixture
def frozen_clock() -> Clock:
    """A clock held at the moment the test starts, for the served app's modules, so that
    requests a test sends at once are made at one instant.

    A burst is "at once" only if its last attempt is counted within the first lock's
    second: on a loaded machine the server took 2.5-3 s to get 40 requests through, and
    the attempt counted after the lock ended rightly got a sixth password check.
    """
    now = utcnow()
    return lambda: now


@pytest.mark.parametrize("burst", [15, 40])
async def test_a_concurrent_burst_of_guesses_gets_only_the_free_password_checks(
    auth_settings_factory, frozen_clock, burst
):
    """15 (or 40) wrong passwords at once from one address: 5 checks (401), the rest 429.

    The attempts race each other on the counters' rows, not the clock: the clock stands
    still (lock ends and backoff against time are the tests above, with explicit times).
    """
    settings = auth_settings_factory(login_throttle_max_seconds=60)
    served = served_app(settings, clock=frozen_clock)
    async with served as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        email = new_email()
        await register(http, email)
        answers = await asyncio.gather(
            *(sign_in(http, email, "wrong password!", "203.0.113.20") for _ in range(burst))
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [401] * 5 + [429] * (burst - 5)
        for response in answers:
            if response.status_code == 429:
                assert_error(response, 429, "login_throttled")
                assert int(response.headers["retry-after"]) >= 1


async def test_a_burst_from_one_address_does_not_keep_the_owner_out(auth_settings_factory):
    """The attacker's address is locked; the owner at another address signs in at once."""
    settings = auth_settings_factory(login_throttle_max_seconds=900)
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        owner = new_email("owner")
        await register(http, owner)
        attacker = "203.0.113.66"
        answers = await asyncio.gather(
            *(sign_in(http, owner, "wrong password!", attacker) for _ in range(30))
        )
        assert {r.status_code for r in answers} == {401, 429}
        # The owner at another address is not kept out, repeatedly (before: 429 from
        # everywhere for up to 15 minutes).
        for _ in range(3):
            assert (await sign_in(http, owner, PASSWORD, "198.51.100.5")).status_code == 200


@pytest.fixture
def throttled_settings(auth_settings_factory):
    return auth_settings_factory(login_throttle_email_attempts=3, login_throttle_max_seconds=1)


async def test_throttled_logins_get_429_with_retry_after_whether_or_not_the_account_exists(
    throttled_settings,
):
    async with running_app(throttled_settings) as client:
        email = new_email()
        assert (
            await client.post(f"{API}/register", json={"email": email, "password": PASSWORD})
        ).status_code == 201
        unknown = new_email("nobody")
        answers: dict[str, Any] = {}
        for who in (email, unknown):
            for _ in range(3):
                assert_error(await login(client, who, "wrong password"), 401)
            # Now even the right password waits: the attempt is counted first.
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


async def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return await client.post(f"{API}/login", json={"email": email, "password": password})


async def test_throttle_counts_per_client_address(auth_settings_factory):
    settings = auth_settings_factory(
        login_throttle_email_attempts=100, login_throttle_address_attempts=3
    )
    async with running_app(settings) as client:
        victim = new_email()
        assert (
            await client.post(f"{API}/register", json={"email": victim, "password": PASSWORD})
        ).status_code == 201
        for _ in range(3):
            assert_error(await login(client, new_email("guess"), "wrong password"), 401)
        assert_error(await login(client, victim), 429, "login_throttled")
        # Only sign-in is throttled.
        assert (await client.get(f"{API}/.well-known/jwks.json")).status_code == 200
