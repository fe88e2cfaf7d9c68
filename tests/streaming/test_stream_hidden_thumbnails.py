"""An unpublished or deleted item's thumbnail and poster are refused to everyone but an
admin's browser (the stills pass), from the catalogue's events, on both backends.

The events are published on the app's own bus as catalogue's outbox relay does. Events of
one subject arrive in order, so a test that must show an event *changed nothing* sends a
second item's event of the same subject after it, and waits for that one to land.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jose import jwt
from streaming_rig import (
    StreamRig,
    assert_error,
    chunks_of,
    stream_rig,
    withdraw,
    withdrawal_event,
)

from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_PUBLISHED, MEDIA_UNPUBLISHED
from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from streamstack.kernel.clock import utcnow
from streamstack.kernel.events import EVENT_KEEP_SECONDS
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.settings import Settings
from streamstack.streaming.hidden import PRUNE_EVERY_SECONDS, HiddenItems
from streamstack.streaming.models import Seen
from streamstack.streaming.repository import HIDDEN_ITEMS_BUCKET, HiddenItemsRecord
from support.apps import mint_token
from support.clock import HeldClock
from support.waiting import eventually

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
POSTER = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 9 + b"\xff\xd9"
#: How long an event may take to reach the app (the take-downs' bound).
WITHIN_SECONDS = 5.0
PUBLIC = "public, max-age=300, must-revalidate"
PRIVATE = "private, no-store"


@pytest.fixture(scope="module")
def rig_clock() -> HeldClock:
    """The clock of the module's shared app: catalogue's times are read from it."""
    return HeldClock(utcnow() + timedelta(days=1))


async def put_stills(rig: StreamRig, media_id: str) -> None:
    """A thumbnail and a poster, as ingest stores them."""
    for key, data in ((f"{media_id}.jpg", JPEG), (f"{media_id}-poster.jpg", POSTER)):
        await rig.in_app(rig.thumbnails.write, key, chunks_of(data), content_type="image/jpeg")


async def publish(
    rig: StreamRig, media_id: str, at: datetime, first: datetime | None = None
) -> None:
    """``media.published`` as catalogue sends it at ``at`` (a whole item; streaming reads two
    fields): ``first``, when it went public before, stays its ``published_at``."""
    item = {
        "id": media_id,
        "title": "Harbour",
        "status": "published",
        "published_at": first or at,
        "updated_at": at,
    }
    payload = msgspec.json.encode(item)
    await rig.in_app(
        rig.backends.events.publish, MEDIA_PUBLISHED, payload, event_id=str(uuid.uuid4())
    )


def urls(media_id: str) -> tuple[str, str]:
    base = "/api/v1/stream/thumbnails"
    return f"{base}/{media_id}.jpg", f"{base}/{media_id}-poster.jpg"


def pass_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{STILLS_PASS_COOKIE}={token}"}


async def becomes(rig: StreamRig, url: str, status: int) -> None:
    """``url`` answers ``status`` within :data:`WITHIN_SECONDS`."""

    async def answers() -> bool:
        return (await rig.client.get(url)).status_code == status

    await eventually(answers, f"{url} answering {status}", WITHIN_SECONDS)


async def hidden_item(rig: StreamRig, clock: HeldClock) -> str:
    """A new item with stills, unpublished (hidden once this returns)."""
    media_id = str(uuid.uuid4())
    await put_stills(rig, media_id)
    await withdraw(rig, MEDIA_UNPUBLISHED, media_id, clock.advance(1))
    await becomes(rig, urls(media_id)[0], 404)
    return media_id


async def test_an_unpublished_items_stills_show_again_when_it_is_republished(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    media_id = str(uuid.uuid4())
    await put_stills(rig, media_id)
    thumbnail, poster = urls(media_id)
    first = rig_clock.advance(1)
    await publish(rig, media_id, first)
    assert (await rig.client.get(poster)).content == POSTER

    await withdraw(rig, MEDIA_UNPUBLISHED, media_id, rig_clock.advance(1))

    await becomes(rig, thumbnail, 404)
    for url in (thumbnail, poster):
        assert_error(await rig.client.get(url), 404, "thumbnail_not_found")
        assert (await rig.client.head(url)).status_code == 404
    # Published again, it keeps its first publish date (older than the unpublish).
    await publish(rig, media_id, rig_clock.advance(1), first=first)
    await becomes(rig, thumbnail, 200)
    shown = await rig.client.get(poster)
    assert (shown.content, shown.headers["cache-control"]) == (POSTER, PUBLIC)


async def test_an_admins_stills_pass_shows_a_hidden_item_privately(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    media_id = await hidden_item(rig, rig_clock)
    thumbnail, poster = urls(media_id)
    admin = pass_cookie(rig.user_token(role="admin"))

    shown = await rig.client.get(poster, headers=admin)
    head = await rig.client.head(thumbnail, headers=admin)
    again = await rig.client.get(poster, headers={**admin, "If-None-Match": shown.headers["etag"]})

    assert (shown.status_code, shown.content) == (200, POSTER)
    assert shown.headers["cache-control"] == PRIVATE  # no shared cache keeps it
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(JPEG)))
    assert (again.status_code, again.headers["cache-control"]) == (304, PRIVATE)
    # A viewer's pass, or a conditional request without one, shows nothing.
    viewer = pass_cookie(rig.user_token(role="viewer"))
    assert_error(await rig.client.get(poster, headers=viewer), 404, "thumbnail_not_found")
    conditional = {"If-None-Match": shown.headers["etag"]}
    assert_error(await rig.client.get(poster, headers=conditional), 404)


@pytest.mark.parametrize(
    "what", ["revoked", "expired", "foreign key", "refresh token", "junk", "empty"]
)
async def test_a_pass_that_is_not_a_live_admin_token_shows_nothing(
    rig: StreamRig, rig_clock: HeldClock, what: str
) -> None:
    media_id = await hidden_item(rig, rig_clock)
    if what == "revoked":  # signed out, demoted, disabled: auth revoked the token
        token = rig.user_token(role="admin")
        revocations = RevocationList(rig.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
        await rig.in_app(revocations.revoke, jwt.get_unverified_claims(token)["jti"])
    elif what == "expired":
        token = mint_token(rig.settings, role="admin", ttl_seconds=-60)
    elif what == "foreign key":
        token = rig.user_token(role="admin", headers={"kid": "someone-else"})
    elif what == "refresh token":
        token = rig.user_token(role="admin", typ="refresh")
    else:
        token = {"junk": "a.b.c", "empty": ""}[what]

    for url in urls(media_id):
        assert_error(await rig.client.get(url, headers=pass_cookie(token)), 404)


async def test_a_deleted_items_stills_are_refused_until_ingest_removes_them(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    media_id = str(uuid.uuid4())
    await put_stills(rig, media_id)
    await withdraw(rig, MEDIA_DELETED, media_id, rig_clock.advance(1))
    await becomes(rig, urls(media_id)[1], 404)
    assert_error(await rig.client.get(urls(media_id)[0]), 404, "thumbnail_not_found")


async def test_an_older_event_arriving_later_changes_nothing(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    """Publish and unpublish are separate subscriptions (and a replay brings old events
    late): the latest by catalogue's time wins, not the last to arrive."""
    media_id = str(uuid.uuid4())
    await put_stills(rig, media_id)
    earlier, later = rig_clock.advance(1), rig_clock.advance(1)
    await publish(rig, media_id, later)
    await withdraw(rig, MEDIA_UNPUBLISHED, media_id, earlier)
    marker = await hidden_item(rig, rig_clock)  # the same subject, sent after: it landed

    assert (await rig.client.get(urls(media_id)[0])).content == JPEG
    # And the other way round: a publish older than the withdrawal leaves it hidden.
    await publish(rig, marker, earlier)
    await publish(rig, media_id, rig_clock.advance(1))  # after it on the same subject
    await becomes(rig, urls(media_id)[0], 200)
    assert_error(await rig.client.get(urls(marker)[0]), 404)


async def test_an_unreadable_event_changes_nothing(rig: StreamRig, rig_clock: HeldClock) -> None:
    media_id = await hidden_item(rig, rig_clock)
    for junk in (b'{"id": 5}', b"\xff", b'{"id": "x", "updated_at": "soon"}'):
        event_id = str(uuid.uuid4())
        await rig.in_app(rig.backends.events.publish, MEDIA_PUBLISHED, junk, event_id=event_id)
    shown = await hidden_item(rig, rig_clock)
    await publish(rig, shown, rig_clock.advance(1))  # after the junk, on its subject
    await becomes(rig, urls(shown)[0], 200)

    assert_error(await rig.client.get(urls(media_id)[0]), 404)
    assert (await rig.client.get("/ready")).status_code == 200


async def test_a_restarted_process_still_hides_them(
    stream_settings: Any, rig_clock: HeldClock
) -> None:
    """NATS replays the events the stream keeps; the in-process bus of the one-process dev
    mode has nothing to replay, so the hidden items kept in KV tell it."""
    settings: Settings = stream_settings()
    async with stream_rig(settings, clock=rig_clock) as rig:
        media_id = await hidden_item(rig, rig_clock)
        shown = await hidden_item(rig, rig_clock)
        await publish(rig, shown, rig_clock.advance(1))
        await becomes(rig, urls(shown)[0], 200)

    async with stream_rig(settings, clock=rig_clock) as restarted:
        assert_error(await restarted.client.get(urls(media_id)[0]), 404)
        assert (await restarted.client.get(urls(shown)[1])).content == POSTER


async def test_what_no_event_can_contradict_any_more_is_forgotten(tmp_path: Path) -> None:
    """A deleted item is hidden for as long as the events stream keeps events (its stills
    are gone by then); an unpublished one until it is published again, however long."""
    clock = HeldClock()
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", HIDDEN_ITEMS_BUCKET, 3600)
    record = HiddenItemsRecord(store)
    hidden = HiddenItems(record, clock)
    now = clock().timestamp()
    hidden.see("unpublished", Seen(hidden=True, at=now, lasting=True))
    hidden.see("deleted", Seen(hidden=True, at=now, lasting=False))
    clock.advance(EVENT_KEEP_SECONDS + PRUNE_EVERY_SECONDS)
    event = withdrawal_event(MEDIA_DELETED, "later", clock())

    await hidden.on_event(event)

    assert [hidden.hides(key) for key in ("unpublished", "deleted", "later")] == [True, False, True]
    assert set(await record.load()) == {"unpublished", "later"}
    restarted = HiddenItems(record, clock)
    await restarted.restore()
    assert restarted.hides("unpublished") and restarted.hides("later")


async def test_the_hidden_items_are_saved_a_sixteenth_at_a_time(tmp_path: Path) -> None:
    """One KV value per first character of the id: a change rewrites its own value only,
    and no value nears NATS's message limit long before the whole set would."""
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", HIDDEN_ITEMS_BUCKET, 3600)
    record = HiddenItemsRecord(store)
    hidden = {str(uuid.uuid4()): Seen(hidden=True, at=1.0, lasting=True) for _ in range(64)}
    await record.save(hidden)
    assert await record.load() == hidden
    changed = next(iter(hidden))
    bystander = next(key for key in hidden if key[0] != changed[0])

    kept = {key: seen for key, seen in hidden.items() if key not in (changed, bystander)}
    await record.save(kept, changed)

    loaded = await record.load()
    assert changed not in loaded and bystander in loaded  # its value was not rewritten
    raw = await store.get(f"hidden-{changed[0]}")
    assert raw is not None
    assert {key[0] for key in msgspec.json.decode(raw)} <= {changed[0]}
