"""RFC 9110 §14 range cases on a 1000-byte object, each its own test, on both backend kinds."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from streaming_rig import PATTERN, SIZE, StreamRig, assert_error


async def test_no_range_sends_the_whole_object_with_its_validators(rig: StreamRig) -> None:
    info = await rig.put_media()
    url = await rig.stream_url(info)

    response = await rig.client.get(url)

    assert response.status_code == 200
    assert response.content == PATTERN
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["etag"] == info.etag
    assert parsedate_to_datetime(response.headers["last-modified"]) == info.last_modified.replace(
        microsecond=0
    )
    assert "content-range" not in response.headers


async def test_first_half(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=0-499"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-499/1000"
    assert response.headers["content-length"] == "500"
    assert response.content == PATTERN[:500]


async def test_open_ended_range(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=500-"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 500-999/1000"
    assert response.content == PATTERN[500:]


async def test_last_position_past_the_end_is_clamped(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=500-99999"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 500-999/1000"
    assert response.headers["content-length"] == "500"
    assert response.content == PATTERN[500:]


async def test_suffix_range(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=-200"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 800-999/1000"
    assert response.content == PATTERN[800:]


async def test_suffix_longer_than_the_object_is_all_of_it(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=-5000"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-999/1000"
    assert response.content == PATTERN


async def test_range_starting_at_the_end_is_unsatisfiable(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=1000-"})

    assert_error(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == "bytes */1000"


async def test_empty_suffix_is_unsatisfiable(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=-0"})

    assert_error(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == "bytes */1000"


async def test_zero_length_object_satisfies_no_range(rig: StreamRig) -> None:
    url = await rig.object_url(b"")

    response = await rig.client.get(url, headers={"Range": "bytes=0-"})

    assert_error(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == "bytes */0"


async def test_zero_length_object_without_range_is_an_empty_200(rig: StreamRig) -> None:
    url = await rig.object_url(b"")

    response = await rig.client.get(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


async def test_backwards_range_is_ignored(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=5-4"})

    assert response.status_code == 200
    assert response.content == PATTERN


async def test_negative_last_position_is_ignored(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "bytes=0--1"})

    assert response.status_code == 200
    assert response.content == PATTERN


async def test_other_range_unit_is_ignored(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "items=0-5"})

    assert response.status_code == 200
    assert response.content == PATTERN
    assert "content-range" not in response.headers


async def test_garbage_range_is_ignored(rig: StreamRig) -> None:
    url = await rig.object_url()

    for garbage in ("garbage", "bytes=", "bytes=abc", "bytes=1-2-3", "bytes=,,", "bytes=0-0x10"):
        response = await rig.client.get(url, headers={"Range": garbage})
        assert response.status_code == 200, garbage
        assert response.content == PATTERN, garbage


async def test_range_unit_is_case_insensitive(rig: StreamRig) -> None:
    url = await rig.object_url()

    response = await rig.client.get(url, headers={"Range": "Bytes=10-19"})

    assert response.status_code == 206
    assert response.content == PATTERN[10:20]


async def test_huge_positions_do_not_break_the_server(rig: StreamRig) -> None:
    url = await rig.object_url()

    past_end = await rig.client.get(url, headers={"Range": "bytes=99999999999999999999-"})
    too_many_digits = await rig.client.get(url, headers={"Range": "bytes=0-" + "9" * 5000})

    assert_error(past_end, 416)
    assert too_many_digits.status_code == 200
    assert too_many_digits.content == PATTERN
