"""nginx delivery: the service checks the token, nginx moves the bytes (real nginx).

nginx asks the service with ``auth_request`` (a check cached 2 s per URI), so the ranges
of a played file do not reach Python; refusals and take-downs still arrive within 5 s.

nginx runs with the shipped ``compose/nginx-streaming.conf`` in front of the app served by
uvicorn; on the embedded backends nginx reads the local file (alias + sendfile), on the
real ones it proxies a presigned S3 GET.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from streaming_rig import (
    MASTER,
    PACKAGE,
    PATTERN,
    PLAYABLE_TYPES,
    LiveStream,
    Part,
    ServedApp,
    assert_error,
    item_request,
    nginx_in_front,
    parse_byteranges,
    served_with_backends,
    store_package,
)

from harness.tools import require_tool
from streamstack.contracts.catalogue import MEDIA_UNPUBLISHED, MediaWithdrawn
from streamstack.contracts.streaming import STREAM_TOKENS_BUCKET
from streamstack.kernel.backends import Backends
from streamstack.settings import Settings

#: The take-down bound (issue 13.9): the in-process grant cache (2 s) plus nginx's check
#: cache (2 s) must stay inside it.
WITHIN_SECONDS = 5.0


@dataclass
class Fronted:
    live: LiveStream
    nginx_url: str
    app: ServedApp


@asynccontextmanager
async def nginx_fronted(settings: Settings, workdir: Path, why: str) -> AsyncIterator[Fronted]:
    """The app for ``settings`` in uvicorn, behind nginx with the shipped snippet."""
    nginx = require_tool("nginx", why)
    async with (
        Backends(settings) as backends,
        httpx.AsyncClient(timeout=60) as http,
        served_with_backends(settings) as app,
    ):
        values = {
            "STREAMSTACK_STREAMING_UPSTREAM": app.url,
            "STREAMSTACK_OBJECTS_DIR": str((settings.data_dir / "objects").resolve()),
            "STREAMSTACK_S3_ENDPOINT": settings.s3_endpoint_url or "http://127.0.0.1:9",
        }
        with nginx_in_front(nginx, workdir, values) as nginx_url:
            yield Fronted(LiveStream(settings, app.url, backends, http), nginx_url, app)


@pytest.fixture(scope="module")
async def fronted(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fronted]:
    async with nginx_fronted(
        module_settings.replace(streaming_delivery="nginx"),
        tmp_path_factory.mktemp("nginx"),
        "serves stream bytes in the X-Accel delivery mode",
    ) as fronted:
        yield fronted


async def play_url(fronted: Fronted, data: bytes = PATTERN) -> str:
    info = await fronted.live.put_media(data)
    return fronted.nginx_url + await fronted.live.stream_url(info)


async def test_the_service_answers_with_an_accel_redirect(fronted: Fronted) -> None:
    info = await fronted.live.put_media()
    path = await fronted.live.stream_url(info)

    direct = await fronted.live.http.get(fronted.live.app_url + path)

    assert direct.status_code == 200
    assert direct.content == b""
    redirect = direct.headers["x-accel-redirect"]
    if fronted.live.settings.s3_endpoint_url:
        bucket = fronted.live.settings.media_bucket
        assert redirect.startswith(f"/_streamstack/s3/{bucket}/{info.key}?")
        assert "X-Amz-Signature=" in redirect
    else:
        assert redirect == f"/_streamstack/local/media/{info.key}"


async def test_nginx_sends_the_whole_object(fronted: Fronted) -> None:
    response = await fronted.live.http.get(await play_url(fronted))

    assert response.status_code == 200
    assert response.content == PATTERN
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-length"] == "1000"
    assert "etag" in response.headers


async def test_nginx_serves_a_range(fronted: Fronted) -> None:
    response = await fronted.live.http.get(
        await play_url(fronted), headers={"Range": "bytes=0-499"}
    )

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-499/1000"
    assert response.content == PATTERN[:500]


async def test_nginx_serves_a_suffix_range(fronted: Fronted) -> None:
    response = await fronted.live.http.get(await play_url(fronted), headers={"Range": "bytes=-200"})

    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 800-999/1000"
    assert response.content == PATTERN[800:]


async def test_nginx_refuses_an_unsatisfiable_range(fronted: Fronted) -> None:
    response = await fronted.live.http.get(
        await play_url(fronted), headers={"Range": "bytes=1000-"}
    )

    assert response.status_code == 416


async def test_nginx_answers_head_and_if_none_match(fronted: Fronted) -> None:
    url = await play_url(fronted)

    head = await fronted.live.http.head(url)
    again = await fronted.live.http.get(url, headers={"If-None-Match": head.headers["etag"]})

    assert head.status_code == 200
    assert head.headers["content-length"] == "1000"
    assert head.content == b""
    assert again.status_code == 304


async def test_unknown_tokens_get_the_services_404(fronted: Fronted) -> None:
    response = await fronted.live.http.get(f"{fronted.nginx_url}/api/v1/stream/{'A' * 43}")

    assert_error(response, 404, "stream_token_not_found")


async def test_a_vanished_object_is_a_json_404(fronted: Fronted) -> None:
    info = await fronted.live.put_media()
    url = fronted.nginx_url + await fronted.live.stream_url(info)
    await fronted.live.backends.objects(fronted.live.settings.media_bucket).delete(info.key)

    response = await fronted.live.http.get(url)

    assert_error(response, 404, "object_not_found")


async def test_internal_locations_are_not_reachable_from_outside(fronted: Fronted) -> None:
    info = await fronted.live.put_media()
    bucket = fronted.live.settings.media_bucket

    for path in (
        f"/_streamstack/local/{bucket}/{info.key}",
        f"/_streamstack/s3/{bucket}/{info.key}",
    ):
        response = await fronted.live.http.get(fronted.nginx_url + path)
        assert response.status_code == 404, path
        assert response.content != PATTERN


async def test_thumbnails_still_come_from_the_service(fronted: Fronted) -> None:
    response = await fronted.live.http.get(
        f"{fronted.nginx_url}/api/v1/stream/thumbnails/not-a-uuid.jpg"
    )

    assert_error(response, 404, "thumbnail_not_found")


async def test_many_ranges_through_nginx_stay_bounded(fronted: Fronted) -> None:
    url = await play_url(fronted)
    header = "bytes=" + ",".join(f"{i}-{i + 500}" for i in range(200))

    response = await fronted.live.http.get(url, headers={"Range": header})

    # nginx (max_ranges) or S3 decides; either way one bounded, correct answer.
    if response.status_code == 200:
        assert response.content == PATTERN
    else:
        assert response.status_code == 206
        content_type = response.headers["content-type"]
        if content_type.startswith("multipart/byteranges"):
            parts = parse_byteranges(content_type, response.content)
        else:
            start, _, end = response.headers["content-range"][6:].partition("/")[0].partition("-")
            parts = [Part(content_type, int(start), int(end), 1000, response.content)]
        assert len(parts) <= 200
        for part in parts:
            assert part.data == PATTERN[part.start : part.end + 1]


# --- an item's HLS package through nginx (issue 14.8) ------------------------------------


async def packaged_grant(fronted: Fronted) -> tuple[str, dict[str, Any]]:
    """A new item with its HLS package stored, and a grant for it."""
    media_id = str(uuid.uuid4())
    media = fronted.live.backends.objects(fronted.live.settings.media_bucket)
    await store_package(media, media_id)
    info = await media.head(f"{media_id}.mp4")
    request = item_request(media_id)
    fields = ("media_id", "object_prefix", "hls", "storyboard")
    return media_id, await fronted.live.grant(info, **{k: request[k] for k in fields})


async def test_nginx_serves_every_hls_file_with_its_type(fronted: Fronted) -> None:
    media_id, grant = await packaged_grant(fronted)

    direct = await fronted.live.http.get(fronted.live.app_url + grant["hls_url"])
    if not fronted.live.settings.s3_endpoint_url:
        bucket = fronted.live.settings.media_bucket
        assert direct.headers["x-accel-redirect"] == (
            f"/_streamstack/local/{bucket}/{media_id}/hls/master.m3u8"
        )
    for path, content_type in PLAYABLE_TYPES.items():
        url = f"{fronted.nginx_url}{grant['stream_url']}/{path}"
        response = await fronted.live.http.get(url)
        assert response.status_code == 200, (path, response.text)
        assert response.content == PACKAGE[path][0]
        assert response.headers["content-type"] == content_type, path
        assert response.headers["cache-control"] == "private, no-transform"


async def test_nginx_serves_segment_ranges_and_playlist_conditionals(fronted: Fronted) -> None:
    _, grant = await packaged_grant(fronted)
    segment = f"{fronted.nginx_url}{grant['stream_url']}/hls/240p/seg_00001.m4s"
    master = fronted.nginx_url + grant["hls_url"]

    ranged = await fronted.live.http.get(segment, headers={"Range": "bytes=10-19"})
    first = await fronted.live.http.get(master)
    again = await fronted.live.http.get(master, headers={"If-None-Match": first.headers["etag"]})
    head = await fronted.live.http.head(master)

    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == "bytes 10-19/1000"
    assert ranged.content == PATTERN[10:20]
    assert first.content == MASTER
    assert again.status_code == 304
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(MASTER))


async def test_no_path_escapes_the_prefix_through_nginx(fronted: Fronted) -> None:
    other = str(uuid.uuid4())
    await store_package(fronted.live.backends.objects(fronted.live.settings.media_bucket), other)
    _, grant = await packaged_grant(fronted)
    base = fronted.nginx_url + grant["stream_url"]

    for escape in (
        "outputs.json",
        f"hls/%2e%2e/%2e%2e/{other}.mp4",
        f"..%2F{other}%2Fhls%2Fmaster.m3u8",
        f"%2F{other}/hls/master.m3u8",
        "hls/240p/seg_00009.m4s",
    ):
        response = await fronted.live.http.get(f"{base}/{escape}")
        assert response.status_code == 404, (escape, response.status_code)
        assert response.headers["content-type"].startswith("application/json"), escape
        assert MASTER not in response.content and PATTERN not in response.content
    nul = await fronted.live.http.get(f"{base}/hls/master.m3u8%00")
    assert nul.status_code == 400  # nginx refuses an encoded NUL itself, before the service
    assert MASTER not in nul.content


# --- nginx asks the service once per token and file, not once per range (issue 15.2) ----


async def stream_requests_seen(fronted: Fronted) -> float:
    """How many requests the service has answered on its stream routes (its own metrics)."""
    text = (await fronted.live.http.get(fronted.live.app_url + "/metrics")).text
    return sum(
        float(line.rpartition(" ")[2])
        for line in text.splitlines()
        if line.startswith("streamstack_requests_total{") and "/api/v1/stream/" in line
    )


async def test_ranges_of_a_checked_token_do_not_reach_the_service(fronted: Fronted) -> None:
    url = await play_url(fronted)
    first = await fronted.live.http.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    seen = await stream_requests_seen(fronted)
    assert seen >= 1  # the first range's check was counted

    answers = [
        await fronted.live.http.get(url, headers={"Range": f"bytes={start}-{start + 99}"})
        for start in range(100, 900, 100)
    ]

    for start, answer in zip(range(100, 900, 100), answers, strict=True):
        assert answer.status_code == 206
        assert answer.content == PATTERN[start : start + 100]
    # nginx's cached check answered them (2 s); on a slow machine one more check may fall
    # due, but never one per range.
    assert await stream_requests_seen(fronted) - seen <= 1


async def test_the_check_answer_is_no_use_to_a_browser(fronted: Fronted) -> None:
    info = await fronted.live.put_media()
    path = await fronted.live.stream_url(info)

    checked = await fronted.live.http.get(
        fronted.nginx_url + path, headers={"X-Streamstack-Check": "1"}
    )

    # The header is nginx's own: a browser sending it still gets the bytes, not a target.
    assert checked.status_code == 200
    assert checked.content == PATTERN
    assert "x-streamstack-target" not in checked.headers


async def stops_within(fronted: Fronted, url: str) -> None:
    """``url`` answers 404 ``stream_token_not_found`` through nginx within the bound."""
    async with asyncio.timeout(WITHIN_SECONDS):
        while (response := await fronted.live.http.get(url)).status_code == 200:
            await asyncio.sleep(0.05)
    assert_error(response, 404, "stream_token_not_found")


async def test_a_deleted_token_stops_through_nginx_within_the_bound(fronted: Fronted) -> None:
    url = await play_url(fronted)
    assert (await fronted.live.http.get(url)).status_code == 200  # checked and cached
    ttl = fronted.live.settings.stream_token_ttl_seconds
    tokens = fronted.app.backends.kv(STREAM_TOKENS_BUCKET, ttl)

    await fronted.app.in_app(tokens.delete, url.rpartition("/")[2])

    await stops_within(fronted, url)


async def test_a_withdrawn_item_stops_through_nginx_within_the_bound(fronted: Fronted) -> None:
    media_id, grant = await packaged_grant(fronted)
    url = fronted.nginx_url + grant["hls_url"]
    assert (await fronted.live.http.get(url)).status_code == 200  # checked and cached
    await asyncio.sleep(1.05)  # tokens carry whole seconds: withdraw in a later one
    event = MediaWithdrawn(
        id=media_id,
        object_prefix=f"{media_id}/",
        s3_key=f"{media_id}.mp4",
        thumbnail_s3_key=None,
        withdrawn_at=datetime.now(UTC),
    )

    # On the app's own bus, as catalogue's relay publishes it (NATS, or in-process).
    await fronted.app.in_app(
        fronted.app.backends.events.publish,
        MEDIA_UNPUBLISHED,
        msgspec.json.encode(event),
        event_id=str(uuid.uuid4()),
    )

    await stops_within(fronted, url)


DISPOSITION = "attachment; filename=\"Caf_.mp4\"; filename*=UTF-8''Caf%C3%A9.mp4"


async def download_urls(fronted: Fronted) -> tuple[str, str]:
    """An admin's download URL and a viewer's ``<token>/original`` for a new original, both
    through nginx (asked for a download both times: streaming grants the admin alone)."""
    info = await fronted.live.put_media()
    admin = await fronted.live.grant(info, role="admin", download_name="Café.mp4")
    viewer = await fronted.live.grant(info, download_name="Café.mp4")
    assert viewer["download_url"] is None
    return fronted.nginx_url + admin[
        "download_url"
    ], f"{fronted.nginx_url}{viewer['stream_url']}/original"


async def test_nginx_serves_an_admins_download_as_an_attachment(fronted: Fronted) -> None:
    url, viewers = await download_urls(fronted)
    play = url.removesuffix("/original")

    whole = await fronted.live.http.get(url)
    rest = await fronted.live.http.get(url, headers={"Range": "bytes=600-"})
    played = await fronted.live.http.get(play)

    assert whole.status_code == 200
    assert whole.content == PATTERN
    assert whole.headers["content-disposition"] == DISPOSITION
    assert rest.status_code == 206
    assert rest.content == PATTERN[600:]
    assert rest.headers["content-disposition"] == DISPOSITION
    assert "content-disposition" not in played.headers  # the same token, played
    # Asked directly, the service's X-Accel answer names the file too (nginx keeps it).
    direct = await fronted.live.http.get(url.replace(fronted.nginx_url, fronted.live.app_url))
    assert direct.headers["x-accel-redirect"].startswith("/_streamstack/")
    assert direct.headers["content-disposition"] == DISPOSITION
    assert_error(await fronted.live.http.get(viewers), 404, "stream_file_not_found")


# --- the same snippet with STREAMSTACK_STREAMING_DELIVERY=proxy ---------------------------


@pytest.fixture(scope="module")
async def proxied(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fronted]:
    async with nginx_fronted(
        module_settings.replace(streaming_delivery="proxy"),
        tmp_path_factory.mktemp("nginx"),
        "fronts the streaming service",
    ) as proxied:
        yield proxied


async def test_proxy_delivery_streams_through_the_same_snippet(proxied: Fronted) -> None:
    url = await play_url(proxied)

    ranged = await proxied.live.http.get(url, headers={"Range": "bytes=100-199"})
    head = await proxied.live.http.head(url)
    unknown = await proxied.live.http.get(f"{proxied.nginx_url}/api/v1/stream/{'B' * 43}")

    # The check names @streamstack_proxy: the service itself answers, with its own ETag.
    assert ranged.status_code == 206
    assert ranged.content == PATTERN[100:200]
    assert ranged.headers["content-range"] == "bytes 100-199/1000"
    assert head.status_code == 200
    assert head.headers["content-length"] == "1000"
    assert_error(unknown, 404, "stream_token_not_found")


async def test_proxy_delivery_serves_a_download_once(proxied: Fronted) -> None:
    url, viewers = await download_urls(proxied)

    rest = await proxied.live.http.get(url, headers={"Range": "bytes=600-"})

    assert rest.status_code == 206
    assert rest.content == PATTERN[600:]
    # The service's own header, not doubled by nginx's.
    assert rest.headers.get_list("content-disposition") == [DISPOSITION]
    assert_error(await proxied.live.http.get(viewers), 404, "stream_file_not_found")


async def test_a_check_that_fails_is_a_json_503_not_a_500(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    nginx = require_tool("nginx", "fronts the streaming service")
    values = {  # no service behind it: the check cannot be answered
        "STREAMSTACK_STREAMING_UPSTREAM": "http://127.0.0.1:9",
        "STREAMSTACK_OBJECTS_DIR": str(tmp_path_factory.mktemp("objects")),
        "STREAMSTACK_S3_ENDPOINT": "http://127.0.0.1:9",
    }
    with nginx_in_front(nginx, tmp_path_factory.mktemp("nginx"), values) as nginx_url:
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.get(f"{nginx_url}/api/v1/stream/{'C' * 43}/hls/master.m3u8")

    assert_error(response, 503, "streaming_unavailable")


async def test_a_uri_no_stream_route_takes_is_a_json_404(fronted: Fronted) -> None:
    for path in ("/api/v1/stream/", "/api/v1/stream/thumbnails/"):
        response = await fronted.live.http.get(fronted.nginx_url + path)

        # The service's router answers the check 404; nginx makes it a refusal, not a 500.
        assert_error(response, 404, "not_found")
