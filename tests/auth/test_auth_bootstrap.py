"""The first admin: created at dev start-up and printed once, or by ``streamstack create-admin``."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import sys

import pytest
from auth_accounts import API, PASSWORD, assert_error, bearer, login, new_email, register
from sqlalchemy import text

from streamstack import cli
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import running_app

PASSWORD_LINE = re.compile(r"^\s*password:\s*(\S+)\s*$", re.MULTILINE)


class Output:
    """Standard output and error captured by swapping ``sys`` streams (not capsys).

    Made in the test body, after pytest's own capture has been set up. capsys closes its streams after the test, and the app's structured logger keeps the
    stream it was configured with, so apps started under capsys would break later tests.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", self.out)
        self._monkeypatch = monkeypatch

    def readouterr(self) -> tuple[str, str]:
        """What was written since the last call: (stdout, stderr)."""
        out, err = self.out.getvalue(), self.err.getvalue()
        for stream in (self.out, self.err):
            stream.seek(0)
            stream.truncate()
        return out, err

    def capture_stderr(self) -> None:
        self._monkeypatch.setattr(sys, "stderr", self.err)


def printed_password(output: str) -> str:
    found = PASSWORD_LINE.findall(output)
    assert len(found) == 1, output
    return str(found[0])


async def me_of(client, email, password):
    """``GET /me`` of the account, signed in with ``password``."""
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    me = await client.get(f"{API}/me", headers=bearer(response.json()["access_token"]))
    return me.json()


async def role_of(client, email, password):
    return (await me_of(client, email, password))["role"]


async def test_a_generated_password_is_flagged_until_its_owner_sets_one(
    auth_settings_factory, monkeypatch
):
    output = Output(monkeypatch)
    settings = auth_settings_factory(environment="dev")
    async with running_app(settings) as client:
        password = printed_password(output.readouterr()[0])
        assert (await me_of(client, "admin@localhost", password))["password_generated"] is True
        signed_in = await login(client, "admin@localhost", password)
        changed = await client.post(
            f"{API}/password",
            json={"current_password": password, "new_password": "my own pass phrase 42"},
            headers=bearer(signed_in.json()["access_token"]),
        )
        assert changed.status_code < 300, changed.text
        me = await me_of(client, "admin@localhost", "my own pass phrase 42")
        assert me["password_generated"] is False


async def test_dev_start_creates_admin_localhost_once(auth_settings_factory, monkeypatch):
    output = Output(monkeypatch)
    settings = auth_settings_factory(environment="dev")
    async with running_app(settings) as client:
        banner = output.readouterr()[0]
        assert "admin@localhost" in banner
        password = printed_password(banner)
        assert len(password) >= 16
        assert await role_of(client, "admin@localhost", password) == "admin"
    # A restart finds an admin and prints nothing.
    async with running_app(settings) as client:
        assert "password" not in output.readouterr()[0]
        assert await role_of(client, "admin@localhost", password) == "admin"

    # Should every admin be gone (here: demoted behind the app's back), the next start
    # makes admin@localhost an admin again, with a new password.
    await execute(settings, "UPDATE auth_users SET role = 'viewer'")
    async with running_app(settings) as client:
        new_password = printed_password(output.readouterr()[0])
        assert new_password != password
        assert_error(await login(client, "admin@localhost", password), 401)
        assert await role_of(client, "admin@localhost", new_password) == "admin"


# Production refuses embedded backends (STREAMSTACK_*_URL unset), so only real servers.
@pytest.mark.parametrize("backend_kind", ["production"])
async def test_no_admin_is_invented_in_production(auth_settings_factory, monkeypatch):
    output = Output(monkeypatch)
    settings = auth_settings_factory(environment="production")
    async with running_app(settings) as client:
        assert "admin@localhost" not in output.readouterr()[0]
        assert_error(await login(client, "admin@localhost", "whatever-password"), 401)


async def execute(settings: Settings, statement: str) -> None:
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await database.close()


def environment_of(settings: Settings) -> dict[str, str]:
    """The STREAMSTACK_* variables that reproduce ``settings`` for the CLI."""
    env: dict[str, str] = {}
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if value == field.default or value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"STREAMSTACK_{field.name.upper()}"] = str(value)
    return env


async def run_create_admin(
    monkeypatch: pytest.MonkeyPatch,
    output: Output,
    settings: Settings,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """Run ``streamstack create-admin ARGS`` as the operator would: (exit code, out, err)."""
    for name, value in environment_of(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    output.readouterr()

    def main() -> int:
        try:
            cli.main(["create-admin", *args])
        except SystemExit as exit_:
            return int(exit_.code or 0)
        return 0

    # In a thread: the CLI runs its own event loop.
    output.capture_stderr()
    code = await asyncio.to_thread(main)
    out, err = output.readouterr()
    return code, out, err


# Production refuses embedded backends (STREAMSTACK_*_URL unset), so only real servers.
@pytest.mark.parametrize("backend_kind", ["production"])
async def test_create_admin_from_stdin_generated_or_by_promotion(
    auth_settings_factory, monkeypatch
):
    output = Output(monkeypatch)
    settings = auth_settings_factory(environment="production")
    # Before the app has ever run: the command migrates the auth tables itself.
    code, out, _ = await run_create_admin(
        monkeypatch,
        output,
        settings,
        "--email",
        "Root@Example.TEST",
        "--password-stdin",
        stdin="a passphrase from a secret store 🔐\n",
    )
    assert code == 0
    assert "root@example.test" in out
    assert "🔐" not in out and "passphrase" not in out  # the given password is not echoed

    code, out, _ = await run_create_admin(
        monkeypatch, output, settings, "--email", "second@example.test"
    )
    assert code == 0
    generated = printed_password(out)

    async with running_app(settings) as client:
        assert (
            await role_of(client, "root@example.test", "a passphrase from a secret store 🔐")
            == "admin"
        )
        second = await me_of(client, "second@example.test", generated)
        assert (second["role"], second["password_generated"]) == ("admin", True)
        root = await me_of(client, "root@example.test", "a passphrase from a secret store 🔐")
        assert root["password_generated"] is False
        viewer = new_email()
        await register(client, viewer)
        _, viewer_pair = await _signed_in(client, viewer)

    # Promoting an existing account keeps its password and prints none.
    code, out, _ = await run_create_admin(monkeypatch, output, settings, "--email", viewer)
    assert code == 0
    assert "password" not in out.lower()
    async with running_app(settings) as client:
        assert await role_of(client, viewer, PASSWORD) == "admin"
        # The viewer-role token from before the promotion still works until refreshed.
        assert (
            await client.get(f"{API}/me", headers=bearer(viewer_pair["access_token"]))
        ).status_code == 200

    # With --password-stdin on an existing account the password is replaced, and its
    # sessions end.
    code, _, _ = await run_create_admin(
        monkeypatch,
        output,
        settings,
        "--email",
        viewer,
        "--password-stdin",
        stdin="new secret 123\n",
    )
    assert code == 0
    async with running_app(settings) as client:
        assert_error(await login(client, viewer, PASSWORD), 401)
        promoted = await me_of(client, viewer, "new secret 123")
        assert (promoted["role"], promoted["password_generated"]) == ("admin", False)
        refreshed = await client.post(
            f"{API}/refresh", json={"refresh_token": viewer_pair["refresh_token"]}
        )
        assert_error(refreshed, 401, "session_revoked")


async def _signed_in(client, email):
    response = await login(client, email)
    assert response.status_code == 200
    return email, response.json()


# Production refuses embedded backends (STREAMSTACK_*_URL unset), so only real servers.
@pytest.mark.parametrize("backend_kind", ["production"])
async def test_create_admin_refuses_bad_input(auth_settings_factory, monkeypatch):
    output = Output(monkeypatch)
    settings = auth_settings_factory(environment="production")
    for args, stdin in (
        (("--email", "not an email"), ""),
        (("--email", "ok@example.test", "--password-stdin"), "short\n"),
        (("--email", "ok@example.test", "--password-stdin"), "\n"),
        (("--email", "ok@example.test", "--password-stdin"), "x" * 129 + "\n"),
        (("--email", "ok@example.test", "--password-stdin"), "password\n"),
        (("--email", "ok@example.test", "--password-stdin"), "ok@example.test\n"),
    ):
        code, out, err = await run_create_admin(monkeypatch, output, settings, *args, stdin=stdin)
        assert code == 2, (args, out, err)
        assert err.startswith("streamstack: error:")
    async with running_app(settings) as client:
        assert_error(await login(client, "ok@example.test", "x" * 129), 400)
        assert_error(await login(client, "ok@example.test", "whatever123"), 401)


def test_create_admin_is_a_documented_subcommand(monkeypatch):
    output = Output(monkeypatch)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["create-admin", "--help"])
    assert exit_.value.code == 0
    out = output.readouterr()[0]
    assert "--email" in out
    assert "--password-stdin" in out
    assert "--data-dir" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["create-admin"])
    assert exit_.value.code == 2  # --email is required
