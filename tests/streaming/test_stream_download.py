"""An admin's stream token downloads its item's original as a file (``<token>/original``).

The same delivery as play (ranges, validators, no whole-file read), plus
``Content-Disposition: attachment`` with the name catalogue made of the title. A viewer's
token never downloads (not even when a caller asks for it), and a token downloads its own
item's original alone.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from jose import jwt
from streaming_rig import PATTERN, StreamRig, assert_error, item_request, store_package, withdraw

from streamstack.contracts.catalogue import MEDIA_DELETED
from streamstack.contracts.streaming import ORIGINAL_PATH, content_disposition, download_name
from streamstack.kernel.clock import utcnow
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.streaming.sessions import RECHECK_SECONDS

NAME = "Café at dusk.mp4"
DISPOSITION = (
    "attachment; filename=\"Caf_ at dusk.mp4\"; filename*=UTF-8''Caf%C3%A9%20at%20dusk.mp4"
)


async def item_grant(
    rig: StreamRig, *, role: str = "admin", access_token: str | None = None, **item: Any
) -> tuple[str, dict[str, Any]]:
    """A new packaged item and a grant for it, asked for a download as catalogue asks it
    for an admin; the item's id and the answer."""
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    request = {**item_request(media_id), "download_name": NAME, **item}
    response = await rig.issue(
        request.pop("s3_key"),
        request.pop("size_bytes"),
        media_id=request.pop("media_id"),
        access_token=access_token or rig.user_token(role=role),
        **request,
    )
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return media_id, grant


async def test_an_admin_downloads_the_exact_bytes_as_a_named_file(rig: StreamRig) -> None:
    _, grant = await item_grant(rig)
    assert grant["download_url"] == f"{grant['stream_url']}/{ORIGINAL_PATH}"

    response = await rig.client.get(grant["download_url"])
    head = await rig.client.head(grant["download_url"])

    assert response.status_code == 200, response.text
    assert response.content == PATTERN
    assert response.headers["content-disposition"] == DISPOSITION
    assert response.headers["content-length"] == str(len(PATTERN))
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "private, no-transform"
    assert head.status_code == 200
    assert head.headers["content-disposition"] == DISPOSITION
    assert head.headers["etag"] == response.headers["etag"]
    # Playing the same token saves nothing: only the download is an attachment.
    assert "content-disposition" not in (await rig.client.get(grant["stream_url"])).headers


async def test_a_download_resumes_with_a_range(rig: StreamRig) -> None:
    _, grant = await item_grant(rig)
    etag = (await rig.client.head(grant["download_url"])).headers["etag"]

    rest = await rig.client.get(
        grant["download_url"], headers={"Range": "bytes=600-", "If-Range": etag}
    )
    stale = await rig.client.get(
        grant["download_url"], headers={"Range": "bytes=600-", "If-Range": '"other"'}
    )
    beyond = await rig.client.get(
        grant["download_url"], headers={"Range": f"bytes={len(PATTERN)}-"}
    )

    assert rest.status_code == 206, rest.text
    assert rest.content == PATTERN[600:]
    assert rest.headers["content-range"] == f"bytes 600-{len(PATTERN) - 1}/{len(PATTERN)}"
    assert rest.headers["content-disposition"] == DISPOSITION
    assert (stale.status_code, stale.content) == (200, PATTERN)  # changed: all of it again
    assert_error(beyond, 416)
    assert beyond.headers["content-range"] == f"bytes */{len(PATTERN)}"


async def test_a_viewers_token_never_downloads(rig: StreamRig) -> None:
    """Even when the caller asks for a download (as catalogue never does for a viewer)."""
    _, grant = await item_grant(rig, role="viewer")

    assert grant["download_url"] is None
    refused = await rig.client.get(f"{grant['stream_url']}/{ORIGINAL_PATH}")
    assert_error(refused, 404, "stream_file_not_found")
    assert (await rig.client.head(f"{grant['stream_url']}/{ORIGINAL_PATH}")).status_code == 404
    assert (await rig.client.get(grant["hls_url"])).status_code == 200  # it still plays


async def test_an_admin_grant_not_asked_for_a_download_has_none(rig: StreamRig) -> None:
    _, grant = await item_grant(rig, download_name=None)

    assert grant["download_url"] is None
    refused = await rig.client.get(f"{grant['stream_url']}/{ORIGINAL_PATH}")
    assert_error(refused, 404, "stream_file_not_found")


async def test_a_token_downloads_its_own_items_original_alone(rig: StreamRig) -> None:
    _, grant_a = await item_grant(rig)
    media_b, _ = await item_grant(rig)
    other = b"B's original"
    await rig.put_media(other, key=f"{media_b}.mp4")  # B's original differs from A's

    assert (await rig.client.get(grant_a["download_url"])).content == PATTERN
    for path in (
        f"{ORIGINAL_PATH}/../../{media_b}.mp4",
        f"{ORIGINAL_PATH}/{media_b}",
        f"../{media_b}/{ORIGINAL_PATH}",
        f"%2e%2e/{media_b}.mp4",
        f"{ORIGINAL_PATH}.mp4",
        f"{ORIGINAL_PATH}%00",
    ):
        response = await rig.client.get(f"{grant_a['stream_url']}/{path}")
        assert response.status_code == 404, (path, response.text)


@pytest.mark.parametrize(
    "name", ["../evil.mp4", "a/b.mp4", 'quote".mp4', "pipe|.mp4", "nl\n.mp4", ".hidden", ""]
)
async def test_a_download_name_that_is_no_safe_file_name_is_refused(
    rig: StreamRig, name: str
) -> None:
    media_id = str(uuid.uuid4())
    request = {**item_request(media_id), "download_name": name}

    response = await rig.issue(
        request.pop("s3_key"),
        request.pop("size_bytes"),
        media_id=request.pop("media_id"),
        access_token=rig.user_token(role="admin"),
        **request,
    )

    assert_error(response, 400)


async def test_a_revoked_admins_download_stops(rig: StreamRig) -> None:
    access = rig.user_token(role="admin")
    _, grant = await item_grant(rig, access_token=access)
    assert (await rig.client.get(grant["download_url"])).status_code == 200
    revocations = RevocationList(rig.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))

    await rig.in_app(revocations.revoke, jwt.get_unverified_claims(access)["jti"])

    async with asyncio.timeout(RECHECK_SECONDS + 5):
        while (response := await rig.client.get(grant["download_url"])).status_code == 200:
            await asyncio.sleep(0.1)
    assert_error(response, 404, "stream_token_not_found")


async def test_an_expired_admin_token_downloads_nothing(rig: StreamRig) -> None:
    """A grant ends with the access token it was issued to (a forged token is no better)."""
    _, grant = await item_grant(rig, access_token=rig.user_token(role="admin", ttl_seconds=2))
    assert (await rig.client.get(grant["download_url"])).status_code == 200

    await asyncio.sleep(2.1)

    assert_error(await rig.client.get(grant["download_url"]), 404, "stream_token_not_found")
    forged = f"{grant['stream_url']}x/{ORIGINAL_PATH}"
    assert_error(await rig.client.get(forged), 404, "stream_token_not_found")


async def test_a_deleted_items_download_is_refused(rig: StreamRig) -> None:
    media_id, grant = await item_grant(rig)
    _, bystander = await item_grant(rig)

    await withdraw(rig, MEDIA_DELETED, media_id, utcnow() + timedelta(seconds=2))

    assert_error(await rig.client.get(grant["download_url"]), 404, "stream_token_not_found")
    assert (await rig.client.get(bystander["download_url"])).content == PATTERN


async def test_a_download_whose_original_is_gone_is_a_404(rig: StreamRig) -> None:
    media_id, grant = await item_grant(rig)

    await rig.in_app(rig.media.delete, f"{media_id}.mp4")

    assert_error(await rig.client.get(grant["download_url"]), 404)


def test_the_disposition_names_non_ascii_titles_by_rfc_6266() -> None:
    assert content_disposition("plain.mp4") == 'attachment; filename="plain.mp4"'
    assert content_disposition(NAME) == DISPOSITION


def test_a_title_ending_with_the_extension_is_not_given_it_twice() -> None:
    """A title "bad cutfs.mp4" downloaded as "bad cutfs.mp4.mp4"."""
    assert download_name("bad cutfs.mp4", "m/originals/u.mp4") == "bad cutfs.mp4"
    assert download_name("Holiday.MP4", "m/originals/u.mp4") == "Holiday.MP4"
    assert download_name("Holiday", "m/originals/u.mp4") == "Holiday.mp4"
    assert download_name("notes.mp4", "m/originals/u.mkv") == "notes.mp4.mkv"
