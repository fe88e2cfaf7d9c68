"""Replies to comments, on both backend kinds: one level (a reply to a reply joins its
top-level comment's thread), the item's list of top-level comments counting every reply,
a comment's replies oldest first by cursor, what a confused or hostile caller gets (a
reply to another item's comment or a missing one, a reply's replies: 404, nothing
stored), comments off, the budget, and the counts kept right whoever deletes what: the
author, an admin, an account's deletion, the item's (the foreign keys cascading)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from catalogue_testing import API, admin_headers, eventually
from comment_testing import Client, assert_error, bodies, item, person, post, reply

from streamstack.catalogue.repository import reading
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone, with a budget no test here reaches but the throttle's."""
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


async def comments(
    client: Client, item_id: str, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    r = await client.get(f"{API}/{item_id}/comments", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def replies(
    client: Client, comment_id: str, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    r = await client.get(f"{API}/comments/{comment_id}/replies", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def comment_count(client: Client, item_id: str) -> int:
    r = await client.get(f"{API}/{item_id}", headers=admin_headers(client.app.state.settings))
    assert r.status_code == 200, r.text
    return int(r.json()["comment_count"])


async def stored(client: Client) -> dict[str, tuple[str | None, int]]:
    """Every stored comment's body: its parent's id and its reply count."""
    async with reading(client.app.state.backends.database) as store:
        return {
            row.body: (str(row.parent_id) if row.parent_id else None, row.reply_count)
            for row in await store.comments.list()
        }


async def test_a_reply_to_a_reply_joins_its_comments_thread(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    question = await post(client, item_id, ada, "at 3:12, what is that?")
    answer = await reply(client, question, bob, "A heron.")
    assert (answer["parent_id"], answer["reply_count"], answer["mine"]) == (
        question["id"],
        0,
        True,
    )
    thanks = await reply(client, answer, ada, "@Bob thanks!")  # to the reply: same thread
    assert thanks["parent_id"] == question["id"]
    later = await post(client, item_id, bob, "lovely light")
    listed = await comments(client, item_id)
    assert bodies(listed) == ["lovely light", "at 3:12, what is that?"]  # top-level only
    assert listed["total"] == 4  # replies counted
    assert [(c["parent_id"], c["reply_count"]) for c in listed["comments"]] == [
        (None, 0),
        (None, 2),
    ]
    thread = await replies(client, question["id"])
    assert bodies(thread) == ["A heron.", "@Bob thanks!"]  # oldest first
    assert (thread["total"], thread["enabled"], thread["next"]) == (2, True, None)
    assert [c["mine"] for c in (await replies(client, question["id"], bob))["comments"]] == [
        True,
        False,
    ]
    assert (await replies(client, later["id"]))["comments"] == []
    assert await comment_count(client, item_id) == 4
    assert (await stored(client))["@Bob thanks!"] == (question["id"], 0)


async def test_a_reply_to_no_comment_of_the_item_is_404_and_stores_nothing(
    client: Client,
) -> None:
    item_id, other = await item(client), await item(client)
    _, ada = person(client, "Ada")
    theirs = await post(client, other, ada, "on another video")
    mine = await post(client, item_id, ada, "here")
    before = await stored(client)
    for reply_to in (theirs["id"], str(uuid.uuid4())):
        r = await client.post(
            f"{API}/{item_id}/comments", json={"body": "hi", "reply_to": reply_to}, headers=ada
        )
        assert_error(r, 404, "comment_not_found")
    for bad in ("not-a-uuid", 3, [mine["id"]]):
        r = await client.post(
            f"{API}/{item_id}/comments", json={"body": "hi", "reply_to": bad}, headers=ada
        )
        assert r.status_code == 400, r.text
    r = await client.post(
        f"{API}/{uuid.uuid4()}/comments", json={"body": "hi", "reply_to": mine["id"]}, headers=ada
    )
    assert r.status_code == 404, r.text
    assert await stored(client) == before
    assert [await comment_count(client, i) for i in (item_id, other)] == [1, 1]


async def test_replies_page_oldest_first_by_cursor(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    top = await post(client, item_id, ada, "top")
    for n in range(5):
        await reply(client, top, ada, f"r{n}")
    one = await replies(client, top["id"], limit=2)
    assert (bodies(one), one["total"]) == (["r0", "r1"], 5)
    await reply(client, top, ada, "r5")  # posted between pages: at the end
    two = await replies(client, top["id"], limit=2, cursor=one["next"])
    assert bodies(two) == ["r2", "r3"]
    three = await replies(client, top["id"], limit=3, cursor=two["next"])
    assert (bodies(three), three["next"], three["total"]) == (["r4", "r5"], None, 6)
    made = one["next"]
    for bad in ("x", made + "A", made[:-2], "a" * 5000, "WzEsMl0"):
        r = await client.get(f"{API}/comments/{top['id']}/replies", params={"cursor": bad})
        assert_error(r, 400, "invalid_cursor")
    for limit in ("0", "51", "many"):
        r = await client.get(f"{API}/comments/{top['id']}/replies", params={"limit": limit})
        assert r.status_code == 400, r.text


async def test_replies_of_a_reply_or_of_an_unreadable_comment_are_404(client: Client) -> None:
    item_id, draft = await item(client), await item(client, publish=False)
    _, ada = person(client, "Ada")
    _, admin = person(client, "Admin", role="admin")
    top = await post(client, item_id, ada, "top")
    answer = await reply(client, top, ada, "a reply")
    on_draft = await post(client, draft, admin, "on a draft")
    missing = await client.get(f"{API}/comments/{uuid.uuid4()}/replies")
    assert_error(missing, 404, "comment_not_found")
    r = await client.get(f"{API}/comments/{on_draft['id']}/replies", headers=ada)
    assert_error(r, 404, "comment_not_found")
    assert r.json()["detail"] == "no such comment"  # nothing said of what one may not read
    r = await client.get(f"{API}/comments/{answer['id']}/replies", headers=ada)
    assert_error(r, 404, "comment_not_found")
    # A reply one may read: said so, with the thread it is in.
    assert (
        r.json()["detail"] == f"that comment is a reply: its thread is the replies of {top['id']}"
    )
    assert (await replies(client, on_draft["id"], admin))["comments"] == []  # admins read it
    r = await client.get(f"{API}/comments/not-an-id/replies")
    assert r.status_code in (400, 404), r.text


async def test_comments_off_hide_replies_from_viewers_and_refuse_them(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    top = await post(client, item_id, ada, "top")
    await reply(client, top, ada, "before")
    admin = admin_headers(client.app.state.settings)
    r = await client.patch(f"{API}/{item_id}", json={"comments_enabled": False}, headers=admin)
    assert r.status_code == 200, r.text
    for headers in (None, ada):
        assert await replies(client, top["id"], headers) == {
            "comments": [],
            "total": 0,
            "enabled": False,
            "next": None,
        }
    moderated = await replies(client, top["id"], admin)
    assert (bodies(moderated), moderated["enabled"], moderated["total"]) == (["before"], False, 1)
    r = await client.post(
        f"{API}/{item_id}/comments", json={"body": "now", "reply_to": top["id"]}, headers=ada
    )
    assert_error(r, 409, "comments_off")
    assert len(await stored(client)) == 2


async def test_replies_take_from_the_comments_budget(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue",), comment_burst=2, comment_refill_seconds=60)
    async with running_app(settings) as client:
        item_id = await item(client)
        _, ada = person(client)
        top = await post(client, item_id, ada, "top")
        await reply(client, top, ada, "one reply")
        r = await client.post(
            f"{API}/{item_id}/comments", json={"body": "more", "reply_to": top["id"]}, headers=ada
        )
        assert_error(r, 429, "comments_throttled")
        assert (await stored(client))["top"] == (None, 1)


async def test_deleting_a_comment_keeps_its_replies_under_a_placeholder(
    client: Client,
) -> None:
    """Whoever deletes a comment others answered (its author, an admin), its replies stay
    under a placeholder with no text, name or badge, counted; the placeholder goes with
    its last reply, and cannot be deleted or reported itself; its thread goes on."""
    admin = admin_headers(client.app.state.settings)
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    by_ada, by_bob = (
        await post(client, item_id, ada, "Ada's"),
        await post(client, item_id, bob, "Bob's"),
    )
    to_ada = [await reply(client, by_ada, bob, f"to Ada {n}") for n in range(2)]
    await reply(client, by_bob, ada, "to Bob")
    r = await client.post(f"{API}/comments/{by_ada['id']}/reports", json={}, headers=bob)
    assert r.status_code == 204, r.text
    assert await comment_count(client, item_id) == 5
    assert (await client.delete(f"{API}/comments/{by_ada['id']}", headers=ada)).status_code == 204
    r = await client.delete(f"{API}/comments/{by_bob['id']}", headers=admin)
    assert r.status_code == 204, r.text
    assert await comment_count(client, item_id) == 3  # the replies, not the placeholders
    listed = await comments(client, item_id, ada)
    assert listed["total"] == 3
    assert [
        (c["body"], c["author_name"], c["by_admin"], c["mine"], c["removed"])
        for c in listed["comments"]
    ] == [("", None, False, False, "deleted")] * 2
    assert [c["reply_count"] for c in listed["comments"]] == [1, 2]
    assert "Ada's" not in str(listed) and "Bob's" not in str(listed)
    assert bodies(await replies(client, by_ada["id"])) == ["to Ada 0", "to Ada 1"]
    r = await client.delete(f"{API}/comments/{by_ada['id']}", headers=admin)
    assert_error(r, 404, "comment_not_found")
    r = await client.post(f"{API}/comments/{by_ada['id']}/reports", json={}, headers=bob)
    assert_error(r, 404, "comment_not_found")
    to_ada.append(await reply(client, by_ada, bob, "to Ada 2"))  # the thread goes on
    assert await comment_count(client, item_id) == 4
    async with reading(client.app.state.backends.database) as store:
        assert await store.comment_reports.list() == []  # its reports went with its text
    r = await client.get(f"{API}/comments", headers=admin)  # nothing to moderate
    assert sorted(c["body"] for c in r.json()["comments"]) == [
        "to Ada 0",
        "to Ada 1",
        "to Ada 2",
        "to Bob",
    ]
    for answer in to_ada:
        r = await client.delete(f"{API}/comments/{answer['id']}", headers=bob)
        assert r.status_code == 204, r.text
    assert set(await stored(client)) == {"", "to Bob"}  # Bob's placeholder, its reply
    assert await comment_count(client, item_id) == 1


async def test_a_deleted_account_leaves_placeholders_for_others_replies(
    client: Client,
) -> None:
    """Walk 51 F3: deleting an account took other members' replies to it. Its comments go;
    one others answered stays as a placeholder (no text, no name) over their replies, still
    counted; its own replies, and the reports of its comments, go."""
    one, two = await item(client), await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    ada_top = await post(client, one, ada, "Ada's")
    await reply(client, ada_top, bob, "Bob: be kind")
    await reply(client, ada_top, ada, "Ada to herself")
    alone = await post(client, one, ada, "Ada alone")
    await reply(client, alone, ada, "Ada to herself again")
    bob_top = await post(client, one, bob, "Bob's")
    await reply(client, bob_top, ada, "Ada to Bob")
    await reply(client, bob_top, bob, "Bob to himself")
    elsewhere = await post(client, two, bob, "Bob elsewhere")
    await reply(client, elsewhere, ada, "Ada elsewhere")
    r = await client.post(f"{API}/comments/{ada_top['id']}/reports", json={}, headers=bob)
    assert r.status_code == 204, r.text
    assert [await comment_count(client, i) for i in (one, two)] == [8, 2]
    gone = UserDeleted(user_id=ada_id, deleted_at=datetime.datetime.now(datetime.UTC))
    await client.app.state.backends.events.publish(
        USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
    )

    async def forgotten() -> bool:
        return await comment_count(client, two) == 1

    await eventually(forgotten, "the deleted account's comments deleted")
    assert await stored(client) == {
        "": (None, 1),
        "Bob: be kind": (ada_top["id"], 0),
        "Bob's": (None, 1),
        "Bob to himself": (bob_top["id"], 0),
        "Bob elsewhere": (None, 0),
    }
    assert await comment_count(client, one) == 3
    listed = await comments(client, one, bob)
    assert (listed["total"], [c["removed"] for c in listed["comments"]]) == (
        3,
        [None, "account_deleted"],
    )
    placeholder = listed["comments"][1]
    assert (placeholder["id"], placeholder["reply_count"], placeholder["author_name"]) == (
        ada_top["id"],
        1,
        None,
    )
    thread = await replies(client, ada_top["id"], bob)
    linked = await client.get(f"{API}/{one}/comments/{thread['comments'][0]['id']}")
    assert linked.json()["parent"]["removed"] == "account_deleted"
    for shown in (listed, thread, linked.json()):
        assert "Ada" not in str(shown)  # neither her words nor her name
    async with reading(client.app.state.backends.database) as store:
        assert await store.comment_reports.list() == []


async def test_an_item_deleted_takes_its_threads_with_it(client: Client) -> None:
    item_id, kept = await item(client), await item(client)
    _, ada = person(client)
    top = await post(client, item_id, ada, "gone")
    await reply(client, top, ada, "gone too")
    await reply(client, await post(client, kept, ada, "stays"), ada, "stays too")
    admin = admin_headers(client.app.state.settings)
    assert (await client.delete(f"{API}/{item_id}", headers=admin)).status_code == 204
    assert set(await stored(client)) == {"stays", "stays too"}


async def test_replies_are_reported_and_listed_for_admins_with_their_parent(
    client: Client,
) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    top = await post(client, item_id, ada, "top")
    answer = await reply(client, top, bob, "a rude reply")
    r = await client.post(f"{API}/comments/{answer['id']}/reports", json={}, headers=ada)
    assert r.status_code == 204, r.text
    r = await client.patch(f"{API}/comments/{answer['id']}", json={"body": "kinder"}, headers=bob)
    assert (r.status_code, r.json()["parent_id"], r.json()["edited_at"] is not None) == (
        200,
        top["id"],
        True,
    )
    admin = admin_headers(client.app.state.settings)
    for params in ({}, {"reported": "true"}):
        r = await client.get(f"{API}/comments", params=params, headers=admin)
        assert r.status_code == 200, r.text
        listed = {c["body"]: (c["parent_id"], c["reports"]) for c in r.json()["comments"]}
        assert listed["kinder"] == (top["id"], 1)
    assert listed.get("top", (None, 0)) == (None, 0)


async def test_replies_racing_their_comments_deletion_leave_the_counts_right(
    client: Client,
) -> None:
    """Replies posted while their comment is deleted: each is counted under the placeholder
    it leaves, or refused as a reply to no comment; the item's count is the replies kept."""
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    for _ in range(3):
        top = await post(client, item_id, ada, "top")
        await reply(client, top, bob, "first")

        async def answer(n: int, top: Any = top) -> int:
            r = await client.post(
                f"{API}/{item_id}/comments",
                json={"body": f"racing {n}", "reply_to": top["id"]},
                headers=bob,
            )
            assert r.status_code in (201, 404), r.text
            return r.status_code

        async def delete(top: Any = top) -> int:
            r = await client.delete(f"{API}/comments/{top['id']}", headers=ada)
            assert r.status_code == 204, r.text
            return r.status_code

        await asyncio.gather(*(answer(n) for n in range(4)), delete(), answer(4), answer(5))
        kept = (await replies(client, top["id"]))["total"]
        assert len(bodies(await replies(client, top["id"]))) == kept
        counted = sum(c["reply_count"] for c in (await comments(client, item_id))["comments"])
        assert await comment_count(client, item_id) == counted


async def test_an_admins_comments_and_replies_carry_the_badge_a_viewers_do_not(
    client: Client,
) -> None:
    """Security walk F1: a viewer named as the admin was told apart by nothing. The badge
    is the role the author posted with, whoever reads it, and an edit keeps it."""
    item_id = await item(client)
    _, admin = person(client, "Admin", role="admin")
    _, viewer = person(client, "Admin")
    question = await post(client, item_id, viewer, "Who runs this?")
    by_admin = await reply(client, question, admin, "I do.")
    by_viewer = await reply(client, question, viewer, "Me, confirm your password here.")
    admins_own = await post(client, item_id, admin, "Welcome.")
    assert [c["by_admin"] for c in (question, by_admin, by_viewer, admins_own)] == [
        False,
        True,
        False,
        True,
    ]
    for reader in (None, viewer, admin):
        thread = (await replies(client, question["id"], reader))["comments"]
        assert [(c["author_name"], c["by_admin"]) for c in thread] == [
            ("Admin", True),
            ("Admin", False),
        ]
        listed = (await comments(client, item_id, reader))["comments"]
        assert [c["by_admin"] for c in listed] == [True, False]
    edited = await client.patch(
        f"{API}/comments/{admins_own['id']}", json={"body": "Welcome!"}, headers=admin
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["by_admin"] is True
