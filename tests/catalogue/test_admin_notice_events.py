"""What admins are mailed of is announced through catalogue's outbox, once, on both backend
kinds: an item's transcoding failing for good (``media.transcode_failed``, as its
processing becomes ``failed``; the same failure reported again is not news), and an
account's first report of a comment (``comment.reported``; reporting it again is not)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import msgspec
import pytest
from catalogue_testing import register_queued
from comment_testing import Client, item, person, post
from sqlalchemy import select

from streamstack.catalogue.models import OutboxRow
from streamstack.contracts.catalogue import (
    COMMENT_REPORTED,
    TRANSCODE_FAILED,
    CatalogueClient,
    CommentReported,
    ProcessingUpdate,
    TranscodeFailed,
)
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory

CATALOGUE = "/api/v1/catalogue"
_Payload = TypeVar("_Payload")


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone."""
    async with running_app(settings_factory(modules=("catalogue",), comment_burst=1000)) as app:
        yield app


async def in_outbox(client: Client, subject: str, kind: type[_Payload]) -> list[_Payload]:
    """Every event of ``subject`` the catalogue's outbox holds (sent or not), oldest first."""
    async with client.app.state.backends.database.unit_of_work() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.subject == subject).order_by(OutboxRow.seq)
        )
        return [msgspec.json.decode(row.payload, type=kind) for row in rows]


async def test_a_transcode_failing_for_good_is_announced_once(client: Client) -> None:
    settings = client.app.state.settings
    worker = CatalogueClient(InProcessTransport(client.app.state.operations))
    queued = await register_queued(client, settings, title="Herons at dawn", playable=False)
    reason = "no video stream decodes"
    await worker.update_processing(
        ProcessingUpdate(media_id=queued["id"], state="processing", percent=40)
    )
    for _ in range(2):  # the same failure reported twice is one piece of news
        await worker.update_processing(
            ProcessingUpdate(media_id=queued["id"], state="failed", detail=reason)
        )
    (failed,) = await in_outbox(client, TRANSCODE_FAILED, TranscodeFailed)
    assert (failed.item_id, failed.item_title, failed.detail) == (
        queued["id"],
        "Herons at dawn",
        reason,
    )
    assert (failed.still_plays, failed.link_path) == (False, "/admin/library?processing=failed")
    # Transcoded again and failing again: news again. One that plays says so.
    plays = await register_queued(client, settings, title="Storks", playable=True)
    for media_id in (queued["id"], plays["id"]):
        await worker.update_processing(ProcessingUpdate(media_id=media_id, state="queued"))
        await worker.update_processing(
            ProcessingUpdate(media_id=media_id, state="failed", detail="out of memory")
        )
    announced = await in_outbox(client, TRANSCODE_FAILED, TranscodeFailed)
    assert [(e.item_title, e.still_plays) for e in announced] == [
        ("Herons at dawn", False),
        ("Herons at dawn", False),
        ("Storks", True),
    ]


async def test_a_first_report_of_a_comment_is_announced_once(client: Client) -> None:
    item_id = await item(client, title="Herons at dawn")
    _, ada = person(client, "Ada")
    bob_id, bob = person(client, "Bob")
    cy_id, cy = person(client, "Cy")
    comment = await post(client, item_id, ada, "buy cheap watches at example.com " * 20)
    reports = f"{CATALOGUE}/comments/{comment['id']}/reports"
    for who, body in ((bob, {"reason": "spam"}), (bob, {"reason": "again"}), (cy, {})):
        r = await client.post(reports, json=body, headers=who)
        assert r.status_code == 204, r.text
    announced = await in_outbox(client, COMMENT_REPORTED, CommentReported)
    assert [(e.reported_by, e.reason) for e in announced] == [(bob_id, "spam"), (cy_id, None)]
    first = announced[0]
    assert (first.comment_id, first.item_id, first.item_title) == (
        comment["id"],
        item_id,
        "Herons at dawn",
    )
    assert first.excerpt.startswith("buy cheap watches") and first.excerpt.endswith("…")
    assert len(first.excerpt) <= 300
    assert first.link_path == "/admin/comments?reported=1"


async def test_a_refused_report_announces_nothing(client: Client) -> None:
    item_id = await item(client)
    _, ada = person(client, "Ada")
    comment = await post(client, item_id, ada, "mine")
    r = await client.post(f"{CATALOGUE}/comments/{comment['id']}/reports", json={}, headers=ada)
    assert r.status_code == 409, r.text  # one's own comment
    assert await in_outbox(client, COMMENT_REPORTED, CommentReported) == []
