"""A stream token serves exactly its own object, sized by storage, and unknown tokens are 404."""

from __future__ import annotations

from streaming_rig import PATTERN, SIZE, StreamRig, assert_error


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
    # In nginx's words, and never by its key: the bucket's layout is not the viewer's.
    assert response.json()["detail"] == "the object of this stream token is gone"
    assert info.key.split(".")[0] not in response.text
    head = await rig.client.head(url)
    assert (head.status_code, head.content) == (404, b"")


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
