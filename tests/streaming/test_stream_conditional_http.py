"""Conditional requests: If-Range, HEAD, If-None-Match/304, If-Modified-Since, If-Match/412.

Range sets (multipart/byteranges) are in ``test_stream_multipart_ranges.py``; which object a
token serves, and by what size, in ``test_stream_token_objects.py``.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

from streaming_rig import PATTERN, SIZE, StreamRig, assert_error

REPRESENTATION_HEADERS = (
    "accept-ranges",
    "content-length",
    "content-type",
    "etag",
    "last-modified",
    "cache-control",
)


def shifted(http_date: str, seconds: int) -> str:
    return format_datetime(parsedate_to_datetime(http_date) + timedelta(seconds=seconds), True)


# --- If-Range -----------------------------------------------------------------------------


async def test_if_range_with_the_current_etag_gives_the_range(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    response = await rig.client.get(url, headers={"Range": "bytes=0-99", "If-Range": info.etag})

    assert response.status_code == 206
    assert response.content == PATTERN[:100]


async def test_if_range_with_a_stale_etag_gives_everything(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(
        url, headers={"Range": "bytes=0-99", "If-Range": '"not-the-etag"'}
    )

    assert response.status_code == 200
    assert response.content == PATTERN
    assert "content-range" not in response.headers


async def test_if_range_with_a_weak_etag_gives_everything(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    response = await rig.client.get(
        url, headers={"Range": "bytes=0-99", "If-Range": f"W/{info.etag}"}
    )

    assert response.status_code == 200
    assert response.content == PATTERN


async def test_if_range_with_the_exact_last_modified_gives_the_range(rig: StreamRig) -> None:
    url = await rig.object_url()
    modified = (await rig.client.head(url)).headers["last-modified"]

    response = await rig.client.get(url, headers={"Range": "bytes=-10", "If-Range": modified})

    assert response.status_code == 206
    assert response.content == PATTERN[-10:]


async def test_if_range_with_any_other_date_gives_everything(rig: StreamRig) -> None:
    url = await rig.object_url()
    modified = (await rig.client.head(url)).headers["last-modified"]

    for date in (shifted(modified, 1), shifted(modified, -1), "not a date"):
        response = await rig.client.get(url, headers={"Range": "bytes=-10", "If-Range": date})
        assert response.status_code == 200, date
        assert response.content == PATTERN, date


async def test_if_range_decides_between_416_and_everything(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    current = await rig.client.get(url, headers={"Range": "bytes=5000-", "If-Range": info.etag})
    stale = await rig.client.get(url, headers={"Range": "bytes=5000-", "If-Range": '"old"'})

    assert_error(current, 416)
    assert current.headers["content-range"] == "bytes */1000"
    assert stale.status_code == 200
    assert stale.content == PATTERN


# --- HEAD and validators ----------------------------------------------------------------


async def test_head_has_the_headers_of_a_full_get_and_no_body(rig: StreamRig) -> None:
    url = await rig.object_url()

    get = await rig.client.get(url)
    head = await rig.client.head(url)
    head_with_range = await rig.client.head(url, headers={"Range": "bytes=0-9"})

    assert head.status_code == 200
    assert head.content == b""
    for name in REPRESENTATION_HEADERS:
        assert head.headers[name] == get.headers[name], name
    assert head.headers["content-length"] == str(SIZE)
    assert head_with_range.status_code == 200  # Range is defined for GET only
    assert head_with_range.headers["content-length"] == str(SIZE)


async def test_if_none_match_with_the_current_etag_is_304(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    for header in (info.etag, f"W/{info.etag}", f'"other", {info.etag}', "*"):
        response = await rig.client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == info.etag
    head = await rig.client.head(url, headers={"If-None-Match": info.etag})
    assert head.status_code == 304


async def test_if_none_match_with_another_etag_sends_the_object(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"If-None-Match": '"other"'})

    assert response.status_code == 200
    assert response.content == PATTERN


async def test_not_modified_comes_before_range_evaluation(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    response = await rig.client.get(
        url, headers={"If-None-Match": info.etag, "Range": "bytes=5000-"}
    )

    assert response.status_code == 304


async def test_if_modified_since_last_modified_is_304(rig: StreamRig) -> None:
    url = await rig.object_url()
    modified = (await rig.client.head(url)).headers["last-modified"]

    unchanged = await rig.client.get(url, headers={"If-Modified-Since": modified})
    earlier = await rig.client.get(url, headers={"If-Modified-Since": shifted(modified, -60)})

    assert unchanged.status_code == 304
    assert earlier.status_code == 200
    assert earlier.content == PATTERN


async def test_if_match_guards_the_read(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    matching = await rig.client.get(url, headers={"If-Match": info.etag, "Range": "bytes=0-9"})
    stale = await rig.client.get(url, headers={"If-Match": '"old"', "Range": "bytes=0-9"})

    assert matching.status_code == 206
    assert matching.content == PATTERN[:10]
    assert_error(stale, 412, "precondition_failed")
