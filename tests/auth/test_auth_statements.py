"""How many SQL statements and transactions a sign-in and a refresh cost: upper bounds.

Every statement is a database round trip on the auth process's event loop (on SQLite a
few thread hops each), paid at normal priority beside playback while argon2 runs at
nice 19 (issue 15.6). A change that adds round trips to these paths fails here; one that
removes some should lower the bounds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from auth_accounts import API, login, new_email, register
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from support.apps import running_app

#: Throttle: one upsert of the three keys; the account read by email.
LOGIN_FIRST_UNIT = 2
#: Throttle settled (three keys, one statement), account held, expired sessions dropped
#: (at one sign-in in 16), session and token written.
LOGIN_SECOND_UNIT = 5
#: The sign-in recorded (``last_signed_in_at``), in a transaction of its own after the
#: second: inside it, two sign-ins of one account would deadlock on Postgres.
LOGIN_RECORDED = 1
#: Token claimed; token, session and account in one read; spent tokens dropped, new token
#: written, session touched, the new pair sealed for the grace window. A refresh records
#: the sign-in at most once an hour: one within the hour of a sign-in writes nothing more.
REFRESH = 6


class Transactions:
    """The statements of each transaction the sign-in paths run (the outbox relay's polls,
    which may fall inside the block, left out)."""

    def __init__(self) -> None:
        self._units: list[list[str]] = []
        self._current: dict[int, list[str]] = {}

    @property
    def units(self) -> list[list[str]]:
        """Each transaction's statements, in the order the transactions began."""
        return [u for u in self._units if u and not any("outbox" in s for s in u)]

    def began(self, connection: Any) -> None:
        unit: list[str] = []
        self._current[id(connection)] = unit
        self._units.append(unit)

    def executed(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not _is_sweep(statement):  # one counted attempt in 200 also sweeps idle counters
            self._current[id(connection)].append(statement)


def _is_sweep(statement: str) -> bool:
    return statement.startswith("DELETE FROM auth_attempt_counters") and " IN (" in statement


@contextlib.contextmanager
def transactions(client: AsyncTestClient[Any]) -> Iterator[Transactions]:
    """Record the transactions the app runs inside the block."""
    record = Transactions()
    engine = client.app.state.backends.database.engine.sync_engine
    event.listen(engine, "begin", record.began)
    event.listen(engine, "before_cursor_execute", record.executed)
    try:
        yield record
    finally:
        event.remove(engine, "begin", record.began)
        event.remove(engine, "before_cursor_execute", record.executed)


async def test_a_sign_in_and_a_refresh_stay_within_their_round_trips(auth_settings_factory):
    async with running_app(auth_settings_factory(refresh_grace_seconds=10)) as client:
        email = new_email()
        await register(client, email)
        with transactions(client) as signing_in:
            response = await login(client, email)
        assert response.status_code == 200, response.text
        first, second, recorded = signing_in.units  # hashing runs between the first two
        assert len(first) <= LOGIN_FIRST_UNIT, first
        assert len(second) <= LOGIN_SECOND_UNIT, second
        assert len(recorded) <= LOGIN_RECORDED, recorded

        refresh_token = response.json()["refresh_token"]
        with transactions(client) as refreshing:
            response = await client.post(f"{API}/refresh", json={"refresh_token": refresh_token})
        assert response.status_code == 200, response.text
        [unit] = refreshing.units
        assert len(unit) <= REFRESH, unit


async def test_a_wrong_password_costs_one_transaction(client):
    email = new_email()
    await register(client, email)
    with transactions(client) as signing_in:
        response = await login(client, email, "not the password")
    assert response.status_code == 401, response.text
    [unit] = signing_in.units
    assert len(unit) <= LOGIN_FIRST_UNIT, unit
