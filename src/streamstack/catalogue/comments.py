"""Comments on items: who may read, post, edit and delete them, and the names shown.

Anyone who may read an item by its id (viewers: published and playable, listed or not;
admins: any) reads its comments, newest first, a page at a time from an opaque cursor;
signed-in callers post them while the item's comments are on. A comment shows its
author's display name, never their id: the catalogue keeps each account's name (the
``catalogue_commenters`` table), the newest by when it was set, from auth's
``user.named`` events (:func:`user_naming_events`) and from the poster's token (its
``name`` as of its ``iat``), whichever is newer. Only its author edits a comment; its
author or an admin deletes it. An item's comment count is kept in the transaction of each
post and deletion. A deleted account's comments and name go (:meth:`CommentService.forget_user`).
A comment posted by an admin says so (``by_admin``, from the caller's role, kept as posted:
a later demotion does not take back what was said as an admin), so the SPA shows a badge
that a viewer's name, however chosen, cannot (auth refuses names that pass for an admin's).

Replies are one level, as YouTube's: a reply answers a top-level comment (replying to a
reply answers its top-level comment), read oldest first (:meth:`CommentService.replies`);
the item's list holds top-level comments, its count all of them. A comment's reply count
is kept as the item's is. A comment deleted while it has replies stays as a placeholder
for them, its text and author gone (``removed``; the item's count no longer counts it),
whoever deletes it, its author, an admin or the account's deletion. A reply
announces ``comment.replied`` through the outbox, in its transaction, naming the authors
it answers (never the replier), so auth can mail them a link to it: one comment is read
by its id with its thread (:meth:`CommentService.linked`), as the list's rules allow.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from collections.abc import Callable
from typing import cast

import msgspec
import structlog
from sqlalchemy.exc import IntegrityError

from streamstack.catalogue.models import CommentRow, MediaItemRow
from streamstack.catalogue.repository import (
    CatalogueStore,
    CommentPlace,
    NamedComment,
    reading,
    unit_of_work,
)
from streamstack.catalogue.schemas import (
    Comment,
    CommentChange,
    CommentPage,
    CommentRemoved,
    LinkedComment,
    NewComment,
)
from streamstack.catalogue.watching import account_id, known_account
from streamstack.contracts.auth import USER_NAMED, UserNamed
from streamstack.contracts.catalogue import COMMENT_REPLIED, REPLY_EXCERPT_MAX, CommentReplied
from streamstack.contracts.limits import COMMENT_MAX
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import AppError, BadRequest, Conflict, NotFound, TooManyRequests
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.guards import Principal

log = structlog.get_logger(__name__)

#: The durable consumer of accounts' names; every catalogue process of a deployment shares it.
USER_NAMED_DURABLE = "catalogue-user-named"
#: The background task that keeps following accounts' names (``task:<name>`` in ``/ready``).
USER_NAMED_TASK = "catalogue.user-named-events"
#: Longer than any cursor :func:`cursor_of` makes (about 90 characters).
CURSOR_MAX = 200
#: Auth's longest display name: a token's longer one is cut to it.
NAME_MAX = 100


class CommentsThrottled(TooManyRequests, code="comments_throttled"):
    """This account posted comments faster than people write them."""

    budget_detail = "you are commenting quickly; wait a little before posting again"


class CommentNotFound(NotFound, code="comment_not_found"):
    """No such comment, or not one the caller may change (the same answer)."""


class CommentsOff(Conflict, code="comments_off"):
    """An admin turned the item's comments off."""


class DisplayNameRequired(Conflict, code="display_name_required"):
    """The account has no name to show with a comment."""


class InvalidCursor(BadRequest, code="invalid_cursor"):
    """A cursor the server did not make."""


def comment_text(body: str) -> str:
    """The text a comment keeps: ``body`` trimmed; 400 when that is empty or too long."""
    text = body.strip()
    if not text:
        raise BadRequest("a comment needs some text", code="validation_error")
    if len(text) > COMMENT_MAX:
        raise BadRequest(
            f"a comment is at most {COMMENT_MAX} characters (this one has {len(text)})",
            code="validation_error",
        )
    return text


def cursor_of(place: CommentPlace) -> str:
    """The opaque cursor of the page after the comment at ``place``."""
    created_at, comment_id = place
    raw = msgspec.json.encode([created_at, comment_id.hex])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def place_of(cursor: str) -> CommentPlace:
    """The place a cursor of :func:`cursor_of` names; 400 ``invalid_cursor`` otherwise."""
    try:
        if len(cursor) > CURSOR_MAX:
            raise ValueError(cursor)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, comment_id = msgspec.json.decode(raw, type=tuple[datetime.datetime, str])
        place = (created_at, uuid.UUID(hex=comment_id))
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidCursor(
            "this cursor was not made by the server: ask for the first page"
        ) from None
    if created_at.tzinfo is None or cursor_of(place) != cursor:
        raise InvalidCursor("this cursor was not made by the server: ask for the first page")
    return place


def to_comment(named: NamedComment, caller: uuid.UUID | None, *, reported: bool = False) -> Comment:
    """The public shape of a stored comment for ``caller`` (None: anonymous), who
    ``reported`` it or not."""
    row, author_name = named
    return Comment(
        id=row.id,
        item_id=row.item_id,
        body=row.body,
        author_name=author_name,
        by_admin=row.by_admin,
        mine=caller is not None and row.user_id == caller,
        reported=reported,
        created_at=row.created_at,
        edited_at=row.edited_at,
        parent_id=row.parent_id,
        reply_count=row.reply_count,
        removed=cast(CommentRemoved | None, row.removed),
    )


class CommentUseCases:
    """What the comments' and their reports' use cases work with, each one unit of work
    on the catalogue's store: posts or reports are taken from ``budgets`` per account
    (admins are not counted); times from ``clock``; ``wake_relay`` is called after a
    commit that wrote an event to the outbox."""

    def __init__(
        self,
        database: Database,
        budgets: Budgets,
        clock: Clock = utcnow,
        wake_relay: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._budgets = budgets
        self._clock = clock
        self._wake_relay = wake_relay


class CommentService(CommentUseCases):
    """The comment use cases (:class:`CommentUseCases`)."""

    async def page(
        self, viewer: Principal | None, item_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> CommentPage:
        """A page of the item's comments, newest first (404 as reading the item). While
        they are off, viewers get none and admins all of them (to moderate)."""
        after = place_of(cursor) if cursor is not None else None
        admin, caller = viewer is not None and viewer.is_admin, known_account(viewer)
        async with reading(self._database) as store:
            item = await store.items.visible(item_id, admin=admin)
            if not item.comments_enabled and not admin:
                return CommentPage(comments=[], total=0, enabled=False, next=None)
            found = await store.comments.page(item_id, after=after, limit=limit + 1)
            return await _page_of(store, found, limit, caller, item, total=item.comment_count)

    async def replies(
        self, viewer: Principal | None, comment_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> CommentPage:
        """A page of a top-level comment's replies, oldest first (404 ``comment_not_found``
        for a reply, or a comment whose item the caller may not read, as a missing one).
        While the item's comments are off, viewers get none and admins all of them."""
        after = place_of(cursor) if cursor is not None else None
        admin, caller = viewer is not None and viewer.is_admin, known_account(viewer)
        async with reading(self._database) as store:
            parent = await store.comments.get_one_or_none(id=comment_id)
            if parent is None:
                raise CommentNotFound("no such comment")
            try:
                item = await store.items.visible(parent.item_id, admin=admin)
            except NotFound:
                raise CommentNotFound("no such comment") from None
            if parent.parent_id is not None:  # said once the caller may read it
                raise CommentNotFound(
                    f"that comment is a reply: its thread is the replies of {parent.parent_id}"
                )
            if not item.comments_enabled and not admin:
                return CommentPage(comments=[], total=0, enabled=False, next=None)
            found = await store.comments.replies(comment_id, after=after, limit=limit + 1)
            return await _page_of(store, found, limit, caller, item, total=parent.reply_count)

    async def linked(
        self, viewer: Principal | None, item_id: uuid.UUID, comment_id: uuid.UUID
    ) -> LinkedComment:
        """One of the item's comments as a link to it opens it, with the comment it answers
        when it is a reply: 404 as reading the item, ``comment_not_found`` for no such
        comment of it or, to viewers, while its comments are off (as the list shows none)."""
        admin, caller = viewer is not None and viewer.is_admin, known_account(viewer)
        async with reading(self._database) as store:
            item = await store.items.visible(item_id, admin=admin)
            named = await store.comments.named(comment_id)
            if named is None or named[0].item_id != item_id:
                raise CommentNotFound("no such comment of this video")
            if not item.comments_enabled and not admin:
                raise CommentNotFound("comments are turned off for this video")
            parent_id = named[0].parent_id
            parent = await store.comments.named(parent_id) if parent_id is not None else None
            shown = await _shown_to(store, caller, [named] if parent is None else [named, parent])
        return LinkedComment(comment=shown[0], parent=shown[1] if parent is not None else None)

    async def post(self, principal: Principal, item_id: uuid.UUID, request: NewComment) -> Comment:
        """A new comment by the caller on an item they may read, or a reply to one of its
        comments (``reply_to``): 404 as reading it (``comment_not_found`` for a comment
        not of the item), 409 while its comments are off or the caller has no name to
        show, 429 past the budget."""
        user_id, text = account_id(principal), comment_text(request.body)
        if principal.is_admin:
            return await self._posted(principal, item_id, request, user_id, text)
        self._budgets.spend(str(user_id))  # 429 before the database is written
        try:
            return await self._posted(principal, item_id, request, user_id, text)
        except AppError:  # refused, nothing written: a post that did not happen costs none
            self._budgets.give_back(str(user_id))
            raise

    async def _posted(
        self,
        principal: Principal,
        item_id: uuid.UUID,
        request: NewComment,
        user_id: uuid.UUID,
        text: str,
    ) -> Comment:
        """The comment written (see :meth:`post`)."""
        row = CommentRow(
            id=uuid.uuid4(),
            item_id=item_id,
            user_id=user_id,
            body=text,
            created_at=self._clock(),
            reply_count=0,
            by_admin=principal.is_admin,
        )
        answered: list[uuid.UUID] = []  # the authors a reply answers
        try:
            async with unit_of_work(self._database) as store:
                item = await store.items.visible(item_id, admin=principal.is_admin)
                _open_for_comments(item)
                name = await _name_to_show(store, principal, user_id)
                if request.reply_to is not None:
                    row.parent_id, answered = await _thread_of(store, item_id, request.reply_to)
                store.comments.session.add(row)
                await store.comments.session.flush()
                await store.items.count_comments({item_id: 1})
                if request.reply_to is not None:
                    await _announce_reply(store, row, name, item, answered)
        except IntegrityError:  # the item (or the comment) was deleted meanwhile
            if request.reply_to is not None:
                raise CommentNotFound("no such comment") from None
            raise NotFound("no such media item") from None
        if store.outbox.enqueued:
            self._wake_relay()
        log.info("catalogue.comment_posted", media_id=str(item_id), comment_id=str(row.id))
        return to_comment((row, name), user_id)

    async def edit(
        self, principal: Principal, comment_id: uuid.UUID, change: CommentChange
    ) -> Comment:
        """The caller's own comment with its new text (404 for anyone else's, as a
        missing one; 409 while the item's comments are off)."""
        user_id, text = account_id(principal), comment_text(change.body)
        async with unit_of_work(self._database) as store:
            named = await store.comments.named(comment_id)
            if named is None or named[0].user_id != user_id:
                raise CommentNotFound("no such comment of yours")
            row = named[0]
            try:
                item = await store.items.visible(row.item_id, admin=principal.is_admin)
            except NotFound:
                raise CommentNotFound("no such comment of yours") from None
            _open_for_comments(item)
            row.body, row.edited_at = text, self._clock()
        return to_comment((row, named[1]), user_id)

    async def delete(self, principal: Principal, comment_id: uuid.UUID) -> None:
        """Delete a comment: the caller's own, or any for an admin (404 otherwise, as a
        missing one, and for a placeholder). One with replies stays as a placeholder for
        them; the item's count goes down by one, and a reply's comment's too (a placeholder
        left with no reply goes)."""
        user_id = known_account(principal)
        async with unit_of_work(self._database) as store:
            named = await store.comments.named(comment_id)
            if (
                named is None
                or named[0].removed is not None
                or not (principal.is_admin or named[0].user_id == user_id)
            ):
                raise CommentNotFound(
                    "no such comment" if principal.is_admin else "no such comment of yours"
                )
            parent_id = named[0].parent_id
            # Written first: a reply to it and this deletion queue up (on Postgres).
            await store.comments.count_replies({parent_id or comment_id: 0})
            gone = await store.comments.remove_one(comment_id, "deleted")
            if gone:
                if parent_id is not None:
                    await store.comments.count_replies({parent_id: -1})
                    await store.comments.drop_emptied([parent_id])
                await store.items.count_comments({named[0].item_id: -gone})
        log.info(
            "catalogue.comment_deleted",
            comment_id=str(comment_id),
            by_admin=principal.is_admin,
            by=principal.user_id,
        )

    async def name(self, named: UserNamed) -> None:
        """Keep an account's display name as auth announced it, unless a newer one is kept."""
        named_at = named.named_at
        if named_at.tzinfo is None:  # auth writes UTC; an offset-less time is read as such
            named_at = named_at.replace(tzinfo=datetime.UTC)
        display_name = named.display_name[:NAME_MAX] if named.display_name else None
        async with unit_of_work(self._database) as store:
            await store.commenters.name(uuid.UUID(named.user_id), display_name, named_at)

    async def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete a deleted account's comments (each item's and comment's count with them,
        their reports too; one others answered stays as a placeholder for their replies),
        the reports it made and its name (idempotent); how many comments went."""
        async with unit_of_work(self._database) as store:
            await store.comment_reports.remove_user(user_id)
            gone = await remove_comments_of(store, user_id, "account_deleted")
            await store.commenters.remove_user(user_id)
        return gone


async def remove_comments_of(
    store: CatalogueStore, user_id: uuid.UUID, removed: CommentRemoved
) -> int:
    """Delete every comment of the account, as :meth:`CommentService.delete` does one (one
    with others' replies stays as a placeholder for them, ``removed`` saying why): each
    item's count down by all that went, a replied comment's by its replies gone (their
    reports with them); how many comments went."""
    gone = await store.comments.remove_user(user_id, removed)
    await store.items.count_comments({item: -count for item, count in gone.items()})
    return sum(gone.values())


async def _page_of(
    store: CatalogueStore,
    found: list[NamedComment],
    limit: int,
    caller: uuid.UUID | None,
    item: MediaItemRow,
    *,
    total: int,
) -> CommentPage:
    """The page of the first ``limit`` of ``found`` (one more read: whether a next page
    follows) for ``caller``."""
    shown, more = found[:limit], len(found) > limit
    return CommentPage(
        comments=await _shown_to(store, caller, shown),
        total=total,
        enabled=item.comments_enabled,
        next=cursor_of((shown[-1][0].created_at, shown[-1][0].id)) if more else None,
    )


async def _shown_to(
    store: CatalogueStore, caller: uuid.UUID | None, found: list[NamedComment]
) -> list[Comment]:
    """``found`` as ``caller`` is shown them, with which of them they reported (one query)."""
    reported = (
        await store.comment_reports.reported_by(caller, [row.id for row, _ in found])
        if caller is not None
        else set()
    )
    return [to_comment(named, caller, reported=named[0].id in reported) for named in found]


async def _thread_of(
    store: CatalogueStore, item_id: uuid.UUID, reply_to: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The top-level comment of the item that a reply to ``reply_to`` answers (its own
    when ``reply_to`` is a reply), its reply count already one more: written first, so a
    deletion of it waits for this reply and counts it; and the authors the reply answers
    (the top-level comment's, then ``reply_to``'s when it is a reply, each once; a
    placeholder has none); 404
    ``comment_not_found`` when there is no such comment of the item."""
    answered = await store.comments.get_one_or_none(id=reply_to)
    if answered is None or answered.item_id != item_id:
        raise CommentNotFound("no such comment")
    thread = answered.parent_id or answered.id
    if not await store.comments.count_replies({thread: 1}):
        raise CommentNotFound("no such comment")  # deleted since it was read
    authors = [] if answered.removed else [answered.user_id]  # a placeholder has no author
    if answered.parent_id is not None:
        top = await store.comments.get_one_or_none(id=thread)
        if top is not None and top.removed is None and top.user_id != answered.user_id:
            authors.insert(0, top.user_id)
    return thread, authors


async def _announce_reply(
    store: CatalogueStore,
    reply: CommentRow,
    replier_name: str,
    item: MediaItemRow,
    answered: list[uuid.UUID],
) -> None:
    """Put ``comment.replied`` in the outbox for the authors ``reply`` answers, but its
    own (nobody is mailed their own reply), its link opening the video at the reply;
    nothing when that leaves nobody, nor on a video that is not published (a draft, or one
    taken back after they commented): the mail's link would open for admins alone."""
    recipients = [str(author) for author in answered if author != reply.user_id]
    if not recipients or item.status != "published":
        return
    event = CommentReplied(
        reply_id=str(reply.id),
        recipients=recipients,
        replier_name=replier_name,
        by_admin=reply.by_admin,
        item_id=str(item.id),
        item_title=item.title,
        excerpt=reply_excerpt(reply.body),
        link_path=f"/watch/{item.id}?comment={reply.id}",
        replied_at=reply.created_at,
    )
    await store.outbox.enqueue(COMMENT_REPLIED, msgspec.json.encode(event), reply.created_at)


def reply_excerpt(text: str, limit: int = REPLY_EXCERPT_MAX) -> str:
    """``text`` as a mail quotes it: whole when it is at most ``limit`` characters, else
    cut at the last space before it (a word is not split) and ended with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # one long word (a link) is cut where it must be
        cut = cut[:space]
    return cut.rstrip() + "…"


def _open_for_comments(item: MediaItemRow) -> None:
    """409 ``comments_off`` unless the item takes comments."""
    if not item.comments_enabled:
        raise CommentsOff("Comments are turned off for this video.")


async def _name_to_show(store: CatalogueStore, principal: Principal, user_id: uuid.UUID) -> str:
    """The name to show with the caller's comment: their token's, kept when it is newer
    than the one kept (a name set before names were announced, or whose event is on its
    way); 409 ``display_name_required`` when there is none."""
    if principal.name is not None and principal.issued_at > 0:
        signed_at = datetime.datetime.fromtimestamp(principal.issued_at, datetime.UTC)
        await store.commenters.name(user_id, principal.name[:NAME_MAX], signed_at)
    kept = await store.commenters.get_one_or_none(user_id=user_id)
    if kept is None or not kept.display_name:
        raise DisplayNameRequired("set a display name to comment")
    return kept.display_name


def user_naming_events(events: EventBus, comments: CommentService) -> DurableFollower:
    """Keeps the name shown with each account's comments as auth announces it
    (``auth.events.user.named``): a durable subscription, so names set while no catalogue
    process ran are kept too; a late or repeated event changes nothing newer."""

    async def on_user_named(event: Event) -> None:
        # Raising (database down) makes the bus deliver again.
        named = decode_payload(event, UserNamed, "catalogue.unreadable_user_named")
        if named is None:
            return
        await comments.name(named)
        log.info("catalogue.commenter_named", user_id=named.user_id)

    return DurableFollower(events, USER_NAMED, on_user_named, USER_NAMED_DURABLE)
