"""Mail that account holders expect: security notices and invites by email.

Notices (password changed, sign-in email changed, role changed by an admin, two-factor on
or off, new recovery codes) go to the account's own address (an email change: to the old
one, and an admin's to the new one too) after the answer, through a real SMTP server
(aiosmtpd); nothing is sent without mail, and a mail server that is away does not break
the change. An invite can be mailed: its link
registers an account; without mail it is refused and nothing is made. Both backends.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from email.message import EmailMessage
from typing import Any

import pyotp
import pytest
import structlog
from auth_accounts import (
    API,
    PASSWORD,
    admin_token,
    assert_error,
    bearer,
    documented_statuses,
    login,
    new_email,
    read_behind,
    signed_in,
)
from sqlalchemy import func, select
from test_auth_password_reset_mail import PUBLIC_URL, mail_settings, mail_to

from streamstack.auth import account_mail as account_mail_module
from streamstack.auth.models import OwedMail
from streamstack.auth.module import standalone_service
from support.apps import running_app, served_app
from support.clock import HeldClock
from support.commands import CommandLine
from support.mail import MailServer, unreachable_smtp_url
from support.waiting import eventually

ME = f"{API}/me"
TWO_FACTOR = f"{ME}/two-factor"
INVITES = f"{API}/invites"
NEW_PASSWORD = "violet umbrella marching slowly"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
INVITE_LINK = re.compile(r"^(https://\S+)/register#invite=([^&\s]+)&email=(\S+)$", re.MULTILINE)


def text_of(mail: EmailMessage) -> str:
    """The plain text of ``mail``, with plain line ends."""
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def held_clock() -> HeldClock:
    """A held clock at the start of a 30 s step (the authenticator app's codes)."""
    clock = HeldClock()
    clock.now = clock.now.replace(second=0, microsecond=0)
    return clock


async def two_factor_on(client: Any, token: str, clock: HeldClock) -> str:
    """Turn two-factor on for ``token``'s account (from Firefox); its secret."""
    headers = {**bearer(token), "User-Agent": FIREFOX}
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    assert setup.status_code == 201, setup.text
    secret: str = setup.json()["secret"]
    code = pyotp.TOTP(secret).at(clock.now)
    enabled = await client.post(f"{TWO_FACTOR}/enable", json={"code": code}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    return secret


async def test_a_password_change_is_told_to_the_account(auth_settings_factory, smtp_server):
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as client:
        email, pair = await signed_in(client)
        headers = {**bearer(pair["access_token"]), "User-Agent": FIREFOX}
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = await client.post(f"{API}/password", json=body, headers=headers)
        assert changed.status_code == 204, changed.text
        mail = await mail_to(smtp_server, email)
        assert mail["Subject"] == "Your StreamStack password was changed"
        text = text_of(mail)
        assert f"The password of your StreamStack account {email} was changed" in text
        assert "from the account page" in text
        assert re.search(r"^When: \d\d \w+ \d{4} at \d\d:\d\d UTC$", text, re.MULTILINE), text
        assert "From: Firefox on Linux" in text
        assert "sign in and change your password" in text
        assert "ask an administrator" in text
        assert "http" not in text  # no link that signs anyone in
        assert "sign-in email" not in text  # no change of email was waiting


async def reset_by_link(client: Any, server: MailServer, email: str) -> EmailMessage:
    """Reset ``email``'s password with a mailed link; the notice that follows."""
    before = len(server.inbox.to(email))
    await client.post(f"{API}/password-reset/request", json={"email": email})
    await eventually(lambda: len(server.inbox.to(email)) == before + 1, "the reset mail")
    code = re.search(r"#code=(\S+)$", text_of(server.inbox.to(email)[-1]), re.MULTILINE)
    assert code is not None
    used = await client.post(
        f"{API}/password-reset", json={"code": code[1], "new_password": NEW_PASSWORD}
    )
    assert used.status_code == 204, used.text
    await eventually(lambda: len(server.inbox.to(email)) == before + 2, "the notice")
    return server.inbox.to(email)[-1]


async def test_a_reset_link_used_is_told_too(auth_settings_factory, smtp_server):
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as client:
        email, _ = await signed_in(client)
        notice = await reset_by_link(client, smtp_server, email)
        assert notice["Subject"] == "Your StreamStack password was changed"
        assert "with a password reset link" in text_of(notice)
        assert "sign-in email" not in text_of(notice)


def assert_says_ask_an_admin_to_restore(text: str) -> None:
    """``text`` (a notice to an address that no longer signs in) says to ask an admin, and
    neither to sign in nor to ask for a reset link with it: both fail for that address."""
    said = " ".join(text.split())
    assert (
        "If this was not you, ask an administrator of StreamStack to restore it: you can no "
        "longer sign in with this address." in said
    )
    assert "Forgot your password" not in said and "sign in and change" not in said


async def test_an_email_change_is_told_to_the_old_address(auth_settings_factory, smtp_server):
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as client:
        old, pair = await signed_in(client)
        new = "nina.thief@example.org"
        changed = await client.post(
            f"{ME}/email",
            json={"email": new, "current_password": PASSWORD},
            headers=bearer(pair["access_token"]),
        )
        assert changed.status_code == 202, changed.text
        link = re.search(r"#code=(\S+)$", text_of(await mail_to(smtp_server, new)), re.MULTILINE)
        assert link is not None
        assert smtp_server.inbox.to(old) == []  # told once the change takes effect
        confirmed = await client.post(f"{API}/email-confirmations", json={"code": link[1]})
        assert confirmed.status_code == 200, confirmed.text
        mail = await mail_to(smtp_server, old)
        assert mail["Subject"] == "Your StreamStack sign-in email was changed"
        text = text_of(mail)
        assert f"no longer signs in with {old}" in text
        assert "is now n***@example.org" in text
        assert new not in text
        # What to do fits an address that no longer signs in (walk 51 F2).
        assert "If this was you, there is nothing to do." in text
        assert_says_ask_an_admin_to_restore(text)


async def test_an_admin_changing_the_email_is_told_to_both_addresses(
    auth_settings_factory, smtp_server
):
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        old, pair = await signed_in(client)
        user_id = (await client.get(ME, headers=bearer(pair["access_token"]))).json()["id"]
        admin = bearer(await admin_token(client, settings))
        changed = await client.patch(
            f"{API}/users/{user_id}", json={"email": "nina@example.org"}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        text = text_of(await mail_to(smtp_server, old))
        assert "An administrator changed it: your sign-in email is now n***@example.org" in text
        assert "If this was you" not in text  # it was not: an administrator did it
        assert_says_ask_an_admin_to_restore(text)
        # The new address hears of it too: a typo'd one is a stranger's (walk 51 F8).
        given = await mail_to(smtp_server, "nina@example.org")
        assert given["Subject"] == "Your StreamStack sign-in email is now this address"
        said = " ".join(text_of(given).split())
        assert (
            "An administrator of StreamStack made this address (nina@example.org) the sign-in "
            "email of your account: sign in with it from now on, with the same password." in said
        )
        assert (
            "If you have no account on StreamStack, this address was given by mistake: tell an "
            "administrator of StreamStack." in said
        )
        assert old not in said and "If this was you" not in said
        # A role change changes no email: it is told at the address signing in now alone.
        role = await client.patch(f"{API}/users/{user_id}", json={"role": "admin"}, headers=admin)
        assert role.status_code == 200, role.text
        await eventually(lambda: len(smtp_server.inbox.to("nina@example.org")) == 2, "its notice")
        made = smtp_server.inbox.to("nina@example.org")[1]
        assert made["Subject"] == "You are now an administrator of StreamStack"
        assert len(smtp_server.inbox.to(old)) == 1


async def test_create_admin_promoting_a_member_tells_them_as_an_admins_change_does(
    auth_settings_factory, smtp_server
):
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        email, _ = await signed_in(client)
        fresh = new_email("fresh")
        # As `streamstack create-admin` does, beside the running server that sends the mail.
        async with standalone_service(settings) as service:
            await service.create_admin(email, None)
            await service.create_admin(email, None)  # an admin already: nothing to tell
            await service.create_admin(fresh, None)  # a new account: no change to tell
        made = await mail_to(smtp_server, email)
        assert made["Subject"] == "You are now an administrator of StreamStack"
        assert "If you did not expect this, ask an administrator" in text_of(made)
        # Nothing more was told (the marker's mail comes after any that was owed before it).
        marker = new_email("marker")
        await client.post(f"{API}/register", json={"email": marker, "password": PASSWORD})
        await client.post(f"{API}/password-reset/request", json={"email": marker})
        await mail_to(smtp_server, marker)
        assert len(smtp_server.inbox.to(email)) == 1
        assert smtp_server.inbox.to(fresh) == []


async def test_an_admin_changing_a_role_tells_the_member(auth_settings_factory, smtp_server):
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        email, pair = await signed_in(client)
        user_id = (await client.get(ME, headers=bearer(pair["access_token"]))).json()["id"]
        admin = bearer(await admin_token(client, settings))
        for role in ("admin", "admin", "viewer"):  # the same role again is no change to tell
            changed = await client.patch(
                f"{API}/users/{user_id}", json={"role": role}, headers=admin
            )
            assert changed.status_code == 200, changed.text
        await eventually(lambda: len(smtp_server.inbox.to(email)) == 2, "the two notices")
        made_admin, made_viewer = (text_of(mail) for mail in smtp_server.inbox.to(email))
        subjects = [mail["Subject"] for mail in smtp_server.inbox.to(email)]
        assert subjects == [
            "You are now an administrator of StreamStack",
            "You are no longer an administrator of StreamStack",
        ]
        assert (
            f"An administrator of StreamStack made your account {email} an administrator: you "
            "can now upload videos and manage users and comments" in " ".join(made_admin.split())
        )
        assert (
            f"An administrator of StreamStack made your account {email} a viewer again: you can "
            "watch videos and comment, but no longer upload videos or manage users and comments. "
            "The invites and share links you made stop working." in " ".join(made_viewer.split())
        )
        for text in (made_admin, made_viewer):
            # An administrator did it, not the member (walk 51 F8).
            assert "If this was you" not in text
            assert "If you did not expect this, ask an administrator of StreamStack" in text
        # Nothing more was told (the marker's mail comes after any that was owed before it).
        marker = new_email("marker")
        await client.post(f"{API}/register", json={"email": marker, "password": PASSWORD})
        await client.post(f"{API}/password-reset/request", json={"email": marker})
        await mail_to(smtp_server, marker)
        assert len(smtp_server.inbox.to(email)) == 2


async def test_two_factor_changes_are_told(auth_settings_factory, smtp_server):
    clock = held_clock()
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings, clock=clock) as client:
        email, pair = await signed_in(client)
        token = pair["access_token"]
        secret = await two_factor_on(client, token, clock)
        on = await mail_to(smtp_server, email)
        assert on["Subject"] == "Two-factor authentication is on"
        assert "From: Firefox on Linux" in text_of(on)
        assert "Every other device was signed out." in text_of(on)
        clock.advance(30)
        proof = {"password": PASSWORD, "code": pyotp.TOTP(secret).at(clock.now)}
        renewed = await client.post(
            f"{TWO_FACTOR}/recovery-codes", json=proof, headers=bearer(token)
        )
        assert renewed.status_code == 200, renewed.text
        await eventually(lambda: len(smtp_server.inbox.to(email)) == 2, "the codes notice")
        codes = smtp_server.inbox.to(email)[1]
        assert codes["Subject"] == "New recovery codes for your StreamStack account"
        assert "the old ones no longer work" in text_of(codes)
        clock.advance(30)
        proof = {"password": PASSWORD, "code": pyotp.TOTP(secret).at(clock.now)}
        off = await client.post(f"{TWO_FACTOR}/disable", json=proof, headers=bearer(token))
        assert off.status_code == 204, off.text
        await eventually(lambda: len(smtp_server.inbox.to(email)) == 3, "the off notice")
        by_owner = smtp_server.inbox.to(email)[2]
        assert by_owner["Subject"] == "Two-factor authentication is off"
        assert "Someone signed in as you turned off" in text_of(by_owner)


async def test_an_admin_turning_two_factor_off_is_told_as_theirs(
    auth_settings_factory, smtp_server
):
    clock = held_clock()
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings, clock=clock) as client:
        email, pair = await signed_in(client)
        await two_factor_on(client, pair["access_token"], clock)
        await mail_to(smtp_server, email)
        user_id = (await client.get(ME, headers=bearer(pair["access_token"]))).json()["id"]
        admin = await admin_token(client, settings)
        for _ in range(2):  # already off the second time: nothing more to tell
            off = await client.delete(f"{API}/users/{user_id}/two-factor", headers=bearer(admin))
            assert off.status_code == 204, off.text
        await eventually(lambda: len(smtp_server.inbox.to(email)) == 2, "the off notice")
        text = text_of(smtp_server.inbox.to(email)[1])
        assert "An administrator turned off two-factor authentication" in text
        # Not the owner's doing: no "if this was you", but how to turn it on again.
        assert "If this was you" not in text
        assert "If you did not expect this, ask an administrator of StreamStack" in text
        assert "set it up on your Account page" in text
        # Sign-ins get no notice; nor did the second turning off.
        assert (await login(client, email)).status_code == 200
        marker = new_email("marker")
        await client.post(f"{API}/register", json={"email": marker, "password": PASSWORD})
        await client.post(f"{API}/password-reset/request", json={"email": marker})
        await mail_to(smtp_server, marker)
        assert len(smtp_server.inbox.to(email)) == 2


async def test_nothing_is_sent_without_mail(auth_settings, smtp_server):
    async with running_app(auth_settings) as client:
        config = (await client.get(f"{API}/config")).json()
        assert config["mail"] is False
        _, pair = await signed_in(client)
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = await client.post(
            f"{API}/password", json=body, headers=bearer(pair["access_token"])
        )
        assert changed.status_code == 204, changed.text
        async with client.app.state.backends.database.unit_of_work() as session:
            assert await session.scalar(select(func.count()).select_from(OwedMail)) == 0
    assert smtp_server.inbox.mails == []


async def test_a_mail_server_away_does_not_break_the_change(auth_settings_factory, monkeypatch):
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(account_mail_module, "log", recorder)
    settings = auth_settings_factory(smtp_url=unreachable_smtp_url(), public_url=PUBLIC_URL)
    async with running_app(settings) as client:
        email, pair = await signed_in(client)
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = await client.post(
            f"{API}/password", json=body, headers=bearer(pair["access_token"])
        )
        assert changed.status_code == 204, changed.text
        await eventually(
            lambda: any(call.args[0] == "auth.notice_mail_retrying" for call in recorder.calls),
            "a retry planned",
        )
        assert (await login(client, email, NEW_PASSWORD)).status_code == 200


# --- invites by email -------------------------------------------------------------------


def invite_settings(factory: Any, server: MailServer) -> Any:
    """Registration by invitation, mailing through ``server``."""
    return mail_settings(factory, server, registration_mode="invite")


async def test_a_mailed_invite_registers_an_account(auth_settings_factory, smtp_server):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        assert (await client.get(f"{API}/config")).json()["mail"] is True
        admin = await admin_token(client, settings)
        guest = "Guest+Films.Person@Example.org"  # a "+" is no space in the link
        created = await client.post(INVITES, json={"email": guest}, headers=bearer(admin))
        assert created.status_code == 201, created.text
        assert created.json()["mailed_to"] == guest.lower()
        mail = await mail_to(smtp_server, guest.lower())
        assert mail["Subject"] == "You are invited to StreamStack"
        text = text_of(mail)
        assert "invited you to make an account" in text
        assert re.search(r"It works once, until \d\d \w+ \d{4}, \d\d:\d\d UTC\.", text), text
        found = INVITE_LINK.search(text)
        assert found is not None, text
        assert found[1] == PUBLIC_URL
        assert PUBLIC_URL + created.json()["link_path"] in text
        # The address it went to, for the register page to fill in (walk 51 F7).
        assert urllib.parse.parse_qs(f"email={found[3]}")["email"] == [guest.lower()]
        # The link its admin is shown names it too, URL-encoded, as the mailed one does.
        link_path = f"/register#invite={found[2]}&email=guest%2Bfilms.person@example.org"
        assert created.json()["link_path"] == link_path
        registered = await client.post(
            f"{API}/register",
            json={"email": guest.lower(), "password": PASSWORD, "invite_code": found[2]},
        )
        assert registered.status_code == 201, registered.text
        listed = (await client.get(INVITES, headers=bearer(admin))).json()["items"]
        assert [i["mailed_to"] for i in listed] == [guest.lower()]
        # One handed over has none, nor does its link.
        handed = (await client.post(INVITES, json={}, headers=bearer(admin))).json()
        assert handed["mailed_to"] is None
        assert handed["link_path"] == f"/register#invite={handed['code']}"


async def test_an_invite_email_without_mail_is_refused(auth_settings_factory, auth_settings):
    settings = auth_settings_factory(registration_mode="invite")
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        refused = await client.post(
            INVITES, json={"email": "guest@example.org"}, headers=bearer(admin)
        )
        body = assert_error(refused, 409, "mail_disabled")
        assert body["detail"] == "mail is not configured on this server: hand over the link instead"
        assert (await client.get(INVITES, headers=bearer(admin))).json()["items"] == []
        count = await read_behind(settings, "SELECT count(*) FROM auth_invites")
        assert count == 0
        assert {409, 429} <= await documented_statuses(client, "post", "/invites")


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "user@",
        "@example.org",
        "x" * 300 + "@example.org",
        42,
        "two@@example.org",
        "",
    ],
)
async def test_malformed_invite_emails_are_refused(auth_settings_factory, smtp_server, email):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        refused = await client.post(INVITES, json={"email": email}, headers=bearer(admin))
        assert_error(refused, 400)
        assert (await client.get(INVITES, headers=bearer(admin))).json()["items"] == []


async def test_an_admin_mails_a_handful_of_invites_a_minute(auth_settings_factory, smtp_server):
    clock = HeldClock()
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings, clock=clock) as client:
        admin = await admin_token(client, settings)
        for n in range(5):
            sent = await client.post(
                INVITES, json={"email": f"guest{n}@example.org"}, headers=bearer(admin)
            )
            assert sent.status_code == 201, sent.text
        refused = await client.post(
            INVITES, json={"email": "guest5@example.org"}, headers=bearer(admin)
        )
        assert_error(refused, 429, "invite_mail_throttled")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Handing a link over is not throttled; the refused one made nothing.
        assert (await client.post(INVITES, json={}, headers=bearer(admin))).status_code == 201
        listed = (await client.get(INVITES, headers=bearer(admin))).json()["items"]
        assert len(listed) == 6
        clock.advance(61)
        later = await client.post(
            INVITES, json={"email": "guest5@example.org"}, headers=bearer(admin)
        )
        assert later.status_code == 201, later.text
        await eventually(lambda: len(smtp_server.inbox.mails) == 6, "six invites")


async def test_a_viewer_or_a_revoked_token_mails_no_invite(auth_settings_factory, smtp_server):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        viewer_email = new_email()
        made = await client.post(INVITES, json={}, headers=bearer(admin))
        code = made.json()["code"]
        await client.post(
            f"{API}/register",
            json={"email": viewer_email, "password": PASSWORD, "invite_code": code},
        )
        _, viewer = await signed_in(client, viewer_email)
        body = {"email": "guest@example.org"}
        assert_error(
            await client.post(INVITES, json=body, headers=bearer(viewer["access_token"])), 403
        )
        await client.post(f"{API}/logout", headers=bearer(admin))
        assert_error(await client.post(INVITES, json=body, headers=bearer(admin)), 401)
    assert smtp_server.inbox.to("guest@example.org") == []


async def test_the_command_mails_an_invite(auth_settings_factory, smtp_server, tmp_path):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with served_app(settings) as url:
        admin = new_email("admin")
        async with standalone_service(settings) as service:
            await service.create_admin(admin, PASSWORD)
        login_line = CommandLine("login", tmp_path, token="")
        code, _, err = await login_line(
            "--email", admin, "--password-stdin", "--server", url, stdin=PASSWORD
        )
        assert code == 0, err
        line = CommandLine("invites", tmp_path, token="")
        code, out, err = await line("create", "--email", "guest@example.org", "--server", url)
        assert code == 0, err
        invite = json.loads(out)
        assert invite["mailed_to"] == "guest@example.org"
        assert "its link is being mailed to guest@example.org" in err
        # The link it prints fills the address in on the register page, as the mailed one.
        assert invite["link"] == f"{url}/register#invite={invite['code']}&email=guest@example.org"
        assert invite["link"] in err
        mail = await mail_to(smtp_server, "guest@example.org")
        assert PUBLIC_URL + invite["link_path"] in text_of(mail)
        # The table says where each invite went (walk 51, F9).
        code, out, err = await line("list", "--server", url)
        assert code == 0, err
        header, row = out.splitlines()
        cells = dict(zip(re.split(r"\s{2,}", header), re.split(r"\s{2,}", row), strict=True))
        assert cells["MAILED TO"] == "guest@example.org"
