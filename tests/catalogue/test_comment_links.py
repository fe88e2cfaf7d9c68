"""One comment read by its id, as a link to it opens it (``GET /{item_id}/comments/{id}``),
on both backend kinds: a top-level comment alone, a reply with the comment it answers, as
the caller is shown them; the list's rules for who reads what (a draft's comments, another
item's comment, one deleted, comments off, a malformed id: 404; a bad or revoked token 401)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from catalogue_testing import API, admin_headers
from comment_testing import Client, assert_error, item, person, post, reply
from jose import jwt

from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from support.apps import AppClient, bearer, mint_token, running_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


def linked_path(item_id: str, comment_id: str) -> str:
    return f"{API}/{item_id}/comments/{comment_id}"


async def test_a_comment_is_read_alone_and_a_reply_with_its_thread(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    question = await post(client, item_id, ada, "what bird is that?")
    answer = await reply(client, question, bob, "A heron.")
    await post(client, item_id, bob, "lovely light")
    r = await client.post(f"{API}/comments/{question['id']}/reports", json={}, headers=bob)
    assert r.status_code in (200, 201, 204), r.text

    alone = await client.get(linked_path(item_id, question["id"]))
    assert alone.status_code == 200, alone.text
    assert alone.json()["parent"] is None
    assert (alone.json()["comment"]["body"], alone.json()["comment"]["reply_count"]) == (
        "what bird is that?",
        1,
    )
    threaded = await client.get(linked_path(item_id, answer["id"]), headers=bob)
    assert threaded.status_code == 200, threaded.text
    shown = threaded.json()
    assert (shown["comment"]["body"], shown["comment"]["mine"]) == ("A heron.", True)
    assert shown["comment"]["parent_id"] == question["id"]
    # The thread as Bob is shown it in the list: not his, reported by him.
    assert (shown["parent"]["id"], shown["parent"]["mine"], shown["parent"]["reported"]) == (
        question["id"],
        False,
        True,
    )


async def test_what_the_list_would_not_show_is_404(client: Client) -> None:
    item_id, other, draft = (
        await item(client),
        await item(client),
        await item(client, publish=False),
    )
    _, ada = person(client, "Ada")
    _, admin = person(client, "Admin", role="admin")
    mine = await post(client, item_id, ada, "here")
    elsewhere = await post(client, other, ada, "on another video")
    on_draft = await post(client, draft, admin, "on a draft")
    gone = await post(client, item_id, ada, "deleted")
    assert (await client.delete(f"{API}/comments/{gone['id']}", headers=ada)).status_code == 204
    for headers in (None, ada):
        r = await client.get(linked_path(draft, on_draft["id"]), headers=headers)
        assert r.status_code == 404, r.text
        assert "on a draft" not in r.text
        for comment_id in (elsewhere["id"], gone["id"], str(uuid.uuid4())):
            assert_error(
                await client.get(linked_path(item_id, comment_id), headers=headers),
                404,
                "comment_not_found",
            )
        r = await client.get(linked_path(str(uuid.uuid4()), mine["id"]), headers=headers)
        assert r.status_code == 404, r.text
    r = await client.get(linked_path(draft, on_draft["id"]), headers=admin)
    assert (r.status_code, r.json()["comment"]["body"]) == (200, "on a draft")
    for bad_item, bad_comment in (("not-an-id", mine["id"]), (item_id, "not-an-id")):
        r = await client.get(linked_path(bad_item, bad_comment))
        # As on every route of the catalogue: a malformed id names nothing there is.
        assert (r.status_code, r.json()["status"]) == (404, 404), (bad_item, r.text)


async def test_comments_off_hide_a_linked_comment_from_viewers(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    mine = await post(client, item_id, ada, "said before")
    admin = admin_headers(client.app.state.settings)
    r = await client.patch(f"{API}/{item_id}", json={"comments_enabled": False}, headers=admin)
    assert r.status_code == 200, r.text
    for headers in (None, ada):
        r = await client.get(linked_path(item_id, mine["id"]), headers=headers)
        assert_error(r, 404, "comment_not_found")
        assert "said before" not in r.text
    r = await client.get(linked_path(item_id, mine["id"]), headers=admin)
    assert (r.status_code, r.json()["comment"]["body"]) == (200, "said before")


async def test_a_bad_expired_or_revoked_token_is_401(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client)
    mine = await post(client, item_id, ada, "hello")
    settings = client.app.state.settings
    token = mint_token(settings, user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    for headers, code in (
        (bearer("not-a-token"), "invalid_token"),
        (bearer(mint_token(settings, ttl_seconds=-60)), "invalid_token"),
        (bearer(token), "token_revoked"),
    ):
        r = await client.get(linked_path(item_id, mine["id"]), headers=headers)
        assert_error(r, 401, code)
        assert "hello" not in r.text
