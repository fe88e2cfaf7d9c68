"""Mail owed survives the process that owed it: a restart, another replica.

A change that owes a mail (a security notice, an invite by email) records it in auth's
database with the change; whichever app instance's task ``auth.mail`` claims it sends it,
once. A change rolled back owes nothing. Real SMTP server (aiosmtpd); retries shortened by
patching the first wait (``FIRST_RETRY_SECONDS``).
"""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from auth_accounts import API, PASSWORD, admin_token, assert_error, bearer, signed_in
from sqlalchemy import func, select
from structlog.testing import CapturingLogger
from test_auth_account_mail import INVITES, NEW_PASSWORD, text_of
from test_auth_password_reset_mail import PUBLIC_URL, link_in, mail_settings, mail_to

from streamstack.auth import account_mail as account_mail_module
from streamstack.auth.models import OwedMail
from support.apps import AppClient, running_app
from support.mail import MailServer, unreachable_smtp_url
from support.waiting import eventually


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """The mail's log, captured; its first retry after a second, not 30."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(account_mail_module, "log", captured)
    monkeypatch.setattr(account_mail_module, "FIRST_RETRY_SECONDS", 1.0)
    return captured


def logged(log: CapturingLogger, event: str) -> bool:
    """Whether ``event`` was logged."""
    return any(call.args[0] == event for call in log.calls)


async def owed(client: AppClient) -> int:
    """How many mails the app's database holds owed."""
    async with client.app.state.backends.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(OwedMail)) or 0)


async def nothing_owed(client: AppClient) -> bool:
    """Whether the app's database holds no mail owed."""
    return await owed(client) == 0


async def change_password(client: Any) -> str:
    """A new account whose owner changes its password; its email."""
    email, pair = await signed_in(client)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = await client.post(f"{API}/password", json=body, headers=bearer(pair["access_token"]))
    assert changed.status_code == 204, changed.text
    return email


async def test_mail_owed_when_the_server_was_down_is_sent_after_a_restart(
    auth_settings_factory, log
):
    server = MailServer()  # down while the first app runs
    settings = mail_settings(auth_settings_factory, server)
    async with running_app(settings) as client:
        email = await change_password(client)
        admin = await admin_token(client, settings)
        created = await client.post(
            INVITES, json={"email": "guest@example.org"}, headers=bearer(admin)
        )
        assert created.status_code == 201, created.text
        await eventually(lambda: logged(log, "auth.notice_mail_retrying"), "a notice retry")
        await eventually(lambda: logged(log, "auth.invite_mail_retrying"), "an invite retry")
        assert await owed(client) == 2
    server.start()
    try:
        async with running_app(settings) as client:
            notice = await mail_to(server, email)
            assert notice["Subject"] == "Your StreamStack password was changed"
            invite = await mail_to(server, "guest@example.org")
            assert PUBLIC_URL + created.json()["link_path"] in text_of(invite)
            await eventually(lambda: nothing_owed(client), "the letters forgotten")
    finally:
        server.stop()


async def test_a_change_rolled_back_owes_no_mail(auth_settings_factory, smtp_server, log):
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        me = (await client.get(f"{API}/me", headers=bearer(admin))).json()
        for user in (await client.get(f"{API}/users", headers=bearer(admin))).json()["items"]:
            if user["role"] == "admin" and user["id"] != me["id"]:  # dev's first admin
                body = {"role": "viewer"}
                demoted = await client.patch(
                    f"{API}/users/{user['id']}", json=body, headers=bearer(admin)
                )
                assert demoted.status_code == 200, demoted.text
                await mail_to(smtp_server, user["email"])  # told, so no longer owed
        # The email change is made, its notice owed, then the demotion of the last admin
        # refuses the whole: neither stays.
        body = {"email": "moved@example.org", "role": "viewer"}
        refused = await client.patch(f"{API}/users/{me['id']}", json=body, headers=bearer(admin))
        assert_error(refused, 409, "last_admin")
        assert await owed(client) == 0
        marker = await change_password(client)  # a mail owed after, to know the task ran
        await mail_to(smtp_server, marker)
        assert smtp_server.inbox.to(me["email"]) == []


async def test_a_reset_asked_while_the_server_was_down_works_after_a_restart(
    auth_settings_factory, log
):
    server = MailServer()
    settings = mail_settings(auth_settings_factory, server)
    async with running_app(settings) as client:
        email, _ = await signed_in(client)
        asked = await client.post(f"{API}/password-reset/request", json={"email": email})
        assert asked.status_code == 202, asked.text
        await eventually(lambda: logged(log, "auth.reset_mail_retrying"), "a retry")
    server.start()
    try:
        async with running_app(settings) as client:
            _, code = link_in(await mail_to(server, email))  # issued as the mail is written
            body = {"code": code, "new_password": NEW_PASSWORD}
            used = await client.post(f"{API}/password-reset", json=body)
            assert used.status_code == 204, used.text
    finally:
        server.stop()


async def test_an_invite_revoked_before_its_mail_went_is_not_mailed(auth_settings_factory, log):
    server = MailServer()
    settings = mail_settings(auth_settings_factory, server)
    async with running_app(settings) as client:
        admin = bearer(await admin_token(client, settings))
        created = await client.post(INVITES, json={"email": "guest@example.org"}, headers=admin)
        assert created.status_code == 201, created.text
        await eventually(lambda: logged(log, "auth.invite_mail_retrying"), "a retry")
        revoked = await client.delete(f"{INVITES}/{created.json()['id']}", headers=admin)
        assert revoked.status_code == 204, revoked.text
    server.start()
    try:
        async with running_app(settings) as client:
            marker = await change_password(client)  # a mail that goes, to know the task runs
            await mail_to(server, marker)
            await eventually(lambda: nothing_owed(client), "the letters forgotten")
            assert server.inbox.to("guest@example.org") == []
    finally:
        server.stop()


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_replicas_on_one_database_send_each_mail_once(
    auth_settings_factory, smtp_server, log
):
    # The first replica owes mails its mail server cannot take, then goes; the other two,
    # running all along on the same database, share them out: each sent once.
    away = auth_settings_factory(smtp_url=unreachable_smtp_url(), public_url=PUBLIC_URL)
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as second, running_app(settings) as third:
        async with running_app(away) as first:
            emails = [await change_password(first) for _ in range(6)]
            await eventually(lambda: logged(log, "auth.notice_mail_retrying"), "a retry")
        for email in emails:
            await mail_to(smtp_server, email)
        await eventually(lambda: nothing_owed(second), "every letter sent and forgotten")
        assert await owed(third) == 0
    for email in emails:
        assert len(smtp_server.inbox.to(email)) == 1, email
