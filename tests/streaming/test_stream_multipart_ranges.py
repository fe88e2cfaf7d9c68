"""Several ranges in one request: a multipart/byteranges body, coalesced overlaps, limits."""

from __future__ import annotations

from streaming_rig import PATTERN, SIZE, StreamRig, parse_byteranges


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
