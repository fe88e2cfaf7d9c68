"""What the playlist tests share: accounts, items, and a playlist's calls that must succeed."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from catalogue_testing import API, create_item

from streamstack.catalogue.models import PlaylistRow
from support.apps import AppClient, bearer, mint_token

Client = AppClient
PLAYLISTS = f"{API}/me/playlists"


def user(client: Client, role: str = "viewer") -> tuple[str, dict[str, str]]:
    """A fresh account id and its Authorization header."""
    user_id = str(uuid.uuid4())
    return user_id, bearer(mint_token(client.app.state.settings, user_id=user_id, role=role))


async def items(client: Client, count: int, **overrides: Any) -> list[str]:
    """The ids of ``count`` new published items."""
    settings = client.app.state.settings
    return [
        (await create_item(client, settings, title=f"Clip {n}", **overrides))["id"]
        for n in range(count)
    ]


async def new_playlist(client: Client, headers: dict[str, str], title: str = "Later") -> str:
    r = await client.post(f"{PLAYLISTS}/", json={"title": title}, headers=headers)
    assert r.status_code == 201, r.text
    playlist_id: str = r.json()["id"]
    return playlist_id


async def add(client: Client, headers: dict[str, str], playlist_id: str, *item_ids: str) -> Any:
    answer = None
    for item_id in item_ids:
        r = await client.put(f"{PLAYLISTS}/{playlist_id}/items/{item_id}", headers=headers)
        assert r.status_code == 200, r.text
        answer = r.json()
    return answer


async def shown(client: Client, headers: dict[str, str], playlist_id: str) -> list[str]:
    """The ids of the items the playlist shows the caller, in order."""
    r = await client.get(f"{PLAYLISTS}/{playlist_id}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["item_count"] == len(r.json()["items"])
    return [item["id"] for item in r.json()["items"]]


async def mine(client: Client, headers: dict[str, str], **params: Any) -> Any:
    r = await client.get(f"{PLAYLISTS}/", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def playlist_rows(user_id: str, count: int, now: datetime.datetime) -> list[PlaylistRow]:
    """``count`` empty playlists of ``user_id``, to write straight to the store."""
    return [
        PlaylistRow(
            id=uuid.uuid4(),
            user_id=uuid.UUID(user_id),
            title=f"P{n}",
            description="",
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
