"""``streamstack logout`` against a served auth module whose sign-out is partly or wholly
away: the command says what happened and keeps the stored sign-in exactly when the
session lives on.

The command is a client: these run on the embedded backends only (the revoked-tokens store
is closed as in ``test_auth_sign_out_outage.py``; a wholly refused sign-out is the 503 the
service raises when its backends are away).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_accounts import API, signed_in

from streamstack.app import create_app
from streamstack.auth.service import AuthService
from streamstack.cli.credentials import SavedLogin, SavedLogins
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.revocation import REVOCATION_TTL_SECONDS, REVOKED_TOKENS_BUCKET
from streamstack.settings import Settings
from support.apps import migrate_for_app, server_url, uvicorn_server
from support.commands import CommandLine


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


@dataclass
class SignedInCli:
    """A served app, an account signed in to it as ``streamstack login`` keeps it (its
    first refresh token), and ``streamstack logout`` for that store."""

    url: str
    app: Any
    loop: asyncio.AbstractEventLoop
    logins: SavedLogins
    refresh_token: str
    logout: CommandLine

    async def in_app(self, work: Any) -> None:
        """Await the coroutine ``work`` on the served app's own event loop."""
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    def refresh(self, token: str) -> httpx.Response:
        """``POST /auth/refresh`` with ``token``."""
        return httpx.post(f"{self.url}{API}/refresh", json={"refresh_token": token})


@pytest.fixture
async def cli(auth_settings: Settings, tmp_path: Path) -> AsyncIterator[SignedInCli]:
    await migrate_for_app(auth_settings)
    app = create_app(auth_settings)
    async with (
        uvicorn_server(app) as server,
        httpx.AsyncClient(base_url=server_url(server)) as http,
    ):
        _, pair = await signed_in(http)
        url = server_url(server)
        logins = SavedLogins(tmp_path / "config" / "streamstack" / "credentials.json")
        logins.put(url, SavedLogin("someone@example.test", pair["refresh_token"]))
        yield SignedInCli(
            url,
            app,
            server.servers[0].get_loop(),
            logins,
            pair["refresh_token"],
            CommandLine("logout", tmp_path, token=""),
        )


async def test_a_sign_out_in_part_forgets_the_sign_in_and_says_when_it_takes_effect(
    cli: SignedInCli,
) -> None:
    """The revoked-tokens store is away: the session is ended in the database, its access
    token lives until it expires. Exit 0: running it again could do nothing more."""
    await cli.in_app(
        cli.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS).close()
    )

    code, out, err = await cli.logout("--server", cli.url, token="")

    assert (code, out) == (0, f"signed out of {cli.url}\n"), err
    assert "the sign-out takes full effect within a few minutes" in err, err
    assert cli.logins.get(cli.url) is None
    # Ended on the server: its first token says so (a live session would call it reused).
    ended = cli.refresh(cli.refresh_token)
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked"), ended.text


@pytest.mark.parametrize("away", ["logout", "refresh"])
async def test_a_server_that_signs_nothing_out_keeps_the_sign_in(
    cli: SignedInCli, monkeypatch: pytest.MonkeyPatch, away: str
) -> None:
    """The server answers 503 to the sign-out itself, or to the refresh before it: nothing
    is signed out, so the sign-in is kept (it was forgotten while the session lived on) and
    the command says to try again, exit 75. Run again once the server is back, it signs out."""
    method = getattr(AuthService, away)

    async def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable("the service is unreachable (its proxy answered 502)")

    monkeypatch.setattr(AuthService, away, unavailable)
    code, out, err = await cli.logout("--server", cli.url, token="")

    assert (code, out) == (75, ""), err
    assert err.startswith(
        "streamstack: logout: the server signed nothing out and you are still signed in: "
        "run it again in a moment: "
    ), err
    assert "HTTP 503: the service is unreachable" in err, err
    kept = cli.logins.get(cli.url)
    assert kept is not None and kept.refresh_token
    monkeypatch.setattr(AuthService, away, method)
    lives = cli.refresh(kept.refresh_token)  # the session lives on
    assert lives.status_code == 200, lives.text
    cli.logins.put(cli.url, SavedLogin(kept.email, lives.json()["refresh_token"]))

    code, out, err = await cli.logout("--server", cli.url, token="")
    assert (code, out) == (0, f"signed out of {cli.url}\n"), err
    assert cli.logins.get(cli.url) is None
    ended = cli.refresh(lives.json()["refresh_token"])
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked"), ended.text
