"""Wiring of the catalogue module: the one place its objects are built and connected."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from streamstack.catalogue import metrics
from streamstack.contracts.streaming import StreamingClient
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.logging import LogRedaction
from streamstack.kernel.metrics import track_gauge
from streamstack.kernel.module import (
    ModuleContext,
    ModuleDefinition,
    ModuleRouter,
    MountedModule,
)
from streamstack.kernel.outbox import OutboxRelay
from streamstack.kernel.tasks import BackgroundTask

if TYPE_CHECKING:
    from collections.abc import Callable

    from streamstack.catalogue.comment_reports import CommentReportService
    from streamstack.catalogue.comments import CommentService
    from streamstack.catalogue.feeds import VideoFeed
    from streamstack.catalogue.likes import LikeService
    from streamstack.catalogue.listing import ListingCache
    from streamstack.catalogue.playlists import PlaylistService
    from streamstack.catalogue.previews import LinkPreviews
    from streamstack.catalogue.service import CatalogueService
    from streamstack.catalogue.shares import ShareService
    from streamstack.catalogue.statistics import StatisticsService
    from streamstack.catalogue.watching import WatchingService
    from streamstack.kernel.events import EventBus
    from streamstack.kernel.events.following import DurableFollower

# The module's own stack (service, routes, tables, search) is imported when it is mounted,
# not with this file: every process reads MODULE below, and one that does not mount
# catalogue would pay for it at start for nothing. (Its metrics are registered here still,
# as every process exports them.)
#: The outbox relay's background task (``task:<name>`` in ``GET /ready``).
RELAY_TASK_NAME = "catalogue.outbox-relay"
#: The relay is woken after every commit that enqueued; the poll is only a safety net.
RELAY_POLL_SECONDS = 5.0
#: The longest back-off while the bus or the database is down: events go out soon after.
RELAY_RETRY_MAX_SECONDS = 5.0
#: The scheduled publishing's background task (``task:<name>`` in ``GET /ready``).
SCHEDULE_TASK_NAME = "catalogue.scheduled-publishing"
#: How often the list cache checks that it follows the catalogue's events.
LISTING_FOLLOW_SECONDS = 5.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the catalogue module: routes, operations, the relay, scheduled publishing."""
    from streamstack.catalogue.contract import operation_handlers  # (see the note at the top)
    from streamstack.catalogue.likes import LikeService
    from streamstack.catalogue.listing import ListingCache
    from streamstack.catalogue.models import OutboxRow
    from streamstack.catalogue.playlists import PlaylistService
    from streamstack.catalogue.routes import catalogue_router
    from streamstack.catalogue.watching import WatchingService

    database, events = context.backends.database, context.backends.events
    relay = OutboxRelay(database, events, OutboxRow, name=RELAY_TASK_NAME, clock=context.clock)
    relay_task = relay.task(
        interval_seconds=RELAY_POLL_SECONDS, retry_max_seconds=RELAY_RETRY_MAX_SECONDS
    )
    listing = ListingCache()
    listing_task = listing_follower(listing, events)
    service = catalogue_service(context, listing, relay_task.wake)
    watching, likes = WatchingService(database, context.clock), LikeService(database, context.clock)
    playlists = PlaylistService(database, context.clock)
    comments = comment_service(context, relay_task.wake)
    reports = comment_report_service(context, relay_task.wake)
    shares, stats = share_links(service, context), statistics_service(context)
    followers = account_followers(events, watching, playlists, comments, likes, shares)
    publishing, feed = scheduled_publishing(service, context), video_feed(context)
    previews = link_previews(service, shares, context)
    track_gauges(service)
    return MountedModule(
        name="catalogue",
        route_handlers=[
            catalogue_router(
                service,
                watching,
                playlists,
                comments,
                reports,
                shares,
                likes,
                stats,
                feed,
                previews,
            ),
            *preview_pages(previews, context),
        ],
        operations=operation_handlers(service),
        tasks=[
            relay_task,
            listing_task,
            *(followed(name, follower) for name, follower in followers.items()),
            publishing,
        ],
        on_startup=[
            lambda: listing.try_follow(events),
            *(follower.try_follow for follower in followers.values()),
        ],
        on_shutdown=[listing.unfollow, *(follower.stop for follower in followers.values())],
    )


def account_followers(
    events: EventBus,
    watching: WatchingService,
    playlists: PlaylistService,
    comments: CommentService,
    likes: LikeService,
    shares: ShareService,
) -> dict[str, DurableFollower]:
    """What the catalogue follows of auth's accounts, by the name of the task following it:
    a deleted account's watch data,
    playlists, comments and likes go with it and the share links it made stop
    (``user.deleted``); the names shown with comments are kept as auth announces them
    (``user.named``); a demoted or disabled admin's share links stop
    (``user.no_longer_admin``)."""
    from streamstack.catalogue.comments import USER_NAMED_TASK, user_naming_events
    from streamstack.catalogue.shares import NO_LONGER_ADMIN_TASK, maker_removal_events
    from streamstack.catalogue.watching import USER_DELETIONS_TASK, user_deletion_events

    forgetters = {"rows": watching.forget_user, "playlists": playlists.forget_user}
    forgetters |= {"comments": comments.forget_user, "likes": likes.forget_user}
    forgetters |= {"share_links_stopped": shares.stop_made_by}
    return {
        USER_DELETIONS_TASK: user_deletion_events(events, forgetters),
        USER_NAMED_TASK: user_naming_events(events, comments),
        NO_LONGER_ADMIN_TASK: maker_removal_events(events, shares),
    }


def catalogue_service(
    context: ModuleContext, listing: ListingCache, wake_relay: Callable[[], None]
) -> CatalogueService:
    """The items' use cases: searches budgeted per address, the relay woken after writes."""
    from streamstack.catalogue.budgets import SearchesThrottled
    from streamstack.catalogue.service import CatalogueService

    settings = context.settings
    return CatalogueService(
        context.backends.database,
        listing=listing,
        searches=Budgets(
            settings.search_burst, settings.search_refill_seconds, SearchesThrottled, context.clock
        ),
        wake_relay=wake_relay,
        streaming=lambda: StreamingClient(context.transport("streaming")),
        clock=context.clock,
    )


def track_gauges(service: CatalogueService) -> None:
    """Export the catalogue's gauges, read from the database at each scrape of /metrics."""
    track_gauge(metrics.OUTBOX_BACKLOG, service.outbox_backlog)
    track_gauge(metrics.FAILED_ITEMS, service.failed_items)


def video_feed(context: ModuleContext) -> VideoFeed:
    """The feed of new videos, linked to the server's public URL."""
    from streamstack.catalogue.feeds import VideoFeed
    from streamstack.catalogue.routes import PREFIX

    settings = context.settings
    return VideoFeed(
        settings.public_url,
        settings.site_name,
        PREFIX,
        public=settings.guest_access != "none",
    )


def link_previews(
    service: CatalogueService, shares: ShareService, context: ModuleContext
) -> LinkPreviews:
    """What a pasted link to one video shows, linked to the server's public URL."""
    from streamstack.catalogue.previews import LinkPreviews
    from streamstack.catalogue.routes import OEMBED_PATH, PREFIX
    from streamstack.catalogue.shares import embed_sites

    settings = context.settings
    return LinkPreviews(
        service,
        shares,
        public_url=settings.public_url,
        site_name=settings.site_name,
        oembed_path=PREFIX + OEMBED_PATH,
        guests_browse=settings.guest_access != "none",
        embeddable=bool(embed_sites(settings.embed_ancestors)),
    )


def preview_pages(previews: LinkPreviews, context: ModuleContext) -> list[ModuleRouter]:
    """The SPA's pages of one video with its card, where this process has the SPA's
    build (``STREAMSTACK_WEB_DIST_DIR``: ``dev``, and the catalogue service nginx asks)."""
    from streamstack.catalogue.routes import preview_pages_router
    from streamstack.kernel.spa import SpaIndex

    web = context.settings.web_dist_dir
    if web is None or not (web / "index.html").is_file():
        return []
    return [preview_pages_router(previews, SpaIndex(web / "index.html", previews.site_name))]


def comment_service(context: ModuleContext, wake_relay: Callable[[], None]) -> CommentService:
    """The comments' use cases, posts budgeted per account, the relay woken after a reply
    announced."""
    from streamstack.catalogue.comments import CommentService, CommentsThrottled

    settings = context.settings
    budgets = Budgets(
        settings.comment_burst, settings.comment_refill_seconds, CommentsThrottled, context.clock
    )
    return CommentService(context.backends.database, budgets, context.clock, wake_relay)


def comment_report_service(
    context: ModuleContext, wake_relay: Callable[[], None]
) -> CommentReportService:
    """The reports' and moderation's use cases: reports budgeted per account by the
    comments' settings, in a bucket of their own; ``wake_relay`` after a report's event."""
    from streamstack.catalogue.comment_reports import CommentReportService, ReportsThrottled

    settings = context.settings
    budgets = Budgets(
        settings.comment_burst, settings.comment_refill_seconds, ReportsThrottled, context.clock
    )
    return CommentReportService(context.backends.database, budgets, context.clock, wake_relay)


def statistics_service(context: ModuleContext) -> StatisticsService:
    """The admins' reading of items' statistics (today read from the app's clock)."""
    from streamstack.catalogue.statistics import StatisticsService

    return StatisticsService(context.backends.database, context.clock)


def followed(name: str, follower: DurableFollower) -> BackgroundTask:
    """The task named ``name`` that keeps ``follower`` subscribed (retried while the bus
    is down)."""
    return BackgroundTask(
        name,
        follower.follow,
        interval_seconds=RELAY_POLL_SECONDS,
        retry_max_seconds=RELAY_RETRY_MAX_SECONDS,
    )


def share_links(service: CatalogueService, context: ModuleContext) -> ShareService:
    """The share links' use cases: stopping one writes the revocation list auth writes,
    which streaming reads for every grant; their stream tokens are budgeted per address
    (a player asks on load and to renew; a link's holders have no account to count by)."""
    from streamstack.catalogue.budgets import SharedTokensThrottled
    from streamstack.catalogue.shares import ShareService, embed_sites

    settings = context.settings
    return ShareService(
        context.backends.database,
        service,
        context.authenticator.revocations,
        Budgets(
            settings.shared_token_burst,
            settings.shared_token_refill_seconds,
            SharedTokensThrottled,
            context.clock,
        ),
        context.clock,
        embed_sites=embed_sites(settings.embed_ancestors),
    )


def listing_follower(listing: ListingCache, events: EventBus) -> BackgroundTask:
    """The task that keeps ``listing`` following the catalogue's events: it re-subscribes
    while the bus is down, and viewers' pages are cached only while it follows."""
    return BackgroundTask(
        listing.TASK_NAME,
        lambda: listing.follow(events),
        interval_seconds=LISTING_FOLLOW_SECONDS,
        retry_max_seconds=RELAY_RETRY_MAX_SECONDS,
    )


def scheduled_publishing(service: CatalogueService, context: ModuleContext) -> BackgroundTask:
    """The task publishing scheduled drafts once due (:meth:`CatalogueService.publish_due`),
    every ``catalogue_schedule_interval_seconds``: every replica runs it, and each item is
    taken once."""
    return BackgroundTask(
        SCHEDULE_TASK_NAME,
        service.publish_due,
        interval_seconds=context.settings.catalogue_schedule_interval_seconds,
        retry_max_seconds=RELAY_RETRY_MAX_SECONDS,
    )


#: A share link's secret lets anyone watch its video: never logged, neither in the API's
#: paths (``/api/v1/catalogue/shared/<secret>[/stream-token]``) nor in the SPA's page
#: (``/s/<secret>`` and its embed page ``/embed/s/<secret>``, served by ``dev``).
#: Look-behinds and literal replacements, as streaming's.
SHARE_SECRET_IN_PATH = (
    LogRedaction(re.compile(r"(?<=/api/v1/catalogue/shared/)[^/?]+"), "[secret]"),
    LogRedaction(re.compile(r"(?<=^/s/)[^/?]+"), "[secret]"),
    LogRedaction(re.compile(r"(?<=^/embed/s/)[^/?]+"), "[secret]"),
)
#: A share link's embed page (``/embed/s/<secret>``): the player alone, for other sites'
#: iframes. One segment of a secret's characters, so no other page of the SPA matches.
SHARE_EMBED_PAGE = re.compile(r"/embed/s/[A-Za-z0-9_\-]+")

MODULE = ModuleDefinition(
    name="catalogue",
    mount=mount,
    migrations=Path(__file__).parent / "migrations",
    log_redactions=SHARE_SECRET_IN_PATH,
    frameable_pages=(SHARE_EMBED_PAGE,),
)
