"""Files that are not videos, or are built to trick FFmpeg: 4xx, nothing kept, nothing leaked.

The playlists point at a local file holding a marker; the marker must never come back in
any response, whichever way the file is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import ingest_media
import pytest
from ingest_rig import Rig

Hostile = Callable[[Path], bytes]

HOSTILE: dict[str, tuple[Hostile, int]] = {
    "zero bytes": (lambda _: b"", 415),
    "random bytes named .mp4": (lambda _: ingest_media.random_bytes(), 415),
    "HLS playlist": (ingest_media.hls_playlist, 415),
    # AVI gets in: its one demuxer, pinned, opens nothing else, so the probe finds no stream.
    "AVI carrying an HLS playlist": (ingest_media.avi_with_playlist, 422),
    "playlist behind an MP4 ftyp box": (ingest_media.ftyp_then_playlist, 422),
    # What follows an ID3 tag decides: a playlist is no sound.
    "playlist behind an ID3 tag": (ingest_media.id3_then_playlist, 415),
    "truncated MP4": (lambda _: ingest_media.truncated_mp4(), 422),
}


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A local file whose content must never reach a client."""
    marker = f"LOCAL-SECRET-{uuid.uuid4().hex}"
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(marker * 50 + "\n")
    return path, marker


def assert_no_leak(response: httpx.Response, marker: str) -> None:
    assert marker not in response.text
    assert all(marker not in value for value in response.headers.values())


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_form_upload(rig: Rig, secret: tuple[Path, str], name: str) -> None:
    make, status = HOSTILE[name]
    path, marker = secret
    before = await rig.snapshot()
    response = await rig.upload(make(path), filename="video.mp4")
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == ("unsupported_container" if status == 415 else "probe_failed")
    assert body["detail"]
    assert_no_leak(response, marker)
    await rig.assert_nothing_kept(before)


@pytest.mark.parametrize("name", [n for n in HOSTILE if n != "zero bytes"])
async def test_hostile_resumable_upload(rig: Rig, secret: tuple[Path, str], name: str) -> None:
    make, status = HOSTILE[name]
    path, marker = secret
    data = make(path)
    before = await rig.snapshot()
    created = await rig.create(len(data))
    assert created.status_code == 201
    url = created.headers["location"]
    response = await rig.patch(url, 0, data)
    assert response.status_code == status, response.text
    assert_no_leak(response, marker)
    job = await rig.client.get(f"/api/v1/ingest/jobs/{url.rsplit('/', 1)[-1]}", headers=rig.admin())
    assert job.json()["state"] == "failed"
    assert_no_leak(job, marker)
    await rig.assert_nothing_kept(before)


async def test_an_empty_resumable_upload_is_refused_at_creation(rig: Rig) -> None:
    response = await rig.create(0)
    assert response.status_code == 400
    assert response.json()["code"] == "empty_upload"
