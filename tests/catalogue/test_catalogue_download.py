"""Download original: an admin's stream token for an item (a draft or a published one)
downloads its original as a file named from its title; a viewer's never does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from catalogue_testing import (
    API,
    admin_headers,
    create_item,
    put_object,
    viewer_headers,
)

from support.apps import AppClient

ORIGINAL = bytes(range(256)) * 40


async def stored_item(client: AppClient, **overrides: Any) -> dict[str, Any]:
    """A new item whose original is stored."""
    settings = client.app.state.settings
    item = await create_item(client, settings, size_bytes=len(ORIGINAL), **overrides)
    await put_object(settings, item["s3_key"], ORIGINAL)
    return item


async def ask_grant(client: AppClient, item_id: str, *, admin: bool = True) -> httpx.Response:
    """``POST …/stream-token`` for the item, as an admin or a viewer."""
    settings = client.app.state.settings
    headers = admin_headers(settings) if admin else viewer_headers(settings)
    return await client.post(f"{API}/{item_id}/stream-token", headers=headers)


@pytest.mark.parametrize("publish", [False, True])
async def test_an_admin_downloads_the_original_named_from_the_title(
    catalogue_client: AppClient, publish: bool
) -> None:
    item = await stored_item(catalogue_client, title='Ducks / "at" dawn', publish=publish)
    # A draft is withdrawn as it is made, and tokens carry whole seconds: one issued in
    # that same second would be refused (the player would ask again), so ask in the next.
    await asyncio.sleep(1)

    grant = await ask_grant(catalogue_client, item["id"])
    assert grant.status_code == 200, grant.text
    url = grant.json()["download_url"]
    whole = await catalogue_client.get(url)
    rest = await catalogue_client.get(url, headers={"Range": "bytes=10000-"})

    assert url == f"{grant.json()['stream_url']}/original"
    assert whole.status_code == 200, whole.text
    assert whole.content == ORIGINAL
    assert whole.headers["content-disposition"] == 'attachment; filename="Ducks at dawn.mp4"'
    assert rest.status_code == 206
    assert rest.content == ORIGINAL[10000:]


async def test_a_viewers_token_downloads_nothing(catalogue_client: AppClient) -> None:
    item = await stored_item(catalogue_client)

    grant = await ask_grant(catalogue_client, item["id"], admin=False)

    assert grant.status_code == 200, grant.text
    assert grant.json()["download_url"] is None
    refused = await catalogue_client.get(f"{grant.json()['stream_url']}/original")
    assert refused.status_code == 404
    assert refused.json()["code"] == "stream_file_not_found"


async def test_a_deleted_items_original_is_not_downloaded(catalogue_client: AppClient) -> None:
    item = await stored_item(catalogue_client)
    url = (await ask_grant(catalogue_client, item["id"])).json()["download_url"]

    deleted = await catalogue_client.delete(
        f"{API}/{item['id']}", headers=admin_headers(catalogue_client.app.state.settings)
    )
    assert deleted.status_code == 204, deleted.text

    assert (await ask_grant(catalogue_client, item["id"])).status_code == 404
    assert (await ask_grant(catalogue_client, str(uuid.uuid4()))).status_code == 404
    async with asyncio.timeout(5):  # the take-down reaches streaming within 5 s
        while (response := await catalogue_client.get(url)).status_code == 200:
            await asyncio.sleep(0.05)
    assert response.status_code == 404
    assert response.json()["code"] == "stream_token_not_found"
