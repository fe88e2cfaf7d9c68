"""A mail the server could not take is tried again; one it refused for good is not.

Reset links and security notices go through auth's one mail queue (``AccountMail``) to a
real SMTP server (aiosmtpd). A server that is away (not yet listening) or busy gets the
same mail again, as written, after a backoff, up to ``SEND_ATTEMPTS`` times; a 5xx
refusal (an unknown mailbox) is logged and dropped at once. Waits are shortened by the
queue's ``first_retry_seconds``.
"""

from __future__ import annotations

import smtplib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from structlog.testing import CapturingLogger

from streamstack.auth import account_mail as account_mail_module
from streamstack.auth.account_mail import SEND_ATTEMPTS, AccountMail
from streamstack.kernel.mail import Mail
from streamstack.kernel.mail.smtp import SmtpMailSender, refused_for_good
from support.mail import MailServer
from support.waiting import eventually

SENDER = "StreamStack <no-reply@video.example.org>"
TO = "ada@example.org"


def reset_mail(to: str = TO) -> Mail:
    """A reset mail to ``to``."""
    return Mail(to, "Reset your StreamStack password", "Follow the link.", "https://x/#code=1")


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """The queue's log, captured."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(account_mail_module, "log", captured)
    return captured


def logged(log: CapturingLogger, event: str) -> list[dict[str, Any]]:
    """The fields of each ``event`` logged, in order."""
    return [call.kwargs for call in log.calls if call.args[0] == event]


async def running_queue(server: MailServer, first_retry: float) -> AsyncIterator[AccountMail]:
    """The module's mail queue on ``server``, its background task running."""
    queue = AccountMail(
        SmtpMailSender(server.url, SENDER), "https://x", first_retry_seconds=first_retry
    )
    await queue.task.start()
    try:
        yield queue
    finally:
        await queue.task.stop()


async def test_a_mail_server_away_gets_the_mail_when_it_is_back(log: CapturingLogger) -> None:
    server = MailServer()  # not listening yet
    async for queue in running_queue(server, first_retry=0.2):
        queue.send_later("reset_mail", reset_mail())
        await eventually(lambda: logged(log, "auth.reset_mail_retrying"), "a retry planned")
        server.start()
        try:
            await eventually(lambda: len(server.inbox.to(TO)) == 1, "the mail, once back")
            assert server.inbox.to(TO)[0]["Subject"] == "Reset your StreamStack password"
            assert not logged(log, "auth.reset_mail_failed")
        finally:
            server.stop()


async def test_a_mail_server_away_for_long_is_given_up_after_the_attempts(
    log: CapturingLogger,
) -> None:
    server = MailServer()  # never listening
    async for queue in running_queue(server, first_retry=0.02):
        queue.send_later("notice_mail", reset_mail())
        await eventually(lambda: logged(log, "auth.notice_mail_failed"), "given up")
        retries = logged(log, "auth.notice_mail_retrying")
        assert [event["attempt"] for event in retries] == list(range(1, SEND_ATTEMPTS))
        waits = [event["wait"] for event in retries]
        assert waits == sorted(waits) and waits[1] == 2 * waits[0]  # it backs off
        assert logged(log, "auth.notice_mail_failed")[0]["attempts"] == SEND_ATTEMPTS


async def test_a_mailbox_refused_for_good_is_not_tried_again(
    log: CapturingLogger, smtp_server: MailServer
) -> None:
    smtp_server.inbox.unknown.add("nobody@example.org")
    async for queue in running_queue(smtp_server, first_retry=0.02):
        queue.send_later("reset_mail", reset_mail("nobody@example.org"))
        queue.send_later("reset_mail", reset_mail())
        await eventually(lambda: len(smtp_server.inbox.to(TO)) == 1, "the next mail")
        failed = logged(log, "auth.reset_mail_failed")
        assert len(failed) == 1 and failed[0]["attempts"] == 1
        assert not logged(log, "auth.reset_mail_retrying")
        assert smtp_server.inbox.recipients_asked.count("nobody@example.org") == 1


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
