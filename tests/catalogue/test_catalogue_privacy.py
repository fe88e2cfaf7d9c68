"""What each catalogue route answers viewers, on both backend kinds: an item as anyone may
see it (the fields of ``ItemShown``, exactly), never its object keys, its uploader or the
library's processing internals; an admin's answer on the same routes adds the library's
fields and still no key. ``tests/app/test_viewer_privacy.py`` checks the OpenAPI document
the same way for every route a non-admin may call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from catalogue_testing import API, admin_headers, create_item, item_body, viewer_headers

from streamstack.contracts.catalogue import CatalogueItem, ItemShown
from support.apps import AppClient, bearer, mint_token

#: What only ``MediaItem`` carries: answered by admin-only routes and to other modules.
INTERNALS = {"s3_key", "thumbnail_s3_key", "created_by"}
#: Said only about one item with chapters (where they come from): none of these has any.
WITH_CHAPTERS = {"chapters_from"}
VIEWER_FIELDS = set(ItemShown.__struct_fields__) - WITH_CHAPTERS
ADMIN_FIELDS = set(CatalogueItem.__struct_fields__) - WITH_CHAPTERS


def keys_in(value: Any) -> Iterator[str]:
    """Every key of every object in a JSON value, however deep."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_in(inner)


class Answers:
    """The items routes answered one caller, checked as they arrive."""

    def __init__(self, client: AppClient, headers: dict[str, str], secrets: list[str]) -> None:
        self.client, self.headers, self.secrets = client, headers, secrets
        self.items: list[dict[str, Any]] = []

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON, after checking that no internal key nor value is in it."""
        r = await self.client.request(method, f"{API}{path}", headers=self.headers, **kwargs)
        assert r.status_code in (200, 201), (method, path, r.text)
        assert not INTERNALS & set(keys_in(r.json())), (path, r.text)
        for secret in self.secrets:  # not under another name either
            assert secret not in r.text, (path, secret)
        return r.json()

    async def items_of(self, path: str, where: str = "items") -> None:
        """Keep the items of a list answer (``where``: its key; ``watched``: watched or
        liked rows)."""
        answer = await self.call("GET", path)
        if where == "watched":
            self.items += [row["item"] for row in answer["items"]]
        else:
            self.items += answer[where]


async def shared_items(client: AppClient) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Two published items sharing a tag, and what must not leak of them: their originals'
    object keys and their uploader's id. (A thumbnail's key, ``<id>.jpg``, is the last part
    of its public URL by design: only its field is internal.)"""
    settings = client.app.state.settings
    uploader = str(uuid.uuid4())
    headers = admin_headers(settings, uploader)
    first = await client.post(f"{API}/", json=item_body(tags=["shared"]), headers=headers)
    second = await create_item(client, settings, tags=["shared"])
    items = [first.json(), second]
    secrets = [uploader, *(item["s3_key"] for item in items)]
    return items[0], items[1], secrets


async def test_viewers_get_items_without_internals_from_every_route(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    item, other, secrets = await shared_items(catalogue_client)
    viewer = bearer(mint_token(settings, role="viewer", user_id=str(uuid.uuid4())))
    signed_in = Answers(catalogue_client, viewer, secrets)
    await signed_in.call("PUT", f"/{item['id']}/progress", json={"position_seconds": 3})
    await signed_in.call("PUT", f"/{item['id']}/like")
    playlist = await signed_in.call("POST", "/me/playlists", json={"title": "Mine"})
    for added in (item, other):
        await signed_in.call("PUT", f"/me/playlists/{playlist['id']}/items/{added['id']}")
    moved = f"/me/playlists/{playlist['id']}/items/{other['id']}"
    signed_in.items += (await signed_in.call("PATCH", moved, json={"position": 0}))["items"]
    signed_in.items.append(await signed_in.call("GET", f"/{item['id']}"))
    for path in ("/", f"/{item['id']}/related", f"/me/playlists/{playlist['id']}"):
        await signed_in.items_of(path)
    for path in ("/me/continue-watching", "/me/history", "/me/likes"):
        await signed_in.items_of(path, "watched")
    await signed_in.call("GET", "/me/playlists")
    await signed_in.call("GET", f"/{item['id']}/progress")
    await signed_in.call("POST", f"/{item['id']}/stream-token")

    anonymous = Answers(catalogue_client, {}, secrets)
    anonymous.items.append(await anonymous.call("GET", f"/{item['id']}"))
    for path in ("/", f"/{item['id']}/related", "/?q=walk"):
        await anonymous.items_of(path)

    assert len(signed_in.items) == 11 and len(anonymous.items) == 6
    for shown in (*signed_in.items, *anonymous.items):
        assert set(shown) - {"progress", "liked"} == VIEWER_FIELDS, shown


async def test_admins_get_the_librarys_fields_and_no_keys(catalogue_client: AppClient) -> None:
    """The routes viewers use answer admins the library's fields (processing detail,
    outdated …) and still no object key nor uploader: those are the admin-only routes'."""
    settings = catalogue_client.app.state.settings
    item, _, secrets = await shared_items(catalogue_client)
    admin = Answers(catalogue_client, admin_headers(settings), secrets)
    admin.items.append(await admin.call("GET", f"/{item['id']}"))
    for path in ("/?status=all", "/?processing=outdated"):
        await admin.items_of(path)
    assert len(admin.items) == 5
    for shown in admin.items:
        assert set(shown) - {"progress", "liked"} == ADMIN_FIELDS, shown
    # Related items are what a viewer would be offered: the viewers' shape for everyone.
    related = await admin.call("GET", f"/{item['id']}/related")
    assert [set(shown) for shown in related["items"]] == [VIEWER_FIELDS]


async def test_the_admin_routes_answer_the_item_whole(catalogue_client: AppClient) -> None:
    """What the library's edits need of an item (and ingest's answers carry) stays there."""
    settings = catalogue_client.app.state.settings
    item = await create_item(catalogue_client, settings)
    assert item["s3_key"] == f"{item['id']}.mp4"
    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"title": "Renamed"}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    assert {key: r.json()[key] for key in INTERNALS} == {key: item[key] for key in INTERNALS}


async def test_a_draft_is_refused_as_a_missing_item_is(catalogue_client: AppClient) -> None:
    """Error answers tell a viewer nothing more: a draft's 404 is a missing item's, word
    for word (neither its existence nor its keys)."""
    settings = catalogue_client.app.state.settings
    draft = await create_item(catalogue_client, settings, publish=False)
    missing = str(uuid.uuid4())
    for headers in ({}, viewer_headers(settings)):
        for path in ("", "/related"):
            refused = await catalogue_client.get(f"{API}/{draft['id']}{path}", headers=headers)
            absent = await catalogue_client.get(f"{API}/{missing}{path}", headers=headers)
            assert refused.status_code == absent.status_code == 404
            assert {**refused.json(), "request_id": ""} == {**absent.json(), "request_id": ""}
            assert draft["s3_key"] not in refused.text
