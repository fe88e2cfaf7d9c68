"""A stream token grants its item's prefix: HLS playlists, segments and storyboards (issue 14.8).

Every file under ``<uuid>/`` is played at ``<stream_url>/<path>``, with the same Range and
conditional support as the original and the type the transcoder stored; nothing outside
the prefix (or the manifest, or any other name) is reachable, however the path is spelled.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import structlog
from streaming_rig import (
    MASTER,
    PACKAGE,
    PATTERN,
    PLAYABLE_TYPES,
    StreamRig,
    assert_error,
    item_request,
    live_stream,
    store_package,
)

from streamstack.settings import Settings
from streamstack.streaming import missing as streaming_missing


async def packaged_item(rig: StreamRig) -> tuple[str, dict[str, Any]]:
    """A new item with its package stored; its id and a token grant for it."""
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    response = await rig.issue_item(media_id)
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return media_id, grant


async def test_the_grant_names_the_playlist_and_the_storyboard(rig: StreamRig) -> None:
    _, grant = await packaged_item(rig)

    base = grant["stream_url"]
    assert grant["hls_url"] == f"{base}/hls/master.m3u8"
    assert grant["storyboard_url"] == f"{base}/storyboard/storyboard.vtt"


async def test_a_viewer_of_a_packaged_item_plays_the_package_not_the_original(
    rig: StreamRig,
) -> None:
    media_id, grant = await packaged_item(rig)
    base = grant["stream_url"]

    for answer in (await rig.client.get(base), await rig.client.head(base)):
        assert answer.status_code == 404, answer.text
    refused = await rig.client.get(base, headers={"Range": "bytes=0-99"})
    assert (refused.status_code, refused.json()["code"]) == (404, "stream_file_not_found")
    assert (await rig.client.get(f"{base}/hls/master.m3u8")).status_code == 200
    # An admin's grant of the same item plays its original, as before.
    request = item_request(media_id)
    admin = await rig.issue(
        request.pop("s3_key"),
        request.pop("size_bytes"),
        access_token=rig.user_token(role="admin"),
        **request,
    )
    assert (await rig.client.get(admin.json()["stream_url"])).content == PATTERN


async def test_without_hls_or_storyboard_the_grant_names_neither(rig: StreamRig) -> None:
    media_id = str(uuid.uuid4())
    info = await rig.put_media(key=f"{media_id}.mp4")

    response = await rig.issue(info.key, info.size, media_id=media_id, object_prefix=f"{media_id}/")

    assert response.status_code == 200, response.text
    assert response.json()["hls_url"] is None
    assert response.json()["storyboard_url"] is None


@pytest.mark.parametrize("path", sorted(PLAYABLE_TYPES))
async def test_every_file_under_the_prefix_plays_with_its_type(rig: StreamRig, path: str) -> None:
    _, grant = await packaged_item(rig)

    response = await rig.client.get(f"{grant['stream_url']}/{path}")
    head = await rig.client.head(f"{grant['stream_url']}/{path}")

    assert response.status_code == 200, response.text
    assert response.content == PACKAGE[path][0]
    assert response.headers["content-type"] == PLAYABLE_TYPES[path]
    assert response.headers["content-length"] == str(len(PACKAGE[path][0]))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "private, no-transform"
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == PLAYABLE_TYPES[path]
    assert head.headers["etag"] == response.headers["etag"]


async def test_a_segment_serves_ranges(rig: StreamRig) -> None:
    _, grant = await packaged_item(rig)
    url = f"{grant['stream_url']}/hls/240p/seg_00001.m4s"

    one = await rig.client.get(url, headers={"Range": "bytes=100-199"})
    suffix = await rig.client.get(url, headers={"Range": "bytes=-10"})
    two = await rig.client.get(url, headers={"Range": "bytes=0-9,500-509"})
    past = await rig.client.get(url, headers={"Range": "bytes=5000-"})

    assert one.status_code == 206
    assert one.headers["content-range"] == "bytes 100-199/1000"
    assert one.headers["content-type"] == "video/mp4"
    assert one.content == PATTERN[100:200]
    assert suffix.content == PATTERN[-10:]
    assert two.status_code == 206
    assert two.headers["content-type"].startswith("multipart/byteranges")
    assert PATTERN[500:510] in two.content
    assert_error(past, 416)
    assert past.headers["content-range"] == "bytes */1000"


async def test_playlist_conditionals(rig: StreamRig) -> None:
    _, grant = await packaged_item(rig)
    url = grant["hls_url"]
    first = await rig.client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = await rig.client.get(url, headers={"If-None-Match": etag})
    by_date = await rig.client.get(url, headers={"If-Modified-Since": modified})
    mismatch = await rig.client.get(url, headers={"If-Match": '"other"'})
    if_range = await rig.client.get(url, headers={"Range": "bytes=0-6", "If-Range": etag})
    stale_range = await rig.client.get(url, headers={"Range": "bytes=0-6", "If-Range": '"stale"'})

    assert first.content == MASTER
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_date.status_code == 304
    assert_error(mismatch, 412)
    assert if_range.status_code == 206
    assert if_range.content == MASTER[:7]
    assert stale_range.status_code == 200
    assert stale_range.content == MASTER


async def test_a_renewed_token_serves_the_same_relative_paths(rig: StreamRig) -> None:
    media_id, first = await packaged_item(rig)
    renewed = (await rig.issue_item(media_id)).json()

    assert renewed["stream_url"] != first["stream_url"]
    for path in PLAYABLE_TYPES:  # the player swaps its base URL and keeps the relative paths
        old = await rig.client.get(f"{first['stream_url']}/{path}")
        new = await rig.client.get(f"{renewed['stream_url']}/{path}")
        assert old.content == new.content == PACKAGE[path][0]


ESCAPES = [
    "outputs.json",  # the manifest is no file for players
    "hls",
    "hls/",
    "hls/240p/",
    "hls/240p/seg_00002.m4s",  # absent: stream_file_not_found, still a 404 (its key unsaid)
    "hls/%2e%2e/%2e%2e/{other}.mp4",
    "hls/..%2f..%2f{other}/hls/master.m3u8",
    "%2e%2e/{other}/hls/master.m3u8",
    "..%2F{other}%2Fhls%2Fmaster.m3u8",
    "hls%2F..%2F..%2F{other}%2Fhls%2Fmaster.m3u8",
    "%2F{other}/hls/master.m3u8",
    "/{other}/hls/master.m3u8",
    "hls/master.m3u8%00",
    "hls/master.m3u8%00.jpg",
    "hls%5c..%5c..%5c{other}%5chls%5cmaster.m3u8",
    ".hidden.m3u8",
    "hls/master.m3u8.exe",
    "hls/" + "a" * 300 + ".m4s",
    "hls/master.M3U8x",
]


@pytest.mark.parametrize("escape", ESCAPES)
async def test_no_path_escapes_the_prefix(rig: StreamRig, escape: str) -> None:
    other = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, other)
    media_id, grant = await packaged_item(rig)

    response = await rig.client.get(f"{grant['stream_url']}/{escape.format(other=other)}")

    assert_error(response, 404)
    assert response.content != PATTERN and MASTER not in response.content
    assert media_id not in response.text  # no 404 names an object's key


@pytest.mark.parametrize("wrong", ["master.m3u8", "HLS/master.m3u8", "hls/240p/seg_09999.m4s"])
async def test_a_wrong_path_under_the_prefix_is_no_such_file(rig: StreamRig, wrong: str) -> None:
    """A file the package does not hold is a wrong path, said as other wrong paths are: it
    said "the object of this stream token is gone", which reads as the video deleted."""
    _, grant = await packaged_item(rig)

    for method in ("GET", "HEAD"):
        response = await rig.client.request(method, f"{grant['stream_url']}/{wrong}")
        assert response.status_code == 404
        if method == "GET":
            assert_error(response, 404, "stream_file_not_found")
            assert response.json()["detail"] == "no such file for this stream token"


async def test_a_grant_without_a_prefix_plays_only_its_original(rig: StreamRig) -> None:
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)

    url = await rig.stream_url(await rig.put_media(key=f"{media_id}.mp4"))

    assert (await rig.client.get(url)).content == PATTERN
    assert_error(await rig.client.get(f"{url}/hls/master.m3u8"), 404, "stream_file_not_found")


async def test_a_prefix_that_is_not_one_segment_is_refused(rig: StreamRig) -> None:
    for prefix in ("../", "a/b/", "/", "a", "a|b/", ""):
        response = await rig.issue(f"{uuid.uuid4()}.mp4", 10, object_prefix=prefix)
        assert_error(response, 400, "validation_error")


def raw_get(address: tuple[str, int], target: str) -> bytes:
    """Send ``GET <target>`` exactly as written (no client normalises the dots away)."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


async def test_literal_dot_segments_over_a_real_server_are_404(module_settings: Settings) -> None:
    async with live_stream(module_settings) as live:
        media, other = live.backends.objects(module_settings.media_bucket), str(uuid.uuid4())
        media_id = str(uuid.uuid4())
        await store_package(media, other)
        await store_package(media, media_id)
        info = await media.head(f"{media_id}.mp4")
        request = item_request(media_id)
        grant = await live.grant(info, **{k: request[k] for k in ("media_id", "object_prefix")})
        parts = urlsplit(live.app_url)
        address = (parts.hostname or "127.0.0.1", parts.port or 80)
        for escape in (
            "hls/master.m3u8",  # the control: this one plays
            f"hls/../../{other}/hls/master.m3u8",
            f"../{other}/hls/master.m3u8",
            f"hls/240p/../../../{other}.mp4",
            "hls/./master.m3u8",  # inside, but no dot segment is a file name
        ):
            answer = await asyncio.to_thread(raw_get, address, f"{grant['stream_url']}/{escape}")
            status = answer.split(b"\r\n", 1)[0]
            if escape == "hls/master.m3u8":
                assert b" 200 " in status and answer.endswith(MASTER)
                continue
            assert b" 404 " in status, (escape, status)
            assert MASTER not in answer and PATTERN not in answer


async def test_a_lost_file_of_the_package_is_logged_once_per_item_with_its_remedy(
    rig: StreamRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segment or master gone from the bucket (restored from an older backup) warns
    ``stream.object_missing`` naming the item, the key and the repair: once per item, not
    once per request of a player that keeps retrying."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(streaming_missing, "log", recorder)
    media_id, grant = await packaged_item(rig)
    other_id, other = await packaged_item(rig)
    await rig.in_app(
        rig.media.delete_many, [f"{media_id}/hls/240p/seg_00001.m4s", f"{media_id}/hls/master.m3u8"]
    )
    await rig.in_app(rig.media.delete_many, [f"{other_id}/hls/master.m3u8"])

    for path in ("hls/240p/seg_00001.m4s", "hls/240p/seg_00001.m4s", "hls/master.m3u8"):
        assert (await rig.client.get(f"{grant['stream_url']}/{path}")).status_code == 404
    assert (await rig.client.head(f"{other['stream_url']}/hls/master.m3u8")).status_code == 404

    warned = [call for call in recorder.calls if call.args == ("stream.object_missing",)]
    assert [(call.method_name, call.kwargs) for call in warned] == [
        (
            "warning",
            {
                "media_id": media_id,
                "key": "hls/240p/seg_00001.m4s",
                "remedy": f"streamstack transcode --force {media_id}",
            },
        ),
        (
            "warning",
            {
                "media_id": other_id,
                "key": "hls/master.m3u8",
                "remedy": f"streamstack transcode --force {other_id}",
            },
        ),
    ]
