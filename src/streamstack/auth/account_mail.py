"""The auth module's one way to send mail: after the answer, from an in-process queue.

Reset links ("Forgot your password?"), security notices (password, sign-in email and
two-factor changes) and invites by email are queued as letters and sent by the module's
background task ``auth.mail``, so a slow or failing mail server never reaches the caller
(a failure is logged, never retried) and a reset request's timing says nothing of whether
an account has the email. A queue lost at a restart loses its mails: a reset is asked
again, a notice is lost, an invite's link is still in the list's answer to the admin.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import structlog

from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.mail import Mail, MailSender
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

#: Letters waiting to be sent; past this, new ones are dropped (and logged).
QUEUE_LIMIT = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Letter:
    """A mail to write when its turn comes (None: nothing to send after all). ``kind``
    names it in the log: ``auth.<kind>_failed``, ``auth.<kind>_dropped``."""

    kind: str
    write: Callable[[], Awaitable[Mail | None]]


class AccountMail:
    """Queues the module's mails and sends them in the background (``task``)."""

    def __init__(self, sender: MailSender, public_url: str) -> None:
        self._sender = sender
        self.origin = public_url.rstrip("/")
        self._waiting: asyncio.Queue[Letter] = asyncio.Queue(QUEUE_LIMIT)
        self.task = BackgroundTask("auth.mail", self._send_next, interval_seconds=5.0)

    def link(self, path: str) -> str:
        """The address of the SPA's ``path`` at ``STREAMSTACK_PUBLIC_URL`` (never a
        request's Host)."""
        return self.origin + path

    def later(self, letter: Letter) -> None:
        """Queue ``letter``; returns at once."""
        try:
            self._waiting.put_nowait(letter)
        except asyncio.QueueFull:
            log.warning(f"auth.{letter.kind}_dropped", reason="queue_full")
            return
        self.task.wake()

    def send_later(self, kind: str, mail: Mail) -> None:
        """Queue a mail already written."""

        async def written() -> Mail:
            return mail

        self.later(Letter(kind, written))

    async def _send_next(self) -> bool:
        """Write and send the next waiting letter; True while more wait. A mail that could
        not be sent is logged, not retried."""
        try:
            letter = self._waiting.get_nowait()
        except asyncio.QueueEmpty:
            return False
        event = f"auth.{letter.kind}_failed"
        try:
            mail = await letter.write()
            if mail is not None:
                await self._sender.send(mail)
        except ServiceUnavailable as exc:
            log.error(event, error=exc.detail)
        except Exception as exc:  # any failure is the operator's, never the caller's
            log.exception(event, error=repr(exc))
        return not self._waiting.empty()
