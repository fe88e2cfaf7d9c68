"""Every catalogue route on both backend kinds: what it answers, and to whom."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from catalogue_testing import (
    API,
    admin_headers,
    create_item,
    item_body,
    shown,
    viewed,
    viewer_headers,
)

from streamstack.settings import Settings
from support.apps import AppClient, bearer, mint_token

Client = AppClient


def settings_of(client: Client) -> Settings:
    return client.app.state.settings


async def test_an_admin_registers_an_item_and_anyone_can_read_it(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    admin_id = str(uuid.uuid4())
    body = item_body(tags=["Nature", "  Slow   TV ", "nature"])
    r = await catalogue_client.post(f"{API}/", json=body, headers=admin_headers(settings, admin_id))
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["id"] == body["id"]
    assert item["status"] == "published"
    assert item["tags"] == ["nature", "slow tv"]
    assert item["created_by"] == admin_id
    assert item["thumbnail_url"] == f"/api/v1/stream/thumbnails/{body['id']}.jpg"
    assert item["published_at"] == item["created_at"] == item["updated_at"]
    for field in ("title", "s3_key", "size_bytes", "content_type", "description", "fps"):
        assert item[field] == body[field]
    datetime.fromisoformat(item["created_at"])

    for headers, admin in (({}, False), (viewer_headers(settings), False)):
        r = await catalogue_client.get(f"{API}/{body['id']}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == (viewed if headers else shown)(item, admin=admin)
    r = await catalogue_client.get(f"{API}/{body['id']}", headers=admin_headers(settings))
    assert r.json() == viewed(item, admin=True)
    r = await catalogue_client.get(f"{API}/")
    assert r.status_code == 200
    assert r.json() == {"items": [shown(item, admin=False)], "total": 1, "page": 1, "page_size": 20}


async def test_without_a_thumbnail_there_is_no_thumbnail_url(catalogue_client: Client) -> None:
    item = await create_item(catalogue_client, settings_of(catalogue_client), thumbnail_s3_key=None)
    assert item["thumbnail_s3_key"] is None
    assert item["thumbnail_url"] is None


async def test_drafts_are_seen_by_admins_only(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    draft = await create_item(catalogue_client, settings, publish=False, title="Draft")
    live = await create_item(catalogue_client, settings, title="Live")
    assert draft["status"] == "draft"
    assert draft["published_at"] is None

    for headers in ({}, viewer_headers(settings)):
        r = await catalogue_client.get(f"{API}/{draft['id']}", headers=headers)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
        # A non-admin asking for drafts gets the published list, as the SPA expects.
        for status in ("published", "draft", "all"):
            r = await catalogue_client.get(f"{API}/", params={"status": status}, headers=headers)
            assert [i["id"] for i in r.json()["items"]] == [live["id"]]

    admin = admin_headers(settings)
    r = await catalogue_client.get(f"{API}/{draft['id']}", headers=admin)
    assert r.status_code == 200
    assert r.json() == viewed(draft, admin=True)
    listed = {}
    for status in ("published", "draft", "all"):
        r = await catalogue_client.get(f"{API}/", params={"status": status}, headers=admin)
        assert r.status_code == 200
        listed[status] = [i["id"] for i in r.json()["items"]]
    assert listed == {
        "published": [live["id"]],
        "draft": [draft["id"]],
        "all": [live["id"], draft["id"]],  # newest first
    }


async def test_search_filters_sorts_and_pages(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    made = [
        await create_item(
            catalogue_client, settings, title="Bravo owl", tags=["birds"], duration_seconds=30
        ),
        await create_item(
            catalogue_client,
            settings,
            title="alpha river",
            description="Salmon JUMPING upstream",
            tags=["fish"],
            duration_seconds=5,
        ),
        await create_item(
            catalogue_client,
            settings,
            title="Charlie 100% cotton_fields",
            tags=["farming"],
            duration_seconds=None,
        ),
        await create_item(
            catalogue_client,
            settings,
            title="delta",
            tags=["birds", "Night Life"],
            duration_seconds=60,
        ),
        await create_item(catalogue_client, settings, title="Echo hidden", publish=False),
    ]
    bravo, alpha, charlie, delta, _draft = (item["id"] for item in made)

    async def ids(**params: Any) -> list[str]:
        r = await catalogue_client.get(f"{API}/", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] >= len(page["items"])
        return [item["id"] for item in page["items"]]

    assert await ids() == [delta, charlie, alpha, bravo]
    assert await ids(sort="newest") == [delta, charlie, alpha, bravo]
    assert await ids(sort="oldest") == [bravo, alpha, charlie, delta]
    assert await ids(sort="title") == [alpha, bravo, charlie, delta]
    assert await ids(sort="duration") == [alpha, bravo, delta, charlie]  # unknown last

    assert await ids(q="OWL") == [bravo]
    assert await ids(q="jumping") == [alpha]  # description
    assert await ids(q="night life") == [delta]  # tag
    assert await ids(q="  river ") == [alpha]
    assert await ids(q="100%") == [charlie]  # LIKE wildcards are literal
    assert await ids(q="0_f") == []
    assert await ids(q="_") == [charlie]
    assert await ids(q="hidden") == []  # drafts never leak through search
    assert await ids(q="") == [delta, charlie, alpha, bravo]

    assert await ids(tag="birds") == [delta, bravo]
    assert await ids(tag="BIRDS", sort="title") == [bravo, delta]
    assert await ids(tag="night  life") == [delta]
    assert await ids(tag="bird") == []
    assert await ids(tag="birds", q="owl") == [bravo]

    r = await catalogue_client.get(f"{API}/", params={"page_size": 3, "sort": "title"})
    assert r.json()["total"] == 4
    assert [i["id"] for i in r.json()["items"]] == [alpha, bravo, charlie]
    r = await catalogue_client.get(f"{API}/", params={"page_size": 3, "page": 2, "sort": "title"})
    assert r.json() == {"items": r.json()["items"], "total": 4, "page": 2, "page_size": 3}
    assert [i["id"] for i in r.json()["items"]] == [delta]
    r = await catalogue_client.get(f"{API}/", params={"page": 50})
    assert r.json()["items"] == []
    assert r.json()["total"] == 4


async def test_patch_edits_publishes_and_unpublishes(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings, publish=False, tags=["old"])
    url = f"{API}/{item['id']}"

    r = await catalogue_client.patch(
        url,
        json={"title": "  New title ", "description": "New words", "tags": ["Fresh", "new"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["title"], edited["description"], edited["tags"]) == (
        "New title",
        "New words",
        ["fresh", "new"],
    )
    assert edited["status"] == "draft"
    assert edited["updated_at"] > item["updated_at"]
    assert edited["created_at"] == item["created_at"]
    assert (await catalogue_client.get(url, headers=admin)).json() == viewed(edited, admin=True)

    r = await catalogue_client.patch(url, json={"status": "published"}, headers=admin)
    assert r.status_code == 200
    published = r.json()
    assert published["status"] == "published"
    assert published["published_at"] is not None
    assert published["title"] == "New title"
    listed = (await catalogue_client.get(f"{API}/", params={"tag": "fresh"})).json()["items"]
    assert listed == [shown(published, admin=False)]
    assert (await catalogue_client.get(f"{API}/", params={"tag": "old"})).json()["items"] == []
    assert (await catalogue_client.get(f"{API}/", params={"q": "new words"})).json()["total"] == 1

    r = await catalogue_client.patch(url, json={"tags": []}, headers=admin)
    assert r.json()["tags"] == []
    assert r.json()["published_at"] == published["published_at"]  # still live, same date

    r = await catalogue_client.patch(url, json={"status": "draft"}, headers=admin)
    assert r.json()["status"] == "draft"
    assert r.json()["published_at"] == published["published_at"]  # when it first went public
    assert (await catalogue_client.get(url)).status_code == 404

    r = await catalogue_client.patch(f"{API}/{uuid.uuid4()}", json={"title": "x"}, headers=admin)
    assert r.status_code == 404


async def test_delete_removes_the_item_and_its_tags(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    keep = await create_item(catalogue_client, settings, tags=["shared"])
    gone = await create_item(catalogue_client, settings, tags=["shared", "doomed"], publish=False)

    r = await catalogue_client.delete(f"{API}/{gone['id']}", headers=admin)
    assert r.status_code == 204
    assert r.content == b""
    assert (await catalogue_client.get(f"{API}/{gone['id']}", headers=admin)).status_code == 404
    r = await catalogue_client.get(
        f"{API}/", params={"status": "all", "tag": "shared"}, headers=admin
    )
    assert [i["id"] for i in r.json()["items"]] == [keep["id"]]
    r = await catalogue_client.get(
        f"{API}/", params={"status": "all", "tag": "doomed"}, headers=admin
    )
    assert r.json()["total"] == 0
    r = await catalogue_client.delete(f"{API}/{gone['id']}", headers=admin)
    assert r.status_code == 404
    # The id is free again: ingest may register the same object anew.
    again = await create_item(catalogue_client, settings, id=gone["id"])
    assert again["id"] == gone["id"]


async def test_an_existing_id_is_a_conflict(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    item = await create_item(catalogue_client, settings)
    r = await catalogue_client.post(
        f"{API}/", json=item_body(id=item["id"], title="Other"), headers=admin_headers(settings)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "media_item_exists"
    assert (await catalogue_client.get(f"{API}/{item['id']}")).json()["title"] == item["title"]


async def test_writes_need_an_admin_and_a_valid_token(catalogue_client: Client) -> None:
    settings = settings_of(catalogue_client)
    item = await create_item(catalogue_client, settings)
    url = f"{API}/{item['id']}"
    writes = [
        ("POST", f"{API}/", item_body()),
        ("PATCH", url, {"title": "Hijacked"}),
        ("DELETE", url, None),
    ]
    bad_tokens = {
        "expired": bearer(mint_token(settings, role="admin", ttl_seconds=-10)),
        "refresh token": bearer(mint_token(settings, role="admin", typ="refresh")),
        "garbage": bearer("not.a.jwt"),
        "wrong audience": bearer(mint_token(settings, role="admin", aud="elsewhere")),
    }
    for method, path, body in writes:
        r = await catalogue_client.request(method, path, json=body)
        assert r.status_code == 401, (method, r.text)
        assert r.headers["www-authenticate"].lower().startswith("bearer")
        r = await catalogue_client.request(
            method, path, json=body, headers=viewer_headers(settings)
        )
        assert r.status_code == 403, (method, r.text)
        assert r.json()["code"] == "forbidden"
        for name, headers in bad_tokens.items():
            r = await catalogue_client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (method, name, r.text)
    # Reads are public, but a token that is sent must be valid.
    for name, headers in bad_tokens.items():
        r = await catalogue_client.get(url, headers=headers)
        assert r.status_code == 401, (name, r.text)
    r = await catalogue_client.get(url)
    assert r.json() == shown(item, admin=False)
    assert (await catalogue_client.get(f"{API}/")).json()["total"] == 1


async def test_a_stream_token_needs_a_signed_in_user_and_a_visible_item(
    catalogue_client: Client,
) -> None:
    settings = settings_of(catalogue_client)
    draft = await create_item(catalogue_client, settings, publish=False)
    live = await create_item(catalogue_client, settings)
    r = await catalogue_client.post(f"{API}/{live['id']}/stream-token")
    assert r.status_code == 401
    r = await catalogue_client.post(
        f"{API}/{draft['id']}/stream-token", headers=viewer_headers(settings)
    )
    assert r.status_code == 404
    r = await catalogue_client.post(
        f"{API}/{uuid.uuid4()}/stream-token", headers=viewer_headers(settings)
    )
    assert r.status_code == 404


async def test_the_routes_are_documented(catalogue_client: Client) -> None:
    r = await catalogue_client.get("/api/docs/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"get", "post"} <= set(paths[f"{API}"]) | set(paths.get(f"{API}/", {}))
    assert {"get", "patch", "delete"} <= set(paths[f"{API}/{{item_id}}"])
    assert "post" in paths[f"{API}/{{item_id}}/stream-token"]
