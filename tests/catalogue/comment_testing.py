"""What the comment tests share: named accounts, items, a comment or reply posted,
refusals."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from catalogue_testing import API, create_item

from support.apps import AppClient, bearer, mint_token

Client = AppClient


def person(
    client: Client, name: str | None = "Ada", *, role: str = "viewer", **claims: Any
) -> tuple[str, dict[str, str]]:
    """A fresh account and its Authorization, its token naming it ``name``."""
    user_id = str(uuid.uuid4())
    token = mint_token(client.app.state.settings, user_id=user_id, role=role, name=name, **claims)
    return user_id, bearer(token)


async def item(client: Client, **overrides: Any) -> str:
    """A new published item's id."""
    return str((await create_item(client, client.app.state.settings, **overrides))["id"])


async def post(client: Client, item_id: str, headers: dict[str, str], body: str) -> Any:
    """The comment ``headers``'s account posts on the item (which must be taken)."""
    r = await client.post(f"{API}/{item_id}/comments", json={"body": body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def reply(client: Client, comment: Any, headers: dict[str, str], body: str) -> Any:
    """The reply ``headers``'s account posts to ``comment`` (as posted; must be taken)."""
    r = await client.post(
        f"{API}/{comment['item_id']}/comments",
        json={"body": body, "reply_to": comment["id"]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def bodies(answer: Any) -> list[str]:
    """The texts of a page's comments, in its order."""
    return [comment["body"] for comment in answer["comments"]]


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    """``r`` is the JSON refusal ``status`` ``code``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["code"] == code, r.text
