"""How a command ends, for the script or cron job that ran it: :class:`Exit`, the one table
of exit codes, and :class:`CommandFailed`, a failure with what the server said of it
(:class:`Failure`), which the entry point alone prints and turns into an exit code."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, ClassVar


class Exit(enum.IntEnum):
    """Every exit code of ``streamstack``, each telling a script what to do next.

    75 is sysexits' EX_TEMPFAIL, which cron wrappers and mail agents read as "try again"."""

    DONE = 0
    FAILED = 1
    USAGE = 2
    SIGN_IN = 3
    NOT_FOUND = 4
    TRY_LATER = 75
    INTERRUPTED = 130


#: What each exit code means, as ``streamstack --help`` and the README list them.
MEANINGS = {
    Exit.DONE: "done",
    Exit.FAILED: "refused or failed for good: running it again changes nothing",
    Exit.USAGE: "the command line is wrong (a typo, a missing argument)",
    Exit.SIGN_IN: "not signed in, or the sign-in or token was refused: sign in again "
    "(`streamstack login`) or pass another --token",
    Exit.NOT_FOUND: "the video, comment, link or account named does not exist",
    Exit.TRY_LATER: "the server could not be reached, is busy or briefly away: try again later",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}

#: The server's answers that say to come back later: throttled, the service away, or an
#: upload the server has not let go of yet (423, tus).
LATER_STATUSES = frozenset({423, 429, 502, 503, 504})


def in_trouble(response: Any) -> bool:
    """Whether ``response`` says the server can serve nothing now (a 5xx, a throttle), not
    that the request was wrong: a command going through items stops there rather than meet
    it with each, and a sign-in or sign-out is not taken for refused or done."""
    status: int = response.status_code
    return status >= 500 or status == 429


@dataclasses.dataclass(frozen=True, slots=True)
class Failure:
    """Why a command failed, as a script reads it: the server's HTTP ``status`` and machine
    ``code`` (``unreachable`` for a server out of reach, ``sign_in_required`` for no usable
    sign-in, ``admin_required`` for a sign-in the server answered as a non-admin's,
    ``usage`` for a command line that cannot be run; None when there is neither),
    the ``detail`` in words, the seconds its ``Retry-After`` said to wait and the
    ``request_id`` its logs know the request by."""

    detail: str
    status: int | None = None
    code: str | None = None
    retry_after: int | None = None
    request_id: str | None = None

    @property
    def exit(self) -> Exit:
        """The exit code that tells a script what to do about it."""
        if self.code == "usage":
            return Exit.USAGE
        if self.code == "unreachable" or self.status in LATER_STATUSES:
            return Exit.TRY_LATER
        if self.code in ("sign_in_required", "admin_required") or self.status in (401, 403):
            return Exit.SIGN_IN
        if self.status == 404:
            return Exit.NOT_FOUND
        return Exit.FAILED

    def as_json(self) -> dict[str, Any]:
        """The failure as ``--json`` prints it (every field, null when unknown)."""
        return dataclasses.asdict(self)


class CommandFailed(Exception):
    """A command cannot do what it was asked: the message says why; :attr:`failure` says it
    for scripts (the server's status and code when it answered). A kind of failure with no
    answer behind it names its code in :attr:`CODE`."""

    CODE: ClassVar[str | None] = None

    def __init__(self, message: str, failure: Failure | None = None) -> None:
        super().__init__(message)
        self.failure = dataclasses.replace(failure or Failure("", code=self.CODE), detail=message)
