"""Two-factor secrets are kept sealed (kernel/sealing.py), so a copy of auth's database
does not carry them: a setup stores its secret sealed; a secret stored in clear (before
sealing) or with an older key is sealed again at the next start; a key put first takes
over and the old one may go; a secret whose key was removed refuses its sign-in (503), and
an admin can still turn two-factor off for that account. Both backends."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from auth_accounts import API, PASSWORD, admin_token, assert_error, bearer, login, read_behind
from sqlalchemy import text
from test_auth_two_factor import app_code, login_code, with_two_factor

from streamstack.app import create_app
from streamstack.auth import service as auth_service
from streamstack.kernel.db import Database
from streamstack.settings import Settings, SettingsError
from support.apps import running_app
from support.clock import HeldClock

STORED = (
    "SELECT secret FROM auth_two_factor"
    " WHERE user_id = (SELECT id FROM auth_users WHERE email = :email)"
)
KEPT_IN_CLEAR = (
    "UPDATE auth_two_factor SET secret = :secret"
    " WHERE user_id = (SELECT id FROM auth_users WHERE email = :email)"
)


@pytest.fixture
def clock() -> HeldClock:
    """The app's time, at the start of a 30 s step."""
    held = HeldClock()
    held.now = held.now.replace(second=0, microsecond=0)
    return held


def new_key_line() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def key_lines(settings: Settings) -> list[str]:
    """The keys file's key lines, first (sealing) first."""
    text = settings.sealing_keys_file.read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


async def signs_in(settings: Settings, clock: HeldClock, email: str, secret: str) -> Any:
    """A new start of the app on ``settings``; a sign-in there with the app's next code."""
    clock.advance(30)
    async with running_app(settings, clock=clock) as client:
        return await login_code(client, email, app_code(secret, clock))


async def test_a_setup_stores_its_secret_sealed(auth_settings, clock):
    async with running_app(auth_settings, clock=clock) as client:
        email, secret, _ = await with_two_factor(client, clock)
        stored = await read_behind(auth_settings, STORED, email=email)
        assert stored.startswith("v1:") and secret not in stored
        clock.advance(30)
        signed_in = await login_code(client, email, app_code(secret, clock))
        assert signed_in.status_code == 200, signed_in.text


async def test_a_secret_kept_in_clear_is_sealed_at_the_next_start(auth_settings, clock):
    async with running_app(auth_settings, clock=clock) as client:
        email, secret, _ = await with_two_factor(client, clock)
    # As a server before sealing left it.
    database = Database(auth_settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                text(KEPT_IN_CLEAR),
                {"secret": secret, "email": email},
            )
    finally:
        await database.close()
    assert await read_behind(auth_settings, STORED, email=email) == secret
    signed_in = await signs_in(auth_settings, clock, email, secret)
    assert signed_in.status_code == 200, signed_in.text
    stored = await read_behind(auth_settings, STORED, email=email)
    assert stored.startswith("v1:") and secret not in stored


async def test_a_new_key_put_first_takes_over_and_the_old_may_go(auth_settings, clock):
    async with running_app(auth_settings, clock=clock) as client:
        email, secret, _ = await with_two_factor(client, clock)
    sealed_by_old = await read_behind(auth_settings, STORED, email=email)
    (old,) = key_lines(auth_settings)
    auth_settings.sealing_keys_file.write_text(f"{new_key_line()}\n{old}\n")
    assert (await signs_in(auth_settings, clock, email, secret)).status_code == 200
    sealed_by_new = await read_behind(auth_settings, STORED, email=email)
    assert sealed_by_new.split(":")[1] != sealed_by_old.split(":")[1]
    auth_settings.sealing_keys_file.write_text(key_lines(auth_settings)[0] + "\n")
    assert (await signs_in(auth_settings, clock, email, secret)).status_code == 200


async def test_a_secret_whose_key_was_removed_is_refused_not_waved_through(
    auth_settings, clock, monkeypatch
):
    async with running_app(auth_settings, clock=clock) as client:
        email, secret, _ = await with_two_factor(client, clock)
        user_id = (await login_code(client, email, app_code(secret, clock, 1))).json()
    auth_settings.sealing_keys_file.write_text(new_key_line() + "\n")
    lines: list[str] = []
    monkeypatch.setattr(auth_service.log, "error", lambda event, **_: lines.append(event))
    clock.advance(60)
    async with running_app(auth_settings, clock=clock) as client:
        assert "auth.two_factor_unreadable" in lines  # at start-up, left as it was
        refused = await login_code(client, email, app_code(secret, clock))
        assert_error(refused, 503, "two_factor_unreadable")
        assert_error(await login(client, email), 401, "two_factor_required")
        # An admin turns it off for them, as for a lost phone; then the password is enough.
        me = await client.get(f"{API}/me", headers=bearer(user_id["access_token"]))
        admin = bearer(await admin_token(client, auth_settings))
        off = await client.delete(f"{API}/users/{me.json()['id']}/two-factor", headers=admin)
        assert off.status_code == 204, off.text
        assert (await login(client, email, PASSWORD)).status_code == 200


# Production refuses embedded backends (STREAMSTACK_*_URL unset), so only real servers.
@pytest.mark.parametrize("backend_kind", ["production"])
def test_production_does_not_start_without_its_keys_file(auth_settings_factory, tmp_path):
    settings = auth_settings_factory(
        environment="production", sealing_keys_path=tmp_path / "absent"
    )
    with pytest.raises(SettingsError, match="STREAMSTACK_SEALING_KEYS_PATH: there is no file"):
        create_app(settings)
    assert not (tmp_path / "absent").exists()  # never invented: replicas must share one


@pytest.mark.parametrize("backend_kind", ["embedded"])  # dev mode: embedded backends
def test_dev_makes_its_keys_file_on_first_start(auth_settings_factory, tmp_path):
    settings = auth_settings_factory(sealing_keys_path=None)
    create_app(settings)
    assert settings.sealing_keys_file == settings.data_dir / "sealing-keys"
    assert len(key_lines(settings)) == 1
    # Never at a path the setting names: a typo there sealed with a new key, and every
    # two-factor secret already stored no longer opened (walk 44 F7).
    typo = tmp_path / "keys" / "sealing"
    with pytest.raises(SettingsError, match=f"there is no file {typo}"):
        create_app(settings.replace(sealing_keys_path=typo))
    assert not typo.exists()
