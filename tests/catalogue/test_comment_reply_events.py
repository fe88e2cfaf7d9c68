"""A reply announces ``comment.replied`` through the outbox, on both backend kinds: naming
the authors it answers (the top-level comment's, and the reply's it answers), never the
replier, each once; a top-level comment, or a reply to one's own comment, announces
nothing; a long reply is quoted cut."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from catalogue_testing import API, EventLog, admin_headers, eventually, outbox_backlog
from comment_testing import Client, item, person, post, reply

from streamstack.catalogue.comments import reply_excerpt
from streamstack.contracts.catalogue import COMMENT_REPLIED, REPLY_EXCERPT_MAX, CommentReplied
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone."""
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


async def announced(client: Client, log: EventLog) -> list[CommentReplied]:
    """Every ``comment.replied`` delivered, once the outbox is empty."""
    backends = client.app.state.backends

    async def relayed() -> bool:
        return await outbox_backlog(backends) == 0

    await eventually(relayed, what="an empty outbox")
    return [
        msgspec.json.decode(event.payload, type=CommentReplied)
        for event in log.events
        if event.subject == COMMENT_REPLIED
    ]


async def test_a_reply_names_the_authors_it_answers_but_the_replier(client: Client) -> None:
    item_id = await item(client, title="Herons at dawn")
    ada_id, ada = person(client, "Ada")
    bob_id, bob = person(client, "Bob")
    cy_id, cy = person(client, "Cy")
    async with EventLog.attached(client.app.state.backends) as log:
        question = await post(client, item_id, ada, "at 3:12, what is that?")
        answer = await reply(client, question, bob, "A heron.")

        async def first() -> bool:
            return any(e.subject == COMMENT_REPLIED for e in log.events)

        await eventually(first, what="the first reply's event")
        await reply(client, question, ada, "Thanks!")  # to her own comment: nobody to tell
        await reply(client, answer, cy, "A grey heron, @Bob.")  # to Bob's reply: Ada and Bob
        await reply(client, answer, ada, "@Bob I see it now")  # to Bob's reply: Bob alone
        events = await announced(client, log)
    assert [(e.recipients, e.replier_name) for e in events] == [
        ([ada_id], "Bob"),
        ([ada_id, bob_id], "Cy"),
        ([bob_id], "Ada"),
    ]
    assert cy_id not in {r for e in events for r in e.recipients}
    first_event = events[0]
    assert (first_event.item_id, first_event.item_title) == (item_id, "Herons at dawn")
    assert (first_event.reply_id, first_event.excerpt) == (answer["id"], "A heron.")
    assert first_event.link_path == f"/watch/{item_id}?comment={answer['id']}"  # at the reply


async def test_a_top_level_comment_announces_nothing(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    async with EventLog.attached(client.app.state.backends) as log:
        await post(client, item_id, ada, "first!")
        assert await announced(client, log) == []


async def test_a_reply_on_a_video_taken_back_announces_nothing(client: Client) -> None:
    # Its mail's link would open for admins alone: a viewer would be sent to a 404.
    item_id = await item(client)
    ada_id, ada = person(client, "Ada")
    _, admin = person(client, "Admin", role="admin")
    status = f"{API}/{item_id}"
    settings = client.app.state.settings
    async with EventLog.attached(client.app.state.backends) as log:
        question = await post(client, item_id, ada, "what is that bird?")
        taken_back = await client.patch(
            status, json={"status": "draft"}, headers=admin_headers(settings)
        )
        assert taken_back.status_code == 200, taken_back.text
        await reply(client, question, admin, "A heron (this video comes back soon).")
        assert await announced(client, log) == []
        published = await client.patch(
            status, json={"status": "published"}, headers=admin_headers(settings)
        )
        assert published.status_code == 200, published.text
        await reply(client, question, admin, "It is back.")
        events = await announced(client, log)
    assert [(e.recipients, e.excerpt) for e in events] == [([ada_id], "It is back.")]


def test_a_long_reply_is_quoted_cut_at_a_word() -> None:
    long = "word " * 200
    quoted = reply_excerpt(long)
    assert len(quoted) <= REPLY_EXCERPT_MAX
    assert quoted.endswith("word…")
    assert reply_excerpt("short") == "short"
    assert reply_excerpt("x" * 1000) == "x" * (REPLY_EXCERPT_MAX - 1) + "…"


async def test_a_reply_says_whether_its_replier_is_an_admin(client: Client) -> None:
    """So the mail can name an admin as one, and a viewer named as the admin not (F1)."""
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, admin = person(client, "Admin", role="admin")
    _, viewer = person(client, "Admin")
    async with EventLog.attached(client.app.state.backends) as log:
        question = await post(client, item_id, ada, "Who runs this?")
        await reply(client, question, admin, "I do.")
        await reply(client, question, viewer, "No, I do.")
        events = await announced(client, log)
    assert [(e.replier_name, e.by_admin) for e in events] == [("Admin", True), ("Admin", False)]
