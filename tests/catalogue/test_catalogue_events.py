"""Publishing, unpublishing and deleting items emit events, once each, on both backend kinds;
an item registered as a draft is announced as not published."""

from __future__ import annotations

import msgspec
from catalogue_testing import (
    API,
    EventLog,
    admin_headers,
    create_item,
    eventually,
    item_body,
    outbox_backlog,
    register_queued,
    stored_events,
    viewer_headers,
)

from streamstack.contracts.catalogue import (
    MEDIA_DELETED,
    MEDIA_PUBLISHED,
    MEDIA_UNPUBLISHED,
    MediaItem,
    MediaWithdrawn,
    object_prefix,
)
from support.apps import AppClient

Client = AppClient


async def test_publish_and_delete_events_carry_the_item(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    backends = catalogue_client.app.state.backends
    admin = admin_headers(settings)
    async with EventLog.attached(backends) as log:
        live = await create_item(catalogue_client, settings, title="Born published")
        draft = await create_item(catalogue_client, settings, title="Born draft", publish=False)
        r = await catalogue_client.post(f"{API}/", json=item_body(id=live["id"]), headers=admin)
        assert r.status_code == 409  # a refused change writes no event either
        url = f"{API}/{draft['id']}"
        await catalogue_client.patch(url, json={"title": "Still a draft"}, headers=admin)
        r = await catalogue_client.patch(url, json={"status": "published"}, headers=admin)
        # The answer is the item the event carries, and how many share links an
        # unpublishing paused (the event's readers have no use for that).
        went_live = r.json()
        assert went_live.pop("paused_share_links") == 0
        await catalogue_client.patch(url, json={"status": "published"}, headers=admin)
        await catalogue_client.patch(url, json={"status": "draft"}, headers=admin)
        r = await catalogue_client.delete(f"{API}/{live['id']}", headers=admin)
        assert r.status_code == 204

        async def delete_arrived() -> bool:
            return len(log.about(live["id"], MEDIA_DELETED)) == 1

        # The delete was enqueued last and events go out in order: once it is here,
        # everything before it is too.
        await eventually(delete_arrived, what="the delete event")

        async def relayed() -> bool:
            return await outbox_backlog(backends) == 0

        await eventually(relayed, what="an empty outbox")

    assert [e.subject for e in log.about(live["id"])] == [MEDIA_PUBLISHED, MEDIA_DELETED]
    assert [e.subject for e in log.about(draft["id"])] == [
        MEDIA_UNPUBLISHED,  # registered as a draft
        MEDIA_PUBLISHED,
        MEDIA_UNPUBLISHED,
    ]
    for event, expected in (
        (log.about(live["id"])[0], live),
        (log.about(draft["id"])[1], went_live),
    ):
        assert msgspec.json.decode(event.payload) == expected
        msgspec.json.decode(event.payload, type=MediaItem)  # the contract's shape
    # Withdrawals name what to take down: the item, its original, its thumbnail, its prefix.
    withdrawals = (
        (log.about(live["id"])[1], live),
        *((e, draft) for e in log.about(draft["id"])[::2]),
    )
    for event, item in withdrawals:
        withdrawn = msgspec.json.decode(event.payload, type=MediaWithdrawn)
        assert withdrawn.id == item["id"]
        assert withdrawn.object_prefix == object_prefix(item["id"]) == f"{item['id']}/"
        assert withdrawn.s3_key == item["s3_key"]
        assert withdrawn.thumbnail_s3_key == item["thumbnail_s3_key"]
    ids = [e.id for e in log.events if e.id]
    assert len(ids) == len(set(ids)) == 5
    if settings.nats_url:
        stored = await stored_events(settings.nats_url, {live["id"], draft["id"]})
        assert sorted((m, s) for m, s, _ in stored) == sorted(
            [
                (live["id"], MEDIA_PUBLISHED),
                (live["id"], MEDIA_DELETED),
                (draft["id"], MEDIA_PUBLISHED),
                (draft["id"], MEDIA_UNPUBLISHED),
                (draft["id"], MEDIA_UNPUBLISHED),
            ]
        )


async def test_deleting_a_draft_or_a_processing_item_is_announced(catalogue_client: Client) -> None:
    """Even an item viewers never saw has objects (and maybe a running job) to take down."""
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    async with EventLog.attached(catalogue_client.app.state.backends) as log:
        draft = await create_item(catalogue_client, settings, publish=False)
        hidden = await register_queued(catalogue_client, settings, playable=False)
        for item in (draft, hidden):
            r = await catalogue_client.delete(f"{API}/{item['id']}", headers=admin)
            assert r.status_code == 204
            # Already gone: a second delete is 404 and announces nothing more.
            r = await catalogue_client.delete(f"{API}/{item['id']}", headers=admin)
            assert r.status_code == 404

        async def both_arrived() -> bool:
            return all(log.about(i["id"], MEDIA_DELETED) for i in (draft, hidden))

        await eventually(both_arrived, what="the delete events")
        await eventually(lambda: _empty(catalogue_client), what="an empty outbox")
    assert [e.subject for e in log.about(draft["id"])] == [MEDIA_UNPUBLISHED, MEDIA_DELETED]
    assert [e.subject for e in log.about(hidden["id"])] == [MEDIA_PUBLISHED, MEDIA_DELETED]


async def test_only_admins_unpublish_or_delete(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    async with EventLog.attached(catalogue_client.app.state.backends) as log:
        item = await create_item(catalogue_client, settings)
        url = f"{API}/{item['id']}"
        for headers, status in ((viewer_headers(settings), 403), ({}, 401)):
            r = await catalogue_client.patch(url, json={"status": "draft"}, headers=headers)
            assert r.status_code == status
            r = await catalogue_client.delete(url, headers=headers)
            assert r.status_code == status
        await eventually(lambda: _empty(catalogue_client), what="an empty outbox")
    assert [e.subject for e in log.about(item["id"])] == [MEDIA_PUBLISHED]
    assert (await catalogue_client.get(url)).status_code == 200


async def _empty(client: Client) -> bool:
    return await outbox_backlog(client.app.state.backends) == 0
