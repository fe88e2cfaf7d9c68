""" "Forgot your password?": reset links sent by mail, after the answer.

The request is answered (202) once it is counted by the throttle, the same way whatever
the email; the account is looked up, a code issued and the mail sent afterwards, by the
module's background task ``auth.reset-mail``, from an in-process queue. So neither the
answer nor its timing says whether an account has the email, and a slow or failing mail
server never reaches the caller (a failure is logged). A queue lost at a restart loses its
mails; the owner asks again.
"""

from __future__ import annotations

import asyncio
import datetime

import structlog

from streamstack.auth.service import AuthService, ClientInfo
from streamstack.kernel.errors import Forbidden, ServiceUnavailable
from streamstack.kernel.mail import Mail, MailSender
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

RESET_MAIL_SUBJECT = "Reset your StreamStack password"
#: Requests waiting for their mail; past this, new ones are dropped (and logged).
QUEUE_LIMIT = 1000


class ResetByEmailDisabled(Forbidden, code="reset_by_email_disabled"):
    """No mail server is configured: an admin issues reset links."""


def reset_mail(email: str, link: str, expires_at: datetime.datetime) -> Mail:
    """The mail that carries a reset link to the owner of ``email``."""
    until = expires_at.strftime("%H:%M UTC")
    text = (
        "Hello,\n\n"
        f"Someone asked to reset the password of the StreamStack account {email}.\n\n"
        "To choose a new password, open this link:\n\n"
        f"{link}\n\n"
        f"It works once, within an hour (until {until}).\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return Mail(to=email, subject=RESET_MAIL_SUBJECT, text=text, link=link)


class ResetMailQueue:
    """Takes "Forgot your password?" requests and mails their links in the background."""

    def __init__(self, auth: AuthService, sender: MailSender, public_url: str) -> None:
        self._auth = auth
        self._sender = sender
        self._origin = public_url.rstrip("/")
        self._waiting: asyncio.Queue[str] = asyncio.Queue(QUEUE_LIMIT)
        self.task = BackgroundTask("auth.reset-mail", self._send_next, interval_seconds=5.0)

    async def request(self, email: str, client: ClientInfo) -> None:
        """Count the request (429 when throttled) and queue its mail; returns at once."""
        email = await self._auth.count_reset_mail_request(email, client)
        try:
            self._waiting.put_nowait(email)
        except asyncio.QueueFull:
            log.warning("auth.reset_mail_dropped", reason="queue_full")
            return
        self.task.wake()

    async def _send_next(self) -> bool:
        """Mail the next waiting request's link, if its email has an enabled account; True
        while more wait. A mail that could not be sent is logged, not retried."""
        try:
            email = self._waiting.get_nowait()
        except asyncio.QueueEmpty:
            return False
        issued = await self._auth.issue_reset_by_email(email)
        if issued is not None:
            mail = reset_mail(email, self._origin + issued.link_path, issued.expires_at)
            try:
                await self._sender.send(mail)
            except ServiceUnavailable as exc:
                log.error("auth.reset_mail_failed", user_id=str(issued.user_id), error=exc.detail)
            except Exception as exc:  # any failure is the operator's, never the caller's
                log.exception(
                    "auth.reset_mail_failed", user_id=str(issued.user_id), error=repr(exc)
                )
        return not self._waiting.empty()
