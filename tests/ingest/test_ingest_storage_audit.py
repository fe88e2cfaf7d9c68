"""The storage audit: objects no item or unfinished upload accounts for, found and deleted.

All four modules in one app on either backend kind, its grace period 0 (every object of no
item is an orphan at once) unless a test says otherwise. A lost take-down is simulated by
deleting an item's catalogue row in the database, which publishes no event.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ingest_media
import pytest
import structlog
from ingest_rig import Rig, written_back
from sqlalchemy import delete, update

from harness.servers import deletes_denied
from harness.tools import skip_or_fail
from streamstack.catalogue.models import CaptionTrackRow, MediaItemRow
from streamstack.contracts.limits import AUDIT_GRACE_MAX_SECONDS, LIST_LIMIT_MAX
from streamstack.ingest import storage_audit
from streamstack.ingest.models import Upload
from streamstack.ingest.outputs import ItemOutputs
from streamstack.ingest.repository import UploadRecords
from streamstack.kernel import storage
from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import utcnow
from streamstack.kernel.storage import single_chunk
from support.apps import running_app
from support.fixtures import SettingsFactory

AUDIT = "/api/v1/ingest/storage/audit"
ROLES = ("media", "thumbnails")


@pytest.fixture(scope="module")
def rig_settings() -> dict[str, Any]:
    """No grace period: an object of no item is an orphan as soon as it is stored."""
    return {"ingest_orphan_grace_seconds": 0}


def backends_of(rig: Rig) -> Backends:
    backends: Backends = rig.client.app.state.backends  # type: ignore[attr-defined]
    return backends


async def put(rig: Rig, role: str, key: str, data: bytes = b"x") -> None:
    """Store an object as ingest would (or as another tool would, for a key it never makes)."""
    bucket = rig.settings.media_bucket if role == "media" else rig.settings.thumbnails_bucket
    await backends_of(rig).objects(bucket).write(key, single_chunk(data))


def put_behind_the_store(rig: Rig, role: str, key: str) -> None:
    """Store an object with a key the port refuses, as another tool could."""
    bucket = rig.settings.media_bucket if role == "media" else rig.settings.thumbnails_bucket
    if rig.s3 is not None:
        rig.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        return
    path = rig.settings.data_dir / "objects" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


async def audited(
    rig: Rig, path: str = AUDIT, method: str = "GET", **params: int
) -> dict[str, Any]:
    response = await rig.client.request(
        method, path, params={"limit": LIST_LIMIT_MAX, **params}, headers=rig.admin()
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def named(report: dict[str, Any], kind: str) -> dict[str, set[str]]:
    """The keys of ``kind`` (``orphans``, ``unrecognised``) the report names, per bucket."""
    return {
        bucket["role"]: {entry["key"] for entry in bucket[kind]["first"]}
        for bucket in report["buckets"]
    }


def keys_of(rig: Rig, media_id: str) -> dict[str, set[str]]:
    """Every stored key starting with ``media_id``, per bucket."""
    stored = rig.stored()
    return {role: {key for key in stored[role] if key.startswith(media_id)} for role in ROLES}


async def uploaded(rig: Rig) -> str:
    """An item uploaded as an admin would (an MP4: original, thumbnail and poster)."""
    response = await rig.upload(ingest_media.mp4())
    assert response.status_code == 201, response.text
    media_id: str = response.json()["id"]
    # Objects its transcoder would write under its prefix (a browser-safe MP4 gets none).
    await put(rig, "media", f"{media_id}/hls/master.m3u8", b"#EXTM3U\n")
    await put(rig, "media", f"{media_id}/captions/en.vtt", b"WEBVTT\n")
    return media_id


async def forget_item(rig: Rig, media_id: str) -> None:
    """Delete the item's catalogue row behind ingest's back: a take-down that never ran."""
    async with backends_of(rig).database.unit_of_work() as session:
        await session.execute(delete(MediaItemRow).where(MediaItemRow.id == uuid.UUID(media_id)))


@pytest.fixture
def deletions(monkeypatch: pytest.MonkeyPatch) -> Callable[[], set[tuple[str, str]]]:
    """``(bucket, key)`` of each ``storage_audit.orphan_deleted`` logged from now on (the
    audit's logger swapped for a recording one: an app's loggers are cached)."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(storage_audit, "log", recorder)
    return lambda: {
        (call.kwargs["bucket"], call.kwargs["key"])
        for call in recorder.calls
        if call.args == ("storage_audit.orphan_deleted",)
    }


async def test_a_live_items_objects_are_never_orphans(rig: Rig) -> None:
    media_id = await uploaded(rig)
    mine = keys_of(rig, media_id)
    assert {f"{media_id}.mp4", f"{media_id}/hls/master.m3u8"} <= mine["media"]
    assert f"{media_id}.jpg" in mine["thumbnails"]

    report = await audited(rig)
    assert report["deleted"] is False and report["grace_seconds"] == 0
    orphans = named(report, "orphans")
    assert all(not orphans[role] & mine[role] for role in ROLES), orphans
    stored = rig.stored()
    for bucket in report["buckets"]:
        assert bucket["bucket"] == getattr(rig.settings, f"{bucket['role']}_bucket")
        assert bucket["objects"] == len(stored[bucket["role"]])

    # Deleting orphans leaves a live item's objects alone.
    await audited(rig, f"{AUDIT}/delete", "POST")
    assert keys_of(rig, media_id) == mine


def delete_requests(rig: Rig, request: pytest.FixtureRequest) -> dict[str, tuple[int, int]]:
    """``(DeleteObject, DeleteObjects)`` requests each bucket received so far, as moto's log
    tells; none known (an empty dict) for the local directory or another S3 server."""
    server = request.getfixturevalue("s3_server") if rig.s3 is not None else None
    if server is None:
        return {}
    buckets = {"media": rig.settings.media_bucket, "thumbnails": rig.settings.thumbnails_bucket}
    received = {role: server.requests(bucket) for role, bucket in buckets.items()}
    return {role: (got["DeleteObject"], got["DeleteObjects"]) for role, got in received.items()}


async def test_a_lost_takedowns_objects_are_orphans_and_deleted_alone(
    rig: Rig, deletions: Callable[[], set[tuple[str, str]]], request: pytest.FixtureRequest
) -> None:
    lost, kept = await uploaded(rig), await uploaded(rig)
    await put(rig, "media", "operator-notes.txt")
    lost_keys = keys_of(rig, lost)
    await forget_item(rig, lost)

    report = await audited(rig)
    assert named(report, "orphans") == lost_keys
    for bucket in report["buckets"]:
        role = bucket["role"]
        assert bucket["orphans"]["count"] == len(lost_keys[role])
        first = bucket["orphans"]["first"]
        assert [entry["key"] for entry in first] == sorted(lost_keys[role])  # key order
        assert all(entry["size_bytes"] > 0 and entry["age_seconds"] >= 0 for entry in first)
        assert bucket["orphans"]["bytes"] == sum(entry["size_bytes"] for entry in first)
    assert rig.stored()["media"]  # reporting deleted nothing
    assert keys_of(rig, lost) == lost_keys

    before, requests_before = rig.stored(), delete_requests(rig, request)
    removed = await audited(rig, f"{AUDIT}/delete", "POST")
    assert removed["deleted"] is True
    # On S3, each bucket's orphans went in one request, not one each (3 in the media bucket).
    assert delete_requests(rig, request) == {
        role: (one, many + 1) for role, (one, many) in requests_before.items()
    }
    assert named(removed, "orphans") == lost_keys
    after = rig.stored()
    for role in ROLES:
        assert set(after[role]) == set(before[role]) - lost_keys[role]
    assert keys_of(rig, kept) and "operator-notes.txt" in after["media"]
    buckets = {"media": rig.settings.media_bucket, "thumbnails": rig.settings.thumbnails_bucket}
    assert deletions() == {(buckets[role], key) for role in ROLES for key in lost_keys[role]}
    assert named(await audited(rig), "orphans") == {"media": set(), "thumbnails": set()}


@pytest.mark.parametrize("rig", ["production"], indirect=True)
async def test_a_refused_batch_is_logged_key_by_key(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """S3 refuses one orphan: the deletion answers 502 after logging every key of the
    batch (any of them may be gone) and which was refused and why. (A bucket policy is the
    refusal here; the local directory refuses no key the port accepts.)"""
    if request.getfixturevalue("s3_server") is None:
        skip_or_fail("needs moto, which applies a bucket policy to every caller")
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(storage, "deletion_log", lambda: recorder)
    lost = await uploaded(rig)
    lost_keys = keys_of(rig, lost)["media"]
    await forget_item(rig, lost)
    bucket, refused = rig.settings.media_bucket, f"{lost}/captions/en.vtt"
    with deletes_denied(rig.s3, bucket, refused):
        response = await rig.client.post(f"{AUDIT}/delete", headers=rig.admin())
    assert (response.status_code, response.json()["code"]) == (502, "objects_not_deleted")

    [failed] = [c.kwargs for c in recorder.calls if c.args == ("storage.delete_failed",)]
    assert lost_keys <= set(failed["keys"]) and failed["count"] == len(failed["keys"])
    assert (failed["bucket"], failed["refused_key"], failed["reason"]) == (
        bucket,
        refused,
        "AccessDenied",
    )
    assert keys_of(rig, lost)["media"] == {refused}
    await audited(rig, f"{AUDIT}/delete", "POST")  # refused no more
    assert keys_of(rig, lost)["media"] == set()


async def unfinished_upload(rig: Rig, state: str, replaces: str | None = None) -> uuid.UUID:
    """A tus upload in ``state`` (one not over: uploading, processing, registering), of a
    new item or replacing the file of the item ``replaces`` names; its id."""
    upload_id = uuid.uuid4()
    now = utcnow()
    await UploadRecords(backends_of(rig).database).insert(
        Upload(
            id=upload_id,
            kind="tus",
            state=state,
            created_by=rig.admin_id,
            part_bytes=8 * 1024 * 1024,
            created_at=now,
            updated_at=now,
            expires_at=now + datetime.timedelta(days=1),
            replaces=replaces,
        )
    )
    return upload_id


async def test_an_unfinished_uploads_objects_stay(rig: Rig) -> None:
    """An upload being processed or registered has its objects before its item exists;
    once it failed, whatever it left is an orphan."""
    upload_id = await unfinished_upload(rig, "registering")
    await put(rig, "media", f"{upload_id}.mp4", ingest_media.mp4())
    await put(rig, "thumbnails", f"{upload_id}.jpg")
    mine = keys_of(rig, str(upload_id))

    orphans = named(await audited(rig), "orphans")
    assert all(not orphans[role] & mine[role] for role in ROLES), orphans
    await audited(rig, f"{AUDIT}/delete", "POST")
    assert keys_of(rig, str(upload_id)) == mine

    async with backends_of(rig).database.unit_of_work() as session:
        await session.execute(update(Upload).where(Upload.id == upload_id).values(state="failed"))
    assert named(await audited(rig), "orphans") == mine
    await audited(rig, f"{AUDIT}/delete", "POST")
    assert keys_of(rig, str(upload_id)) == {"media": set(), "thumbnails": set()}


async def test_originals_a_replaced_file_left_are_orphans_unless_an_upload_holds_them(
    rig: Rig,
) -> None:
    """A crash while an item's file was replaced leaves an original it no longer names: the
    old one (recorded, not yet deleted) or a new one (stored, never recorded). Found and
    deleted; the item's own original, and one an unfinished upload is replacing it with,
    stay."""
    media_id = await uploaded(rig)
    new_key = f"{media_id}/originals/{uuid.uuid4()}.mkv"
    await put(rig, "media", new_key, ingest_media.mp4())
    async with backends_of(rig).database.unit_of_work() as session:
        await session.execute(
            update(MediaItemRow)
            .where(MediaItemRow.id == uuid.UUID(media_id))
            .values(s3_key=new_key)
        )
    never_recorded = f"{media_id}/originals/{uuid.uuid4()}.mp4"
    await put(rig, "media", never_recorded)
    upload_id = await unfinished_upload(rig, "processing", replaces=media_id)
    under_way = f"{media_id}/originals/{upload_id}.mp4"
    await put(rig, "media", under_way)

    orphans = named(await audited(rig), "orphans")

    assert {f"{media_id}.mp4", never_recorded} <= orphans["media"]
    assert not {new_key, under_way, f"{media_id}/hls/master.m3u8"} & orphans["media"]
    await audited(rig, f"{AUDIT}/delete", "POST")
    assert keys_of(rig, media_id)["media"] == {
        new_key,
        under_way,
        f"{media_id}/hls/master.m3u8",
        f"{media_id}/captions/en.vtt",
    }


async def test_an_unrecognised_key_is_reported_and_kept(rig: Rig) -> None:
    media_id = str(uuid.uuid4())
    strangers = {
        "media": {
            "backup/2024/dump.sql",  # another tool's
            f"{media_id.upper()}.mp4",  # not ingest's spelling of a uuid
            f"{media_id}-poster.jpg",  # a poster belongs in the thumbnails bucket
            f"{media_id}x.mp4",
        },
        "thumbnails": {f"{media_id}/hls/master.m3u8", "logo.png"},
    }
    for role in ROLES:
        for key in strangers[role]:
            await put(rig, role, key)
    # Under an item's prefix, but a key the port refuses (it could never be deleted).
    put_behind_the_store(rig, "media", f"{media_id}/my notes.txt")
    strangers["media"].add(f"{media_id}/my notes.txt")

    report = await audited(rig)
    unrecognised = named(report, "unrecognised")
    for role in ROLES:
        assert strangers[role] <= unrecognised[role]
    for bucket in report["buckets"]:
        assert bucket["unrecognised"]["count"] >= len(strangers[bucket["role"]])
    assert all(not named(report, "orphans")[role] & strangers[role] for role in ROLES)

    removed = await audited(rig, f"{AUDIT}/delete", "POST")
    assert all(not named(removed, "orphans")[role] & strangers[role] for role in ROLES)
    stored = rig.stored()
    assert all(strangers[role] <= set(stored[role]) for role in ROLES)


async def test_an_object_is_an_orphan_only_once_older_than_the_grace(
    settings_factory: SettingsFactory,
) -> None:
    """With the default grace period (a day), an object of no item is left alone until it
    is a day old, by the clock the app reads."""
    moved = datetime.timedelta()

    def clock() -> datetime.datetime:
        return utcnow() + moved

    settings = settings_factory()
    assert settings.ingest_orphan_grace_seconds == 24 * 3600
    async with running_app(settings, clock=clock) as client:
        rig = Rig(settings, client)
        media_id = str(uuid.uuid4())
        await put(rig, "media", f"{media_id}.mp4")
        await put(rig, "thumbnails", f"{media_id}-poster.jpg")

        report = await audited(rig)
        assert report["grace_seconds"] == 24 * 3600
        assert [bucket["orphans"]["count"] for bucket in report["buckets"]] == [0, 0]
        assert [bucket["objects"] for bucket in report["buckets"]] == [1, 1]
        # Said, not silent: they are of no item, and judged a day after they were stored.
        young = [bucket["younger_than_grace"] for bucket in report["buckets"]]
        assert [(tally["count"], tally["bytes"]) for tally in young] == [(1, 1), (1, 1)]
        judged = datetime.datetime.fromisoformat(report["judged_after"])
        assert utcnow() + datetime.timedelta(hours=23) < judged <= utcnow() + moved_day()
        await audited(rig, f"{AUDIT}/delete", "POST")
        assert sum(b["objects"] for b in (await audited(rig))["buckets"]) == 2

        # One run may judge them now (a dump just restored), without restarting ingest;
        # a deletion takes only what is older than the grace it is sent.
        now = await audited(rig, grace_seconds=0)
        assert now["grace_seconds"] == 0 and now["judged_after"] is None
        assert [bucket["orphans"]["count"] for bucket in now["buckets"]] == [1, 1]
        await audited(rig, f"{AUDIT}/delete", "POST", grace_seconds=3600)
        assert sum(b["objects"] for b in (await audited(rig))["buckets"]) == 2
        await audited(rig, f"{AUDIT}/delete", "POST", grace_seconds=0)
        assert sum(b["objects"] for b in (await audited(rig))["buckets"]) == 0
        await put(rig, "media", f"{media_id}.mp4")
        await put(rig, "thumbnails", f"{media_id}-poster.jpg")

        moved = datetime.timedelta(hours=25)
        report = await audited(rig)
        assert named(report, "orphans") == {
            "media": {f"{media_id}.mp4"},
            "thumbnails": {f"{media_id}-poster.jpg"},
        }
        ages = [b["orphans"]["first"][0]["age_seconds"] for b in report["buckets"]]
        assert all(age >= 25 * 3600 for age in ages)


async def test_only_admins_audit(rig: Rig) -> None:
    for method, path in (("GET", AUDIT), ("POST", f"{AUDIT}/delete")):
        response = await rig.client.request(method, path)
        assert response.status_code == 401, response.text
        response = await rig.client.request(method, path, headers=rig.viewer())
        assert response.status_code == 403, response.text
        assert response.json()["status"] == 403


def moved_day() -> datetime.timedelta:
    return datetime.timedelta(days=1)


@pytest.mark.parametrize("grace", ["-1", str(AUDIT_GRACE_MAX_SECONDS + 1), "1d", "0.5", ""])
async def test_a_bad_grace_is_a_400(rig: Rig, grace: str) -> None:
    before = rig.stored()
    for method, path in (("GET", AUDIT), ("POST", f"{AUDIT}/delete")):
        response = await rig.client.request(
            method, path, params={"grace_seconds": grace}, headers=rig.admin()
        )
        assert response.status_code == 400, response.text
        assert response.json()["status"] == 400 and response.json()["code"]
    assert rig.stored() == before


@pytest.mark.parametrize("limit", ["-1", str(LIST_LIMIT_MAX + 1), "many", "1.5", ""])
async def test_a_bad_limit_is_a_400(rig: Rig, limit: str) -> None:
    before = rig.stored()
    for method, path in (("GET", AUDIT), ("POST", f"{AUDIT}/delete")):
        response = await rig.client.request(
            method, path, params={"limit": limit}, headers=rig.admin()
        )
        assert response.status_code == 400, response.text
        assert response.json()["status"] == 400 and response.json()["code"]
    assert rig.stored() == before


async def test_items_whose_objects_are_gone_are_missing(rig: Rig) -> None:
    """A bucket restored from a backup older than the database: the item's rows say it has
    a package, captions and a thumbnail whose objects are gone."""
    media_id = await uploaded(rig)
    prefix = f"{media_id}/"
    live = [f"{prefix}hls/master.m3u8", f"{prefix}hls/360p/seg1.m4s"]
    await put(rig, "media", live[1])
    manifest = json.dumps({"keys": live, "live": live}).encode()
    await put(rig, "media", f"{prefix}outputs.json", manifest)
    async with backends_of(rig).database.unit_of_work() as session:
        await session.execute(
            update(MediaItemRow)
            .where(MediaItemRow.id == uuid.UUID(media_id))
            .values(has_hls=True, title="Heron at dusk")
        )
        session.add(
            CaptionTrackRow(
                media_id=uuid.UUID(media_id),
                language="en",
                label="English",
                source="upload",
                updated_at=utcnow(),
            )
        )

    def mine(report: dict[str, Any]) -> list[dict[str, Any]]:
        assert report["missing"]["items_checked"] >= 1
        return [entry for entry in report["missing"]["first"] if entry["id"] == media_id]

    assert mine(await audited(rig)) == []

    media = backends_of(rig).objects(rig.settings.media_bucket)
    thumbnails = backends_of(rig).objects(rig.settings.thumbnails_bucket)
    await media.delete_many([live[1], f"{prefix}captions/en.vtt"])
    await thumbnails.delete_many([f"{media_id}.jpg"])
    report = await audited(rig)
    assert report["missing"]["count"] >= 1
    assert mine(report) == [
        {
            "id": media_id,
            "title": "Heron at dusk",
            "missing": ["stream", "captions", "thumbnail"],
            "missing_objects": 3,
            "packaged": True,
        }
    ]

    await media.delete_many([f"{media_id}.mp4", f"{prefix}outputs.json"])
    left = keys_of(rig, media_id)
    (entry,) = mine(await audited(rig, f"{AUDIT}/delete", "POST"))
    assert entry["missing"] == ["original", "stream", "captions", "thumbnail"]
    assert entry["missing_objects"] == 4  # no manifest: what else the package had is unknown
    # The audit makes and deletes nothing of a missing item's.
    assert keys_of(rig, media_id) == left


async def test_a_stream_file_cut_short_is_damaged_and_an_unsized_package_unchecked(
    rig: Rig, tmp_path: Path
) -> None:
    """A package published records each file's size: one cut short after (a restore
    interrupted by a full disk) is reported ``damaged``; a package written before sizes
    were recorded is counted and named as not checked for damage."""
    media = backends_of(rig).objects(rig.settings.media_bucket)
    names = ["hls/240p/seg_00001.m4s", "hls/240p/seg_00002.m4s", "hls/master.m3u8"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode() * 100)
    damaged, whole, unsized = [await uploaded(rig) for _ in range(3)]
    for media_id in (damaged, whole, unsized):
        await ItemOutputs(media, media_id).publish(tmp_path, names)
        await written_back(rig, media_id, has_hls=True)
    put_behind_the_store(rig, "media", f"{damaged}/hls/240p/seg_00002.m4s")  # 1 byte
    live = [f"{unsized}/{name}" for name in names]
    await put(rig, "media", f"{unsized}/outputs.json", json.dumps(live).encode())  # no sizes

    report = (await audited(rig))["missing"]

    listed = {entry["id"]: entry for entry in report["first"]}
    assert (listed[damaged]["missing"], listed[damaged]["missing_objects"]) == (["damaged"], 1)
    assert whole not in listed and unsized not in listed
    assert unsized in report["unchecked_first"] and report["unchecked"] >= 1
    assert damaged not in report["unchecked_first"] and whole not in report["unchecked_first"]
