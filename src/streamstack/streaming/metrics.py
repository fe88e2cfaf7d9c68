"""Streaming's Prometheus metrics: bytes sent, responses in flight, tokens issued.

Registered in the process's default registry when the module is imported, so the kernel's
``GET /metrics`` exports them from every process that mounts streaming.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from prometheus_client import Counter, Gauge

STREAMED_BYTES = Counter(
    "streamstack_streamed_bytes",
    "Media bytes the streaming service sent to players (proxy delivery).",
)
ACTIVE_STREAMS = Gauge(
    "streamstack_active_streams",
    "Media responses being sent right now.",
)
STREAM_TOKENS_ISSUED = Counter(
    "streamstack_stream_tokens_issued",
    "Stream tokens issued.",
)


def count_streamed_bytes(sent: int) -> None:
    """A media response sent ``sent`` body bytes (counted once per response, not per chunk)."""
    STREAMED_BYTES.inc(sent)


@contextlib.contextmanager
def active_stream() -> Iterator[None]:
    """Count a media response as active for the duration of the block."""
    ACTIVE_STREAMS.inc()
    try:
        yield
    finally:
        ACTIVE_STREAMS.dec()


def count_stream_token_issued() -> None:
    """One stream token was issued."""
    STREAM_TOKENS_ISSUED.inc()
