"""Mail of replies to one's comments: auth follows the catalogue's ``comment.replied``.

The catalogue owns comments and announces each reply (through its outbox) with the
accounts it answers; auth owns accounts and mail, so it follows those events (a durable
subscription: replies posted while no auth process ran are mailed too) and owes each
recipient a letter (:class:`~streamstack.auth.letters.ReplyLetter`), sent as every mail is
(:mod:`streamstack.auth.account_mail`). An account that turned the mail off, or is
disabled, is owed none.

One mail per account per video per :data:`QUIET_WINDOW`: the first reply mailed quiets
that video for the account for ten minutes of replies, so a lively thread sends one mail,
which brings its reader to the page where every reply is. The window is kept by the
replies' own times (``auth_reply_mail_quiet``), written in the unit of work that owes
the letter, so a redelivered event, whose reply lies inside the window it opened, owes
nothing again. A reply older than :data:`STALE_AFTER` when auth reads it is not mailed: the
bus keeps events a week and a new durable reads them all, so a server whose mail is turned
on (or whose auth was away for days) does not mail last week's replies as news.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable

import structlog

from streamstack.auth.account_mail import AccountMail
from streamstack.auth.letters import Letter, ReplyLetter
from streamstack.auth.models import User
from streamstack.auth.repository import AuthRecords
from streamstack.contracts.catalogue import COMMENT_REPLIED, CommentReplied
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower

log = structlog.get_logger(__name__)

#: The durable consumer of replies; every auth process of a deployment shares it.
COMMENT_REPLIED_DURABLE = "auth-comment-replied"
#: The background task that keeps following replies (``task:<name>`` in ``/ready``).
COMMENT_REPLIED_TASK = "auth.comment-replied-events"
#: After a reply mailed, further replies on the video within this long are not mailed.
QUIET_WINDOW = datetime.timedelta(minutes=10)
#: A reply older than this when auth reads its event is news no more: not mailed.
STALE_AFTER = datetime.timedelta(days=1)

#: Whether an account's quiet window of a key (a video's id, a kind of news) is open to news
#: of a time (then held until another time): a quiet-window repository's ``open_to``.
QuietCheck = Callable[
    [uuid.UUID, uuid.UUID | str, datetime.datetime, datetime.datetime], Awaitable[bool]
]


def news_time(at: datetime.datetime, clock: Clock) -> datetime.datetime | None:
    """When an announced event happened, in UTC (the catalogue writes UTC; an offset-less
    time is read so); None when it is older than :data:`STALE_AFTER` by ``clock``: news no
    more, not mailed."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    return None if at < clock() - STALE_AFTER else at


class NewsMail:
    """What owes letters of news (replies, admins' news) under a quiet window: the database
    the letters and windows are kept in, the mail that sends them, the window and the
    clock that judges news stale."""

    def __init__(
        self,
        database: Database,
        mail: AccountMail,
        quiet_window: datetime.timedelta = QUIET_WINDOW,
        clock: Clock = utcnow,
    ) -> None:
        self._database = database
        self._mail = mail
        self._quiet_window = quiet_window
        self._clock = clock

    async def _owe_news(
        self,
        recipients: Callable[[AuthRecords], Awaitable[list[uuid.UUID]]],
        quiet: Callable[[AuthRecords], QuietCheck],
        key: uuid.UUID | str,
        happened_at: datetime.datetime,
        letter: Callable[[uuid.UUID], Letter],
    ) -> int:
        """In one unit of work (all or none), owe ``letter`` to each of the ``recipients``
        it reads whose quiet window of ``key`` is open at ``happened_at`` (by ``quiet``'s
        check, which closes it from then on); how many were owed, the mail woken when any."""
        async with self._database.unit_of_work() as session:
            records = AuthRecords(session)
            open_to = quiet(records)
            owed = 0
            for user_id in await recipients(records):
                quiet_until = happened_at + self._quiet_window
                if await open_to(user_id, key, happened_at, quiet_until):
                    await self._mail.owe(records.owed_mail, letter(user_id))
                    owed += 1
        if owed:
            self._mail.owed()
        return owed


class ReplyMail(NewsMail):
    """Owes the letters of replies (:meth:`record`), for ``mail`` to send."""

    async def record(self, replied: CommentReplied) -> int:
        """Owe a letter of ``replied`` to each recipient whose account is enabled, wants
        reply mail and was not mailed of another reply on the video within the window;
        how many were owed (one unit of work: all or none; none for a stale reply)."""
        replied_at = news_time(replied.replied_at, self._clock)
        if replied_at is None:
            log.info("auth.reply_mail_stale", reply_id=replied.reply_id)
            return 0
        item_id = uuid.UUID(replied.item_id)
        wanted = [uuid.UUID(recipient) for recipient in dict.fromkeys(replied.recipients)]

        async def recipients(records: AuthRecords) -> list[uuid.UUID]:
            accounts = await records.users.list(User.id.in_(wanted))
            return [
                account.id
                for account in sorted(accounts, key=lambda a: wanted.index(a.id))
                if account.disabled_at is None and account.reply_mail
            ]

        return await self._owe_news(
            recipients,
            lambda records: records.reply_quiet.open_to,
            item_id,
            replied_at,
            lambda user_id: _letter(user_id, replied),
        )

    def followers(self, events: EventBus) -> list[tuple[str, DurableFollower]]:
        """Follows ``comment.replied`` durably (with its task's name) and owes its letters;
        an unreadable event is logged and dropped, a failure (the database away) makes the
        bus deliver again."""

        async def on_replied(event: Event) -> None:
            replied = decode_payload(event, CommentReplied, "auth.unreadable_comment_replied")
            if replied is None:
                return
            owed = await self.record(replied)
            log.info("auth.reply_mail_owed", reply_id=replied.reply_id, letters=owed)

        follower = DurableFollower(events, COMMENT_REPLIED, on_replied, COMMENT_REPLIED_DURABLE)
        return [(COMMENT_REPLIED_TASK, follower)]


def _letter(user_id: uuid.UUID, replied: CommentReplied) -> ReplyLetter:
    """The letter owed to ``user_id`` of a reply."""
    return ReplyLetter(
        user_id=user_id,
        replier_name=replied.replier_name,
        item_title=replied.item_title,
        excerpt=replied.excerpt,
        link_path=replied.link_path,
        by_admin=replied.by_admin,
    )
