"""What the catalogue tests share: request bodies, tokens, event logs, served apps.

Apps run through ``support.apps.running_app`` (settings and backends at
``client.app.state``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx
import msgspec
import nats
import pytest

from streamstack.catalogue.models import OutboxRow
from streamstack.catalogue.module import RELAY_TASK_NAME
from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import (
    CatalogueClient,
    CatalogueItem,
    ItemShown,
    NewMediaItem,
)
from streamstack.contracts.streaming import StreamingClient
from streamstack.kernel.backends import Backends
from streamstack.kernel.db import Database
from streamstack.kernel.errors import AppError
from streamstack.kernel.events import Event, EventBus, Subscription
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.operation import CallContext, Transport
from streamstack.kernel.outbox import OutboxRelay
from streamstack.kernel.transport import InProcessTransport
from streamstack.settings import Settings
from support.apps import AppClient, bearer, mint_token
from support.waiting import eventually as eventually  # re-exported for the tests

API = "/api/v1/catalogue"
EVENT_STREAM = "CATALOGUE_EVENTS"


def admin_headers(settings: Settings, user_id: str | None = None) -> dict[str, str]:
    """Authorization of a fresh admin."""
    return bearer(mint_token(settings, role="admin", user_id=user_id))


def viewer_headers(settings: Settings) -> dict[str, str]:
    """Authorization of a fresh viewer."""
    return bearer(mint_token(settings, role="viewer"))


def shown(item: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """The JSON of an item whole (an admin route's answer) as the routes open to viewers
    answer it: no object keys nor uploader, and the processing internals only to admins."""
    fields = CatalogueItem.__struct_fields__ if admin else ItemShown.__struct_fields__
    return {name: value for name, value in item.items() if name in fields}


def viewed(item: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """:func:`shown`, as ``GET /{id}`` answers it to a signed-in caller who never played
    nor liked it (``liked`` false, no ``progress``)."""
    return {**shown(item, admin=admin), "liked": False}


def item_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /api/v1/catalogue/`` body; ``overrides`` replace or add fields (its
    objects are named by the ``id`` given, as an item's must be)."""
    item_id = str(overrides.get("id", uuid.uuid4()))
    body: dict[str, Any] = {
        "id": item_id,
        "title": "A walk in the park",
        "s3_key": f"{item_id}.mp4",
        "size_bytes": 1_048_576,
        "content_type": "video/mp4",
        "description": "Trees, mostly.",
        "tags": ["nature"],
        "duration_seconds": 12.5,
        "video_codec": "h264",
        "audio_codec": "aac",
        "width": 1280,
        "height": 720,
        "fps": 25.0,
        "thumbnail_s3_key": f"{item_id}.jpg",
    }
    body.update(overrides)
    return body


async def create_item(
    client: httpx.AsyncClient, settings: Settings, **overrides: Any
) -> dict[str, Any]:
    """Create an item as an admin through the API; return its JSON."""
    r = await client.post(f"{API}/", json=item_body(**overrides), headers=admin_headers(settings))
    assert r.status_code == 201, r.text
    item: dict[str, Any] = r.json()
    return item


async def put_object(settings: Settings, key: str, data: bytes) -> None:
    """Store ``data`` in the media bucket, as ingest would have."""
    async with Backends(settings) as backends:

        async def chunks() -> AsyncIterator[bytes]:
            yield data

        await backends.prepare()
        await backends.objects(settings.media_bucket).write(key, chunks(), content_type="video/mp4")


async def outbox_backlog(backends: Backends) -> int:
    """Unsent events in the outbox of the database ``backends`` uses."""
    return await catalogue_relay(backends.database, backends.events).backlog()


def catalogue_relay(database: Database, events: EventBus, *, batch_size: int = 100) -> OutboxRelay:
    """The kernel's relay over the catalogue's outbox table, as ``module.py`` builds it."""
    return OutboxRelay(database, events, OutboxRow, name=RELAY_TASK_NAME, batch_size=batch_size)


def unused_streaming() -> StreamingClient:
    raise AssertionError("this test asks streaming for nothing")


def service_without_relay(backends: Backends) -> CatalogueService:
    """The catalogue's use cases on ``backends``, with no relay running: events stay queued."""
    return CatalogueService(backends.database, wake_relay=lambda: None, streaming=unused_streaming)


def new_item(**overrides: Any) -> NewMediaItem:
    """A valid item to register through the service (checked against the contract)."""
    return msgspec.convert(item_body(**overrides), NewMediaItem)


class EventLog:
    """Every ``catalogue.events.>`` event the bus delivers while attached."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._subscription: Subscription | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def attached(cls, backends: Backends) -> AsyncIterator[EventLog]:
        """Subscribe on ``backends``' event bus for the ``with`` block."""
        log = cls()

        async def record(event: Event) -> None:
            log.events.append(event)

        log._subscription = await backends.events.subscribe("catalogue.events.>", record)
        try:
            yield log
        finally:
            await log._subscription.unsubscribe()

    def about(self, media_id: str, subject: str | None = None) -> list[Event]:
        """Delivered events whose item is ``media_id`` (on ``subject`` if given)."""
        return [
            event
            for event in self.events
            if payload_id(event.payload) == media_id and subject in (None, event.subject)
        ]


def payload_id(payload: bytes) -> str:
    """The item id in an event payload."""
    value: str = msgspec.json.decode(payload)["id"]
    return value


async def stored_events(nats_url: str, media_ids: set[str]) -> list[tuple[str, str, str]]:
    """``(media_id, subject, Nats-Msg-Id)`` of each message the JetStream stream holds about
    ``media_ids``: what consumers will ever read, after the stream's duplicate check."""
    client = await nats.connect(nats_url, connect_timeout=5, allow_reconnect=False)
    try:
        js = client.jetstream(timeout=5)
        state = (await js.stream_info(EVENT_STREAM)).state
        found: list[tuple[str, str, str]] = []
        for seq in range(state.first_seq, state.last_seq + 1):
            try:
                msg = await js.get_msg(EVENT_STREAM, seq)
            except nats.js.errors.NotFoundError:
                continue
            try:
                media_id = payload_id(msg.data or b"{}")
            except (msgspec.DecodeError, KeyError, TypeError):
                continue  # another test's malformed event (the stream is the session's)
            if media_id in media_ids:
                found.append((media_id, msg.subject or "", (msg.headers or {})["Nats-Msg-Id"]))
        return found
    finally:
        await client.close()


@dataclasses.dataclass
class CatalogueDeployment:
    """A catalogue reachable through a transport, and through its public API."""

    client: CatalogueClient
    public: httpx.AsyncClient
    settings: Settings
    transport_kind: str


def stand_in_caller(captured: list[Transport]) -> ModuleDefinition:
    """An "ingest" module that only keeps the transport to catalogue the app gives it."""

    def mount(context: ModuleContext) -> MountedModule:
        captured.append(context.transport("catalogue"))
        return MountedModule(name="ingest", route_handlers=[])

    return ModuleDefinition(name="ingest", mount=mount)


def as_admin(settings: Settings) -> CallContext:
    return CallContext(bearer_token=mint_token(settings, role="admin", user_id="ingest-admin"))


def to_new(**overrides: Any) -> NewMediaItem:
    """A ``NewMediaItem`` as ingest sends it."""
    return NewMediaItem(**item_body(**overrides))


async def register_queued(
    client: AppClient, settings: Settings, **overrides: Any
) -> dict[str, Any]:
    """An item ingest registered with its transcoding job queued (only the contract may
    say so), through the app's in-process contract; its JSON as the public API shows it."""
    contract = CatalogueClient(InProcessTransport(client.app.state.operations))
    item = await contract.create_item(
        to_new(processing_state="queued", **overrides), as_admin(settings)
    )
    shown: dict[str, Any] = msgspec.to_builtins(item)
    return shown


async def expect_error(call: Awaitable[Any], status: int, code: str | None = None) -> AppError:
    with pytest.raises(AppError) as caught:
        await call
    assert caught.value.status == status, caught.value.detail
    if code is not None:
        assert caught.value.code == code
    return caught.value
