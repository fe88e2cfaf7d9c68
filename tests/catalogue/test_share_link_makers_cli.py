"""``streamstack users disable|role`` of an admin who made share links: the real command, in a
subprocess, against a served auth and catalogue. Those links stop for good once the account
is no longer an admin, so the command says how many first and asks (``--yes``: without
asking; needed where no terminal can answer); of an admin who made none, or of a viewer,
it asks nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalogue_testing import create_item

from streamstack.auth.module import standalone_service
from streamstack.settings import Settings
from support.apps import bearer, mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory
from support.waiting import eventually

AUTH = "/api/v1/auth"
SHARES = "/api/v1/catalogue/shares"
PASSWORD = "Share-link makers passphrase 5521"


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


class Site:
    """A served auth and catalogue with a published video; ``users`` as an admin."""

    def __init__(self, url: str, client: httpx.AsyncClient, folder: Path, settings: Settings):
        self.url, self.client, self.settings = url, client, settings
        token = mint_token(settings, role="admin")
        self.admin, self.users = bearer(token), CommandLine("users", folder, token)
        self.item_id = ""

    async def __call__(self, *args: str, **kwargs: Any) -> tuple[int, str, str]:
        """``streamstack users ARGS --server URL``."""
        return await self.users(*args, "--server", self.url, **kwargs)

    async def typed(self, answer: str, *args: str) -> tuple[int, str, str]:
        """``streamstack users ARGS`` answering its question with ``answer`` on a terminal."""
        main, terminal = os.openpty()
        try:
            os.write(main, answer.encode() + b"\n")
            return await self(*args, stdin=terminal)
        finally:
            os.close(terminal)
            os.close(main)

    async def account(self, role: str, links: int = 0) -> str:
        """The email of a new account with ``role``; an admin made ``links`` share links."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        r = await self.client.post(f"{AUTH}/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.text
        if role == "admin":
            async with standalone_service(self.settings) as service:
                await service.create_admin(email, None)
        r = await self.client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        for _ in range(links):
            made = await self.client.post(
                f"/api/v1/catalogue/{self.item_id}/shares",
                json={"expires_in_days": None},
                headers=bearer(r.json()["access_token"]),
            )
            assert made.status_code == 201, made.text
        return email

    async def user(self, email: str) -> dict[str, Any]:
        """The account with ``email`` as the admins' list shows it."""
        r = await self.client.get(f"{AUTH}/users", params={"q": email}, headers=self.admin)
        [user] = [user for user in r.json()["items"] if user["email"] == email]
        return dict(user)

    async def live_links(self, email: str) -> int:
        """How many live share links the account made, as the catalogue counts them."""
        made_by = {"made_by": (await self.user(email))["id"]}
        counted = await self.client.get(SHARES, params=made_by, headers=self.admin)
        assert counted.status_code == 200, counted.text
        return int(counted.json()["count"])


@pytest.fixture
async def site(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Site]:
    settings = settings_factory(
        modules=("auth", "catalogue"),
        internal_secret=f"share-makers-cli-{uuid.uuid4().hex}",  # its own login-throttle keys
    )
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        site = Site(url, client, tmp_path, settings)
        site.item_id = (await create_item(client, settings, title="Birds"))["id"]
        yield site


async def test_an_admins_share_links_are_counted_and_asked_about(site: Site) -> None:
    maker = await site.account("admin", links=2)
    stopping = (
        f"the 2 share links {maker} made stop working for good "
        "(make new ones for videos that should stay shared)"
    )
    code, out, err = await site("role", maker, "viewer")
    assert (code, out) == (2, ""), err
    assert err == (
        f"streamstack: error: users role: {stopping}; "
        "with no terminal to ask, pass --yes to go ahead\n"
    )

    code, out, err = await site.typed("n", "role", maker, "viewer")
    assert (code, out) == (1, ""), err
    question = f"T{stopping[1:]}. Make {maker} a viewer? [y/N] "
    assert err == f"{question}streamstack: {maker} not changed\n"
    code, _, err = await site.typed("no", "disable", maker)
    assert err.startswith(f"T{stopping[1:]}. Disable {maker}? [y/N] "), err
    user = await site.user(maker)
    assert (code, user["role"], user["disabled"]) == (1, "admin", False), err
    assert await site.live_links(maker) == 2

    code, _, err = await site("disable", maker, "--yes")
    assert code == 0, err
    assert err == (
        f"streamstack: {stopping}\nstreamstack: {maker} disabled (every session of it signed out)\n"
    )

    async def stopped() -> bool:
        return await site.live_links(maker) == 0

    await eventually(stopped, "the disabled admin's share links stopped")


async def test_nothing_is_asked_of_an_admin_without_links_or_of_a_viewer(site: Site) -> None:
    one = await site.account("admin", links=1)
    code, _, err = await site.typed("y", "role", one, "viewer")
    assert code == 0, err
    assert err.startswith(
        f"The share link {one} made stops working for good (make a new one if its video "
        f"should stay shared). Make {one} a viewer? [y/N] streamstack: {one} now viewer"
    ), err

    idle, viewer = await site.account("admin"), await site.account("viewer")
    for args in (("role", idle, "viewer"), ("disable", viewer), ("disable", idle)):
        code, _, err = await site(*args)
        assert code == 0 and "share link" not in err, (args, err)
    assert (await site.user(idle))["role"] == "viewer"
