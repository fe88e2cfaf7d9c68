"""S3 frozen (accepting connections, answering nothing): a write fails within its timeout
with a 503 instead of waiting for as long as S3 is frozen.

botocore asks for ``Expect: 100-continue`` before a body, and aiohttp waits for that
answer with no timeout: a put of an object or a part hung with S3 (a PATCH of an upload
took two minutes). The adapter sends bodies at once, so the read timeout holds.
"""

from __future__ import annotations

import asyncio

import pytest
from fault_rig import frozen

from harness.servers import S3Server
from harness.tools import skip_or_fail
from streamstack.kernel.storage import StorageUnavailable, single_chunk
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore

pytestmark = pytest.mark.slow

#: A generous bound against a hang; the write itself ends after two 1 s read timeouts.
HANG_SECONDS = 30.0


async def test_a_write_to_a_frozen_s3_is_a_503_not_a_hang(
    s3_server: S3Server | None, fresh_buckets: tuple[str, str]
) -> None:
    if s3_server is None:
        skip_or_fail("needs an S3 server the test can freeze (STREAMSTACK_TEST_S3_URL is set)")
    endpoint = s3_server.endpoint
    client = S3Client(
        endpoint.url,
        endpoint.access_key_id,
        endpoint.secret_access_key,
        endpoint.region,
        timeout_seconds=1.0,
    )
    store = S3ObjectStore(client, fresh_buckets[0])
    try:
        await store.write("warm.mp4", single_chunk(b"x"))  # the pool has a connection
        with frozen(s3_server):
            with pytest.raises(StorageUnavailable):
                await asyncio.wait_for(
                    store.write("clip.mp4", single_chunk(b"y" * 100_000)), HANG_SECONDS
                )
            with pytest.raises(StorageUnavailable):  # the breaker is open now: at once
                await asyncio.wait_for(store.start_multipart("big.mp4", "video/mp4"), HANG_SECONDS)
    finally:
        await client.close()
