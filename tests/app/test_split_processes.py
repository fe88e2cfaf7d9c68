"""Two modules in two processes talk over HTTP; in one process, in-process: same contract.

The catalogue asks streaming for a stream token (ISSUE_STREAM_TOKEN). Each deployment is
real ``streamstack serve`` processes on embedded backends sharing one data directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from streamstack.settings import Settings
from support.apps import bearer, make_settings, mint_token
from support.processes import module_processes

VIDEO = os.urandom(3000)


class Deployment:
    def __init__(self, catalogue_url: str, streaming_url: str, settings: Settings) -> None:
        self.catalogue_url = catalogue_url
        self.streaming_url = streaming_url
        self.settings = settings


@pytest.fixture(
    params=[
        ([["catalogue", "streaming"]], "browse"),
        ([["streaming"], ["catalogue"]], "browse"),
        # Members only: the calls between modules carry no user's sign-in of their own.
        ([["streaming"], ["catalogue"]], "none"),
    ],
    ids=["one process", "two processes", "two processes, members only"],
)
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    groups, guests = request.param
    # The key pair both processes use.
    settings = make_settings("embedded", tmp_path / "data", guest_access=guests)
    (settings.data_dir / "objects" / "media").mkdir(parents=True)
    async with module_processes(settings, groups) as deployed:
        yield Deployment(deployed.urls["catalogue"], deployed.urls["streaming"], settings)


def test_stream_token_crosses_the_module_boundary(deployment: Deployment) -> None:
    media_id = str(uuid.uuid4())
    key = f"{media_id}.mp4"
    (deployment.settings.data_dir / "objects" / "media" / key).write_bytes(VIDEO)
    admin = bearer(mint_token(deployment.settings, role="admin"))
    viewer = bearer(mint_token(deployment.settings, role="viewer"))
    with httpx.Client(base_url=deployment.catalogue_url, timeout=10) as catalogue:
        created = catalogue.post(
            "/api/v1/catalogue/",
            json={
                "id": media_id,
                "title": "Across processes",
                "s3_key": key,
                "size_bytes": len(VIDEO),
                "content_type": "video/mp4",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        grant = catalogue.post(f"/api/v1/catalogue/{media_id}/stream-token", headers=viewer)
        assert grant.status_code == 200, grant.text
        stream_url = grant.json()["stream_url"]
        assert stream_url.startswith("/api/v1/stream/")
        assert grant.json()["expires_in"] > 0
        refused = catalogue.post(f"/api/v1/catalogue/{media_id}/stream-token")
        assert refused.status_code == 401
        guest = catalogue.get(f"/api/v1/catalogue/{media_id}")
        members_only = deployment.settings.guest_access == "none"
        assert guest.status_code == (401 if members_only else 200), guest.text
    with httpx.Client(base_url=deployment.streaming_url, timeout=10) as streaming:
        r = streaming.get(stream_url, headers={"Range": "bytes=100-199"})
        assert r.status_code == 206
        assert r.content == VIDEO[100:200]
        # The internal route is there, but only for callers holding the service secret.
        forged = streaming.post(
            "/internal/v1/stream/token",
            json={"media_id": media_id, "s3_key": key, "size_bytes": len(VIDEO)},
            headers=viewer,
        )
        assert forged.status_code == 401
