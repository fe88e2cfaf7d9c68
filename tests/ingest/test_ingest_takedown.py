"""Playing an item's HLS through its stream token, and taking it down (issues 14.8, 13.9).

End to end through the API, all four modules in one app on either backend kind: an upload
is transcoded; the stream-token answer names the master playlist and the storyboard; a
player following the playlists' relative URIs reaches every file with the right type.
Unpublishing stops the item's tokens within 5 s; deleting it does too, and its objects go:
the original, the thumbnail and everything under its prefix, named by a manifest or not,
and nothing of another item's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import ingest_media
import m3u8
import transcode_media
from ingest_rig import Rig, RigFactory, fast_transcoding, whole_item, write_behind

from streamstack.contracts.streaming import caption_paths

CATALOGUE = "/api/v1/catalogue"
#: The issue's bound for a withdrawn item's tokens.
TOKENS_STOP_WITHIN = 5.0
#: Deleting objects is a queued job: generous, but bounded.
OBJECTS_GONE_WITHIN = 30.0


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Poll ``check`` until it holds; fail after ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            while not await check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None


async def ready_item(rig: Rig, tmp_path: Path) -> dict[str, Any]:
    """Upload a VP9 WebM and wait until its HLS ladder is ready."""
    uploaded = await rig.upload(
        transcode_media.vp9_webm(tmp_path).read_bytes(), filename="clip.webm"
    )
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    item: dict[str, Any] = {}

    async def ready() -> bool:
        nonlocal item
        item = (await whole_item(rig, media_id)).json()
        assert item["processing_state"] != "failed", item["processing_detail"]
        return bool(item["processing_state"] == "ready")

    await until(ready, 120, "the item is transcoded")
    return item


async def stream_grant(rig: Rig, media_id: str) -> dict[str, Any]:
    response = await rig.client.post(f"{CATALOGUE}/{media_id}/stream-token", headers=rig.viewer())
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def fetch(rig: Rig, url: str, content_type: str) -> httpx.Response:
    response = await rig.client.get(url)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["content-type"] == content_type, url
    return response


async def play_everything(rig: Rig, grant: dict[str, Any]) -> int:
    """Follow the master playlist like a player (relative URIs, resolved against each
    playlist's own URL) and the storyboard; how many files were fetched."""
    master_url = grant["hls_url"]
    master = m3u8.loads((await fetch(rig, master_url, "application/vnd.apple.mpegurl")).text)
    fetched = 1
    for variant in master.playlists:
        assert "://" not in variant.uri and not variant.uri.startswith("/"), variant.uri
        playlist_url = urljoin(master_url, variant.uri)
        media = m3u8.loads((await fetch(rig, playlist_url, "application/vnd.apple.mpegurl")).text)
        init = urljoin(playlist_url, media.segment_map[0].uri)
        await fetch(rig, init, "video/mp4")
        for segment in media.segments:
            assert "://" not in segment.uri and not segment.uri.startswith("/")
            await fetch(rig, urljoin(playlist_url, segment.uri), "video/mp4")
        fetched += 2 + len(media.segments)
    vtt = (await fetch(rig, grant["storyboard_url"], "text/vtt")).text
    sheets = {line.split("#", 1)[0] for line in vtt.splitlines() if "#xywh=" in line}
    assert sheets
    for sheet in sheets:
        await fetch(rig, urljoin(grant["storyboard_url"], sheet), "image/jpeg")
    return fetched + 1 + len(sheets)


async def refused(rig: Rig, url: str) -> bool:
    response = await rig.client.get(url)
    if response.status_code == 200:
        return False
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "stream_token_not_found"
    return True


def leftovers(rig: Rig, item: dict[str, Any]) -> list[str]:
    """Objects of the item still stored: the original, the thumbnail, its prefix."""
    stored = rig.stored()
    media = [k for k in stored["media"] if k == item["s3_key"] or k.startswith(f"{item['id']}/")]
    thumbs = [k for k in stored["thumbnails"] if k == item["thumbnail_s3_key"]]
    return media + thumbs


async def test_hls_plays_through_the_token_and_a_deletion_takes_everything_down(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        item = await ready_item(rig, tmp_path)
        grant = await stream_grant(rig, item["id"])
        assert grant["hls_url"] == f"{grant['stream_url']}/hls/master.m3u8"
        assert await play_everything(rig, grant) > 4
        renewed = await stream_grant(rig, item["id"])  # the player's renewal
        assert await play_everything(rig, renewed) > 4
        thumbnail = await rig.client.get(item["thumbnail_url"])
        assert thumbnail.status_code == 200
        assert leftovers(rig, item)

        deleted = await rig.client.delete(f"{CATALOGUE}/{item['id']}", headers=rig.admin())
        assert deleted.status_code == 204, deleted.text

        for url in (grant["hls_url"], renewed["hls_url"], grant["storyboard_url"]):
            await until(lambda u=url: refused(rig, u), TOKENS_STOP_WITHIN, f"{url} refused")

        async def all_gone() -> bool:
            return not leftovers(rig, item)

        await until(all_gone, OBJECTS_GONE_WITHIN, "every object of the item deleted")
        assert (await rig.client.get(item["thumbnail_url"])).status_code == 404


async def test_unpublishing_stops_the_tokens_and_republishing_gives_new_ones(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        item = await ready_item(rig, tmp_path)
        grant = await stream_grant(rig, item["id"])
        await asyncio.sleep(1.05)  # tokens carry whole seconds: withdraw in a later one

        unpublished = await rig.client.patch(
            f"{CATALOGUE}/{item['id']}", json={"status": "draft"}, headers=rig.admin()
        )
        assert unpublished.status_code == 200, unpublished.text

        await until(lambda: refused(rig, grant["hls_url"]), TOKENS_STOP_WITHIN, "token refused")
        assert (await rig.client.get(grant["stream_url"])).status_code == 404
        await asyncio.sleep(1.05)
        republished = await rig.client.patch(
            f"{CATALOGUE}/{item['id']}", json={"status": "published"}, headers=rig.admin()
        )
        assert republished.status_code == 200, republished.text
        assert await play_everything(rig, await stream_grant(rig, item["id"])) > 4
        assert await refused(rig, grant["hls_url"])  # the old token stays down
        assert leftovers(rig, item)  # unpublishing deletes nothing


async def test_deleting_an_item_being_transcoded_leaves_no_object(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(
            transcode_media.vp9_webm(tmp_path).read_bytes(), filename="clip.webm"
        )
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()

        deleted = await rig.client.delete(f"{CATALOGUE}/{item['id']}", headers=rig.admin())
        assert deleted.status_code == 204, deleted.text

        async def all_gone() -> bool:
            return not leftovers(rig, item)

        await until(all_gone, OBJECTS_GONE_WITHIN, "every object of the item deleted")
        await asyncio.sleep(2)  # a job stopped midway must not write anything afterwards
        assert not leftovers(rig, item)


async def test_a_deletion_takes_what_no_manifest_names_and_leaves_other_items(
    rig_factory: RigFactory,
) -> None:
    async with rig_factory() as rig:
        uploads = [await rig.upload(ingest_media.mp4()) for _ in range(2)]
        assert [u.status_code for u in uploads] == [201, 201], [u.text for u in uploads]
        item, other = (u.json() for u in uploads)
        media_id = item["id"]
        # Under the prefix, named by no manifest nor by the deletion's event.
        strays = [
            f"{media_id}/storyboard/x.jpg",
            f"{media_id}/hls/old/segment.ts",
            *(f"{media_id}/{path}" for path in caption_paths("en")),
        ]
        # Another item's, one whose id has the same first 35 characters, one named like
        # the prefix without its slash: none of them is the deleted item's.
        twin = media_id[:-1] + ("0" if media_id[-1] != "0" else "1")
        others = [f"{other['id']}/hls/segment.ts", f"{twin}/hls/segment.ts", f"{media_id}-old/x.ts"]
        for key in (*strays, *others):
            write_behind(rig, key, b"behind ingest")
        others.append(other["s3_key"])
        assert len(leftovers(rig, item)) == 1 + 1 + len(strays)

        deleted = await rig.client.delete(f"{CATALOGUE}/{media_id}", headers=rig.admin())
        assert deleted.status_code == 204, deleted.text

        async def all_gone() -> bool:
            return not leftovers(rig, item)

        await until(all_gone, OBJECTS_GONE_WITHIN, "every object under the prefix deleted")
        assert [key for key in others if key not in rig.stored()["media"]] == []
