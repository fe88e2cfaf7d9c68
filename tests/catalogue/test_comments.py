"""Comments on items, on both backend kinds: reading them anonymously and a page at a time
(by a cursor that neither repeats nor skips a comment when more are posted meanwhile),
posting, editing and deleting them (who may, and what a confused or hostile caller gets:
nothing changes), an admin turning them off, the names shown (a token's, a rename's
event, a stale token not undoing a newer name), the per-account budget, and what goes
with an item or an account."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from catalogue_testing import API, admin_headers, eventually
from comment_testing import Client, assert_error, bodies, item, person, post

from streamstack.catalogue.models import CommenterRow, CommentRow
from streamstack.catalogue.repository import reading
from streamstack.contracts.auth import USER_DELETED, USER_NAMED, UserDeleted, UserNamed
from streamstack.contracts.limits import COMMENT_MAX
from support.apps import AppClient, bearer, mint_token, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone, with a budget no test here reaches but the throttle's."""
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


async def page(
    client: Client, item_id: str, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    r = await client.get(f"{API}/{item_id}/comments", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def admin_item(client: Client, item_id: str) -> Any:
    r = await client.get(f"{API}/{item_id}", headers=admin_headers(client.app.state.settings))
    assert r.status_code == 200, r.text
    return r.json()


async def set_comments(client: Client, item_id: str, enabled: bool) -> Any:
    r = await client.patch(
        f"{API}/{item_id}",
        json={"comments_enabled": enabled},
        headers=admin_headers(client.app.state.settings),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_viewers_post_and_anyone_reads_newest_first(client: Client) -> None:
    item_id = await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    first = await post(client, item_id, ada, "  at 3:12, what is that?\n\nA heron?  ")
    assert first["body"] == "at 3:12, what is that?\n\nA heron?"  # trimmed, lines kept
    assert (first["author_name"], first["mine"], first["edited_at"]) == ("Ada", True, None)
    assert set(first) == {
        "id",
        "item_id",
        "body",
        "author_name",
        "by_admin",
        "mine",
        "reported",
        "created_at",
        "edited_at",
        "parent_id",
        "reply_count",
        "removed",
    }
    assert (first["parent_id"], first["reply_count"], first["removed"]) == (None, 0, None)
    await post(client, item_id, bob, "A heron.\tYes.")
    anonymous = await page(client, item_id)
    assert bodies(anonymous) == ["A heron.\tYes.", "at 3:12, what is that?\n\nA heron?"]
    assert (anonymous["total"], anonymous["enabled"], anonymous["next"]) == (2, True, None)
    assert [c["mine"] for c in anonymous["comments"]] == [False, False]
    assert [c["mine"] for c in (await page(client, item_id, bob))["comments"]] == [True, False]
    assert ada_id not in str(anonymous)  # no author's id in what anyone reads
    assert (await admin_item(client, item_id))["comment_count"] == 2


async def test_paging_by_cursor_neither_repeats_nor_skips(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    for n in range(5):
        await post(client, item_id, ada, f"c{n}")
    one = await page(client, item_id, limit=2)
    assert bodies(one) == ["c4", "c3"] and one["total"] == 5
    await post(client, item_id, ada, "c5")  # posted between pages
    two = await page(client, item_id, limit=2, cursor=one["next"])
    assert bodies(two) == ["c2", "c1"]
    three = await page(client, item_id, limit=2, cursor=two["next"])
    assert (bodies(three), three["next"], three["total"]) == (["c0"], None, 6)
    exact = await page(client, item_id, limit=3, cursor=two["next"])
    assert exact["next"] is None


async def test_a_bad_cursor_or_limit_is_400(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    for n in range(3):
        await post(client, item_id, ada, f"c{n}")
    made = (await page(client, item_id, limit=1))["next"]
    for bad in ("x", "!!!", made + "A", made[:-2], "W1tdXQ", "a" * 5000, "WzEsMl0"):
        r = await client.get(f"{API}/{item_id}/comments", params={"cursor": bad})
        assert_error(r, 400, "invalid_cursor")
    for limit in ("0", "51", "many"):
        r = await client.get(f"{API}/{item_id}/comments", params={"limit": limit})
        assert r.status_code == 400, r.text


async def test_drafts_and_unknown_items_are_404_and_unlisted_ones_take_comments(
    client: Client,
) -> None:
    _, ada = person(client)
    draft = await item(client, publish=False)
    for item_id in (draft, str(uuid.uuid4())):
        assert (await client.get(f"{API}/{item_id}/comments")).status_code == 404
        assert (await client.get(f"{API}/{item_id}/comments", headers=ada)).status_code == 404
        r = await client.post(f"{API}/{item_id}/comments", json={"body": "hi"}, headers=ada)
        assert r.status_code == 404, r.text
    assert (await page(client, draft, admin_headers(client.app.state.settings)))["total"] == 0
    unlisted = await item(client)
    r = await client.patch(
        f"{API}/{unlisted}",
        json={"visibility": "unlisted"},
        headers=admin_headers(client.app.state.settings),
    )
    assert r.status_code == 200, r.text
    await post(client, unlisted, ada, "found it by its link")
    assert bodies(await page(client, unlisted)) == ["found it by its link"]


async def test_comments_off_hide_them_from_viewers_and_refuse_posts_and_edits(
    client: Client,
) -> None:
    item_id = await item(client)
    _, ada = person(client)
    mine = await post(client, item_id, ada, "before")
    before = await admin_item(client, item_id)
    answer = await set_comments(client, item_id, False)
    assert answer["comments_enabled"] is False
    # The edit's tag digests the comments setting too: an edit read before it is refused.
    assert answer["etag"] != before["etag"]
    for headers in (None, ada):
        assert await page(client, item_id, headers) == {
            "comments": [],
            "total": 0,
            "enabled": False,
            "next": None,
        }
    admin = admin_headers(client.app.state.settings)
    moderated = await page(client, item_id, admin)
    assert (bodies(moderated), moderated["enabled"], moderated["total"]) == (["before"], False, 1)
    r = await client.post(f"{API}/{item_id}/comments", json={"body": "now"}, headers=ada)
    assert_error(r, 409, "comments_off")
    r = await client.patch(f"{API}/comments/{mine['id']}", json={"body": "x"}, headers=ada)
    assert_error(r, 409, "comments_off")
    assert (await client.get(f"{API}/{item_id}")).json()["comments_enabled"] is False
    await set_comments(client, item_id, True)
    assert bodies(await page(client, item_id)) == ["before"]
    r = await client.patch(f"{API}/{item_id}", json={"comments_enabled": "no"}, headers=admin)
    assert r.status_code == 400, r.text
    r = await client.patch(f"{API}/{item_id}", json={"comments_enabled": False}, headers=ada)
    assert r.status_code == 403, r.text
    assert (await admin_item(client, item_id))["comments_enabled"] is True


async def test_a_name_is_required_and_renames_follow_the_newest(client: Client) -> None:
    item_id = await item(client)
    ada_id, nameless = person(client, None)
    r = await client.post(f"{API}/{item_id}/comments", json={"body": "hi"}, headers=nameless)
    assert_error(r, 409, "display_name_required")
    assert (await page(client, item_id))["total"] == 0
    signed = int(time.time()) - 60
    ada = bearer(mint_token(client.app.state.settings, user_id=ada_id, name="Ada", iat=signed))
    await post(client, item_id, ada, "one")
    renamed = UserNamed(
        user_id=ada_id,
        display_name="Ada L.",
        named_at=datetime.datetime.fromtimestamp(signed + 30, datetime.UTC),
    )
    events = client.app.state.backends.events
    await events.publish(USER_NAMED, msgspec.json.encode(renamed), event_id=str(uuid.uuid4()))

    async def renamed_shown() -> bool:
        return [c["author_name"] for c in (await page(client, item_id))["comments"]] == ["Ada L."]

    await eventually(renamed_shown, "the old comment shown with the new name")
    await post(client, item_id, ada, "two")  # the stale token's name is older: kept as is
    answer = await page(client, item_id)
    assert [c["author_name"] for c in answer["comments"]] == ["Ada L.", "Ada L."]
    fresh = bearer(mint_token(client.app.state.settings, user_id=ada_id, name="Ada Lovelace"))
    await post(client, item_id, fresh, "three")  # a token newer than the event renames
    answer = await page(client, item_id)
    assert {c["author_name"] for c in answer["comments"]} == {"Ada Lovelace"}
    cleared = UserNamed(
        user_id=ada_id, display_name=None, named_at=datetime.datetime.now(datetime.UTC)
    )
    await events.publish(USER_NAMED, msgspec.json.encode(cleared), event_id=str(uuid.uuid4()))

    async def nameless_shown() -> bool:
        return {c["author_name"] for c in (await page(client, item_id))["comments"]} == {None}

    await eventually(nameless_shown, "the comments shown without a name")
    r = await client.post(f"{API}/{item_id}/comments", json={"body": "four"}, headers=fresh)
    assert_error(r, 409, "display_name_required")


async def test_only_the_author_edits_and_the_author_or_an_admin_deletes(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    admin = admin_headers(client.app.state.settings)
    mine = await post(client, item_id, ada, "typo")
    path = f"{API}/comments/{mine['id']}"
    for headers in (bob, admin):
        assert_error(
            await client.patch(path, json={"body": "x"}, headers=headers), 404, "comment_not_found"
        )
    assert_error(await client.delete(path, headers=bob), 404, "comment_not_found")
    missing = f"{API}/comments/{uuid.uuid4()}"
    assert_error(
        await client.patch(missing, json={"body": "x"}, headers=ada), 404, "comment_not_found"
    )
    assert_error(await client.delete(missing, headers=ada), 404, "comment_not_found")
    assert bodies(await page(client, item_id)) == ["typo"]
    r = await client.patch(path, json={"body": " fixed "}, headers=ada)
    assert r.status_code == 200, r.text
    assert (r.json()["body"], r.json()["mine"]) == ("fixed", True)
    assert r.json()["edited_at"] is not None
    assert (await page(client, item_id))["comments"][0]["edited_at"] is not None
    other = await post(client, item_id, bob, "spam")
    assert (await client.delete(f"{API}/comments/{other['id']}", headers=admin)).status_code == 204
    assert (await client.delete(path, headers=ada)).status_code == 204
    gone = await client.delete(path, headers=ada)
    assert (gone.status_code, gone.json()["detail"]) == (404, "no such comment of yours")
    gone = await client.delete(path, headers=admin)  # may delete any: "of yours" is not theirs
    assert (gone.status_code, gone.json()["detail"]) == (404, "no such comment")
    answer = await page(client, item_id)
    assert (answer["comments"], answer["total"]) == ([], 0)
    assert (await admin_item(client, item_id))["comment_count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"body": ""}',
        b'{"body": "   \\n\\t "}',
        b'{"body": "a\\u0000b"}',
        b'{"body": "bell\\u0007"}',
        b'{"body": "a\\rb"}',
        b'{"body": "x", "user_id": "someone"}',
        b'{"body": 3}',
        b'{"text": "hi"}',
        b"{not json",
        b"[]",
    ],
)
async def test_a_bad_body_is_400_and_changes_nothing(client: Client, body: bytes) -> None:
    item_id = await item(client)
    _, ada = person(client)
    mine = await post(client, item_id, ada, "kept")
    json_headers = {**ada, "Content-Type": "application/json"}
    r = await client.post(f"{API}/{item_id}/comments", content=body, headers=json_headers)
    assert r.status_code == 400, r.text
    r = await client.patch(f"{API}/comments/{mine['id']}", content=body, headers=json_headers)
    assert r.status_code == 400, r.text
    answer = await page(client, item_id)
    assert (bodies(answer), answer["comments"][0]["edited_at"], answer["total"]) == (
        ["kept"],
        None,
        1,
    )


async def test_the_longest_comment_is_taken_and_one_more_character_is_not(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    await post(client, item_id, ada, " " + "a" * COMMENT_MAX + "\n")
    r = await client.post(
        f"{API}/{item_id}/comments", json={"body": "a" * (COMMENT_MAX + 1)}, headers=ada
    )
    assert_error(r, 400, "validation_error")
    assert (await page(client, item_id))["total"] == 1


async def test_one_account_posting_in_a_loop_is_throttled(
    settings_factory: SettingsFactory,
) -> None:
    clock = HeldClock()
    settings = settings_factory(modules=("catalogue",), comment_burst=2, comment_refill_seconds=20)
    async with running_app(settings, clock=clock) as client:
        item_id = await item(client)
        _, ada = person(client)
        _, bob = person(client)
        _, admin = person(client, "Admin", role="admin")
        for n in range(2):
            await post(client, item_id, ada, f"c{n}")
        r = await client.post(f"{API}/{item_id}/comments", json={"body": "more"}, headers=ada)
        assert_error(r, 429, "comments_throttled")
        assert r.headers["retry-after"] == "20"
        await post(client, item_id, bob, "another account has its own")
        for n in range(3):
            await post(client, item_id, admin, f"admins are not counted {n}")
        assert (await page(client, item_id, admin))["total"] == 6
        clock.advance(20)
        await post(client, item_id, ada, "one more after the wait")


async def test_a_refused_post_does_not_spend_the_budget(
    settings_factory: SettingsFactory,
) -> None:
    """A post refused (comments off, no such video, no such comment to reply to) wrote
    nothing, so it costs nothing: a viewer who tried while comments were off still has
    their whole budget when they come back on."""
    clock = HeldClock()
    settings = settings_factory(modules=("catalogue",), comment_burst=2, comment_refill_seconds=20)
    async with running_app(settings, clock=clock) as client:
        item_id = await item(client)
        _, ada = person(client, "Ada")
        await set_comments(client, item_id, False)
        for _ in range(3):
            r = await client.post(f"{API}/{item_id}/comments", json={"body": "hi"}, headers=ada)
            assert_error(r, 409, "comments_off")
        missing = f"{API}/{uuid.uuid4()}/comments"
        assert_error(await client.post(missing, json={"body": "hi"}, headers=ada), 404, "not_found")
        await set_comments(client, item_id, True)
        stray = {"body": "hi", "reply_to": str(uuid.uuid4())}
        r = await client.post(f"{API}/{item_id}/comments", json=stray, headers=ada)
        assert_error(r, 404, "comment_not_found")
        for n in range(2):
            await post(client, item_id, ada, f"c{n}")
        r = await client.post(f"{API}/{item_id}/comments", json={"body": "more"}, headers=ada)
        assert_error(r, 429, "comments_throttled")


async def test_a_deleted_account_takes_its_comments_and_name_with_it(client: Client) -> None:
    one, two = await item(client), await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    for item_id in (one, two, one):
        await post(client, item_id, ada, "from Ada")
    await post(client, one, bob, "from Bob")
    gone = UserDeleted(user_id=ada_id, deleted_at=datetime.datetime.now(datetime.UTC))
    await client.app.state.backends.events.publish(
        USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
    )

    async def forgotten() -> bool:
        return (await page(client, one))["total"] == 1

    await eventually(forgotten, "the deleted account's comments deleted")
    assert bodies(await page(client, one)) == ["from Bob"]
    assert (await page(client, two))["total"] == 0
    assert [(await admin_item(client, i))["comment_count"] for i in (one, two)] == [1, 0]
    async with reading(client.app.state.backends.database) as store:
        names = await store.commenters.list()
        assert [row.display_name for row in names] == ["Bob"]
        assert isinstance(names[0], CommenterRow)


async def test_an_item_deleted_takes_its_comments_with_it(client: Client) -> None:
    item_id, kept = await item(client), await item(client)
    _, ada = person(client)
    mine = await post(client, item_id, ada, "gone with it")
    await post(client, kept, ada, "stays")
    admin = admin_headers(client.app.state.settings)
    assert (await client.delete(f"{API}/{item_id}", headers=admin)).status_code == 204
    assert (await client.get(f"{API}/{item_id}/comments")).status_code == 404
    r = await client.delete(f"{API}/comments/{mine['id']}", headers=ada)
    assert_error(r, 404, "comment_not_found")
    async with reading(client.app.state.backends.database) as store:
        assert [row.body for row in await store.comments.list()] == ["stays"]
        assert all(isinstance(row, CommentRow) for row in await store.comments.list())


async def test_anonymous_callers_cannot_write_and_a_bad_token_is_401(client: Client) -> None:
    item_id = await item(client)
    r = await client.post(f"{API}/{item_id}/comments", json={"body": "hi"})
    assert r.status_code == 401, r.text
    r = await client.delete(f"{API}/comments/{uuid.uuid4()}")
    assert r.status_code == 401, r.text
    r = await client.get(f"{API}/{item_id}/comments", headers=bearer("not-a-token"))
    assert r.status_code == 401, r.text
