"""The auth module's one way to send mail: after the answer, owed in the database.

Reset links ("Forgot your password?"), security notices (password, sign-in email and
two-factor changes) and invites by email are *owed*: a use case records the letter (its
kind and the few facts its writer needs, :mod:`streamstack.auth.letters`) in the unit of
work of the change that owes it, so both commit or neither does. The module's background
task ``auth.mail``, on any replica, claims a letter due, writes it and hands it to the
mail server, so a slow or failing mail server never reaches the caller, a reset
request's timing says nothing of whether an account has the email, and a restart (or a
crashed replica) loses nothing: the next process sends what was owed. A mail the server
could not take (away, busy, greylisting) is written and tried again after 30 s, then 1,
2 and 4 minutes (:data:`SEND_ATTEMPTS` in all, some 8 minutes: a reset link lives an
hour); one it refused for good (an SMTP 5xx, such as an unknown address) is logged and
given up. Either way the row is deleted once sent or given up.

No link or code is stored in clear: a reset letter holds the email and issues its code
when written (a retry issues a fresh one, which withdraws the last); an invite letter
holds its code sealed (``kernel/sealing.py``, as two-factor secrets).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable

import msgspec
import structlog

from streamstack.auth.letters import Letter, Notice, notice_mail
from streamstack.auth.repository import ClaimedMail, OwedMailRepository
from streamstack.kernel.backoff import backoff_seconds
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.mail import Mail, MailSender, MailUnavailable
from streamstack.kernel.sealing import UnsealableSecret
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

#: Letters owed at most; past this, new ones are not recorded (and logged).
QUEUE_LIMIT = 1000
#: How many times a mail is handed to the server before it is given up (logged).
SEND_ATTEMPTS = 5
#: The wait before a mail's second attempt, doubled for each further one.
FIRST_RETRY_SECONDS = 30.0
#: How long a claimed letter is one replica's: longer than any hand-over (SMTP waits 15 s
#: a step); a replica that dies holding it delays it this long.
CLAIM_SECONDS = 120.0

#: Writes a letter's mail (None: nothing to send after all, such as a reset for no account).
LetterWriter = Callable[[Letter], Awaitable[Mail | None]]
_letters = msgspec.json.Decoder(Letter)


class AccountMail:
    """Records the module's mails owed and sends them in the background (``task``), from
    the server named ``site_name``."""

    def __init__(
        self,
        sender: MailSender,
        public_url: str,
        database: Database,
        *,
        site_name: str,
        first_retry_seconds: float | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._sender = sender
        self.origin = public_url.rstrip("/")
        self.site_name = site_name
        self._database = database
        self._first_retry = (
            FIRST_RETRY_SECONDS if first_retry_seconds is None else first_retry_seconds
        )
        self._clock = clock
        self.writer: LetterWriter = self.write_notice
        # The interval is also how late a retry (or another replica's letter) may start.
        interval = min(5.0, self._first_retry)
        self.task = BackgroundTask("auth.mail", self._send_next, interval_seconds=interval)

    async def write_notice(self, letter: Letter) -> Mail | None:
        """The writer of security notices alone (the service's writes every letter)."""
        if not isinstance(letter, Notice):
            raise TypeError(f"no writer for {letter.KIND}")
        return notice_mail(letter, self.site_name)

    def link(self, path: str) -> str:
        """The address of the SPA's ``path`` at ``STREAMSTACK_PUBLIC_URL`` (never a
        request's Host)."""
        return self.origin + path

    async def owe(self, records: OwedMailRepository, letter: Letter) -> None:
        """Record ``letter`` in the caller's unit of work (sent after its commit, once
        :meth:`owed` wakes the task); past :data:`QUEUE_LIMIT` letters owed it is dropped
        and logged, so a flood cannot fill the database."""
        encoded = msgspec.json.encode(letter)
        if not await records.record(letter.KIND, encoded, self._clock(), QUEUE_LIMIT):
            log.warning(f"auth.{letter.KIND}_dropped", reason="queue_full")

    def owed(self) -> None:
        """A unit of work that recorded a letter committed: send it now."""
        self.task.wake()

    async def _send_next(self) -> bool:
        """Claim the letter due soonest, write it and hand it over; True when one was
        (more may be due). A shut-down (cancelled) never leaves a letter claimed: it is
        due again at once, for the next process."""
        claiming = asyncio.ensure_future(self._claim())
        try:
            claimed = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            if (claimed := await claiming) is not None:
                await self._settle(claimed, 0.0)
            raise
        if claimed is None:
            return False
        try:
            retry_in = await self._attempt(claimed)
        except asyncio.CancelledError:
            await self._settle(claimed, 0.0)
            raise
        await self._settle(claimed, retry_in)
        return True

    async def _claim(self) -> ClaimedMail | None:
        """The letter due soonest, claimed for :data:`CLAIM_SECONDS`; None when none is due."""
        now = self._clock()
        until = now + datetime.timedelta(seconds=CLAIM_SECONDS)
        async with self._database.unit_of_work() as session:
            return await OwedMailRepository(session=session).claim(now, until)

    async def _settle(self, claimed: ClaimedMail, retry_in: float | None) -> None:
        """Forget the claimed letter (None), or make it due again in ``retry_in`` seconds;
        finished even if the task is cancelled meanwhile (then cancelled after)."""
        settling = asyncio.ensure_future(self._settled(claimed, retry_in))
        try:
            await asyncio.shield(settling)
        except asyncio.CancelledError:
            await settling
            raise

    async def _settled(self, claimed: ClaimedMail, retry_in: float | None) -> None:
        async with self._database.unit_of_work() as session:
            owed = OwedMailRepository(session=session)
            if retry_in is None:
                await owed.done(claimed.id)
            else:
                due = self._clock() + datetime.timedelta(seconds=retry_in)
                await owed.due_again(claimed.id, due)

    async def _attempt(self, claimed: ClaimedMail) -> float | None:
        """Write the claimed letter and give its mail to the server: the seconds to wait
        before trying again, or None when it is done with (sent, nothing to send, given up)."""
        kind, attempt = claimed.kind, claimed.attempt
        try:
            mail = await self.writer(_letters.decode(claimed.letter))
            if mail is not None:
                await self._sender.send(mail)
        except MailUnavailable as exc:
            return self._again(kind, attempt, exc.detail, lasting=exc.lasting)
        except ServiceUnavailable as exc:  # the database, while writing: as a busy server
            return self._again(kind, attempt, exc.detail, lasting=False)
        except (UnsealableSecret, msgspec.DecodeError) as exc:  # never better on a retry
            return self._again(kind, attempt, str(exc), lasting=True)
        except Exception as exc:  # any failure is the operator's, never the caller's
            log.exception(f"auth.{kind}_failed", error=repr(exc), attempts=attempt)
        return None

    def _again(self, kind: str, attempt: int, error: str, *, lasting: bool) -> float | None:
        """The wait before the ``attempt``-th failed one is tried again, logged; None (and
        logged) when it is given up: refused for good, or its attempts spent."""
        if lasting or attempt >= SEND_ATTEMPTS:
            log.error(f"auth.{kind}_failed", error=error, attempts=attempt)
            return None
        wait = backoff_seconds(attempt, self._first_retry, float("inf"))
        log.warning(f"auth.{kind}_retrying", error=error, attempt=attempt, wait=wait)
        return wait
