"""Publishing and deleting items emit events, once each, on both backend kinds."""

from __future__ import annotations

import msgspec
from catalogue_testing import (
    API,
    AppClient,
    EventLog,
    admin_headers,
    create_item,
    eventually,
    item_body,
    outbox_backlog,
    stored_events,
)

from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_PUBLISHED, MediaItem

Client = AppClient


async def test_publish_and_delete_events_carry_the_item(catalogue_client: Client) -> None:
    settings = catalogue_client.settings
    backends = catalogue_client.backends
    admin = admin_headers(settings)
    async with EventLog.attached(backends) as log:
        live = await create_item(catalogue_client, settings, title="Born published")
        draft = await create_item(catalogue_client, settings, title="Born draft", publish=False)
        r = await catalogue_client.post(f"{API}/", json=item_body(id=live["id"]), headers=admin)
        assert r.status_code == 409  # a refused change writes no event either
        url = f"{API}/{draft['id']}"
        await catalogue_client.patch(url, json={"title": "Still a draft"}, headers=admin)
        r = await catalogue_client.patch(url, json={"status": "published"}, headers=admin)
        went_live = r.json()
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
    assert [e.subject for e in log.about(draft["id"])] == [MEDIA_PUBLISHED]
    for event, expected in (
        (log.about(live["id"])[0], live),
        (log.about(live["id"])[1], live),  # the item as it was when deleted
        (log.about(draft["id"])[0], went_live),
    ):
        assert msgspec.json.decode(event.payload) == expected
        msgspec.json.decode(event.payload, type=MediaItem)  # the contract's shape
    ids = [e.id for e in log.events if e.id]
    assert len(ids) == len(set(ids)) == 3
    if settings.nats_url:
        stored = await stored_events(settings.nats_url, {live["id"], draft["id"]})
        assert sorted((m, s) for m, s, _ in stored) == sorted(
            [
                (live["id"], MEDIA_PUBLISHED),
                (live["id"], MEDIA_DELETED),
                (draft["id"], MEDIA_PUBLISHED),
            ]
        )
