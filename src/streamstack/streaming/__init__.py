"""The streaming module: stream tokens, byte-range delivery and thumbnails.

* ``ISSUE_STREAM_TOKEN`` (contracts/streaming.py), served in-process or at
  ``POST /internal/v1/stream/token``: for the user the kernel authenticated (valid,
  unrevoked access token), stores ``token -> media_id|user_id|timestamp|s3_key|size_bytes`` in the
  ``stream-tokens`` KV bucket for ``STREAMSTACK_STREAM_TOKEN_TTL_SECONDS``.
* ``GET``/``HEAD /api/v1/stream/<token>``: one KV lookup, one ranged read of the media
  bucket, streamed in ``STREAMSTACK_STREAM_CHUNK_BYTES`` chunks (RFC 9110 ranges and
  conditionals); or, with ``STREAMSTACK_STREAMING_DELIVERY=nginx``, an ``X-Accel-Redirect``
  that nginx serves (``compose/nginx-streaming.conf``).
* ``GET``/``HEAD /api/v1/stream/thumbnails/<media uuid>.jpg``: public thumbnails.

No database, no call to another module.
"""

from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN, STREAM_TOKENS_BUCKET
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.streaming.routes import stream_router
from streamstack.streaming.service import (
    AccelDelivery,
    Delivery,
    MediaDelivery,
    ThumbnailDelivery,
)
from streamstack.streaming.tokens import StreamTokens


def mount(context: ModuleContext) -> MountedModule:
    """Mount the streaming module."""
    settings = context.settings
    backends = context.backends
    tokens = StreamTokens(backends.kv(STREAM_TOKENS_BUCKET, settings.stream_token_ttl_seconds))
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
        operations={ISSUE_STREAM_TOKEN: tokens.issue},
    )


MODULE = ModuleDefinition(name="streaming", mount=mount)
