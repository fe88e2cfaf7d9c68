"""Wiring of the streaming module: the one place its objects are built and connected."""

from __future__ import annotations

import re

from streamstack.contracts.streaming import STREAM_TOKENS_BUCKET
from streamstack.kernel.events import EVENT_KEEP_SECONDS
from streamstack.kernel.events.following import LiveFollower
from streamstack.kernel.logging import LogRedaction
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.tasks import BackgroundTask
from streamstack.streaming.budgets import issue_budgets
from streamstack.streaming.contract import operation_handlers
from streamstack.streaming.hidden import VISIBILITY_SUBJECTS, HiddenItems
from streamstack.streaming.missing import MissingObjects
from streamstack.streaming.repository import (
    HIDDEN_ITEMS_BUCKET,
    HIDDEN_ITEMS_TTL_SECONDS,
    TAKEDOWNS_BUCKET,
    TAKEDOWNS_KEY,
    HiddenItemsRecord,
    SavedState,
    StreamTokenStore,
)
from streamstack.streaming.routes import stream_router
from streamstack.streaming.service import (
    STREAM_PATH,
    AccelDelivery,
    Delivery,
    MediaDelivery,
    StreamTokens,
    ThumbnailDelivery,
)
from streamstack.streaming.sessions import SignedOutSessions
from streamstack.streaming.takedowns import WITHDRAWAL_SUBJECTS, Takedowns

#: How often each follower's task (take-downs, hidden items) checks it still follows its
#: events (and retries at most).
FOLLOW_CHECK_SECONDS = 5.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the streaming module: playback and thumbnail routes, the token operation, and
    the subscriptions that stop withdrawn items' tokens and hide their thumbnails."""
    settings, backends = context.settings, context.backends
    ttl = settings.stream_token_ttl_seconds
    takedowns_kv = backends.kv(TAKEDOWNS_BUCKET, ttl)
    takedowns = Takedowns(
        ttl, SavedState(takedowns_kv, TAKEDOWNS_KEY, dict[str, float]), context.clock
    )
    hidden_kv = backends.kv(HIDDEN_ITEMS_BUCKET, HIDDEN_ITEMS_TTL_SECONDS)
    hidden = HiddenItems(HiddenItemsRecord(hidden_kv), context.clock)
    followers = {
        "streaming.takedowns": LiveFollower(
            backends.events, WITHDRAWAL_SUBJECTS, takedowns.on_event, ttl, takedowns.restore
        ),
        "streaming.hidden_items": LiveFollower(
            backends.events,
            VISIBILITY_SUBJECTS,
            hidden.on_event,
            EVENT_KEEP_SECONDS,
            hidden.restore,
        ),
    }
    tokens = StreamTokens(
        StreamTokenStore(backends.kv(STREAM_TOKENS_BUCKET, ttl), context.clock),
        takedowns,
        context.clock,
        SignedOutSessions(context.authenticator.revocations),
        issue_budgets(context.clock),
    )
    media = backends.objects(settings.media_bucket)
    delivery: Delivery
    if settings.streaming_delivery == "nginx":
        delivery = AccelDelivery(tokens, media)
    else:
        delivery = MediaDelivery(
            tokens, media, settings.stream_chunk_bytes, MissingObjects(context.clock)
        )
    thumbnails = ThumbnailDelivery(
        backends.objects(settings.thumbnails_bucket),
        settings.stream_chunk_bytes,
        hidden,
        context.authenticator,
    )
    return MountedModule(
        name="streaming",
        route_handlers=[stream_router(delivery, thumbnails)],
        operations=operation_handlers(tokens),
        tasks=[
            BackgroundTask(
                name,
                follower.follow,
                interval_seconds=FOLLOW_CHECK_SECONDS,
                retry_max_seconds=FOLLOW_CHECK_SECONDS,
            )
            for name, follower in followers.items()
        ],
        on_startup=[follower.try_follow for follower in followers.values()],
        on_shutdown=[follower.stop for follower in followers.values()],
    )


#: Stream tokens are bearer secrets in the path: never logged (thumbnail paths are public).
#: A look-behind and a literal replacement: a group reference in the replacement is
#: expanded in Python on every request (4 µs of a 64 KiB range's access line).
STREAM_TOKEN_IN_PATH = LogRedaction(
    re.compile(rf"(?<={re.escape(STREAM_PATH)}/)(?!thumbnails/)[^/?]+"), "[token]"
)

MODULE = ModuleDefinition(name="streaming", mount=mount, log_redactions=(STREAM_TOKEN_IN_PATH,))
