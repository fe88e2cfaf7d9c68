"""A mail the server could not take is tried again; one it refused for good is not.

Reset links and security notices are owed in auth's database and sent by ``AccountMail``
to a real SMTP server (aiosmtpd). A server that is away (not yet listening) or busy gets
the same mail again after a backoff, up to ``SEND_ATTEMPTS`` times; a 5xx refusal (an
unknown mailbox) is logged and given up at once; either way the letter is then gone from
the database. Waits are shortened by ``first_retry_seconds``. Both backends.
"""

from __future__ import annotations

import datetime
import smtplib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select
from structlog.testing import CapturingLogger

from streamstack.auth import account_mail as account_mail_module
from streamstack.auth.account_mail import SEND_ATTEMPTS, AccountMail
from streamstack.auth.letters import Notice
from streamstack.auth.models import OwedMail
from streamstack.auth.repository import OwedMailRepository
from streamstack.kernel.db import Database
from streamstack.kernel.mail.smtp import SmtpMailSender, refused_for_good
from streamstack.settings import Settings
from support.apps import running_app
from support.mail import MailServer
from support.waiting import eventually

SENDER = "StreamStack <no-reply@video.example.org>"
TO = "ada@example.org"


def notice(to: str = TO) -> Notice:
    """A password-change notice to ``to``."""
    return Notice("password_changed", to, datetime.datetime.now(datetime.UTC))


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """The queue's log, captured."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(account_mail_module, "log", captured)
    return captured


def logged(log: CapturingLogger, event: str) -> list[dict[str, Any]]:
    """The fields of each ``event`` logged, in order."""
    return [call.kwargs for call in log.calls if call.args[0] == event]


class OwingMail:
    """The module's mail on an auth database, its background task running."""

    def __init__(self, mail: AccountMail, database: Database) -> None:
        self.mail = mail
        self.database = database

    async def owe(self, letter: Notice) -> None:
        """Owe ``letter``, as a use case does in its unit of work."""
        async with self.database.unit_of_work() as session:
            await self.mail.owe(OwedMailRepository(session=session), letter)
        self.mail.owed()

    async def owed(self) -> int:
        """How many letters are owed."""
        async with self.database.unit_of_work() as session:
            return int(await session.scalar(select(func.count()).select_from(OwedMail)) or 0)

    async def none_owed(self) -> bool:
        """Whether no letter is owed."""
        return await self.owed() == 0


async def running_queue(
    settings: Settings, server: MailServer, first_retry: float
) -> AsyncIterator[OwingMail]:
    """The module's mail on ``server`` and the database of an app on ``settings`` (migrated,
    mailing nothing itself), its background task running."""
    async with running_app(settings) as client:
        database = client.app.state.backends.database
        sender = SmtpMailSender(server.url, SENDER)
        mail = AccountMail(
            sender, "https://x", database, site_name="StreamStack", first_retry_seconds=first_retry
        )
        await mail.task.start()
        try:
            yield OwingMail(mail, database)
        finally:
            await mail.task.stop()


async def test_a_mail_server_away_gets_the_mail_when_it_is_back(
    log: CapturingLogger, auth_settings: Settings
) -> None:
    server = MailServer()  # not listening yet
    async for queue in running_queue(auth_settings, server, first_retry=0.2):
        await queue.owe(notice())
        await eventually(lambda: logged(log, "auth.notice_mail_retrying"), "a retry planned")
        assert await queue.owed() == 1  # kept in the database meanwhile
        server.start()
        try:
            await eventually(lambda: len(server.inbox.to(TO)) == 1, "the mail, once back")
            assert server.inbox.to(TO)[0]["Subject"] == "Your StreamStack password was changed"
            assert not logged(log, "auth.notice_mail_failed"), log.calls
        finally:
            server.stop()


async def test_a_mail_server_away_for_long_is_given_up_after_the_attempts(
    log: CapturingLogger, auth_settings: Settings
) -> None:
    server = MailServer()  # never listening
    async for queue in running_queue(auth_settings, server, first_retry=0.02):
        await queue.owe(notice())
        await eventually(lambda: logged(log, "auth.notice_mail_failed"), "given up")
        retries = logged(log, "auth.notice_mail_retrying")
        assert [event["attempt"] for event in retries] == list(range(1, SEND_ATTEMPTS))
        waits = [event["wait"] for event in retries]
        assert waits == sorted(waits) and waits[1] == 2 * waits[0]  # it backs off
        assert logged(log, "auth.notice_mail_failed")[0]["attempts"] == SEND_ATTEMPTS
        await eventually(queue.none_owed, "the letter forgotten")


async def test_a_mailbox_refused_for_good_is_not_tried_again(
    log: CapturingLogger, smtp_server: MailServer, auth_settings: Settings
) -> None:
    smtp_server.inbox.unknown.add("nobody@example.org")
    async for queue in running_queue(auth_settings, smtp_server, first_retry=0.02):
        await queue.owe(notice("nobody@example.org"))
        await queue.owe(notice())
        await eventually(lambda: len(smtp_server.inbox.to(TO)) == 1, "the next mail")
        failed = logged(log, "auth.notice_mail_failed")
        assert len(failed) == 1 and failed[0]["attempts"] == 1
        assert not logged(log, "auth.notice_mail_retrying")
        assert smtp_server.inbox.recipients_asked.count("nobody@example.org") == 1
        await eventually(queue.none_owed, "both letters forgotten")


async def test_past_the_limit_a_letter_is_not_recorded(
    log: CapturingLogger, auth_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_mail_module, "QUEUE_LIMIT", 2)
    server = MailServer()  # never listening: the letters stay owed
    async for queue in running_queue(auth_settings, server, first_retry=60):
        for _ in range(3):
            await queue.owe(notice())
        assert await queue.owed() == 2
        assert len(logged(log, "auth.notice_mail_dropped")) == 1


@pytest.mark.parametrize(
    ("error", "lasting"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such mailbox")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"greylisted")}), False),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "n@x"), True),
        (smtplib.SMTPDataError(554, b"spam"), True),
        (smtplib.SMTPResponseException(421, b"too busy"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "refused"), False),
    ],
)
def test_only_a_5xx_answer_is_a_refusal_for_good(error: BaseException, lasting: bool) -> None:
    assert refused_for_good(error) is lasting
