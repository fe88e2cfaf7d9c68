"""Share links: watching one published item without an account.

An admin makes a link for one published item (a draft is not shared: 409), ending after
1 to 365 days or never, at most :data:`~streamstack.contracts.limits.MAX_SHARE_LINKS` live
ones per item. Its secret (``secrets.token_urlsafe(32)``) is the link: whoever holds it
reads the item as an anonymous reader of ``GET /{item_id}`` does and gets viewers' stream
tokens for it, nothing else. A link works while it is neither stopped nor expired and its
item published and playable; any other link, malformed ones included, is the same 404
``share_not_found`` word for word, so a refusal never tells whether a link existed.

Stopping a link puts its session ``share-<id>`` on the kernel's revocation list, which
streaming reads for every grant: playback already under way stops within seconds. A link
lives no longer than its maker's admin rights: when auth announces that the admin was
demoted or disabled (``user.no_longer_admin``) or deleted (``user.deleted``), every link
they made is stopped so (:meth:`ShareService.stop_made_by`), once however often the event
comes. Unpublishing or deleting the item stops its grants as any grant's (the take-downs);
an unpublished item's links are paused, not stopped: they work again once it is published.
Stream tokens are budgeted per client address (many people may hold one link).

Each open is counted (``opens``: page loads of the link or its embed, played or not) and
answered with a play ticket: the page reports the first time its player plays with it, and
the link's ``plays`` grows by one, the ticket spent. Anonymous (a ticket is a random id and
when the page loaded) and never more plays than opens: a ticket counts once, for its own
link, within :data:`PLAY_TICKET_LIFETIME` of the load.
"""

from __future__ import annotations

import datetime
import re
import secrets
import uuid

import structlog

from streamstack.catalogue.items import to_catalogue_item
from streamstack.catalogue.models import MediaItemRow, ShareLinkRow
from streamstack.catalogue.repository import CatalogueStore, reading, unit_of_work
from streamstack.catalogue.schemas import (
    MadeShareLink,
    MadeShareLinks,
    NewShareLink,
    RevokedReason,
    SharedItem,
    ShareLink,
    ShareLinkList,
)
from streamstack.catalogue.service import CatalogueService, stream_request
from streamstack.catalogue.watching import account_id
from streamstack.contracts.auth import NO_LONGER_ADMIN, NoLongerAdmin
from streamstack.contracts.catalogue import CatalogueItem
from streamstack.contracts.limits import MADE_SHARE_LINKS_LISTED, MAX_SHARE_LINKS, SHARE_SECRET
from streamstack.contracts.streaming import (
    IssueSharedStreamToken,
    StreamTokenGrant,
    share_session,
)
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import Conflict, NotFound
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.guards import Principal
from streamstack.kernel.revocation import RevocationList

log = structlog.get_logger(__name__)

#: Where the SPA plays a link: ``/s/<secret>`` on the server's own address.
SHARED_PAGE = "/s/"
#: Where other sites frame it: the player alone (the app's frameable page, see module.py).
EMBED_PAGE = "/embed/s/"
#: An item's links one list answers at most, the newest first (live ones are far fewer).
SHARE_LINKS_LISTED = 200
#: How long after a page load its first play is counted: a page left open overnight and
#: played the next morning is not (it is a second visit, yet not opened again).
PLAY_TICKET_LIFETIME = datetime.timedelta(hours=24)
#: ``search``: the pattern is anchored at both ends (:func:`~streamstack.kernel.patterns.whole`).
_SECRET = re.compile(SHARE_SECRET)
#: Why a link stopped when its maker stopped being an admin (null: an admin stopped it).
MAKER_NO_LONGER_ADMIN: RevokedReason = "maker_no_longer_admin"
#: The durable consumer of admins' removals; every catalogue process of a deployment shares it.
NO_LONGER_ADMIN_DURABLE = "catalogue-no-longer-admin"
#: The background task that keeps following admins' removals (``task:<name>`` in ``/ready``).
NO_LONGER_ADMIN_TASK = "catalogue.no-longer-admin-events"


def embed_sites(ancestors: str) -> tuple[str, ...]:
    """The sites ``STREAMSTACK_EMBED_ANCESTORS`` lets frame a link's player, as written
    (``*``: any); none when it is ``'none'`` (embedding is off)."""
    return () if ancestors.strip() == "'none'" else tuple(ancestors.split())


class ShareNotFound(NotFound, code="share_not_found"):
    """No link that works: unknown, malformed, stopped, expired, or its item not watchable."""


#: Every refusal of a link says exactly this, as the guest's page does: not why (a link
#: to an unpublished video is only paused, and "no longer" would tell it is not).
NO_SUCH_LINK = (
    "This link does not work right now. It may have expired or been stopped, or the video "
    "may be unavailable for a while. Ask the person who shared it."
)
#: An admin stopping a link of no id known: the admin is told so, not sent to "the person
#: who shared it" (who is an admin too; guests cannot stop links).
NO_SUCH_SHARE_ID = "No share link has this id: it may have gone with its video."


class PlayTicketNotFound(NotFound, code="play_ticket_not_found"):
    """No ticket of this link's to count a play by: unknown, counted already, or too old."""


class ItemNotFound(NotFound, code="item_not_found"):
    """No item of that id to share."""


class ItemNotPublished(Conflict, code="item_not_published"):
    """A draft (scheduled or not) is not shared by link: publish it first."""


class ItemNotPlayable(Conflict, code="item_not_playable"):
    """A video that does not play (not transcoded yet, or its transcoding failed) is not
    shared: its link's guest would be told the link does not work right now."""


class TooManyShareLinks(Conflict, code="too_many_share_links"):
    """The item has as many live links as it may."""


def to_share_link(row: ShareLinkRow, maker: str | None, *, embeddable: bool) -> ShareLink:
    """A stored link as admins see it, made by the admin named ``maker`` (None: no name
    known), its embed page only where sites may frame it."""
    reason: RevokedReason | None = None
    if row.revoked_at is not None:
        # The stored reason, where there is one; a link stopped before reasons were kept
        # (catalogue_0032) or by an admin has none.
        stored = row.revoked_reason == MAKER_NO_LONGER_ADMIN
        reason = MAKER_NO_LONGER_ADMIN if stored else "stopped_by_admin"
    return ShareLink(
        id=row.id,
        item_id=row.item_id,
        path=f"{SHARED_PAGE}{row.secret}",
        embed_path=f"{EMBED_PAGE}{row.secret}" if embeddable else None,
        created_by=row.created_by,
        created_by_name=maker,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_reason=reason,
        opens=row.opens,
        last_opened_at=row.last_opened_at,
        plays=row.plays,
    )


class ShareService:
    """The share-link use cases: an admin's (create, list, stop) and a link holder's (open,
    stream token). ``revocations`` is the kernel's list streaming reads; ``budgets`` bounds
    the stream tokens one client address has issued; times are read from ``clock``;
    ``embed_sites``: the sites that may frame a link's embed page (:func:`embed_sites`)."""

    def __init__(
        self,
        database: Database,
        catalogue: CatalogueService,
        revocations: RevocationList,
        budgets: Budgets,
        clock: Clock = utcnow,
        *,
        embed_sites: tuple[str, ...] = ("*",),
    ) -> None:
        self._database = database
        self._catalogue = catalogue
        self._revocations = revocations
        self._budgets = budgets
        self._clock = clock
        self._embed_sites = embed_sites
        self._embeddable = bool(embed_sites)

    async def create(self, item_id: uuid.UUID, new: NewShareLink, admin: Principal) -> ShareLink:
        """A new link to the published item (404; 409 for a draft, one that does not play,
        or past the limit)."""
        now = self._clock()
        async with unit_of_work(self._database) as store:
            # Locked: two creations for one item count each other's link against the limit.
            try:
                item = await store.items.lock(item_id)
            except NotFound:
                raise ItemNotFound("no such media item") from None
            if item.status != "published":
                raise ItemNotPublished("publish the video to share it by link")
            if not item.playable:
                raise ItemNotPlayable(
                    "this video does not play yet (it is waiting to be transcoded, or its "
                    "transcoding failed): share it once it plays"
                )
            if await store.shares.live_count(item_id, now) >= MAX_SHARE_LINKS:
                raise TooManyShareLinks(
                    f"this video has {MAX_SHARE_LINKS} share links already: stop one first"
                )
            days = new.expires_in_days
            row = ShareLinkRow(
                id=uuid.uuid4(),
                item_id=item_id,
                secret=secrets.token_urlsafe(32),
                created_by=account_id(admin),
                created_at=now,
                expires_at=None if days is None else now + datetime.timedelta(days=days),
                revoked_at=None,
                opens=0,
                last_opened_at=None,
                plays=0,
            )
            await store.shares.add(row, auto_refresh=False)
        log.info(
            "catalogue.share_created",
            media_id=str(item_id),
            share_id=str(row.id),
            by=admin.user_id,
        )
        return to_share_link(row, admin.name, embeddable=self._embeddable)

    async def list(self, item_id: uuid.UUID) -> ShareLinkList:
        """The item's links, the newest first, live and ended alike (404 if no item)."""
        async with reading(self._database) as store:
            if await store.items.get_one_or_none(id=item_id) is None:
                raise ItemNotFound("no such media item")
            rows = await store.shares.of_item(item_id, SHARE_LINKS_LISTED)
        embeddable = self._embeddable
        return ShareLinkList(
            [to_share_link(*made, embeddable=embeddable) for made in rows],
            embed_sites=list(self._embed_sites),
        )

    async def made_by(self, user_id: uuid.UUID) -> MadeShareLinks:
        """The live links the account made (none for an unknown account): how many, and the
        newest with their videos' titles. What its demotion would stop for good."""
        async with reading(self._database) as store:
            count, rows = await store.shares.live_made_by(
                user_id, self._clock(), MADE_SHARE_LINKS_LISTED
            )
        made = [
            MadeShareLink(
                id=link.id,
                item_id=link.item_id,
                title=title,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
            for link, title in rows
        ]
        return MadeShareLinks(count=count, links=made)

    async def revoke(self, share_id: uuid.UUID, *, by: str) -> None:
        """Stop the link (again: nothing more changes) for the admin ``by``: its grants end
        within seconds."""
        now = self._clock()
        async with unit_of_work(self._database) as store:
            row = await store.shares.get_one_or_none(id=share_id)
            if row is None:
                raise ShareNotFound(NO_SUCH_SHARE_ID)
            if row.revoked_at is None:
                row.revoked_at = now
            # Before the commit: should the list not take it, the link stays as it was
            # (an admin tries again) rather than stopped with its grants playing on.
            await self._revocations.revoke(share_session(str(share_id)))
        log.info(
            "catalogue.share_revoked", media_id=str(row.item_id), share_id=str(share_id), by=by
        )

    async def stop_made_by(
        self, user_id: uuid.UUID, made_until: datetime.datetime | None = None
    ) -> int:
        """Stop every link the account made (up to ``made_until``: an event repeated once
        the account is an admin again stops none of its new links), as its maker is no
        longer an admin; again, nothing more changes. How many were stopped; their grants
        end within seconds."""
        reason = MAKER_NO_LONGER_ADMIN
        async with unit_of_work(self._database) as store:
            stopped = await store.shares.stop_made_by(user_id, self._clock(), reason, made_until)
            # Before the commit, as :meth:`revoke`: should the list fail, the event comes
            # again and finds the links as they were.
            for share_id in stopped:
                await self._revocations.revoke(share_session(str(share_id)))
        if stopped:
            log.info(
                "catalogue.shares_of_former_admin_stopped", user_id=str(user_id), count=len(stopped)
            )
        return len(stopped)

    async def open(self, secret: str) -> SharedItem:
        """What the link shows (the item as an anonymous reader gets it), counted as an
        open, with the ticket its first play is counted by; :class:`ShareNotFound` for any
        link that does not work."""
        now = self._clock()
        async with unit_of_work(self._database) as store:
            link, row = await _watchable(store, secret, now)
            await store.shares.count_open(link.id, now)
            ticket = await store.shares.issue_ticket(link.id, now, now - PLAY_TICKET_LIFETIME)
            tags, captions = await store.tags.of_item(row.id), await store.captions.of_item(row.id)
        item = to_catalogue_item(row, tags, captions, admin=False)
        return SharedItem(item=item, expires_at=link.expires_at, play_ticket=ticket)

    async def count_play(self, secret: str, ticket: uuid.UUID) -> None:
        """Count one play of the link by the ticket its open gave (:class:`ShareNotFound`
        for a link that does not work; :class:`PlayTicketNotFound`, nothing counted, for a
        ticket that is not the link's, was counted already or is too old)."""
        now = self._clock()
        async with unit_of_work(self._database) as store:
            link, _ = await _watchable(store, secret, now)
            counted = await store.shares.count_play(link.id, ticket, now - PLAY_TICKET_LIFETIME)
        if not counted:
            raise PlayTicketNotFound(
                "no play to count by this ticket: it was counted already, or the page was "
                "opened too long ago (open the link again)"
            )

    async def preview(self, secret: str) -> CatalogueItem | None:
        """The link's item as :meth:`open` shows it, not counted (a link preview's crawler
        is no viewer); None for any link that does not work."""
        async with reading(self._database) as store:
            try:
                _, row = await _watchable(store, secret, self._clock())
            except ShareNotFound:
                return None
            tags, captions = await store.tags.of_item(row.id), await store.captions.of_item(row.id)
        return to_catalogue_item(row, tags, captions, admin=False)

    async def stream_token(self, secret: str, client: str) -> StreamTokenGrant:
        """A viewer's stream token for the link's item, issued by streaming to the link
        (429 past the address's budget, before anything is read)."""
        self._budgets.spend(client)
        decided_at = self._clock().timestamp()  # before the read: no later commit is seen
        now = self._clock()
        async with reading(self._database) as store:
            link, row = await _watchable(store, secret, now)
            captions = await store.captions.of_item(row.id)
        expires = link.expires_at
        request = IssueSharedStreamToken(
            share_id=str(link.id),
            grant=stream_request(row, captions, decided_at, admin=False),
            expires_at=None if expires is None else expires.timestamp(),
        )
        return await self._catalogue.issue_shared_stream_token(request)


async def _watchable(
    store: CatalogueStore, secret: str, now: datetime.datetime
) -> tuple[ShareLinkRow, MediaItemRow]:
    """The live link of ``secret`` and its published, playable item; :class:`ShareNotFound`
    for any other (a secret of the wrong shape is not looked up)."""
    found = await store.shares.watchable(secret, now) if _SECRET.search(secret) else None
    if found is None:
        raise ShareNotFound(NO_SUCH_LINK)
    return found


def maker_removal_events(events: EventBus, shares: ShareService) -> DurableFollower:
    """Stops the links of each admin auth demotes or disables (``auth.events.user.no_longer_admin``;
    a deleted admin's are stopped on ``user.deleted``, with the account's other data). A
    durable subscription, so a removal announced while no catalogue process ran is handled
    too; a repeated event stops nothing more."""

    async def on_no_longer_admin(event: Event) -> None:
        # Raising (database or revocation list down) makes the bus deliver again.
        removed = decode_payload(event, NoLongerAdmin, "catalogue.unreadable_no_longer_admin")
        if removed is not None:
            await shares.stop_made_by(uuid.UUID(removed.user_id), made_until=removed.since)

    return DurableFollower(events, NO_LONGER_ADMIN, on_no_longer_admin, NO_LONGER_ADMIN_DURABLE)
