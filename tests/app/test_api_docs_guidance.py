"""What the API's document tells a developer automating it: which call adds a video, and
which deletions may be made conditional (``If-Match``); the whole app's document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from streamstack.contracts.catalogue import UPLOADS_PATH
from support.apps import make_settings, running_app

CATALOGUE = "/api/v1/catalogue"


@pytest.fixture
async def document(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async with running_app(make_settings("embedded", tmp_path / "data")) as client:
        r = await client.get("/api/docs/openapi.json")
        assert r.status_code == 200, r.text
        yield r.json()


async def test_registering_an_item_points_to_the_upload_routes(document: dict[str, Any]) -> None:
    """``POST /api/v1/catalogue`` makes an item of an object already stored: its document
    says so and names the routes that upload one, which the document has."""
    paths = document["paths"]
    register = paths[CATALOGUE]["post"]
    assert "already in the media bucket" in register["description"]
    for upload in (UPLOADS_PATH, "/api/v1/ingest/upload"):
        assert f"`POST {upload}`" in register["description"]
        assert "post" in paths[upload], upload


async def test_only_an_items_and_a_playlists_delete_take_if_match(document: dict[str, Any]) -> None:
    """An item's and a playlist's DELETE document ``If-Match`` and its 412; no other DELETE
    suggests one (share links and captions have no ETag)."""
    deletes = {path: ops["delete"] for path, ops in document["paths"].items() if "delete" in ops}
    guarded = {
        path
        for path, op in deletes.items()
        if any(p["name"] == "If-Match" for p in op.get("parameters", []))
    }
    assert guarded == {f"{CATALOGUE}/{{item_id}}", f"{CATALOGUE}/me/playlists/{{playlist_id}}"}
    for path in guarded:
        assert "changed_elsewhere" in deletes[path]["responses"]["412"]["description"], path


async def test_an_items_edit_documents_its_409_for_a_published_item(
    document: dict[str, Any],
) -> None:
    """Scheduling a video that went public answers 409 ``already_published`` (README says
    so); a client generated from the document handles it only if the document lists it."""
    edit = document["paths"][f"{CATALOGUE}/{{item_id}}"]["patch"]
    assert "already_published" in edit["responses"]["409"]["description"]
