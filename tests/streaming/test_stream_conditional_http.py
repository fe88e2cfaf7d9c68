"""If-Range, HEAD, If-None-Match/304, If-Match/412, multipart/byteranges, unknown tokens."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

from streaming_rig import PATTERN, SIZE, StreamRig, assert_error, parse_byteranges

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


# --- several ranges -----------------------------------------------------------------------


async def test_several_ranges_give_a_multipart_body(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=500-509,0-9,-5"})

    assert response.status_code == 206
    assert "content-range" not in response.headers
    assert response.headers["content-length"] == str(len(response.content))
    parts = parse_byteranges(response.headers["content-type"], response.content)
    assert [(p.start, p.end) for p in parts] == [(500, 509), (0, 9), (995, 999)]  # asked order
    for part in parts:
        assert part.size == SIZE
        assert part.content_type == "video/mp4"
        assert part.data == PATTERN[part.start : part.end + 1]


async def test_overlapping_ranges_are_coalesced_into_one(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=0-9,5-14"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-14/1000"
    assert response.content == PATTERN[:15]


async def test_two_hundred_overlapping_ranges_cost_one_read(rig: StreamRig) -> None:
    url = await rig.object_url()
    header = "bytes=" + ",".join(f"{i}-{i + 500}" for i in range(200))

    response = await rig.client.get(url, headers={"Range": header})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-699/1000"
    assert response.content == PATTERN[:700]


async def test_too_many_separate_ranges_give_everything(rig: StreamRig) -> None:
    data = PATTERN * 100
    url = await rig.object_url(data)
    sixteen = "bytes=" + ",".join(f"{i * 1000}-{i * 1000 + 9}" for i in range(16))
    seventeen = "bytes=" + ",".join(f"{i * 1000}-{i * 1000 + 9}" for i in range(17))

    many = await rig.client.get(url, headers={"Range": sixteen})
    too_many = await rig.client.get(url, headers={"Range": seventeen})

    assert many.status_code == 206
    parts = parse_byteranges(many.headers["content-type"], many.content)
    assert [part.data for part in parts] == [data[i * 1000 : i * 1000 + 10] for i in range(16)]
    assert too_many.status_code == 200
    assert too_many.content == data


async def test_unsatisfiable_members_of_a_range_set_are_dropped(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=0-9,5000-6000"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-9/1000"
    assert response.content == PATTERN[:10]


# --- tokens and objects -------------------------------------------------------------------


async def test_unknown_tokens_are_404_in_the_error_shape(rig: StreamRig) -> None:
    for token in ("A" * 43, "short", "x" * 129, "bad%20token", "..%2f..%2fetc"):
        response = await rig.client.get(f"/api/v1/stream/{token}")
        assert_error(response, 404)
    assert_error(await rig.client.get("/api/v1/stream/" + "A" * 43), 404, "stream_token_not_found")
    assert (await rig.client.head("/api/v1/stream/" + "B" * 43)).status_code == 404


async def test_a_token_serves_only_its_own_object(rig: StreamRig) -> None:
    mine = await rig.put_media(PATTERN)
    theirs = await rig.put_media(bytes(reversed(PATTERN)))
    url = await rig.stream_url(mine)

    plain = await rig.client.get(url)
    with_query = await rig.client.get(url, params={"key": theirs.key, "s3_key": theirs.key})
    extra_segment = await rig.client.get(f"{url}/{theirs.key}")

    assert plain.content == PATTERN
    assert with_query.content == PATTERN
    assert extra_segment.status_code == 404


async def test_a_token_whose_object_is_gone_is_404(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)
    await rig.in_app(rig.media.delete, info.key)

    response = await rig.client.get(url)

    assert_error(response, 404, "object_not_found")


async def test_an_object_longer_than_the_token_says_is_served_by_its_real_size(
    rig: StreamRig,
) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)
    longer = PATTERN + b"tail" * 50
    await rig.put_media(longer, key=info.key)

    response = await rig.client.get(url, headers={"Range": "bytes=-200"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 1000-1199/1200"
    assert response.content == longer[-200:]


async def test_an_object_shorter_than_the_token_says_is_served_by_its_real_size(
    rig: StreamRig,
) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info, size=5000)

    past_end = await rig.client.get(url, headers={"Range": "bytes=1500-"})
    whole = await rig.client.get(url)

    assert_error(past_end, 416)
    assert past_end.headers["content-range"] == "bytes */1000"
    assert whole.status_code == 200
    assert whole.content == PATTERN
    assert whole.headers["content-length"] == str(SIZE)


async def test_a_token_whose_size_is_too_small_is_not_416_by_that_size(rig: StreamRig) -> None:
    """The catalogue's size may disagree with storage: storage's size decides (issue 13.10)."""
    info = await rig.put_media()
    for stale in (0, 100):
        url = await rig.stream_url(info, size=stale)

        response = await rig.client.get(url, headers={"Range": "bytes=500-"})
        past_end = await rig.client.get(url, headers={"Range": "bytes=1500-"})

        assert response.status_code == 206, response.text
        assert response.headers["content-range"] == "bytes 500-999/1000"
        assert response.content == PATTERN[500:]
        assert_error(past_end, 416)
        assert past_end.headers["content-range"] == "bytes */1000"
