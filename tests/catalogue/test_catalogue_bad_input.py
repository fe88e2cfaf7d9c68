"""What an attacker or a confused client sends gets a 4xx JSON error and changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from catalogue_testing import API, admin_headers, create_item, item_body, shown, viewer_headers

from support.apps import AppClient

Client = AppClient

LIST_QUERIES: list[tuple[dict[str, Any], int]] = [
    ({"page_size": 0}, 400),
    ({"page_size": 10_000}, 400),
    ({"page_size": 101}, 400),
    ({"page_size": -5}, 400),
    ({"page_size": "ten"}, 400),
    ({"page_size": "1.5"}, 400),
    ({"page": 0}, 400),
    ({"page": -1}, 400),
    ({"page": "1.5"}, 400),
    ({"page": 10**30}, 400),
    ({"page": 100_001}, 400),
    ({"sort": "price"}, 400),
    ({"sort": ""}, 400),
    ({"sort": "NEWEST"}, 400),
    ({"sort": "title; DROP TABLE media_items"}, 400),
    ({"status": "deleted"}, 400),
    ({"q": "x" * 201}, 400),
    ({"q": "a\x00b"}, 400),
    ({"q": "line\nbreak"}, 400),
    ({"tag": "t" * 41}, 400),
    ({"tag": "\x7f"}, 400),
]

BAD_CREATE_BODIES: list[tuple[Any, str]] = [
    ({}, "nothing"),
    ([], "an array"),
    ("title", "a string"),
    (None, "null"),
    ({k: v for k, v in item_body().items() if k != "title"}, "no title"),
    (item_body(title=""), "empty title"),
    (item_body(title="   "), "blank title"),
    (item_body(title="t" * 201), "long title"),
    (item_body(title="two\nlines"), "control character"),
    (item_body(title="two\u2028lines"), "line separator"),
    (item_body(title="csi\x9b"), "C1 control character"),
    (item_body(title=7), "title of the wrong type"),
    (item_body(description="d" * 5001), "long description"),
    (item_body(description="nul\x00byte"), "NUL byte"),
    (item_body(size_bytes=-1), "negative size"),
    (item_body(size_bytes="twelve"), "size as words"),
    (item_body(size_bytes=2**70), "absurd size"),
    (item_body(size_bytes=1.5), "fractional size"),
    (item_body(s3_key="../../etc/passwd"), "escaping key"),
    (item_body(s3_key="/absolute.mp4"), "absolute key"),
    (item_body(s3_key=""), "empty key"),
    (item_body(s3_key="k" * 1025), "long key"),
    (item_body(thumbnail_s3_key="..\\win.jpg"), "escaping thumbnail key"),
    (item_body(content_type="not a type"), "bad content type"),
    (item_body(content_type=""), "empty content type"),
    (item_body(tags="nature"), "tags as a string"),
    (item_body(tags=[f"t{i}" for i in range(21)]), "too many tags"),
    (item_body(tags=["x" * 41]), "long tag"),
    (item_body(tags=["  "]), "blank tag"),
    (item_body(tags=[""]), "empty tag"),
    (item_body(tags=[None]), "null tag"),
    (item_body(tags=["one,two"]), "a comma in a tag (the edit form would split it)"),
    (item_body(width=0), "zero width"),
    (item_body(height=-720), "negative height"),
    (item_body(fps=0), "zero fps"),
    (item_body(duration_seconds=-1), "negative duration"),
    (item_body(duration_seconds="long"), "duration as text"),
    (item_body(video_codec="h 264"), "codec with a space"),
    (item_body(id="not-a-uuid"), "malformed id"),
    (item_body(id=12), "numeric id"),
    (item_body(publish="yes"), "publish as text"),
    (item_body(status="published"), "unknown field"),
    (item_body(processing_state="queued"), "queued with no job behind it"),
    (item_body(processing_state="ready"), "ready with no package"),
    (item_body(chapters="0:00 Intro"), "chapters as text"),
    (item_body(chapters=[{"start_seconds": -1, "title": "Before"}]), "chapter before the start"),
    (item_body(chapters=[{"start_seconds": 0, "title": ""}]), "untitled chapter"),
    (item_body(chapters=[{"start_seconds": 0, "title": "a\nb"}]), "chapter over two lines"),
    (item_body(chapters=[{"start_seconds": 0, "title": "t" * 201}]), "long chapter title"),
    (item_body(chapters=[{"start_seconds": 0}]), "chapter without a title"),
    (item_body(chapters=[{"start_seconds": i, "title": "c"} for i in range(501)]), "501 chapters"),
]

BAD_PATCH_BODIES: list[tuple[Any, str]] = [
    ({}, "nothing to change"),
    ([], "an array"),
    ({"title": None}, "null title"),
    ({"title": ""}, "empty title"),
    ({"title": "   "}, "blank title"),
    ({"title": "t" * 201}, "long title"),
    ({"status": "archived"}, "unknown status"),
    ({"status": True}, "status of the wrong type"),
    ({"tags": ["ok", "  "]}, "blank tag"),
    ({"tags": "x"}, "tags as a string"),
    ({"tags": ["ok", "one,two"]}, "a comma in a tag"),
    ({"s3_key": "media/other.mp4"}, "a field that cannot be edited"),
    ({"description": "\x00"}, "NUL byte"),
]


async def assert_4xx(r: Any, expected: int | None = None) -> dict[str, Any]:
    assert 400 <= r.status_code < 500, (r.status_code, r.request.content[:200], r.text)
    if expected is not None:
        assert r.status_code == expected, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"status", "code", "detail", "request_id"}
    assert body["status"] == r.status_code
    return body


async def test_bad_list_queries_are_refused(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    await create_item(catalogue_client, settings)
    for params, status in LIST_QUERIES:
        r = await catalogue_client.get(f"{API}/", params=params, headers=admin_headers(settings))
        body = await assert_4xx(r, status)
        assert body["code"] == "validation_error", (params, body)
    # Odd but harmless input still answers normally.
    for params in ({"q": "%_\\'\""}, {"q": "\u00e9t\u00e9 \U0001f600"}, {"tag": "'; --"}):
        r = await catalogue_client.get(f"{API}/", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 0
    r = await catalogue_client.get(f"{API}/?q=%ff%fe")  # not UTF-8
    assert r.status_code == 200


async def test_malformed_ids_are_404_on_every_route(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    for bad in ("not-a-uuid", "1", "..%2F..%2Fetc", "x" * 5000, "%00", str(uuid.uuid4())[:-1]):
        for method, path in (
            ("GET", f"{API}/{bad}"),
            ("PATCH", f"{API}/{bad}"),
            ("DELETE", f"{API}/{bad}"),
            ("POST", f"{API}/{bad}/stream-token"),
        ):
            r = await catalogue_client.request(method, path, json={"title": "x"}, headers=admin)
            await assert_4xx(r, 404)


async def test_bad_create_bodies_are_refused_and_nothing_is_stored(
    catalogue_client: Client,
) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    for body, why in BAD_CREATE_BODIES:
        r = await catalogue_client.post(f"{API}/", json=body, headers=admin)
        assert r.status_code == 400, (why, r.text)
        error = await assert_4xx(r)
        assert error["code"] in ("validation_error", "invalid_object_key"), (why, error)
    for raw, content_type in (
        (b"{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"title": "\\ud800"}', "application/json"),
        (b"title=x", "application/x-www-form-urlencoded"),
    ):
        r = await catalogue_client.post(
            f"{API}/", content=raw, headers={**admin, "Content-Type": content_type}
        )
        await assert_4xx(r, 400)
    r = await catalogue_client.get(f"{API}/", params={"status": "all"}, headers=admin)
    assert r.json()["total"] == 0


async def test_an_item_cannot_name_another_items_objects(catalogue_client: Client) -> None:
    """Deleting an item deletes the objects it names: one naming another item's original or
    thumbnail (or none of its own, with no id given) would delete the other's files."""
    admin = admin_headers(catalogue_client.app.state.settings)
    victim = await catalogue_client.post(f"{API}/", json=item_body(), headers=admin)
    assert victim.status_code == 201, victim.text
    theirs = victim.json()
    for overrides in (
        {"s3_key": theirs["s3_key"]},
        {"thumbnail_s3_key": theirs["thumbnail_s3_key"]},
        {"s3_key": f"{theirs['id']}/hls/master.m3u8"},
        {"s3_key": f"{theirs['id']}.mp4/x"},
        {"s3_key": "originals/clip.mp4"},
        {"s3_key": f"{theirs['id']}"},
    ):
        r = await catalogue_client.post(f"{API}/", json=item_body(**overrides), headers=admin)
        error = await assert_4xx(r, 400)
        assert error["code"] == "foreign_object_key", (overrides, error)
        # What the key must be, and how a video is added: not how to pass this check.
        assert error["detail"].endswith("to add a video, upload it (POST /api/v1/ingest/uploads)")
    # No id: one is chosen, which no key can name yet.
    body = {k: v for k, v in item_body().items() if k != "id"}
    error = await assert_4xx(await catalogue_client.post(f"{API}/", json=body, headers=admin), 400)
    assert error["code"] == "foreign_object_key"
    listed = await catalogue_client.get(f"{API}/", params={"status": "all"}, headers=admin)
    assert [item["id"] for item in listed.json()["items"]] == [theirs["id"]]
    # Its own: the original by its id, and anything under its prefix.
    mine = item_body()
    own = {**mine, "s3_key": f"{mine['id']}/original.webm", "thumbnail_s3_key": None}
    assert (await catalogue_client.post(f"{API}/", json=own, headers=admin)).status_code == 201


async def test_oversized_bodies_are_413(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    huge = "x" * (settings.max_request_body_bytes + 1)
    r = await catalogue_client.post(f"{API}/", json=item_body(description=huge), headers=admin)
    await assert_4xx(r, 413)
    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"description": huge}, headers=admin
    )
    await assert_4xx(r, 413)
    # Under the transport limit but over the field limits: 400, not stored.
    r = await catalogue_client.post(
        f"{API}/", json=item_body(description="y" * 500_000), headers=admin
    )
    await assert_4xx(r, 400)
    assert (await catalogue_client.get(f"{API}/{item['id']}")).json() == shown(item, admin=False)


async def test_bad_patch_bodies_are_refused_and_the_item_is_unchanged(
    catalogue_client: Client,
) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    url = f"{API}/{item['id']}"
    for body, why in BAD_PATCH_BODIES:
        r = await catalogue_client.patch(url, json=body, headers=admin)
        error = await assert_4xx(r, 400)
        assert error["code"] == "validation_error", (why, error)
    r = await catalogue_client.patch(
        url, content=b"{", headers={**admin, "Content-Type": "application/json"}
    )
    await assert_4xx(r, 400)
    assert (await catalogue_client.get(url)).json() == shown(item, admin=False)


async def test_a_refused_pattern_is_said_in_words(catalogue_client: Client) -> None:
    """A value that does not match its pattern is refused in words, not with the regular
    expression (which a person cannot read: ``^[^,\\x00-\\x1f…]*$(?!\\n)``)."""
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    url = f"{API}/{(await create_item(catalogue_client, settings))['id']}"
    for body, said in (
        ({"tags": ["ok", "one,two"]}, "Expected a tag: one line of text without commas (tags[1])"),
        ({"title": "two\nlines"}, "Expected one line of text, without control characters (title)"),
    ):
        error = await assert_4xx(await catalogue_client.patch(url, json=body, headers=admin), 400)
        assert error["detail"] == said, error


async def test_wrong_methods_and_roles(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    item = await create_item(catalogue_client, settings)
    url = f"{API}/{item['id']}"
    r = await catalogue_client.put(url, json={"title": "x"}, headers=admin_headers(settings))
    await assert_4xx(r, 405)
    r = await catalogue_client.get(f"{url}/stream-token", headers=viewer_headers(settings))
    await assert_4xx(r, 405)
    # A viewer's bad body is still a 403: authorisation comes before parsing.
    r = await catalogue_client.post(f"{API}/", json={}, headers=viewer_headers(settings))
    await assert_4xx(r, 403)
    r = await catalogue_client.post(f"{API}/", content=b"{", headers={"Content-Type": "x/y"})
    await assert_4xx(r, 401)
    assert (await catalogue_client.get(url)).json() == shown(item, admin=False)
