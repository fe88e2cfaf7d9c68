"""Reports of comments, and the admins' list of every video's comments.

A signed-in viewer reports someone else's comment they may read (:meth:`report`), with an
optional reason; each account's first report of a comment is kept, and reporting again
changes nothing. An account's first report of a comment announces ``comment.reported``
through the outbox, in its transaction, so auth can mail the admins. Reports are budgeted per account as posts are (the same settings, a
bucket of their own: reporting never takes from what one may post; admins not counted).
Admins list every item's comments, drafts' too, newest first, or only the reported ones,
the most recently reported first, each with its video's title, its count of reports and
their newest reasons (:meth:`page`); they dismiss a comment's reports, keeping the
comment (:meth:`dismiss`), or delete it (its reports go with it).
"""

from __future__ import annotations

import datetime
import uuid

import msgspec
import structlog
from sqlalchemy.exc import IntegrityError

from streamstack.catalogue.comments import (
    CommentNotFound,
    CommentUseCases,
    cursor_of,
    place_of,
    remove_comments_of,
    reply_excerpt,
    to_comment,
)
from streamstack.catalogue.models import CommentRow, MediaItemRow
from streamstack.catalogue.repository import (
    CatalogueStore,
    ListedComment,
    ReportTally,
    reading,
    unit_of_work,
)
from streamstack.catalogue.schemas import (
    REASONS_SHOWN,
    CommentAuthor,
    CommentsDeleted,
    ModeratedComment,
    ModeratedCommentPage,
    NewCommentReport,
)
from streamstack.catalogue.watching import account_id, known_account
from streamstack.contracts.catalogue import ADMIN_COMMENTS_PATH, COMMENT_REPORTED, CommentReported
from streamstack.contracts.limits import REPORT_REASON_MAX
from streamstack.kernel.errors import BadRequest, Conflict, NotFound, TooManyRequests
from streamstack.kernel.guards import Principal

log = structlog.get_logger(__name__)

#: What a missing comment and one the caller may not read both answer, word for word.
NO_SUCH_COMMENT = "no such comment"


class ReportsThrottled(TooManyRequests, code="reports_throttled"):
    """This account reported comments faster than people read them."""

    budget_detail = "you are reporting quickly; wait a little before reporting again"


class OwnComment(Conflict, code="own_comment"):
    """One's own comment is edited or deleted, not reported."""


def report_reason(reason: str | None) -> str | None:
    """The reason a report keeps: trimmed, None when blank; 400 when too long."""
    text = (reason or "").strip()
    if len(text) > REPORT_REASON_MAX:
        raise BadRequest(
            f"a reason is at most {REPORT_REASON_MAX} characters (this one has {len(text)})",
            code="validation_error",
        )
    return text or None


def moderated(
    listed: ListedComment, caller: uuid.UUID | None, reported: bool, tally: ReportTally | None
) -> ModeratedComment:
    """A comment as the admins' list shows it to ``caller``."""
    row, name, title, _ = listed
    shown = to_comment((row, name), caller, reported=reported)
    return ModeratedComment(
        **msgspec.structs.asdict(shown),
        item_title=title,
        author_id=row.user_id,
        reports=tally.count if tally else 0,
        reasons=tally.reasons if tally else [],
        last_reported_at=tally.last if tally else None,
    )


class CommentReportService(CommentUseCases):
    """The report and moderation use cases (:class:`CommentUseCases`)."""

    async def report(
        self, principal: Principal, comment_id: uuid.UUID, request: NewCommentReport
    ) -> None:
        """Report someone else's comment the caller may read (404 ``comment_not_found``
        otherwise, as a missing one; 409 ``own_comment`` for their own; 429 past the
        budget); again: nothing changes, the first report and its reason kept."""
        user_id, reason = account_id(principal), report_reason(request.reason)
        if not principal.is_admin:
            self._budgets.spend(str(user_id))  # 429 before the database is read
        try:
            async with unit_of_work(self._database) as store:
                row = await store.comments.get_one_or_none(id=comment_id)
                if row is None or row.removed is not None:
                    raise CommentNotFound(NO_SUCH_COMMENT)
                try:
                    item = await store.items.visible(row.item_id, admin=principal.is_admin)
                except NotFound:
                    raise CommentNotFound(NO_SUCH_COMMENT) from None
                if not (item.comments_enabled or principal.is_admin):
                    raise CommentNotFound(NO_SUCH_COMMENT)
                if row.user_id == user_id:
                    raise OwnComment("this is your comment: edit or delete it instead")
                now = self._clock()
                if await store.comment_reports.report(comment_id, user_id, reason, now):
                    await _announce_report(store, row, item, user_id, (reason, now))
        except IntegrityError:  # the comment was deleted between the check and the write
            raise CommentNotFound(NO_SUCH_COMMENT) from None
        if store.outbox.enqueued:
            self._wake_relay()
        log.info("catalogue.comment_reported", comment_id=str(comment_id))

    async def page(
        self,
        principal: Principal,
        *,
        cursor: str | None,
        limit: int,
        reported: bool,
        author: uuid.UUID | None = None,
    ) -> ModeratedCommentPage:
        """A page of every item's comments, newest first; ``reported``: only those with
        reports, the most recently reported first; ``author``: that account's alone (an
        account with none: an empty page). Counts and reasons in two queries."""
        after = place_of(cursor) if cursor is not None else None
        caller = known_account(principal)
        async with reading(self._database) as store:
            listing = store.comments.most_recently_reported if reported else store.comments.newest
            found = await listing(after=after, limit=limit + 1, author=author)
            shown, more = found[:limit], len(found) > limit
            ids = [listed[0].id for listed in shown]
            tallies = await store.comment_reports.tallies(ids, REASONS_SHOWN)
            theirs = (
                await store.comment_reports.reported_by(caller, ids) if caller else set[uuid.UUID]()
            )
            filtered = await _author(store, author) if author is not None else None
        return ModeratedCommentPage(
            comments=[
                moderated(listed, caller, listed[0].id in theirs, tallies.get(listed[0].id))
                for listed in shown
            ],
            next=cursor_of(shown[-1][3]) if more else None,
            author=filtered,
        )

    async def remove_by(self, author: uuid.UUID, *, by: str) -> CommentsDeleted:
        """Delete every comment of the account (others' replies stay), in one transaction,
        as deleting each would (:func:`remove_comments_of`), by the admin ``by``; none:
        nothing changes."""
        async with unit_of_work(self._database) as store:
            gone = await remove_comments_of(store, author, "deleted")
        log.info("catalogue.comments_of_author_deleted", user_id=str(author), deleted=gone, by=by)
        return CommentsDeleted(deleted=gone)

    async def dismiss(self, comment_id: uuid.UUID, *, by: str) -> None:
        """Delete the comment's reports, keeping the comment (404 ``comment_not_found`` if
        it is missing), by the admin ``by``; again: nothing more changes."""
        async with unit_of_work(self._database) as store:
            if await store.comments.get_one_or_none(id=comment_id) is None:
                raise CommentNotFound(NO_SUCH_COMMENT)
            await store.comment_reports.dismiss(comment_id)
        log.info("catalogue.comment_reports_dismissed", comment_id=str(comment_id), by=by)


async def _author(store: CatalogueStore, author: uuid.UUID) -> CommentAuthor:
    """The account the list is filtered by: its name and how many comments it has."""
    named = await store.commenters.get_one_or_none(user_id=author)
    return CommentAuthor(
        id=author,
        name=named.display_name if named else None,
        comments=await store.comments.count(CommentRow.user_id == author),
    )


async def _announce_report(
    store: CatalogueStore,
    comment: CommentRow,
    item: MediaItemRow,
    reporter: uuid.UUID,
    given: tuple[str | None, datetime.datetime],
) -> None:
    """Put ``comment.reported`` in the outbox: the comment, its video's title, an excerpt,
    who reported it, the reason and when (``given``) and the admins' comments page, for
    auth to mail the admins."""
    reason, at = given
    event = CommentReported(
        comment_id=str(comment.id),
        reported_by=str(reporter),
        item_id=str(item.id),
        item_title=item.title,
        excerpt=reply_excerpt(comment.body),
        reason=reason,
        link_path=ADMIN_COMMENTS_PATH,
        reported_at=at,
    )
    await store.outbox.enqueue(COMMENT_REPORTED, msgspec.json.encode(event), at)
