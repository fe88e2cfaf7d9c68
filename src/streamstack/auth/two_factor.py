"""The rules of two-factor authentication: TOTP codes (RFC 6238, by ``pyotp``) from an
authenticator app, and the single-use recovery codes kept for a lost phone.

A TOTP code is good in its 30 s time step and one step either side (the phone's clock may
drift), and only in a step later than the last one used: a code seen over a shoulder or
in a proxy's log cannot sign in again. Recovery codes are random, so only their SHA-256 is
stored (no salt needed), as for invite and reset codes. The TOTP secret itself must be
read back to compute codes, so it is stored sealed (``kernel/sealing.py``), bound to its
account.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid

import pyotp

#: Seconds of one TOTP time step.
STEP_SECONDS = 30
#: Steps either side of the current one whose code is still accepted (clock drift).
DRIFT_STEPS = 1
#: Digits of an app's code.
APP_CODE_DIGITS = 6
#: How long a started setup waits for its first code.
SETUP_LIFETIME = datetime.timedelta(minutes=15)
#: Recovery codes in one set.
RECOVERY_CODE_COUNT = 10
#: Lowercase letters and digits without those read alike (0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: Characters of each half of a recovery code (``xxxxx-xxxxx``).
RECOVERY_HALF_CHARS = 5


def new_secret() -> str:
    """A new TOTP secret, base32 (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def two_factor_context(user_id: uuid.UUID) -> str:
    """What an account's sealed secret is bound to: it opens in that account's row only."""
    return f"two-factor:{user_id}"


def otpauth_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://totp/<issuer>:<email>?secret=…&issuer=<issuer>`` URI a QR code
    carries to the app, which lists the account under ``issuer`` (the server's name); the
    label and the query URL-encoded, so a colon or an ampersand in the name stays its own."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def clean_code(raw: str) -> str:
    """A typed code as compared: without spaces and dashes, lowercase."""
    return raw.replace(" ", "").replace("-", "").lower()


def is_app_code(code: str) -> bool:
    """Whether a cleaned code has the shape of an app's code (six digits)."""
    return len(code) == APP_CODE_DIGITS and code.isascii() and code.isdigit()


def time_step(now: datetime.datetime) -> int:
    """The TOTP time step ``now`` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(
    secret: str, code: str, now: datetime.datetime, last_used: int | None
) -> int | None:
    """The time step whose code ``code`` (cleaned) is, among the current one and
    :data:`DRIFT_STEPS` either side, if it is later than ``last_used``; None otherwise."""
    if not is_app_code(code):
        return None
    totp = pyotp.TOTP(secret)
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_used is not None and step <= last_used:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """A new set of recovery codes, ``xxxxx-xxxxx`` each, shown to their owner once."""

    def half() -> str:
        return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_HALF_CHARS))

    return [f"{half()}-{half()}" for _ in range(RECOVERY_CODE_COUNT)]


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: the SHA-256 of it cleaned (typed with or without
    its dash, in any case)."""
    return hashlib.sha256(clean_code(code).encode()).hexdigest()
