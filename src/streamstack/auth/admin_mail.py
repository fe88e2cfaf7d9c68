"""Admins' mail of what needs them: auth follows catalogue's ``media.transcode_failed`` and
``comment.reported``.

The catalogue owns items and comments and announces (through its outbox) a video whose
transcoding failed for good and a comment's report; auth owns accounts and mail, so it
follows those events (durable subscriptions: what happened while no auth process ran is
mailed too) and owes each enabled admin who wants it a letter
(:class:`~streamstack.auth.letters.FailedTranscodeLetter`,
:class:`~streamstack.auth.letters.ReportedCommentLetter`), sent as every mail is
(:mod:`streamstack.auth.account_mail`). An admin reporting a comment is not mailed of it.

One mail per admin per kind per :data:`~streamstack.auth.reply_mail.QUIET_WINDOW`, simply:
the first failure (or report) mailed quiets that kind for the admin for ten minutes of
events, and what comes within them is not mailed at all (the mail says so; the Library and
the Comments page list every one). The window is kept by the events' own times
(``auth_admin_mail_quiet``), written in the unit of work that owes the letter, so a
redelivered event owes nothing again; an event older than
:data:`~streamstack.auth.reply_mail.STALE_AFTER` when auth reads it is news no more.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

import structlog

from streamstack.auth.letters import AdminLetter, FailedTranscodeLetter, ReportedCommentLetter
from streamstack.auth.models import User
from streamstack.auth.reply_mail import NewsMail, news_time
from streamstack.auth.repository import AuthRecords
from streamstack.contracts.catalogue import (
    COMMENT_REPORTED,
    TRANSCODE_FAILED,
    CommentReported,
    TranscodeFailed,
)
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower

log = structlog.get_logger(__name__)

#: The durable consumers; every auth process of a deployment shares each.
TRANSCODE_FAILED_DURABLE = "auth-transcode-failed"
COMMENT_REPORTED_DURABLE = "auth-comment-reported"
#: The background tasks that keep following them (``task:<name>`` in ``/ready``).
TRANSCODE_FAILED_TASK = "auth.transcode-failed-events"
COMMENT_REPORTED_TASK = "auth.comment-reported-events"
#: The kinds of news, each with its own quiet window per admin.
FAILED_KIND, REPORTED_KIND = "transcode_failed", "comment_reported"


class AdminMail(NewsMail):
    """Owes admins the letters of failed transcodes and reported comments, for ``mail``
    to send."""

    async def record_failure(self, failed: TranscodeFailed) -> int:
        """Owe each admin who wants it a letter of ``failed``; how many were owed."""

        def letter(user_id: uuid.UUID) -> AdminLetter:
            return FailedTranscodeLetter(
                user_id=user_id,
                item_title=failed.item_title,
                detail=failed.detail,
                still_plays=failed.still_plays,
                link_path=failed.link_path,
            )

        return await self._owe_admins(FAILED_KIND, failed.failed_at, letter)

    async def record_report(self, reported: CommentReported) -> int:
        """Owe each admin who wants it a letter of ``reported`` (not its reporter); how many
        were owed."""

        def letter(user_id: uuid.UUID) -> AdminLetter:
            return ReportedCommentLetter(
                user_id=user_id,
                item_title=reported.item_title,
                excerpt=reported.excerpt,
                reason=reported.reason,
                link_path=reported.link_path,
            )

        reporter = uuid.UUID(reported.reported_by)
        return await self._owe_admins(REPORTED_KIND, reported.reported_at, letter, reporter)

    async def _owe_admins(
        self,
        kind: str,
        happened_at: datetime.datetime,
        letter: Callable[[uuid.UUID], AdminLetter],
        but: uuid.UUID | None = None,
    ) -> int:
        """Owe ``letter`` to every enabled admin who wants admins' mail, but ``but``, and
        whose window of ``kind`` is open at ``happened_at``; how many were owed (one unit of
        work: all or none; none for stale news)."""
        fresh = news_time(happened_at, self._clock)
        if fresh is None:
            log.info("auth.admin_mail_stale", kind=kind)
            return 0

        async def recipients(records: AuthRecords) -> list[uuid.UUID]:
            admins = await records.users.list(
                User.role == "admin", User.disabled_at.is_(None), User.admin_mail.is_(True)
            )
            return [a.id for a in sorted(admins, key=lambda a: a.created_at) if a.id != but]

        return await self._owe_news(
            recipients, lambda records: records.admin_quiet.open_to, kind, fresh, letter
        )

    def followers(self, events: EventBus) -> list[tuple[str, DurableFollower]]:
        """Follow both subjects durably (each with its task's name) and owe their letters;
        an unreadable event is logged and dropped, a failure (the database away) makes the
        bus deliver again."""

        async def on_failed(event: Event) -> None:
            failed = decode_payload(event, TranscodeFailed, "auth.unreadable_transcode_failed")
            if failed is not None:
                owed = await self.record_failure(failed)
                log.info("auth.admin_mail_owed", kind=FAILED_KIND, letters=owed)

        async def on_reported(event: Event) -> None:
            reported = decode_payload(event, CommentReported, "auth.unreadable_comment_reported")
            if reported is not None:
                owed = await self.record_report(reported)
                log.info("auth.admin_mail_owed", kind=REPORTED_KIND, letters=owed)

        return [
            (
                TRANSCODE_FAILED_TASK,
                DurableFollower(events, TRANSCODE_FAILED, on_failed, TRANSCODE_FAILED_DURABLE),
            ),
            (
                COMMENT_REPORTED_TASK,
                DurableFollower(events, COMMENT_REPORTED, on_reported, COMMENT_REPORTED_DURABLE),
            ),
        ]
