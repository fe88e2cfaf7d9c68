"""When a member last signed in (walk 51 F9): recorded at each sign-in, and at a refresh
once an hour at most (no write at every refresh); shown in the admins' user list and to the
member. Both backends, on a held clock."""

from __future__ import annotations

import datetime
from typing import Any

import structlog
from auth_accounts import API, admin_token, bearer, login, register, signed_in
from sqlalchemy import text

from streamstack.auth import service as auth_service_module
from streamstack.kernel.db import Database
from support.apps import running_app
from support.clock import HeldClock

ME = f"{API}/me"


async def last_signed_in(client: Any, access_token: str) -> datetime.datetime | None:
    """The account's last sign-in as the API answers it to its owner."""
    me = await client.get(ME, headers=bearer(access_token))
    assert me.status_code == 200, me.text
    at: str | None = me.json()["last_signed_in_at"]
    return None if at is None else datetime.datetime.fromisoformat(at)


async def refreshed(client: Any, pair: dict[str, Any]) -> dict[str, Any]:
    """The pair a refresh of ``pair`` gives."""
    response = await client.post(f"{API}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 200, response.text
    new_pair: dict[str, Any] = response.json()
    return new_pair


async def test_a_sign_in_is_recorded_and_a_refresh_at_most_hourly(auth_settings):
    clock = HeldClock()
    async with running_app(auth_settings, clock=clock) as client:
        admin = bearer(await admin_token(client, auth_settings))
        never = await register(client)
        email, pair = await signed_in(client)
        signed_in_at = clock.now
        users = await client.get(f"{API}/users", headers=admin)
        assert users.status_code == 200, users.text
        listed = {u["email"]: u["last_signed_in_at"] for u in users.json()["items"]}
        assert listed[never["email"]] is None
        assert datetime.datetime.fromisoformat(listed[email]) == signed_in_at
        # Within the hour a refresh writes nothing: the sign-in's time stays.
        clock.advance(59 * 60)
        pair = await refreshed(client, pair)
        assert await last_signed_in(client, pair["access_token"]) == signed_in_at
        # An hour on, the next refresh records it.
        clock.advance(2 * 60)
        pair = await refreshed(client, pair)
        assert await last_signed_in(client, pair["access_token"]) == clock.now
        # A sign-in records it whenever.
        clock.advance(60)
        pair = (await login(client, email)).json()
        assert await last_signed_in(client, pair["access_token"]) == clock.now


async def refuse_sign_in_times(settings: Any) -> None:
    """Make the database refuse every write of ``last_signed_in_at`` from now on (a trigger:
    the real refusal of the real database, through the app's own driver)."""
    database = Database(settings.effective_database_url)
    if database.is_sqlite:
        ddl = [
            "CREATE TRIGGER refuse_sign_in_time BEFORE UPDATE OF last_signed_in_at ON auth_users "
            "BEGIN SELECT RAISE(ABORT, 'sign-in times refused'); END"
        ]
    else:
        ddl = [
            "CREATE OR REPLACE FUNCTION refuse_sign_in_time() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'sign-in times refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_sign_in_time BEFORE UPDATE OF last_signed_in_at ON auth_users "
            "FOR EACH ROW EXECUTE FUNCTION refuse_sign_in_time()",
        ]
    try:
        async with database.engine.begin() as connection:
            for statement in ddl:
                await connection.execute(text(statement))
    finally:
        await database.close()


async def test_a_sign_in_time_the_database_refuses_is_logged_and_the_sign_in_stands(
    auth_settings, monkeypatch
):
    # The module's logger is swapped for a recording one (loggers are cached once an app
    # configured logging: structlog's capture_logs would miss them).
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(auth_service_module, "log", recorder)
    clock = HeldClock()
    async with running_app(auth_settings, clock=clock) as client:
        user = await register(client)
        await refuse_sign_in_times(auth_settings)
        signed = await login(client, user["email"])
        assert signed.status_code == 200, signed.text
        clock.advance(2 * 60 * 60)  # a refresh due to record it
        pair = await refreshed(client, signed.json())
        assert await last_signed_in(client, pair["access_token"]) is None
    warned = [c.kwargs for c in recorder.calls if c.args[0] == "auth.last_signed_in_not_recorded"]
    assert [w["user_id"] for w in warned] == [user["id"], user["id"]]
    assert all("sign-in times refused" in w["error"] for w in warned)
