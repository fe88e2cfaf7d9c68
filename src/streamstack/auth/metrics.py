"""Auth's Prometheus metrics: refused attempts (sign-ins, refreshes, codes, registrations).

Registered in the process's default registry when the module is imported, so the kernel's
``GET /metrics`` exports them from every process that mounts auth.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import Counter

#: What was refused: a sign-in, the password check of a signed-in user (changing the
#: password, deleting the account), a refresh, a password-reset code, a registration.
Attempt = Literal["signin", "password_check", "refresh", "password_reset", "registration"]

#: Why, as the code tells the cases apart (the client is told less: one 401 for a wrong
#: password and an unknown account, one 429 whichever counter is locked).
Reason = Literal[
    "wrong_password",
    "unknown_account",
    "account_disabled",
    "throttled_account_address",
    "throttled_address",
    "throttled_account",
    "refresh_token_reused",
    "invalid_reset_code",
    "invalid_invite",
    "invalid_code",
]

_THROTTLED: tuple[Reason, ...] = (
    "throttled_account_address",
    "throttled_address",
    "throttled_account",
)
#: Every reason each attempt can be refused for: the label values, all shown from the start.
REASONS: dict[Attempt, tuple[Reason, ...]] = {
    "signin": (
        "wrong_password",
        "unknown_account",
        "account_disabled",
        "invalid_code",
        *_THROTTLED,
    ),
    "password_check": ("wrong_password", "invalid_code", *_THROTTLED),
    "refresh": ("refresh_token_reused",),
    "password_reset": ("invalid_reset_code", "throttled_address"),
    "registration": ("invalid_invite", "throttled_address"),
}

REFUSALS = Counter(
    "streamstack_auth_refusals",
    "Refused sign-ins and other auth attempts, by attempt (signin, password_check, refresh,"
    " password_reset, registration) and reason (wrong_password, unknown_account,"
    " account_disabled, throttled_*, refresh_token_reused, invalid_reset_code,"
    " invalid_invite, invalid_code: a wrong or used two-factor code).",
    ["attempt", "reason"],
)
for _attempt, _reasons in REASONS.items():
    for _reason in _reasons:
        REFUSALS.labels(_attempt, _reason)  # at 0 until the first one: rate() reads 0, not nothing


def count_refusal(attempt: Attempt, reason: Reason) -> None:
    """One ``attempt`` was refused for ``reason``."""
    REFUSALS.labels(attempt, reason).inc()
