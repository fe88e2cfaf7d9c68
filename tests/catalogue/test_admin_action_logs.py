"""Walk 51 F4: catalogue's log lines of what an admin did name the admin (``by``, the key
auth's ``invite_created`` uses), so "who deleted that comment, who turned comments off"
has an answer; on both backend kinds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import structlog
from catalogue_testing import API, admin_headers
from comment_testing import Client, item, person, post

from streamstack.catalogue import comment_reports, comments, service, shares
from streamstack.contracts.catalogue import (
    CaptionChange,
    CatalogueClient,
    FactsUpdate,
    OriginalReplacement,
    StillsChange,
)
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue alone."""
    async with running_app(settings_factory(modules=("catalogue",))) as app:
        yield app


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> structlog.testing.CapturingLogger:
    """What the comments', reports', share links' and items' use cases log."""
    captured = structlog.testing.CapturingLogger()
    for module in (comments, comment_reports, service, shares):
        monkeypatch.setattr(module, "log", captured)
    return captured


def actors(recorder: structlog.testing.CapturingLogger) -> dict[str, object]:
    """Each event logged so far and the ``by`` it named (None: none)."""
    return {call.args[0]: call.kwargs.get("by") for call in recorder.calls}


async def test_admin_actions_on_comments_and_items_name_the_admin(
    client: Client, recorder: structlog.testing.CapturingLogger
) -> None:
    settings = client.app.state.settings
    ada_id = str(uuid.uuid4())
    admin = admin_headers(settings, ada_id)
    item_id = await item(client)
    spammer_id, spammer = person(client, "Sam")
    _, bob = person(client, "Bob")
    reported = await post(client, item_id, spammer, "buy watches")
    await post(client, item_id, spammer, "more watches")
    by_bob = await post(client, item_id, bob, "lovely light")
    r = await client.post(f"{API}/comments/{reported['id']}/reports", json={}, headers=bob)
    assert r.status_code == 204, r.text
    for method, path, params in (
        ("DELETE", f"comments/{reported['id']}/reports", None),
        ("DELETE", f"comments/{by_bob['id']}", None),
        ("DELETE", "comments", {"author": spammer_id}),
    ):
        r = await client.request(method, f"{API}/{path}", params=params, headers=admin)
        assert r.status_code in (200, 204), r.text
    r = await client.patch(f"{API}/{item_id}", json={"comments_enabled": False}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.delete(f"{API}/{item_id}", headers=admin)).status_code == 204

    expected = {
        "catalogue.comment_reports_dismissed": ada_id,
        "catalogue.comment_deleted": ada_id,
        "catalogue.comments_of_author_deleted": ada_id,
        "catalogue.item_updated": ada_id,
        "catalogue.item_deleted": ada_id,
    }
    logged = actors(recorder)
    assert {event: logged.get(event) for event in expected} == expected
    updated = next(c.kwargs for c in recorder.calls if c.args[0] == "catalogue.item_updated")
    assert (updated["changed"], updated["comments_enabled"]) == (["comments_enabled"], False)


async def test_admin_changes_of_shares_files_stills_and_captions_name_the_admin(
    client: Client, recorder: structlog.testing.CapturingLogger
) -> None:
    """Walk 51 F4 again: share links made and stopped, and what ingest changes through the
    contract for an admin (facts read again, stills, a replaced file, caption tracks) name
    them too; a track the transcoding worker records names no one."""
    settings = client.app.state.settings
    ada_id = str(uuid.uuid4())
    admin = admin_headers(settings, ada_id)
    item_id = await item(client)
    r = await client.post(f"{API}/{item_id}/shares", json={}, headers=admin)
    assert r.status_code == 201, r.text
    r = await client.delete(f"{API}/shares/{r.json()['id']}", headers=admin)
    assert r.status_code == 204, r.text
    contract = CatalogueClient(InProcessTransport(client.app.state.operations))
    ada = CallContext(bearer_token=admin["Authorization"].removeprefix("Bearer "))
    await contract.update_facts(
        FactsUpdate(media_id=item_id, content_type="video/mp4", duration_seconds=61.0), ada
    )
    await contract.change_stills(StillsChange(item_id, "0123456789abcdef", chosen=True), ada)
    replacement = OriginalReplacement(
        media_id=item_id,
        s3_key=f"{item_id}.mkv",
        size_bytes=4096,
        content_type="video/x-matroska",
        only_from="none",
        transcode=True,
    )
    await contract.replace_original(replacement, ada)
    await contract.change_caption(CaptionChange(media_id=item_id, language="en", by=ada_id))
    logged = actors(recorder)

    await contract.change_caption(CaptionChange(media_id=item_id, language="fr", source="embedded"))
    await contract.change_caption(
        CaptionChange(media_id=item_id, language="en", remove=True, by=ada_id)
    )

    expected = {
        "catalogue.share_created": ada_id,
        "catalogue.share_revoked": ada_id,
        "catalogue.facts_updated": ada_id,
        "catalogue.stills_changed": ada_id,
        "catalogue.original_replaced": ada_id,
        "catalogue.caption_changed": ada_id,
    }
    assert {event: logged.get(event) for event in expected} == expected
    captions = [c.kwargs for c in recorder.calls if c.args[0] == "catalogue.caption_changed"]
    assert [(c["language"], c["removed"], c.get("by")) for c in captions] == [
        ("en", False, ada_id),
        ("fr", False, None),
        ("en", True, ada_id),
    ]
    assert "by" not in captions[1]  # the worker's: no one is named, as processing reports
