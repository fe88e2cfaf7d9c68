"""The trail of refused attempts: one warning line and one count for each.

A line says what was refused and why (``auth.signin_refused``, ``reason``), from where
(``address``: the client address as the throttles key it, the trusted proxy's report
behind one) and, when known, which account (``user_id``; ``account_tag``, a keyed hash of
the email tried, also for emails of no account). It never holds a password, token or
code, nor an email: a fail2ban filter or a log query needs no more.
"""

from __future__ import annotations

import uuid

import structlog

from streamstack.auth import metrics
from streamstack.auth.metrics import Attempt, Reason

log = structlog.get_logger(__name__)

#: The event of each attempt's refusals.
EVENTS: dict[Attempt, str] = {
    "signin": "auth.signin_refused",
    "password_check": "auth.password_check_refused",
    "refresh": "auth.refresh_refused",
    "password_reset": "auth.password_reset_refused",
    "registration": "auth.registration_refused",
}


def refused(
    attempt: Attempt,
    reason: Reason,
    address: str,
    *,
    user_id: uuid.UUID | str | None = None,
    account_tag: str | None = None,
    session_id: uuid.UUID | None = None,
) -> None:
    """Log and count one refused ``attempt`` from ``address``, with what is known of the
    account (only the fields given)."""
    known = {"user_id": user_id, "account_tag": account_tag, "session_id": session_id}
    account = {name: str(value) for name, value in known.items() if value is not None}
    log.warning(EVENTS[attempt], reason=reason, address=address, **account)
    metrics.count_refusal(attempt, reason)
