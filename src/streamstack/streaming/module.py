"""Wiring of the streaming module: the one place its objects are built and connected."""

from __future__ import annotations

import re

from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN, STREAM_TOKENS_BUCKET
from streamstack.kernel.logging import LogRedaction
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.tasks import BackgroundTask
from streamstack.streaming.budgets import issue_budgets
from streamstack.streaming.contract import issue_token_handler
from streamstack.streaming.repository import TAKEDOWNS_BUCKET, StreamTokenStore, TakedownRecord
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
from streamstack.streaming.takedowns import Takedowns

#: How often the take-down task checks it still follows the events (and retries at most).
FOLLOW_CHECK_SECONDS = 5.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the streaming module: playback and thumbnail routes, the token operation, and
    the take-down subscription that stops withdrawn items' tokens."""
    settings = context.settings
    backends = context.backends
    ttl = settings.stream_token_ttl_seconds
    takedowns = Takedowns(ttl, TakedownRecord(backends.kv(TAKEDOWNS_BUCKET, ttl)), context.clock)
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
        delivery = MediaDelivery(tokens, media, settings.stream_chunk_bytes)
    thumbnails = ThumbnailDelivery(
        backends.objects(settings.thumbnails_bucket), settings.stream_chunk_bytes
    )
    return MountedModule(
        name="streaming",
        route_handlers=[stream_router(delivery, thumbnails)],
        operations={ISSUE_STREAM_TOKEN: issue_token_handler(tokens)},
        tasks=[
            BackgroundTask(
                "streaming.takedowns",
                lambda: takedowns.follow(backends.events),
                interval_seconds=FOLLOW_CHECK_SECONDS,
                retry_max_seconds=FOLLOW_CHECK_SECONDS,
            )
        ],
        on_startup=[lambda: takedowns.try_follow(backends.events)],
        on_shutdown=[takedowns.unsubscribe],
    )


#: Stream tokens are bearer secrets in the path: never logged (thumbnail paths are public).
#: A look-behind and a literal replacement: a group reference in the replacement is
#: expanded in Python on every request (4 µs of a 64 KiB range's access line).
STREAM_TOKEN_IN_PATH = LogRedaction(
    re.compile(rf"(?<={re.escape(STREAM_PATH)}/)(?!thumbnails/)[^/?]+"), "[token]"
)

MODULE = ModuleDefinition(name="streaming", mount=mount, log_redactions=(STREAM_TOKEN_IN_PATH,))
