"""Throttling of sign-in and registration, by attempt counters in the database.

Every attempt is counted *before* its password is checked (or hashed), by one conditional
upsert of all its keys (:meth:`AttemptRepository.reserve`), so concurrent attempts queue on the
counters' rows instead of all reading "not locked yet": 15 concurrent guesses with 5 free
attempts get 5 password checks and 10 answers 429. The counters live in the module's
database, which every replica shares, so the limits hold across replicas.

Sign-in follows OWASP's advice that failures from an address slow that address, not the
account's owner elsewhere. An attempt counts under three keys:

* email + address (``login_throttle_email_attempts`` free): guessing one account from
  one place;
* address (``login_throttle_address_attempts``): one place guessing many accounts;
* email alone (``login_throttle_account_attempts``, a much higher ceiling): a guess at one
  account spread over many addresses. An attacker at one address is stopped by the first
  two keys long before reaching it, so they cannot keep the owner out.

Past a key's free attempts each further attempt locks it for twice as long as the one
before (1 s, 2 s, 4 s … up to ``login_throttle_max_seconds``); attempts made while a key is
locked are answered 429 with ``Retry-After`` and counted nowhere. A successful sign-in
deletes its email + address counter and takes its attempt back from the other two, with
the lock its count set (an attacker's own account must not reset the count of their
guesses at others, but the next person at an office's address must not wait). A counter
idle for an hour starts again from zero.

Registration counts every attempt per address (``registration_address_attempts`` free):
each one costs an argon2 hash. One that spends a valid invite code gets its attempt back.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import math
from typing import Literal

from streamstack.auth.repository import AttemptRepository
from streamstack.kernel.errors import TooManyRequests

#: A counter untouched for this long starts again from zero.
IDLE_SECONDS = 3600
#: Hex digits of an account tag (64 bits: no two emails of one instance share one).
ACCOUNT_TAG_CHARS = 16


#: Which kind of counter refused an attempt: email + address, address, email alone.
ThrottleReason = Literal["throttled_account_address", "throttled_address", "throttled_account"]


class Throttled(TooManyRequests):
    """An attempt refused by a locked counter. ``reason`` names the kind of counter, for
    the operator's log only: the answer is the same whichever it is."""

    reason: ThrottleReason = "throttled_address"


class LoginThrottled(Throttled, code="login_throttled"):
    """Too many sign-in attempts for this email or from this address."""


class RegistrationThrottled(Throttled, code="registration_throttled"):
    """Too many registrations from this address."""


class ResetThrottled(Throttled, code="reset_throttled"):
    """Too many password-reset attempts from this address."""


class InviteMailThrottled(Throttled, code="invite_mail_throttled"):
    """Too many invites mailed by this admin (a stolen token is no spam cannon)."""


#: Invites one admin may mail in a minute; the next waits for the minute to end.
INVITE_MAILS_PER_MINUTE = 5


#: Reset mails to one email: the first goes at once, the next after a minute, then after
#: twice as long each time (2, 4, 8, 16 min): a handful an hour at most, whoever asks.
RESET_MAIL_FIRST_LOCK_SECONDS = 60


#: What is counted per client address alone (the purpose also keys its counters).
AddressPurpose = Literal["register", "reset"]

#: The error, and its detail, that refuses each :data:`AddressPurpose` when its key is locked.
ADDRESS_REFUSALS: dict[AddressPurpose, tuple[type[Throttled], str]] = {
    "register": (
        RegistrationThrottled,
        "too many registrations from this address; try again later",
    ),
    "reset": (ResetThrottled, "too many password resets from this address; try again later"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class ThrottleLimits:
    """Free attempts per key kind, and the longest lock."""

    email_address: int
    address: int
    account: int
    registration: int
    max_seconds: int


class AttemptThrottle:
    """Counts attempts under keyed hashes of emails and addresses, and refuses locked ones."""

    def __init__(self, secret: str, limits: ThrottleLimits) -> None:
        self._secret = secret.encode()
        self._limits = limits

    async def reserve_login(
        self, attempts: AttemptRepository, email: str, address: str, now: datetime.datetime
    ) -> None:
        """Count a sign-in attempt under its three keys, or raise :class:`LoginThrottled`.

        The keys are always taken in the same order, so concurrent attempts cannot deadlock
        on Postgres's row locks.
        """
        await self._reserve(
            attempts,
            self._login_keys(email, address),
            now,
            LoginThrottled,
            "too many sign-in attempts; try again later",
        )

    async def login_succeeded(self, attempts: AttemptRepository, email: str, address: str) -> None:
        """The owner signed in: forget this email + address, give back the attempt elsewhere
        (one statement)."""
        (pair, _, _), *others = self._login_keys(email, address)
        await attempts.settle(pair, [key for key, _, _ in others])

    async def code_asked(self, attempts: AttemptRepository, email: str, address: str) -> None:
        """A right password was sent without the two-factor code it needs: give its attempt
        back under the address and the account (the next request, with the code, is the
        same sign-in), but keep it under email + address, which limits guessing codes.

        Counted, every two-factor sign-in would leave one attempt at its address: a school
        behind one address would be locked out after its twentieth.
        """
        _, *others = self._login_keys(email, address)
        await attempts.settle(None, [key for key, _, _ in others])

    async def reserve_address(
        self,
        attempts: AttemptRepository,
        purpose: AddressPurpose,
        address: str,
        now: datetime.datetime,
    ) -> None:
        """Count a registration or a use of a reset code from ``address`` (each may cost an
        argon2 hash; both get ``registration`` free attempts), or raise the purpose's
        :data:`ADDRESS_REFUSALS` error."""
        refusal, detail = ADDRESS_REFUSALS[purpose]
        key = self._digest(purpose, address)
        limit = self._limits.registration
        await self._reserve(attempts, [(key, limit, "throttled_address")], now, refusal, detail)

    async def reserve_reset_mail(
        self, attempts: AttemptRepository, email: str, address: str, now: datetime.datetime
    ) -> None:
        """Count a request for a reset mail: from ``address`` (as a use of a reset code), then
        for ``email`` whether or not it has an account (a refusal for accounts alone would
        tell them apart), or raise :class:`ResetThrottled`."""
        await self.reserve_address(attempts, "reset", address, now)
        key = self._digest("reset_mail", email)
        locked = await attempts.reserve(
            [(key, 1)],
            now,
            max_seconds=IDLE_SECONDS,
            idle_seconds=IDLE_SECONDS,
            first_lock_seconds=RESET_MAIL_FIRST_LOCK_SECONDS,
        )
        if locked is not None:
            detail = "a reset link was sent to this email a moment ago; try again later"
            raise _refused(ResetThrottled, detail, "throttled_account", locked[1], now)

    async def reserve_invite_mail(
        self, attempts: AttemptRepository, admin: str, now: datetime.datetime
    ) -> None:
        """Count an invite mailed by ``admin`` (their user id), or raise
        :class:`InviteMailThrottled`: :data:`INVITE_MAILS_PER_MINUTE`, then none until a
        minute has passed since the last one counted."""
        key = self._digest("invite_mail", admin)
        locked = await attempts.reserve(
            [(key, INVITE_MAILS_PER_MINUTE)],
            now,
            max_seconds=60,
            idle_seconds=60,
            first_lock_seconds=60,
        )
        if locked is not None:
            detail = "too many invites mailed in a minute; try again in a minute"
            raise _refused(InviteMailThrottled, detail, "throttled_account", locked[1], now)

    async def invite_redeemed(self, attempts: AttemptRepository, address: str) -> None:
        """A registration spent a valid invite code: give its attempt back to ``address``.

        The code, single-use and issued by an admin, vouched for it: a class or an office
        behind one address registering with the invites handed out is not a flood, while
        wrong codes and failures still count (one code gives back one attempt, once)."""
        key = self._digest("register", address)
        # No counter is cleared ("" names none: keys are hex digests).
        await attempts.settle("", [key])

    async def _reserve(
        self,
        attempts: AttemptRepository,
        keys: list[tuple[str, int, ThrottleReason]],
        now: datetime.datetime,
        refusal: type[Throttled],
        detail: str,
    ) -> None:
        """Count one attempt under each ``(key, free attempts, reason)`` (one statement), or
        raise ``refusal`` with ``Retry-After`` of the first locked key, and its reason.

        Raising inside the caller's unit of work rolls back the keys already counted, so a
        refused attempt is counted nowhere.
        """
        locked = await attempts.reserve(
            [(key, free) for key, free, _ in keys],
            now,
            max_seconds=self._limits.max_seconds,
            idle_seconds=IDLE_SECONDS,
        )
        if locked is not None:
            locked_key, locked_until = locked
            reason = next(reason for key, _, reason in keys if key == locked_key)
            raise _refused(refusal, detail, reason, locked_until, now)
        await attempts.sweep(now, IDLE_SECONDS)

    def _login_keys(self, email: str, address: str) -> list[tuple[str, int, ThrottleReason]]:
        limits = self._limits
        return [
            (
                self._digest("login", email, address),
                limits.email_address,
                "throttled_account_address",
            ),
            (self._digest("address", address), limits.address, "throttled_address"),
            (self._digest("account", email), limits.account, "throttled_account"),
        ]

    def account_tag(self, email: str) -> str:
        """A short keyed hash of ``email`` for logs: the same email gives the same tag, but
        the log holds no address of anyone, nor a string an attacker wrote, and without the
        secret no tag can be turned back into an email by guessing."""
        return self._digest("log", email)[:ACCOUNT_TAG_CHARS]

    def _digest(self, kind: str, *parts: str) -> str:
        # Keyed hashes: the table holds no emails or addresses in clear. NUL cannot occur
        # in a normalised email, so the parts cannot run into each other.
        message = "\x00".join((kind, *parts)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:64]


def _refused(
    refusal: type[Throttled],
    detail: str,
    reason: ThrottleReason,
    locked_until: datetime.datetime,
    now: datetime.datetime,
) -> Throttled:
    """``refusal`` of an attempt at a counter locked until ``locked_until``: ``Retry-After``
    the whole seconds left (at least one), and ``reason`` for the log."""
    retry_after = max(1, math.ceil((locked_until - now).total_seconds()))
    error = refusal(detail, headers={"Retry-After": str(retry_after)})
    error.reason = reason
    return error
