"""The modules feed the domain metrics: a real stream moves the counters on /metrics."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from streamstack.contracts.catalogue import CatalogueClient, ProcessingUpdate
from streamstack.kernel.transport import InProcessTransport
from support.apps import bearer, make_settings, mint_token, running_app

VIDEO = bytes(range(256)) * 40
FAILED = "streamstack_catalogue_failed_items"


def sample(text: str, name: str) -> float:
    match = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, f"{name} not exported"
    return float(match.group(1))


async def test_streaming_and_catalogue_report_their_metrics(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path / "data")
    media_id = str(uuid.uuid4())
    async with running_app(settings) as client:
        key = f"{media_id}.mp4"
        folder = settings.data_dir / "objects" / settings.media_bucket
        (folder / key).write_bytes(VIDEO)
        before = (await client.get("/metrics")).text
        created = await client.post(
            "/api/v1/catalogue/",
            json={
                "id": media_id,
                "title": "m",
                "s3_key": key,
                "size_bytes": len(VIDEO),
                "content_type": "video/mp4",
            },
            headers=bearer(mint_token(settings, role="admin")),
        )
        assert created.status_code == 201, created.text
        grant = await client.post(
            f"/api/v1/catalogue/{media_id}/stream-token", headers=bearer(mint_token(settings))
        )
        assert grant.status_code == 200, grant.text
        r = await client.get(grant.json()["stream_url"], headers={"Range": "bytes=0-999"})
        assert r.status_code == 206
        after = (await client.get("/metrics")).text
    assert (
        sample(after, "streamstack_stream_tokens_issued_total")
        == sample(before, "streamstack_stream_tokens_issued_total") + 1
    )
    assert (
        sample(after, "streamstack_streamed_bytes_total")
        >= sample(before, "streamstack_streamed_bytes_total") + 1000
    )
    assert sample(after, "streamstack_active_streams") == 0
    assert sample(after, "streamstack_outbox_backlog") >= 0


async def test_items_whose_transcoding_failed_are_counted_at_each_scrape(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path / "data")
    async with running_app(settings) as client:
        catalogue = CatalogueClient(InProcessTransport(client.app.state.operations))
        admin = bearer(mint_token(settings, role="admin"))
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for media_id in ids:
            item = {"id": media_id, "title": "m", "s3_key": f"{media_id}.mkv"}
            body = {**item, "size_bytes": 1, "content_type": "video/x-matroska"}
            created = await client.post("/api/v1/catalogue/", json=body, headers=admin)
            assert created.status_code == 201, created.text
        assert sample((await client.get("/metrics")).text, FAILED) == 0

        for media_id in ids[:2]:
            failed = ProcessingUpdate(media_id=media_id, state="failed", detail="out of memory")
            await catalogue.update_processing(failed)
        assert sample((await client.get("/metrics")).text, FAILED) == 2

        await catalogue.update_processing(ProcessingUpdate(media_id=ids[0], state="queued"))
        assert sample((await client.get("/metrics")).text, FAILED) == 1
