""" "Forgot your password?" by email (``POST /password-reset/request``).

The mail goes through a real SMTP server (aiosmtpd). Every email gets the same 202, sent
before the mail, and only an enabled account gets a mail; its link points at
``STREAMSTACK_PUBLIC_URL`` whatever Host the request named; requests are throttled per
client address (the reset codes' throttle) and per email (one mail a minute, a handful an
hour). Every test runs on both backend kinds.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import structlog
from auth_accounts import API, PASSWORD, assert_error, login, new_email, register, signed_in
from auth_accounts import signed_in_admin as admin_pair

from streamstack.auth import account_mail as account_mail_module
from streamstack.settings import Settings
from support.apps import running_app, served_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory
from support.mail import MailServer, unreachable_smtp_url
from support.waiting import eventually

REQUEST = f"{API}/password-reset/request"
RESET = f"{API}/password-reset"
PUBLIC_URL = "https://video.example.org"
NEW_PASSWORD = "violet umbrella marching slowly"
LINK = re.compile(r"^(https?://\S+)/reset-password#code=(\S+)$", re.MULTILINE)


def mail_settings(factory: SettingsFactory, server: MailServer, **overrides: Any) -> Settings:
    """Auth settings that mail through ``server``."""
    return factory(smtp_url=server.url, public_url=PUBLIC_URL, **overrides)


async def mail_to(server: MailServer, email: str) -> EmailMessage:
    """The one mail ``email`` received (waiting for it)."""
    await eventually(lambda: bool(server.inbox.to(email)), f"a mail to {email}")
    (mail,) = server.inbox.to(email)
    return mail


def link_in(mail: EmailMessage) -> tuple[str, str]:
    """The origin and the code of the reset link in ``mail``."""
    body = mail.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content().replace("\r\n", "\n"))  # SMTP carries CRLF
    assert found is not None, body.get_content()
    return found[1], found[2]


@pytest.mark.parametrize(
    "name", ["Hérons, Film Club", 'Herons, "Film" & <Club>: Ü', 'Ciné "Club", Leeds']
)
async def test_the_mail_comes_from_the_server_by_its_name(auth_settings_factory, smtp_server, name):
    settings = mail_settings(auth_settings_factory, smtp_server, site_name=name)
    async with running_app(settings) as client:
        email = new_email()
        await register(client, email)
        response = await client.post(REQUEST, json={"email": email})
        assert response.status_code == 202, response.text
        mail = await mail_to(smtp_server, email)
    # Commas, quotes, angle brackets, a colon and accents in the name are quoted and
    # encoded, not read as two addresses (formataddr's output was, once re-folded).
    (sender,) = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, "no-reply@video.example.org")
    assert mail["Subject"] == f"Reset your {name} password"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"reset the password of the {name} account {email}." in text


async def test_the_mailed_link_sets_a_new_password(auth_settings_factory, smtp_server):
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as client:
        email = new_email()
        await register(client, email)
        response = await client.post(REQUEST, json={"email": email.upper()})
        assert response.status_code == 202, response.text
        mail = await mail_to(smtp_server, email)
        assert mail["Subject"] == "Reset your StreamStack password"
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert email in text
        assert "works once, within an hour" in text
        assert (
            "If you did not ask for this, ignore this mail: your password stays as it is." in text
        )
        origin, code = link_in(mail)
        assert origin == PUBLIC_URL
        reset = await client.post(RESET, json={"code": code, "new_password": NEW_PASSWORD})
        assert reset.status_code == 204, reset.text
        assert_error(await login(client, email, PASSWORD), 401, "invalid_credentials")
        assert (await login(client, email, NEW_PASSWORD)).status_code == 200
        # Single-use.
        again = await client.post(RESET, json={"code": code, "new_password": PASSWORD})
        assert_error(again, 403, "invalid_reset_code")


async def test_unknown_and_disabled_emails_get_the_same_answer_and_no_mail(
    auth_settings_factory, smtp_server
):
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        _, admin = await admin_pair(client, settings)
        disabled = new_email("disabled")
        user = await register(client, disabled)
        patched = await client.post(
            f"{API}/users/{user['id']}/disable",
            headers={"Authorization": f"Bearer {admin['access_token']}"},
        )
        assert patched.status_code == 200, patched.text
        known = new_email("known")
        await register(client, known)
        answers = []
        for email in (new_email("nobody"), disabled, known):
            response = await client.post(REQUEST, json={"email": email})
            assert response.status_code == 202, response.text
            answers.append((response.content, sorted(response.headers.keys())))
        assert answers == [answers[0]] * 3
        # The known account's mail arrives; had the others been sent, they came before it.
        await mail_to(smtp_server, known)
        assert {m["To"] for m in smtp_server.inbox.mails} == {known}


async def test_the_link_ignores_the_host_the_request_named(auth_settings_factory, smtp_server):
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as client:
        email = new_email()
        await register(client, email)
        poisoned = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
        response = await client.post(REQUEST, json={"email": email}, headers=poisoned)
        assert response.status_code == 202, response.text
        origin, _ = link_in(await mail_to(smtp_server, email))
        assert origin == PUBLIC_URL


async def test_one_mail_a_minute_per_email_whatever_the_address(auth_settings_factory, smtp_server):
    clock = HeldClock()
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with (
        served_app(settings, clock=clock) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        email = new_email()
        await register(http, email)
        unknown = new_email("nobody")
        for target in (email, unknown):
            first = await http.post(
                REQUEST, json={"email": target}, headers={"X-Forwarded-For": "203.0.113.1"}
            )
            assert first.status_code == 202, first.text
            # From elsewhere, at once: refused for the email, known or not.
            again = await http.post(
                REQUEST, json={"email": target}, headers={"X-Forwarded-For": "198.51.100.2"}
            )
            assert_error(again, 429, "reset_throttled")
            assert 1 <= int(again.headers["retry-after"]) <= 60
        await mail_to(smtp_server, email)
        clock.advance(61)
        later = await http.post(REQUEST, json={"email": email})
        assert later.status_code == 202, later.text
        await eventually(lambda: len(smtp_server.inbox.to(email)) == 2, "a second mail")
        # Then two minutes: a handful an hour at most.
        clock.advance(61)
        assert_error(await http.post(REQUEST, json={"email": email}), 429, "reset_throttled")


async def test_requests_count_against_the_address_reset_throttle(
    auth_settings_factory, smtp_server
):
    clock = HeldClock()
    settings = mail_settings(auth_settings_factory, smtp_server, registration_address_attempts=3)
    async with (
        served_app(settings, clock=clock) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        here = {"X-Forwarded-For": "203.0.113.9"}
        statuses = [
            (await http.post(REQUEST, json={"email": new_email()}, headers=here)).status_code
            for _ in range(5)
        ]
        assert statuses == [202, 202, 202, 429, 429]
        # The one per-address key of the reset codes: a code check is refused too.
        check = await http.post(f"{RESET}/check", json={"code": "guess"}, headers=here)
        assert_error(check, 429, "reset_throttled")
        elsewhere = {"X-Forwarded-For": "198.51.100.9"}
        response = await http.post(REQUEST, json={"email": new_email()}, headers=elsewhere)
        assert response.status_code == 202, response.text


async def test_bad_bodies_are_400_and_count_nothing(auth_settings_factory, smtp_server):
    settings = mail_settings(auth_settings_factory, smtp_server, registration_address_attempts=1)
    async with running_app(settings) as client:
        for body in (
            {},
            {"email": ""},
            {"email": "no-at-sign"},
            {"email": 5},
            {"email": None},
            {"email": "a@example.org", "code": "x"},
            ["a@example.org"],
            {"email": "a" * 300 + "@example.org"},
        ):
            assert_error(await client.post(REQUEST, json=body), 400)
        not_json = {"content-type": "application/json"}
        assert_error(await client.post(REQUEST, content=b"{email", headers=not_json), 400)
        email = new_email()
        await register(client, email)
        response = await client.post(REQUEST, json={"email": email})
        assert response.status_code == 202, response.text
        await mail_to(smtp_server, email)


async def test_a_mail_server_that_is_away_is_logged_not_a_500(auth_settings_factory, monkeypatch):
    # The module's logger is swapped for a recording one: loggers are cached once an app
    # configured logging, and structlog's capture_logs would miss them.
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(account_mail_module, "log", recorder)
    settings = auth_settings_factory(smtp_url=unreachable_smtp_url(), public_url=PUBLIC_URL)
    async with running_app(settings) as client:
        email = new_email()
        await register(client, email)
        response = await client.post(REQUEST, json={"email": email})
        assert response.status_code == 202, response.text
        await eventually(
            lambda: any(call.args[0] == "auth.reset_mail_retrying" for call in recorder.calls),
            "a retry planned",
        )


async def test_without_mail_the_request_is_refused_and_the_config_says_so(
    client, auth_settings_factory, smtp_server
):
    config = (await client.get(f"{API}/config")).json()
    assert config["mail"] is False
    email, _ = await signed_in(client)
    refused = await client.post(REQUEST, json={"email": email})
    assert_error(refused, 403, "reset_by_email_disabled")
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as mailing:
        assert (await mailing.get(f"{API}/config")).json()["mail"] is True
