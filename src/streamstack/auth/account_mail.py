"""The auth module's one way to send mail: after the answer, from an in-process queue.

Reset links ("Forgot your password?"), security notices (password, sign-in email and
two-factor changes) and invites by email are queued as letters and sent by the module's
background task ``auth.mail``, so a slow or failing mail server never reaches the caller
and a reset request's timing says nothing of whether an account has the email. A mail the
server could not take (away, busy, greylisting) is tried again, as written, after 30 s,
then 1, 2 and 4 minutes (:data:`SEND_ATTEMPTS` in all, some 8 minutes: a reset link lives
an hour); one it refused for good (an SMTP 5xx, such as an unknown address) is logged and
dropped. A queue lost at a restart loses its mails: a reset is asked again, a notice is
lost, an invite's link is still in the list's answer to the admin.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable

import structlog

from streamstack.kernel.backoff import backoff_seconds
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.mail import Mail, MailSender, MailUnavailable
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

#: Letters waiting to be sent; past this, new ones are dropped (and logged).
QUEUE_LIMIT = 1000
#: How many times a mail is handed to the server before it is given up (logged).
SEND_ATTEMPTS = 5
#: The wait before a mail's second attempt, doubled for each further one.
FIRST_RETRY_SECONDS = 30.0


@dataclasses.dataclass(frozen=True, slots=True)
class Letter:
    """A mail to write when its turn comes (None: nothing to send after all). ``kind``
    names it in the log: ``auth.<kind>_failed``, ``auth.<kind>_dropped``."""

    kind: str
    write: Callable[[], Awaitable[Mail | None]]


@dataclasses.dataclass(order=True, frozen=True, slots=True)
class Retry:
    """A written mail to hand over again at ``due`` (monotonic seconds), its ``attempt``-th
    time; ``order`` keeps mails due at once in the order they failed."""

    due: float
    order: int
    attempt: int = dataclasses.field(compare=False)
    kind: str = dataclasses.field(compare=False)
    mail: Mail = dataclasses.field(compare=False)


class AccountMail:
    """Queues the module's mails and sends them in the background (``task``)."""

    def __init__(
        self,
        sender: MailSender,
        public_url: str,
        *,
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sender = sender
        self.origin = public_url.rstrip("/")
        self._waiting: asyncio.Queue[Letter] = asyncio.Queue(QUEUE_LIMIT)
        self._retries: list[Retry] = []  # a heap, soonest due first
        self._failed_order = itertools.count()
        self._first_retry = first_retry_seconds
        self._monotonic = monotonic
        # The interval is also how late a retry may start after it is due.
        interval = min(5.0, first_retry_seconds)
        self.task = BackgroundTask("auth.mail", self._send_next, interval_seconds=interval)

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
        """Send the retry now due, else write and send the next waiting letter; True while
        more are due now."""
        if self._retries and self._retries[0].due <= self._monotonic():
            retry = heapq.heappop(self._retries)
            await self._hand_over(retry.kind, retry.mail, retry.attempt)
        else:
            try:
                letter = self._waiting.get_nowait()
            except asyncio.QueueEmpty:
                return False
            try:
                mail = await letter.write()
            except ServiceUnavailable as exc:  # the database, say: the letter is lost
                log.error(f"auth.{letter.kind}_failed", error=exc.detail)
            except Exception as exc:  # any failure is the operator's, never the caller's
                log.exception(f"auth.{letter.kind}_failed", error=repr(exc))
            else:
                if mail is not None:
                    await self._hand_over(letter.kind, mail, 1)
        due_now = bool(self._retries) and self._retries[0].due <= self._monotonic()
        return due_now or not self._waiting.empty()

    async def _hand_over(self, kind: str, mail: Mail, attempt: int) -> None:
        """Give ``mail`` to the server; keep it for another attempt if that may help."""
        try:
            await self._sender.send(mail)
        except MailUnavailable as exc:
            if exc.lasting or attempt >= SEND_ATTEMPTS or self._is_full():
                log.error(f"auth.{kind}_failed", error=exc.detail, attempts=attempt)
                return
            wait = backoff_seconds(attempt, self._first_retry, float("inf"))
            log.warning(f"auth.{kind}_retrying", error=exc.detail, attempt=attempt, wait=wait)
            due = self._monotonic() + wait
            heapq.heappush(
                self._retries, Retry(due, next(self._failed_order), attempt + 1, kind, mail)
            )
        except Exception as exc:  # any failure is the operator's, never the caller's
            log.exception(f"auth.{kind}_failed", error=repr(exc))

    def _is_full(self) -> bool:
        """Whether the mails kept for retries reach the queue's limit (a long outage)."""
        return len(self._retries) >= QUEUE_LIMIT
