"""``streamstack users`` and ``invites``: the real commands, in a subprocess, signed in with
``streamstack login``, against a served auth module.

The commands are clients: these run on the embedded backends only.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from auth_accounts import API, PASSWORD, bearer, new_email, register, signed_in

from streamstack.auth.module import standalone_service
from streamstack.cli.invites import lifetime
from streamstack.kernel.clock import Clock, utcnow
from streamstack.settings import Settings
from support.apps import served_app
from support.clock import HeldClock
from support.commands import CommandLine
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the commands are clients of whatever the server uses."""
    return "embedded"


class Accounts:
    """A served auth module with one admin (signed in with ``streamstack login``) and a
    viewer; the commands as that admin, and a client of the API."""

    def __init__(self, url: str, client: httpx.AsyncClient, folder: Path, admin: str) -> None:
        self.url, self.client, self.folder, self.admin = url, client, folder, admin

    async def __call__(self, command: str, *args: str, **kwargs: Any) -> tuple[int, str, str]:
        """``streamstack COMMAND ARGS --server URL`` with the stored sign-in (or ``token``)."""
        line = CommandLine(command, self.folder, token="")
        return await line(*args, "--server", self.url, **kwargs)

    async def user(self, email: str) -> dict[str, Any]:
        """The account with ``email`` as the admin list shows it."""
        _, pair = await signed_in(self.client, self.admin)
        answer = await self.client.get(
            f"{API}/users", params={"q": email}, headers=bearer(pair["access_token"])
        )
        [user] = [user for user in answer.json()["items"] if user["email"] == email]
        return dict(user)


@pytest.fixture
async def accounts(auth_settings: Settings, tmp_path: Path) -> AsyncIterator[Accounts]:
    async with served_accounts(auth_settings, tmp_path) as accounts:
        yield accounts


@pytest.fixture(scope="module")
def module_backend_kind() -> str:
    """The embedded backends only, for ``module_accounts`` too."""
    return "embedded"


@pytest.fixture(scope="module")
async def module_accounts(
    module_auth_settings_factory: SettingsFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Accounts]:
    """``accounts`` shared by the module's tests whose commands are all refused."""
    settings = module_auth_settings_factory()
    async with served_accounts(settings, tmp_path_factory.mktemp("accounts")) as accounts:
        yield accounts


@asynccontextmanager
async def served_accounts(
    auth_settings: Settings, tmp_path: Path, clock: Clock = utcnow
) -> AsyncIterator[Accounts]:
    """The auth service served (reading the time from ``clock``), its only admin signed in
    through the CLI."""
    async with (
        served_app(auth_settings, clock=clock) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        admin = new_email("admin")
        async with standalone_service(auth_settings) as service:
            await service.create_admin(admin, PASSWORD)
            for user in (await service.list_users(None, 100, 0)).items:
                if user.role == "admin" and user.email != admin:  # the only admin
                    await service.change_user(user.id, role="viewer")
        accounts = Accounts(url, client, tmp_path, admin)
        code, _, err = await accounts("login", "--email", admin, "--password-stdin", stdin=PASSWORD)
        assert code == 0, err
        yield accounts


async def test_users_are_listed_and_changed_by_email_or_id(accounts: Accounts) -> None:
    viewer = new_email("viewer")
    await register(accounts.client, viewer, display_name="Vera Viewer")
    code, out, err = await accounts("users", "list")
    assert code == 0, err
    header, *rows = out.splitlines()
    columns = ["ID", "ROLE", "STATE", "2FA", "CREATED", "LAST SIGN-IN", "EMAIL", "NAME"]
    assert re.split(r"\s{2,}", header) == columns
    cells = {row.split()[6]: re.split(r"\s{2,}", row) for row in rows}
    assert cells[viewer][1:4] + cells[viewer][5:] == [
        "viewer",
        "enabled",
        "off",
        "never",  # registered, never signed in (walk 51 F9)
        viewer,
        "Vera Viewer",
    ]
    # The admin signed in through the command: the day, on or after the one it was made.
    created, signed_in = cells[accounts.admin][4:6]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", signed_in) and signed_in >= created
    # The admin, the viewer, and admin@localhost (the dev start-up's, demoted by the fixture).
    assert err == "streamstack: 3 users\n"
    code, out, _ = await accounts("users", "list", "--json")
    listed = {user["email"]: user for user in json.loads(out)}
    assert (
        listed[accounts.admin]["role"] == "admin"
        and listed[viewer]["display_name"] == "Vera Viewer"
    )

    # By email, in any case, and by id.
    code, out, err = await accounts("users", "role", viewer.upper(), "admin")
    assert (code, json.loads(out)["role"]) == (0, "admin"), err
    assert err == f"streamstack: {viewer} now admin\n"
    user_id = listed[viewer]["id"]
    code, out, err = await accounts("users", "disable", user_id)
    assert (code, json.loads(out)["disabled"]) == (0, True), err
    signing_in = await accounts.client.post(
        f"{API}/login", json={"email": viewer, "password": PASSWORD}
    )
    assert signing_in.status_code == 403, signing_in.text
    code, out, err = await accounts("users", "enable", viewer)
    assert (code, json.loads(out)["disabled"]) == (0, False), err
    assert (await accounts.user(viewer))["role"] == "admin"
    code, out, err = await accounts("users", "role", viewer, "viewer")
    assert (await accounts.user(viewer))["role"] == "viewer", err


async def test_a_password_reset_prints_its_link_and_how_long_it_lasts(accounts: Accounts) -> None:
    viewer = new_email()
    await register(accounts.client, viewer)
    code, out, err = await accounts("users", "password-reset", viewer)
    assert code == 0, err
    reset = json.loads(out)
    assert reset["link"] == f"{accounts.url}/reset-password#code={reset['code']}"
    assert "shown only now, valid for 1h (until " in err, err
    assert err.splitlines()[-1] == f"  {reset['link']}"
    # The code works as the link hands it over.
    check = await accounts.client.post(f"{API}/password-reset/check", json={"code": reset["code"]})
    assert check.status_code == 200, check.text


async def test_an_email_typo_is_fixed_and_the_new_email_signs_in(accounts: Accounts) -> None:
    typo = new_email("alice").replace("example", "exmaple")
    await register(accounts.client, typo)
    fixed = new_email("alice")
    _, out, _ = await accounts("users", "password-reset", typo)
    held = {"code": json.loads(out)["code"]}  # a link handed over before the fix
    code, out, err = await accounts("users", "email", typo.upper(), f" {fixed.upper()} ")
    assert (code, json.loads(out)["email"]) == (0, fixed), err
    assert err == f"streamstack: {typo} now signs in as {fixed} (its sessions stay)\n"
    assert (await signed_in(accounts.client, fixed))[0] == fixed
    # The link no longer works: it set the password of an account signing in elsewhere now.
    check = await accounts.client.post(f"{API}/password-reset/check", json=held)
    assert (check.status_code, check.json()["code"]) == (403, "invalid_reset_code")
    # Another account's email, or one that is none: said, and nothing changes.
    for taken, said in (
        (accounts.admin, "HTTP 409: an account with this email already exists"),
        ("fixed@", "HTTP 400: "),
    ):
        code, out, err = await accounts("users", "email", fixed, taken)
        assert (code, out) == (1, ""), err
        assert err.startswith(f"streamstack: users email: {fixed} not changed: {said}"), err
    assert (await accounts.user(fixed))["email"] == fixed


async def test_the_last_admin_is_kept_and_said_so(accounts: Accounts) -> None:
    for change in (("role", accounts.admin, "viewer"), ("disable", accounts.admin)):
        code, out, err = await accounts("users", *change)
        assert (code, out) == (1, ""), err
        assert err == (
            f"streamstack: users {change[0]}: {accounts.admin} not changed: HTTP 409: the last "
            f"admin cannot be {'demoted' if change[0] == 'role' else 'disabled'} (make another "
            "account an admin first: `streamstack users role USER admin`)\n"
        )
    admin = await accounts.user(accounts.admin)
    assert (admin["role"], admin["disabled"]) == ("admin", False)


@pytest.mark.parametrize(
    ("confused", "exit_code", "said"),
    [
        (("role", "nobody@example.test", "admin"), 1, "no user with the email nobody@example.test"),
        (("disable", str(uuid.UUID(int=7))), 1, f"no user with the id {uuid.UUID(int=7)}"),
        (("role", "someone", "admin"), 2, "'someone' is neither a user's id nor an email"),
        (("role", "nobody@example.test", "owner"), 2, "invalid choice: 'owner'"),
        (("role", "nobody@example.test"), 2, "users role: give USER admin|viewer"),
        (("email", "nobody@example.test"), 2, "users email: give USER NEW_EMAIL"),
        (("disable", "nobody@example.test", "x@example.test"), 2, "users disable: give USER"),
        (("email", "nobody@example.test", "x@example.test"), 1, "no user with the email"),
        (("enable",), 2, "users enable: give USER"),
        (("two-factor-off",), 2, "users two-factor-off: give USER"),
        (("two-factor-off", "nobody@example.test"), 1, "no user with the email"),
        (("list", "nobody@example.test"), 2, "users list: give nothing more"),
        (("disable", "nobody@example.test", "--json"), 2, "--json goes with list"),
        (("enable", "nobody@example.test", "--yes"), 2, "--yes goes with disable and role"),
    ],
)
async def test_confused_users_commands_are_refused_in_one_line(
    module_accounts: Accounts, confused: tuple[str, ...], exit_code: int, said: str
) -> None:
    """On the module's app: every command is refused, nothing changes."""
    accounts = module_accounts
    code, out, err = await accounts("users", *confused)
    assert (code, out) == (exit_code, ""), err
    if "--json" in confused:  # the error as one JSON object, for the script that asked
        assert said in json.loads(err)["error"]["detail"], err
        return
    assert said in err.splitlines()[-1], err
    assert re.fullmatch(r"streamstack( users)?: (error: )?.+", err.splitlines()[-1]), err


async def test_viewers_and_the_signed_out_are_told_what_they_lack(
    accounts: Accounts, tmp_path: Path
) -> None:
    _, pair = await signed_in(accounts.client)
    viewer = pair["access_token"]
    for command in (
        ("users", "list"),
        ("users", "role", accounts.admin, "viewer"),
        ("users", "password-reset", accounts.admin),
        ("users", "email", accounts.admin, new_email()),
        ("users", "two-factor-off", accounts.admin),
        ("invites", "list"),
        ("invites", "create"),
        ("invites", "revoke", str(uuid.UUID(int=7))),
    ):
        code, out, err = await accounts(*command, token=viewer)
        assert (code, out) == (3, ""), err
        assert err.startswith(f"streamstack: {command[0]} {command[1]}: "), err
        assert err.endswith(": HTTP 403: admin role required\n") and err.count("\n") == 1, err
        # Without a sign-in (another home): what to run.
        code, out, err = await CommandLine(command[0], tmp_path / "elsewhere", token="")(
            *command[1:], "--server", accounts.url
        )
        assert (code, out) == (3, ""), err
        assert "an admin access token is required: sign in once with `streamstack login" in err
    assert (await accounts.user(accounts.admin))["role"] == "admin"


async def two_factor_on(client: httpx.AsyncClient, email: str) -> tuple[str, list[str]]:
    """Turn two-factor authentication on for ``email`` (its code of this 30 s step is used
    up): the secret and the recovery codes."""
    _, pair = await signed_in(client, email)
    headers = bearer(pair["access_token"])
    setup = await client.post(
        f"{API}/me/two-factor/setup", json={"password": PASSWORD}, headers=headers
    )
    secret = setup.json()["secret"]
    enabled = await client.post(
        f"{API}/me/two-factor/enable", json={"code": pyotp.TOTP(secret).now()}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json()["codes"]


async def test_login_asks_for_the_code_or_takes_it_up_front(accounts: Accounts) -> None:
    email = new_email()
    await register(accounts.client, email)
    secret, recovery = await two_factor_on(accounts.client, email)
    login = ("login", "--email", email, "--password-stdin")
    # Asked for on the terminal (here the line after the password).
    code, out, err = await accounts(*login, stdin=f"{PASSWORD}\n{recovery[0]}\n")
    assert code == 0, err
    assert "Code from your authenticator app (or a recovery code): " in out
    assert f"signed in to {accounts.url} as {email}" in out
    # Given up front: the next step's code (a clock a little ahead is fine).
    ahead = pyotp.TOTP(secret).at(time.time() + 30)
    code, _, err = await accounts(*login, "--code", ahead, stdin=PASSWORD)
    assert code == 0, err
    # Used, wrong, or not given: one line each, exit 1.
    for given, stdin in (
        (("--code", recovery[0]), PASSWORD),
        ((), f"{PASSWORD}\n{recovery[0]}\n"),
    ):
        code, _, err = await accounts(*login, *given, stdin=stdin)
        assert code == 1, err
        assert err == (
            "streamstack: login failed: that code is not right, or was used already (codes "
            "change every 30 seconds)\n"
        )
    code, _, err = await accounts(*login, stdin=PASSWORD)
    assert code == 1, err
    assert err.count("\n") == 1 and "give the code from your authenticator app" in err, err


async def test_login_says_when_the_password_was_generated(
    accounts: Accounts, auth_settings: Settings
) -> None:
    # As `streamstack dev` and `create-admin` without a password print one: the web app asks
    # its owner to set their own on every page, and so does the command line.
    email = new_email("generated")
    async with standalone_service(auth_settings) as service:
        made = await service.create_admin(email, None)
    assert made.password is not None
    login = ("login", "--email", email, "--password-stdin")
    code, out, err = await accounts(*login, stdin=made.password)
    assert code == 0, err
    assert f"signed in to {accounts.url} as {email}" in out
    assert err == (
        "streamstack: this account still has the password StreamStack generated for it; "
        f"set your own on the Account page: {accounts.url}/account\n"
    )
    # Once its owner set one, nothing more is said.
    _, pair = await signed_in(accounts.client, email, made.password)
    changed = await accounts.client.post(
        f"{API}/password",
        json={"current_password": made.password, "new_password": PASSWORD},
        headers=bearer(pair["access_token"]),
    )
    assert changed.status_code < 300, changed.text
    code, _, err = await accounts(*login, stdin=PASSWORD)
    assert (code, err) == (0, "")


async def test_an_admin_turns_off_two_factor_for_a_lost_phone(accounts: Accounts) -> None:
    email = new_email()
    await register(accounts.client, email)
    await two_factor_on(accounts.client, email)
    assert (await accounts.user(email))["two_factor"] is True
    code, out, err = await accounts("users", "two-factor-off", email)
    assert code == 0, err
    assert json.loads(out)["two_factor"] is False
    assert err == (
        f"streamstack: two-factor authentication of {email} is off; they sign in with their "
        "password alone until they set it up again\n"
    )
    assert (await accounts.user(email))["two_factor"] is False
    _, pair = await signed_in(accounts.client, email)  # the password alone again
    assert pair["access_token"]
    # Again: nothing was on, and the admin is not told it was turned off.
    code, out, err = await accounts("users", "two-factor-off", email)
    assert (code, json.loads(out)["two_factor"]) == (0, False), err
    assert err == f"streamstack: two-factor authentication of {email} was not on; nothing changed\n"


async def test_a_throttled_sign_in_says_when_to_try_again(
    auth_settings: Settings, tmp_path: Path
) -> None:
    # The time held still: the lock the fifth failure sets lasts 1 s, and on a loaded
    # machine starting the CLI again took longer than that (the sixth then went through).
    async with served_accounts(auth_settings, tmp_path, clock=HeldClock()) as accounts:
        await five_failures_then_a_refusal(accounts)


async def five_failures_then_a_refusal(accounts: Accounts) -> None:
    """Five wrong passwords are refused as wrong; the right one after them is throttled."""
    email = new_email()
    await register(accounts.client, email)
    login = ("login", "--email", email, "--password-stdin")
    for _ in range(5):  # the free attempts of one email from one address
        code, _, err = await accounts(*login, stdin="not the password")
        assert code == 1 and "HTTP 429" not in err, err
    code, _, err = await accounts(*login, stdin=PASSWORD)
    assert code == 1, err
    assert re.search(r"HTTP 429: too many sign-in attempts; .* \(try again in \d+s\)\n$", err), err


async def test_invites_are_created_listed_and_revoked(accounts: Accounts) -> None:
    code, out, err = await accounts("invites", "list")
    assert (code, out, err) == (0, "", "streamstack: 0 invites\n")

    code, out, err = await accounts("invites", "create", "--note", "for Alice", "--expires", "2d")
    assert code == 0, err
    invite = json.loads(out)
    assert invite["note"] == "for Alice"
    assert f"streamstack: invite code {invite['code']}, shown only now, valid for " in err
    assert "valid for 2d (until " in err and f"once (id {invite['id']})" in err, err
    # The link to hand over: the server's address, then the page the API names.
    assert invite["link"].endswith(invite["link_path"]) and invite["link"] in err
    assert invite["link"].startswith("http://127.0.0.1:")
    code, out, err = await accounts("invites", "create", "--json")  # it always prints JSON
    assert code == 0, err
    plain = json.loads(out)
    assert "valid for 7d (until " in err, err

    code, out, err = await accounts("invites", "list")
    assert code == 0, err
    header, *rows = out.splitlines()
    columns = ["ID", "STATUS", "CREATED", "EXPIRES", "MAILED TO", "MADE BY", "USED BY", "NOTE"]
    assert re.split(r"\s{2,}", header) == columns
    assert [row.split()[0] for row in rows] == [plain["id"], invite["id"]]
    # Made by the signed-in admin (named by email: no display name), mailed to no one.
    cells = [re.split(r"\s{2,}", row) for row in rows]
    assert [c[1] for c in cells] == ["active", "active"]
    assert [c[4:] for c in cells] == [
        ["-", accounts.admin, "-", "-"],
        ["-", accounts.admin, "-", "for Alice"],
    ]

    code, out, err = await accounts("invites", "revoke", invite["id"])
    assert (code, out) == (0, ""), err
    assert err == f"streamstack: revoked invite {invite['id']}; its code no longer registers\n"
    code, out, _ = await accounts("invites", "list", "--json")
    assert [listed["id"] for listed in json.loads(out)] == [plain["id"]]
    code, out, _ = await accounts("invites", "list", "--all", "--json")
    assert {listed["id"]: listed["status"] for listed in json.loads(out)} == {
        plain["id"]: "active",
        invite["id"]: "revoked",
    }
    # The list says who revoked it, and when.
    code, out, _ = await accounts("invites", "list", "--all")
    revoked = re.split(r"\s{2,}", out.splitlines()[2])
    assert re.fullmatch(rf"revoked \d{{4}}-\d\d-\d\d \d\d:\d\d: by {accounts.admin}", revoked[1])


@pytest.mark.parametrize(
    ("confused", "exit_code", "said"),
    [
        (("create", "--expires", "0h"), 1, "no invite created: HTTP 400: "),
        (("create", "--expires", "365d"), 1, "no invite created: HTTP 400: "),
        (("create", "--note", "x" * 500), 1, "no invite created: HTTP 400: "),
        (("create", "--expires", "soon"), 2, "not hours (48h) or days (7d): 'soon'"),
        (("revoke", str(uuid.UUID(int=7))), 4, "not revoked: HTTP 404: no such invite"),
        (("revoke", "a-code-of-22-characters"), 2, "an invite cannot be found by its code"),
        (("revoke",), 2, "invites revoke: give the invite's id"),
        (("list", "--note", "x"), 2, "invites list: --note go with another action"),
        (
            ("create", "--email", "guest@example.org"),
            1,
            "no invite created: HTTP 409: mail is not configured on this server: hand over "
            "the link instead",
        ),
        (("create", "--email", "not-an-email"), 1, "no invite created: HTTP 400: "),
        (("list", "--email", "a@example.org"), 2, "invites list: --email go with another"),
        (("undo",), 2, "invalid choice: 'undo'"),
    ],
)
async def test_confused_invites_commands_are_refused_in_one_line(
    module_accounts: Accounts, confused: tuple[str, ...], exit_code: int, said: str
) -> None:
    """On the module's app: every command is refused, nothing changes."""
    accounts = module_accounts
    code, out, err = await accounts("invites", *confused)
    assert (code, out) == (exit_code, ""), err
    assert said in err.splitlines()[-1], err
    code, out, _ = await accounts("invites", "list", "--all", "--json")
    assert json.loads(out) == []


def test_invite_lifetimes_read_as_hours() -> None:
    assert [lifetime(text) for text in ("48", "48h", " 7d", "1D")] == [48, 48, 168, 24]
