"""Public thumbnails: ETag, 304, long cache lifetime, and 404 for names that cannot exist."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from streaming_rig import UNREACHABLE_DATABASE_URL, StreamRig, assert_error, stream_rig

from harness.servers import S3Endpoint
from streamstack.kernel.storage import ObjectInfo
from support.apps import make_settings

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"


async def put_thumbnail(rig: StreamRig, media_id: uuid.UUID | None = None) -> ObjectInfo:
    async def chunks() -> Any:
        yield JPEG

    key = f"{media_id or uuid.uuid4()}.jpg"
    return await rig.in_app(rig.thumbnails.write, key, chunks(), content_type="image/jpeg")


def thumbnail_url(info: ObjectInfo) -> str:
    return f"/api/v1/stream/thumbnails/{info.key}"


async def test_a_thumbnail_is_public_and_cacheable(rig: StreamRig) -> None:
    info = await put_thumbnail(rig)

    response = await rig.client.get(thumbnail_url(info))

    assert response.status_code == 200
    assert response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(len(JPEG))
    assert response.headers["etag"] == info.etag
    assert "last-modified" in response.headers
    cache = response.headers["cache-control"]
    # A deleted item's thumbnail must not outlive it in caches for long: a short max-age
    # and revalidation, never "immutable" (issue 13.9).
    assert cache == "public, max-age=300, must-revalidate"
    assert "immutable" not in cache


async def test_a_known_etag_is_304(rig: StreamRig) -> None:
    info = await put_thumbnail(rig)
    url = thumbnail_url(info)
    modified = (await rig.client.get(url)).headers["last-modified"]

    by_etag = await rig.client.get(url, headers={"If-None-Match": info.etag})
    by_date = await rig.client.get(url, headers={"If-Modified-Since": modified})
    other = await rig.client.get(url, headers={"If-None-Match": '"other"'})

    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == info.etag
    assert by_etag.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert by_date.status_code == 304
    assert other.status_code == 200
    assert other.content == JPEG


async def test_head_gives_the_headers_only(rig: StreamRig) -> None:
    info = await put_thumbnail(rig)

    response = await rig.client.head(thumbnail_url(info))

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(JPEG))
    assert response.headers["etag"] == info.etag


async def test_a_missing_thumbnail_is_404(rig: StreamRig) -> None:
    response = await rig.client.get(f"/api/v1/stream/thumbnails/{uuid.uuid4()}.jpg")

    assert_error(response, 404, "thumbnail_not_found")


# A fixed id, not uuid4(): test ids must be the same at every collection (pytest --lf,
# pytest-xdist's workers compare their collections).
SOME_ID = uuid.UUID("3f2c8a4e-9b1d-4c6e-8f7a-2d5b0e1c9a34")
INVALID_NAMES = [
    "abc.jpg",
    f"{SOME_ID}.png",
    f"{SOME_ID}.jpg.exe",
    f"{SOME_ID}",
    f"{str(SOME_ID).upper()}.jpg",
    f"{SOME_ID.hex}.jpg",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e.jpg",
    ".jpg",
    "x" * 300 + ".jpg",
]


@pytest.mark.parametrize("name", INVALID_NAMES)
async def test_invalid_names_are_404(rig: StreamRig, name: str) -> None:
    response = await rig.client.get(f"/api/v1/stream/thumbnails/{name}")

    assert_error(response, 404)


async def test_invalid_names_never_reach_storage(stream_keys: Path, tmp_path: Path) -> None:
    # Nothing listens on port 9: a request that reached the store would be a 503.
    unreachable = S3Endpoint(url="http://127.0.0.1:9")
    shutil.copytree(stream_keys, tmp_path / "jwt")
    settings = make_settings(
        "production",
        tmp_path,
        database_url=UNREACHABLE_DATABASE_URL,
        nats_url="nats://127.0.0.1:9",
        s3=unreachable,
        buckets=("media", "thumbnails"),
        modules=("streaming",),
        # Start-up tries NATS twice, each for this long (5 s by default, 10 s of waiting):
        # NATS is not what this test is about.
        nats_timeout_seconds=1.0,
    )

    async with stream_rig(settings) as rig:
        valid = await rig.client.get(f"/api/v1/stream/thumbnails/{uuid.uuid4()}.jpg")
        for name in INVALID_NAMES:
            response = await rig.client.get(f"/api/v1/stream/thumbnails/{name}")
            assert_error(response, 404)

    assert_error(valid, 503)  # a valid name does ask the store, which is down
