"""Reports of comments and the admins' list of every video's comments, on both backend
kinds: reporting (the first report kept, one's own refused, an unreadable comment
answered as a missing one, bad reasons refused with nothing stored, the per-account
budget), ``reported`` shown to the reporter alone, the list newest first across items
(drafts too) and by last report, paged by cursor while comments arrive, with counts and
the newest reasons; one account's alone, and every comment of one account deleted at once
(who may, what goes with them, the counts kept); dismissing, deleting, and a deleted
account's reports."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from catalogue_testing import API, admin_headers, eventually
from comment_testing import Client, assert_error, bodies, item, person, reply
from comment_testing import post as commented
from jose import jwt

from streamstack.catalogue.repository import reading
from streamstack.catalogue.schemas import REASONS_SHOWN
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from streamstack.contracts.limits import REPORT_REASON_MAX
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from support.apps import AppClient, bearer, mint_token, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone, with a budget no test here reaches but the throttle's."""
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


async def post(client: Client, item_id: str, headers: dict[str, str], body: str) -> str:
    """The id of the comment ``headers``'s account posts on the item."""
    return str((await commented(client, item_id, headers, body))["id"])


async def report(
    client: Client, comment_id: str, headers: dict[str, str], reason: str | None = None
) -> httpx.Response:
    body = {} if reason is None else {"reason": reason}
    return await client.post(f"{API}/comments/{comment_id}/reports", json=body, headers=headers)


async def moderated(client: Client, headers: dict[str, str] | None = None, **params: Any) -> Any:
    """A page of the admins' list, as an admin (``headers``'s, or another)."""
    headers = headers or admin_headers(client.app.state.settings)
    r = await client.get(f"{API}/comments", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def stored_reports(client: Client) -> list[tuple[str, str | None]]:
    async with reading(client.app.state.backends.database) as store:
        rows = await store.comment_reports.list()
    return sorted((str(row.comment_id), row.reason) for row in rows)


async def test_a_viewer_reports_once_and_only_they_see_it_reported(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    comment_id = await post(client, item_id, ada, "buy cheap watches")
    r = await report(client, comment_id, bob, "  spam\n\tand a link  ")
    assert (r.status_code, r.content) == (204, b""), r.text
    assert (await report(client, comment_id, bob, "another reason")).status_code == 204
    assert (await report(client, comment_id, bob)).status_code == 204
    assert await stored_reports(client) == [(comment_id, "spam\n\tand a link")]  # the first
    for headers, expected in ((bob, True), (ada, False), (None, False)):
        r = await client.get(f"{API}/{item_id}/comments", headers=headers)
        assert [c["reported"] for c in r.json()["comments"]] == [expected], headers
    listed = (await moderated(client))["comments"][0]
    assert (listed["reports"], listed["reasons"]) == (1, ["spam\n\tand a link"])
    assert listed["reported"] is False  # the admin did not report it


async def test_ones_own_comment_is_409_and_unreadable_ones_404_as_missing(client: Client) -> None:
    admin = admin_headers(client.app.state.settings)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    item_id = await item(client)
    mine = await post(client, item_id, ada, "mine")
    assert_error(await report(client, mine, ada), 409, "own_comment")
    off = await item(client)
    hidden = await post(client, off, ada, "comments go off")
    r = await client.patch(f"{API}/{off}", json={"comments_enabled": False}, headers=admin)
    assert r.status_code == 200, r.text
    draft = await item(client, publish=False)
    _, admin_bearer = person(client, "Admin", role="admin")
    on_draft = await post(client, draft, admin_bearer, "on a draft")
    missing = await report(client, str(uuid.uuid4()), bob)
    assert_error(missing, 404, "comment_not_found")
    for comment_id in (hidden, on_draft):
        r = await report(client, comment_id, bob)
        assert r.status_code == 404, r.text
        assert {**r.json(), "request_id": ""} == {**missing.json(), "request_id": ""}
    assert await stored_reports(client) == []
    assert (await report(client, hidden, admin_bearer)).status_code == 204  # admins read it


@pytest.mark.parametrize(
    "body",
    [
        b'{"reason": "' + b"a" * (REPORT_REASON_MAX + 1) + b'"}',
        b'{"reason": "bell\\u0007"}',
        b'{"reason": "a\\u0000b"}',
        b'{"reason": 3}',
        b'{"why": "spam"}',
        b'{"reason": "x", "user_id": "someone"}',
        b"{not json",
        b"[]",
    ],
)
async def test_a_bad_reason_is_400_and_stores_nothing(client: Client, body: bytes) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    comment_id = await post(client, item_id, ada, "hello")
    r = await client.post(
        f"{API}/comments/{comment_id}/reports",
        content=body,
        headers={**bob, "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert await stored_reports(client) == []


async def test_the_longest_reason_is_taken_and_a_blank_one_is_none(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    one, two = await post(client, item_id, ada, "one"), await post(client, item_id, ada, "two")
    _, bob = person(client, "Bob")
    longest = " " + "a" * REPORT_REASON_MAX + "\n"
    assert (await report(client, one, bob, longest)).status_code == 204
    assert (await report(client, two, bob, " \n\t ")).status_code == 204
    assert await stored_reports(client) == sorted([(one, longest.strip()), (two, None)])


async def test_anonymous_callers_cannot_report_and_viewers_cannot_moderate(
    client: Client,
) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    comment_id = await post(client, item_id, ada, "hello")
    assert (await client.post(f"{API}/comments/{comment_id}/reports", json={})).status_code == 401
    assert (await client.get(f"{API}/comments")).status_code == 401
    assert (await client.delete(f"{API}/comments/{comment_id}/reports")).status_code == 401
    assert (await report(client, comment_id, bob)).status_code == 204
    assert (await client.get(f"{API}/comments", headers=bob)).status_code == 403
    r = await client.delete(f"{API}/comments/{comment_id}/reports", headers=bob)
    assert r.status_code == 403, r.text
    assert len(await stored_reports(client)) == 1


async def test_one_account_reporting_in_a_loop_is_throttled(
    settings_factory: SettingsFactory,
) -> None:
    clock = HeldClock()
    settings = settings_factory(modules=("catalogue",), comment_burst=2, comment_refill_seconds=20)
    async with running_app(settings, clock=clock) as client:
        item_id = await item(client)
        _, ada = person(client, "Ada")
        _, bob = person(client, "Bob")
        _, carol = person(client, "Carol")
        _, admin = person(client, "Admin", role="admin")
        ids = [await post(client, item_id, ada, f"c{n}") for n in range(2)]
        ids += [await post(client, item_id, admin, f"a{n}") for n in range(2)]
        for comment_id in ids[:2]:
            assert (await report(client, comment_id, bob)).status_code == 204
        r = await report(client, ids[2], bob)
        assert_error(r, 429, "reports_throttled")
        assert r.headers["retry-after"] == "20"
        assert (await report(client, ids[2], carol)).status_code == 204
        for comment_id in ids:
            assert (await report(client, comment_id, admin)).status_code in (204, 409)
        clock.advance(20)
        assert (await report(client, ids[2], bob)).status_code == 204
        assert (await post(client, item_id, bob, "posting has its own budget")) is not None


async def test_the_admins_list_is_newest_first_across_items_and_pages_without_gaps(
    client: Client,
) -> None:
    one, draft = await item(client, title="One"), await item(client, publish=False, title="Dr")
    _, ada = person(client, "Ada")
    _, admin = person(client, "Admin", role="admin")
    for n in range(3):
        await post(client, one, ada, f"c{n}")
        await post(client, draft, admin, f"d{n}")
    first = await moderated(client, admin, limit=4)
    assert bodies(first) == ["d2", "c2", "d1", "c1"]
    assert [c["item_title"] for c in first["comments"]] == ["Dr", "One", "Dr", "One"]
    assert {c["reports"] for c in first["comments"]} == {0}
    assert first["comments"][0]["mine"] is True and first["comments"][1]["mine"] is False
    await post(client, one, ada, "arrived meanwhile")
    rest = await moderated(client, limit=4, cursor=first["next"])
    assert (bodies(rest), rest["next"]) == (["d0", "c0"], None)
    assert bodies(await moderated(client, limit=50))[0] == "arrived meanwhile"
    for bad in ("x", first["next"] + "A", "a" * 500):
        r = await client.get(
            f"{API}/comments",
            params={"cursor": bad},
            headers=admin_headers(client.app.state.settings),
        )
        assert_error(r, 400, "invalid_cursor")
    for params in ({"limit": "0"}, {"limit": "51"}, {"reported": "perhaps"}):
        r = await client.get(
            f"{API}/comments", params=params, headers=admin_headers(client.app.state.settings)
        )
        assert r.status_code == 400, r.text


async def test_reported_ones_come_by_last_report_with_their_newest_reasons(
    settings_factory: SettingsFactory,
) -> None:
    clock = HeldClock()
    settings = settings_factory(modules=("catalogue",), comment_burst=1000)
    async with running_app(settings, clock=clock) as client:
        item_id = await item(client)
        _, ada = person(client, "Ada")
        posted = []
        for body in "abcd":
            clock.advance(1)
            posted.append(await post(client, item_id, ada, body))
        a, b, c, _ = posted
        reporters = [person(client, f"R{n}")[1] for n in range(REASONS_SHOWN + 2)]
        for n, headers in enumerate(reporters):
            clock.advance(1)
            reason = None if n == 3 else f"reason {n}"
            assert (await report(client, b, headers, reason)).status_code == 204
        clock.advance(1)
        assert (await report(client, a, reporters[0])).status_code == 204
        clock.advance(1)
        assert (await report(client, c, reporters[0], "late")).status_code == 204
        first = await moderated(client, reported="true", limit=2)
        assert bodies(first) == ["c", "a"]
        clock.advance(1)
        assert (await report(client, b, person(client, "Late")[1])).status_code == 204
        rest = await moderated(client, reported="true", limit=2, cursor=first["next"])
        assert (bodies(rest), rest["next"]) == ([], None)  # b moved up: not shown twice
        everything = await moderated(client, reported="true")
        assert bodies(everything) == ["b", "c", "a"]
        shown = everything["comments"][0]
        assert shown["reports"] == REASONS_SHOWN + 3
        expected = [f"reason {n}" for n in range(REASONS_SHOWN + 1, -1, -1) if n != 3]
        assert shown["reasons"] == expected[:REASONS_SHOWN]
        assert shown["last_reported_at"] is not None
        assert everything["comments"][2]["reasons"] == []
        unreported = (await moderated(client))["comments"][0]
        assert (unreported["body"], unreported["reports"]) == ("d", 0)
        assert unreported["last_reported_at"] is None


async def test_dismissing_keeps_the_comment_and_deleting_takes_its_reports(
    client: Client,
) -> None:
    admin = admin_headers(client.app.state.settings)
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    kept, gone = await post(client, item_id, ada, "kept"), await post(client, item_id, ada, "gone")
    for comment_id in (kept, gone):
        assert (await report(client, comment_id, bob, "rude")).status_code == 204
    for _ in range(2):  # idempotent
        r = await client.delete(f"{API}/comments/{kept}/reports", headers=admin)
        assert (r.status_code, r.content) == (204, b""), r.text
    r = await client.delete(f"{API}/comments/{uuid.uuid4()}/reports", headers=admin)
    assert_error(r, 404, "comment_not_found")
    assert bodies(await moderated(client, reported="true")) == ["gone"]
    assert bodies(await moderated(client)) == ["gone", "kept"]
    assert (await client.delete(f"{API}/comments/{gone}", headers=admin)).status_code == 204
    assert await stored_reports(client) == []
    assert (await moderated(client, reported="true"))["comments"] == []


async def test_a_deleted_account_takes_the_reports_it_made(client: Client) -> None:
    item_id = await item(client)
    ada_id, ada = person(client, "Ada")
    bob_id, bob = person(client, "Bob")
    _, carol = person(client, "Carol")
    by_ada = await post(client, item_id, ada, "by Ada")
    by_carol = await post(client, item_id, carol, "by Carol")
    assert (await report(client, by_ada, carol, "reported by Carol")).status_code == 204
    assert (await report(client, by_carol, bob, "reported by Bob")).status_code == 204
    assert (await report(client, by_carol, ada, "reported by Ada")).status_code == 204
    for user_id in (ada_id, bob_id):
        gone = UserDeleted(user_id=user_id, deleted_at=datetime.datetime.now(datetime.UTC))
        await client.app.state.backends.events.publish(
            USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
        )

    async def forgotten() -> bool:
        return await stored_reports(client) == []

    await eventually(forgotten, "the deleted accounts' reports and comments deleted")
    assert bodies(await moderated(client)) == ["by Carol"]


async def test_one_authors_comments_alone_reported_or_not_paged_and_named(
    client: Client,
) -> None:
    one, two = await item(client), await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    bobs = await commented(client, one, bob, "by Bob")
    first = await post(client, one, ada, "spam 1")
    await post(client, two, ada, "spam 2")
    await reply(client, bobs, ada, "spam 3")
    assert (await report(client, first, bob, "spam")).status_code == 204
    everything = await moderated(client, author=ada_id)
    assert bodies(everything) == ["spam 3", "spam 2", "spam 1"]
    assert {c["author_id"] for c in everything["comments"]} == {ada_id}
    assert everything["author"] == {"id": ada_id, "name": "Ada", "comments": 3}
    page = await moderated(client, author=ada_id, limit=2)
    rest = await moderated(client, author=ada_id, limit=2, cursor=page["next"])
    assert (bodies(page), bodies(rest), rest["next"]) == (["spam 3", "spam 2"], ["spam 1"], None)
    reported = await moderated(client, author=ada_id, reported="true")
    assert (bodies(reported), reported["author"]["comments"]) == (["spam 1"], 3)
    assert bodies(await moderated(client, author=str(uuid.uuid4()), reported="true")) == []
    nobody = str(uuid.uuid4())
    assert await moderated(client, author=nobody) == {
        "comments": [],
        "next": None,
        "author": {"id": nobody, "name": None, "comments": 0},
    }
    assert (await moderated(client))["author"] is None
    admin = admin_headers(client.app.state.settings)
    for bad in ("ada", "", "1234", ada_id + "0", "' OR 1=1 --"):
        r = await client.get(f"{API}/comments", params={"author": bad}, headers=admin)
        assert_error(r, 400, "validation_error")
        assert "author" in r.json()["detail"]


async def total(client: Client, item_id: str) -> int:
    """The item's comment count, as its page says."""
    return int((await client.get(f"{API}/{item_id}/comments")).json()["total"])


async def test_deleting_an_authors_comments_keeps_others_replies_and_counts(
    client: Client,
) -> None:
    """Their comments go, one others answered leaving a placeholder over the replies (as
    deleting each one does)."""
    admin = admin_headers(client.app.state.settings)
    one, two = await item(client), await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    bobs = await commented(client, one, bob, "by Bob")
    spam = await commented(client, one, ada, "spam 1")
    await post(client, two, ada, "spam 2")
    await reply(client, bobs, ada, "spam 3")
    await reply(client, spam, bob, "Bob answers spam")
    for comment_id in (spam["id"], bobs["id"]):
        assert (
            await report(client, comment_id, bob if comment_id != bobs["id"] else ada)
        ).status_code == 204
    counts = await client.get(f"{API}/counts", headers=admin)
    assert counts.json()["reported_comments"] == 2
    r = await client.delete(f"{API}/comments", params={"author": ada_id}, headers=admin)
    assert (r.status_code, r.json()) == (200, {"deleted": 3}), r.text
    assert bodies(await moderated(client)) == ["Bob answers spam", "by Bob"]
    assert ((await moderated(client))["comments"][1]["reply_count"], await total(client, one)) == (
        0,
        2,
    )
    assert await total(client, two) == 0
    assert await stored_reports(client) == [(bobs["id"], None)]  # Ada's report of Bob's stays
    assert (await client.get(f"{API}/counts", headers=admin)).json()["reported_comments"] == 1
    assert (await moderated(client, author=ada_id))["author"] == {
        "id": ada_id,
        "name": "Ada",  # the name stays: the account does
        "comments": 0,
    }
    for author in (ada_id, str(uuid.uuid4())):  # again, or nobody's: nothing more goes
        r = await client.delete(f"{API}/comments", params={"author": author}, headers=admin)
        assert (r.status_code, r.json()) == (200, {"deleted": 0}), r.text


async def test_only_an_admin_deletes_an_authors_comments_and_bad_ids_change_nothing(
    client: Client,
) -> None:
    settings = client.app.state.settings
    item_id = await item(client)
    ada_id, ada = person(client, "Ada")
    await post(client, item_id, ada, "spam")
    token = mint_token(settings, role="admin", user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    _, viewer = person(client, "Bob")
    url, params = f"{API}/comments", {"author": ada_id}
    assert_error(await client.delete(url, params=params), 401, "unauthorized")
    assert_error(await client.delete(url, params=params, headers=ada), 403, "forbidden")
    assert_error(await client.delete(url, params=params, headers=viewer), 403, "forbidden")
    assert_error(
        await client.delete(url, params=params, headers=bearer(token)), 401, "token_revoked"
    )
    assert_error(await client.get(url, params=params, headers=bearer(token)), 401, "token_revoked")
    assert_error(await client.get(url, params=params, headers=viewer), 403, "forbidden")
    admin = admin_headers(settings)
    for bad in ({"author": "ada"}, {"author": ""}, {"author": ada_id[:-1]}, {}):
        r = await client.delete(url, params=bad, headers=admin)
        assert_error(r, 400, "validation_error")
        assert "author" in r.json()["detail"]
    assert bodies(await moderated(client)) == ["spam"]
    assert await total(client, item_id) == 1
