"""The warning an operator gets when a file a stream token grants is not stored.

A token-valid request for a key that is not there is the item's damage (its bucket lost a
segment, or an older backup was restored), not a client's mistake: the token was issued
for the item's own package. Viewers then see 404s and, without this, the log shows only
access lines. One warning per item per :data:`WARN_EVERY_SECONDS` says which item, which
key and how to repair it; a player retries a missing segment every few seconds, and one
line per retry would bury the log.
"""

from __future__ import annotations

import structlog

from streamstack.contracts.streaming import CAPTIONS_DIR
from streamstack.kernel.clock import Clock
from streamstack.kernel.recently_used import RecentlyUsed
from streamstack.streaming.models import StreamGrant

log = structlog.get_logger(__name__)

#: How long an item stays quiet once warned about.
WARN_EVERY_SECONDS = 600.0
#: How many recently warned items are remembered. In process memory, bounded: each
#: process warns on its own (a few lines per window at most), and the oldest are forgotten
#: first, so a bucket that lost many items costs this much memory, never more.
REMEMBERED_ITEMS = 1024


class MissingObjects:
    """Warns ``stream.object_missing`` for a granted key that is not stored, once per item
    per :data:`WARN_EVERY_SECONDS`, naming the remedy."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._warned: RecentlyUsed[str, float] = RecentlyUsed(REMEMBERED_ITEMS)

    def note(self, grant: StreamGrant, key: str) -> None:
        """Warn that ``key`` of ``grant``'s item is missing, unless warned of lately."""
        now = self._clock().timestamp()
        last = self._warned.get(grant.media_id)
        if last is not None and now - last < WARN_EVERY_SECONDS:
            return
        self._warned.put(grant.media_id, now)
        if key == grant.s3_key:
            shown, remedy = key, f"streamstack upload --replace {grant.media_id} FILE"
        else:
            shown = key.removeprefix(grant.object_prefix)
            remedy = (
                f"streamstack captions add {grant.media_id} LANGUAGE FILE"
                if shown.startswith(f"{CAPTIONS_DIR}/")
                else f"streamstack transcode --force {grant.media_id}"
            )
        log.warning("stream.object_missing", media_id=grant.media_id, key=shown, remedy=remedy)
