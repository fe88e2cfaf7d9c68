"""``streamstack upload``, ``uploads``, ``transcode``, ``thumbnail``, ``captions`` and
``probe``: the real commands, in a subprocess, against a served app.

A proxy between the command and the server hangs up mid-upload, as a network does.
The command is a client: these run on the embedded backends only.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import ingest_media
import msgspec
import pytest
from ingest_media import BOOK_CHAPTERS, mean_luma
from ingest_rig import (
    Away,
    Command,
    ReplicaDied,
    Rig,
    replace_original,
    served_rig,
    shown,
    tus_metadata,
    uploaded_long_ago,
    written_back,
)

from streamstack.contracts.catalogue import (
    PACKAGE_FORMAT,
    CatalogueClient,
    ProcessingUpdate,
    Rendition,
)
from streamstack.ingest.originals import FactsReading
from streamstack.ingest.repository import UploadRecords
from streamstack.ingest.resumable import ChunkReceiver
from streamstack.ingest.service import IngestService, TranscodeRetries
from streamstack.kernel.db import Database
from streamstack.kernel.storage import ObjectInfo, ObjectStore, PartInfo
from streamstack.kernel.transport import SECRET_HEADER
from support.apps import mint_token
from support.fixtures import SettingsFactory
from support.relay import CuttingProxy

MIB = 1024 * 1024

pytestmark = pytest.mark.parametrize("backend_kind", ["embedded"])


@pytest.fixture
async def upload(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Command]:
    """The command, and a served app for it to upload to."""
    async with served_rig(settings_factory()) as (rig, served):
        yield Command(rig, served, tmp_path)


async def test_upload_prints_the_item_with_progress(upload: Command) -> None:
    video = upload.video("holiday.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    code, out, err = await upload(
        str(video),
        "--title",
        "Holiday",
        "--tags",
        "sea,sun",
        "--draft",
        "--server",
        upload.served.url,
        "--chunk-mib",
        "1",
    )
    assert code == 0, err
    item = json.loads(out)
    assert (item["title"], item["status"], sorted(item["tags"])) == (
        "Holiday",
        "draft",
        ["sea", "sun"],
    )
    assert item["video_codec"] == "h264"
    # The catalogue's view, as --wait prints it: no object keys, no uploader (nor the
    # caller's own like, which the item's page alone carries).
    catalogue = await upload.rig.client.get(
        f"/api/v1/catalogue/{item['id']}", headers=upload.rig.admin()
    )
    assert item.keys() == catalogue.json().keys() - {"liked"}
    assert not {"s3_key", "created_by"} & item.keys(), item
    assert "100%" in err and "3.0/3.0 MiB" in err
    stored = await shown(upload.rig, item["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()
    assert upload.remembered() == {}


async def test_the_progress_line_moves_while_a_limited_chunk_goes_out(upload: Command) -> None:
    """Under --limit-mib the pieces of a chunk are held back one by one, the line moving as
    they go: a chunk was sent at once, then waited out, the line standing at 0 % meanwhile
    (4 s for a chunk of 8 MiB at 2 MiB/s). One chunk of 2 MiB at 1 MiB/s: off a terminal, a
    line for each tenth it passes, not only 0 % and 100 %."""
    video = upload.video("paced.mp4", ingest_media.padded(ingest_media.mp4(), 2 * MIB))
    code, _, err = await upload(
        str(video),
        "--title",
        "Paced",
        "--server",
        upload.served.url,
        "--chunk-mib",
        "2",
        "--limit-mib",
        "1",
    )
    assert code == 0, err
    percents = [
        int(line.split("]")[1].split("%")[0]) for line in err.splitlines() if line.startswith("[")
    ]
    within = [percent for percent in percents if 0 < percent < 100]
    assert len(within) >= 3, err


async def test_upload_rides_out_a_dropped_connection(upload: Command) -> None:
    video = upload.video("clip.mp4", ingest_media.padded(ingest_media.mp4(), 4 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(2 * MIB + MIB // 2)
        code, out, err = await upload(
            str(video), "--title", "Clip", "--server", proxy.url, "--chunk-mib", "1"
        )
    assert code == 0, err
    assert proxy.cuts == 1
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()
    # The wait is said on a line of its own, not a progress line standing still.
    assert "; retrying (1 of " in err, err


async def test_the_progress_line_keeps_its_place_while_the_server_is_away(upload: Command) -> None:
    """A cut mid-chunk with the server out of reach: the line is not redrawn at the chunk's
    start (it fell to "0% 0.0/…" after 6.4 MiB went out, as the server did not say where
    the upload stood), and the run says how much is stored when it gives up."""
    video = upload.video("away.mp4", ingest_media.padded(ingest_media.mp4(), 2 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2, then_refuse=True)
        code, _, err = await upload(
            str(video),
            "--title",
            "Away",
            "--server",
            proxy.url,
            "--chunk-mib",
            "2",
            "--limit-mib",
            "1",
            "--retries",
            "1",
        )
    assert code == 75, err
    lines = err.splitlines()
    retried = next(i for i, line in enumerate(lines) if "; retrying (1 of 1)" in line)
    before = [line for line in lines[:retried] if line.startswith("[")]
    after = [line for line in lines[retried:] if line.startswith("[")]
    assert any(" 0%" not in line for line in before), err  # the line had moved on
    assert not any(" 0%" in line for line in after), err
    assert "run the same command again to resume" in lines[-1], err


async def test_upload_gives_up_a_connection_gone_silent_and_goes_on(upload: Command) -> None:
    """A PATCH whose connection goes silent mid-chunk (no answer, no reset: a NAT forgot
    it) is given up after 30 s without a sign of life, and the upload goes on from what the
    server committed. The rest of the chunk fits in the sockets' buffers, so the body goes
    out whole and the wait is for the answer: it waited 10 minutes (httpx's read timeout)."""
    video = upload.video("quiet.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.stall_after(MIB + MIB // 2)
        started = time.monotonic()
        code, out, err = await asyncio.wait_for(
            upload(str(video), "--title", "Quiet", "--server", proxy.url, "--chunk-mib", "1"),
            timeout=120,
        )
    assert code == 0, err
    assert proxy.stalls == 1
    assert 30 <= time.monotonic() - started < 90
    # The server committed what came before the silence: the resume goes on from there.
    assert "no answer from the server for 30 s; going on from the 1.5 MiB it has" in err, err
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


@pytest.mark.parametrize("answered", [False, True], ids=["answer-lost", "cut-after-answer"])
async def test_a_connection_lost_after_the_last_chunk_ends_with_the_item(
    upload: Command, answered: bool
) -> None:
    """Every byte of the last PATCH reached the server, then the connection was cut: before
    its answer reached the command, or right after (the command's next request on it lost).
    The command asks again and prints the item the upload made, exit 0; a cut after the
    answer failed the run "unreachable (RemoteProtocolError)" with no retry, the item made."""
    video = upload.video("whole.mp4", ingest_media.padded(ingest_media.mp4(), 2 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        # Past every chunk's headers, within the last chunk's body: armed there, the cut
        # comes as the server answers it (or as the command's next request goes out).
        proxy.hang_up_after(2 * MIB, answered=answered)
        code, out, err = await upload(
            str(video), "--title", "Whole", "--server", proxy.url, "--chunk-mib", "1"
        )
    assert code == 0, err
    assert proxy.hang_ups == 1
    assert "; retrying (1 of " in err, err
    item = json.loads(out)
    assert item["title"] == "Whole"
    listed = await upload.rig.client.get("/api/v1/catalogue", headers=upload.rig.admin())
    assert [found["id"] for found in listed.json()["items"]] == [item["id"]]
    assert upload.remembered() == {}


async def test_upload_resumes_a_last_chunk_whose_finish_failed(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last PATCH stores a part (5 MiB chunks, 8 MiB parts) and its finish is refused
    once (a wrong ETag): the command asks where the upload stands and sends that chunk
    again, which finishes it (every resend was a 500 once, and the run failed)."""
    video = upload.video("late.mp4", ingest_media.padded(ingest_media.mp4(), 9 * MIB + 12345))
    original = ObjectStore.complete_multipart
    refusals = [True]

    async def refused_once(
        self: ObjectStore, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        if refusals and refusals.pop():
            parts = [*parts[:-1], PartInfo(parts[-1].number, parts[-1].size, parts[0].etag)]
        return await original(self, key, upload_id, parts)

    monkeypatch.setattr(ObjectStore, "complete_multipart", refused_once)
    code, out, err = await upload(
        str(video), "--title", "Late", "--server", upload.served.url, "--chunk-mib", "5"
    )
    assert code == 0, err
    assert "; retrying (1 of " in err, err
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


async def test_upload_rides_out_the_server_away_on_every_request(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replicas restarting one at a time: the creation answers 503 twice, the finish 503
    (catalogue away), the first poll of the job 503. Each is retried after its
    Retry-After, and the run ends with the item: the creation's 503 failed it at once,
    and the finish's discarded the file (410 on the retry)."""
    video = upload.video("roll.mp4", ingest_media.padded(ingest_media.mp4(), 2 * MIB))
    creations = Away(monkeypatch, IngestService, "create_upload", 2, retry_after="1")
    finishes = Away(monkeypatch, CatalogueClient, "create_item", 1, retry_after="1")
    polls = Away(monkeypatch, IngestService, "job", 1, retry_after="1")
    code, out, err = await asyncio.wait_for(
        upload(str(video), "--title", "Roll", "--server", upload.served.url, "--chunk-mib", "1"),
        timeout=120,
    )
    assert code == 0, err
    assert (creations.failures, finishes.failures, polls.failures) == (0, 0, 0)
    assert "; retrying (2 of " in err, err  # the creation's second 503
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


async def test_a_resumed_upload_rides_out_its_head_answering_503(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run again while ingest restarts, the HEAD that asks where the upload stands answers
    503 (without a body, as every HEAD): said plainly, and retried (it ended the run)."""
    video = upload.video("head.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    args = (str(video), "--title", "Head", "--chunk-mib", "1")
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2, then_refuse=True)
        code, _, err = await upload(*args, "--server", proxy.url, "--retries", "0")
        assert code == 75, err
        proxy.heal()
        heads = Away(monkeypatch, IngestService, "upload_status", 1, retry_after="1")
        code, out, err = await asyncio.wait_for(upload(*args, "--server", proxy.url), timeout=120)
    assert (code, heads.failures) == (0, 0), err
    assert "resuming head.mp4 at " in err, err
    assert "HTTP 503: the server is unavailable for a moment (try again in 1s)" in err, err
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


async def test_a_head_answering_503_mid_upload_is_retried_before_the_next_chunk(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk is cut off, and the HEAD that asks where the upload stands answers 503 twice:
    each is said and waited out like any request (it was swallowed, and the next chunk went
    from an offset the server had not confirmed)."""
    video = upload.video("asked.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2)
        heads = Away(monkeypatch, IngestService, "upload_status", 2, retry_after="1")
        code, out, err = await asyncio.wait_for(
            upload(str(video), "--title", "Asked", "--server", proxy.url, "--chunk-mib", "1"),
            timeout=120,
        )
    assert (code, heads.failures, proxy.cuts) == (0, 0, 1), err
    for attempt in (1, 2):
        assert (
            "HTTP 503: the server is unavailable for a moment (try again in 1s); "
            f"retrying ({attempt} of 5)"
        ) in err, err
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


async def test_a_head_still_answering_503_when_retries_are_spent_ends_the_run_with_it(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retries spent on the HEAD after a cut chunk, the run ends with the HEAD's own 503
    (exit 75, the upload kept to resume), not with whatever the next chunk met."""
    video = upload.video("unasked.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2)
        Away(monkeypatch, IngestService, "upload_status", 10, retry_after="1")
        args = ("--server", proxy.url, "--chunk-mib", "1", "--retries", "1")
        code, _, err = await upload(str(video), "--title", "Unasked", *args)
    assert code == 75, err
    assert err.splitlines()[-1] == (
        "streamstack: upload: HTTP 503: the server is unavailable for a moment (try again in "
        "1s); 1.0 of 3.0 MiB are stored, run the same command again to resume"
    ), err
    assert len(upload.remembered()) == 1


async def test_upload_whose_finish_died_with_the_server_ends_with_the_item(
    upload: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server dies between the last chunk's commit and its finish (answered 500 here):
    the command asks where the upload stands, sees every byte in, and follows the job,
    which that asking finished; exit 0 with the file's bytes stored. It waited ten minutes
    on an upload nothing would finish."""
    video = upload.video("crash.mp4", ingest_media.padded(ingest_media.mp4(), 2 * MIB))
    assemble = ChunkReceiver.assemble
    deaths = [True]

    async def dies_once(receiver: ChunkReceiver) -> ObjectInfo:
        if deaths and deaths.pop():
            raise ReplicaDied
        return await assemble(receiver)

    monkeypatch.setattr(ChunkReceiver, "assemble", dies_once)
    code, out, err = await asyncio.wait_for(
        upload(str(video), "--title", "Crash", "--server", upload.served.url, "--chunk-mib", "1"),
        timeout=120,
    )
    assert code == 0, err
    assert not deaths
    assert "; retrying (1 of " in err, err
    stored = await shown(upload.rig, json.loads(out)["id"])
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()


async def test_another_spelling_of_the_server_resumes_the_same_upload(upload: Command) -> None:
    """The upload is remembered by the server's one spelling: run again with a trailing
    slash and a capital scheme, it resumes where it stopped (it began a second one)."""
    video = upload.video("spelt.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2, then_refuse=True)
        args = (str(video), "--title", "Spelt", "--chunk-mib", "1")
        code, _, err = await upload(*args, "--server", proxy.url, "--retries", "0")
        assert code == 75, err
        [url] = upload.remembered().values()
        proxy.heal()
        respelt = proxy.url.replace("http://", "HTTP://") + "/"
        code, out, err = await upload(*args, "--server", respelt)
    assert code == 0, err
    assert "resuming spelt.mp4 at " in err, err
    assert json.loads(out)["id"] == url.rsplit("/", 1)[-1]


async def test_an_interrupted_upload_resumes_when_run_again(upload: Command) -> None:
    video = upload.video(
        "long.mp4", ingest_media.padded(ingest_media.mp4(faststart=False), 6 * MIB)
    )
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(2 * MIB + MIB // 2, then_refuse=True)
        args = (str(video), "--title", "Long", "--server", proxy.url, "--chunk-mib", "1")
        code, _, err = await upload(*args, "--retries", "0")
        assert code == 75
        assert "run the same command again to resume" in err
        [url] = upload.remembered().values()
        stored = int((await upload.rig.head(url)).headers["upload-offset"])
        assert 0 < stored < 6 * MIB

        proxy.heal()
        # Run again with another title: the upload goes on as it began, and says so.
        renamed = (str(video), "--title", "Long, renamed", *args[3:])
        code, out, err = await upload(*renamed)
    assert code == 0, err
    assert "goes on with the title it began with, 'Long'" in err, err
    # Spoken in MiB: "resuming long.mp4 at 2.5 of 6.0 MiB (41%)".
    resumed_at = float(err.split("resuming long.mp4 at ", 1)[1].split(" ", 1)[0])
    assert resumed_at >= 2.0
    assert f"of {6.0:.1f} MiB (" in err
    item = json.loads(out)
    assert item["id"] == url.rsplit("/", 1)[-1]
    assert item["title"] == "Long"
    # Faststart rewrote it: same size class, index first.
    stored = await shown(upload.rig, item["id"])
    boxes = ingest_media.top_level_boxes(upload.rig.object_bytes("media", stored["s3_key"]))
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    assert upload.remembered() == {}


async def test_upload_waits_out_a_lease_its_lost_attempt_left(upload: Command) -> None:
    """The server still holds a lost attempt's lease (its replica was killed, or its
    connection went silent): the run waits that out, apart from --retries, and says so."""
    video = upload.video("held.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2, then_refuse=True)
        args = (str(video), "--title", "Held", "--server", proxy.url, "--chunk-mib", "1")
        code, _, err = await upload(*args, "--retries", "0")
        assert code == 75, err
        [url] = upload.remembered().values()
        upload_id = uuid.UUID(url.rstrip("/").rsplit("/", 1)[-1])
        database = Database(upload.rig.settings.effective_database_url)
        records = UploadRecords(database)
        try:
            # As a killed replica's request, once the cut request let go (it commits what
            # arrived first, which a loaded machine may take a moment to do).
            token = None
            for _ in range(100):
                token = await records.try_lease(upload_id)
                if token is not None:
                    break
                await asyncio.sleep(0.1)
            assert token is not None, "the cut request never let the upload go"

            async def lapse() -> None:
                await asyncio.sleep(5.0)  # rather than the lease's whole time
                await records.update_leased(
                    upload_id, token, {"lease_token": None, "lease_until": None}
                )

            lapsing = asyncio.ensure_future(lapse())
            proxy.heal()
            code, out, err = await upload(*args, "--retries", "0")
            await lapsing
        finally:
            await database.close()
    assert code == 0, err
    assert "the server has not let go of the last attempt yet; waiting up to 60 s" in err
    assert json.loads(out)["id"] == str(upload_id)


async def test_a_sign_out_mid_upload_keeps_it_for_the_next_sign_in(upload: Command) -> None:
    """Signed out elsewhere (the token refused) between runs: the run says the upload is
    kept and how to go on; signed in again, the same command resumes it."""
    video = upload.video("kept.mp4", ingest_media.padded(ingest_media.mp4(), 3 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(MIB + MIB // 2, then_refuse=True)
        args = (str(video), "--title", "Kept", "--server", proxy.url, "--chunk-mib", "1")
        code, _, err = await upload(*args, "--retries", "0")
        assert code == 75, err
        [url] = upload.remembered().values()
        proxy.heal()
        code, _, err = await upload(*args, token="no-longer-a-valid-token")
        assert code == 3, err
        assert "the upload is kept: run `streamstack login`, then the same command" in err, err
        assert list(upload.remembered().values()) == [url]
        code, out, err = await upload(*args)
    assert code == 0, err
    assert json.loads(out)["id"] == url.rstrip("/").rsplit("/", 1)[-1]


async def test_titles_are_printed_as_they_are_written(upload: Command) -> None:
    video = upload.video("uber.mp4", ingest_media.mp4())
    server = ("--server", upload.served.url)
    code, out, err = await upload(str(video), "--title", "Über Straße", *server)
    assert code == 0, err
    assert '"title": "Über Straße"' in out, out
    assert json.loads(out)["title"] == "Über Straße"
    # Walk 53 F1: published by default, and said so, with the way to keep the next private.
    assert json.loads(out)["status"] == "published"
    assert "'Über Straße' is public: everyone who can browse sees it now" in err, err
    assert "`--draft` keeps the next one private" in err, err


async def test_upload_schedule_keeps_it_a_draft_until_then(upload: Command) -> None:
    video = upload.video("ep4.mp4", ingest_media.mp4())
    server = ("--server", upload.served.url)
    when = (datetime.datetime.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    local = when.strftime("%Y-%m-%d %H:%M")
    code, out, err = await upload(str(video), "--title", "Ep 4", "--schedule", local, *server)
    assert code == 0, err
    item = json.loads(out)
    assert (item["status"], item["published_at"]) == ("draft", None)
    assert datetime.datetime.fromisoformat(item["publish_at"]) == when.astimezone()
    assert f"'Ep 4' is a draft until {local}: it goes public then by itself" in err, err
    assert "is public" not in err


async def test_upload_schedule_refusals_upload_nothing(upload: Command) -> None:
    video = upload.video("ep4.mp4", ingest_media.mp4())
    server = ("--server", upload.served.url)
    before = await upload.rig.snapshot()
    soon = ("--schedule", "2030-01-01 09:00")
    for args, said in (
        (("--title", "Ep 4", *soon, "--draft"), "give --schedule or --draft"),
        (("--replace", str(uuid.uuid4()), *soon), "give none of --title, --description"),
        (("--title", "Ep 4", "--schedule", "next friday"), "upload: 'next friday' is no time"),
    ):
        code, _, err = await upload(str(video), *args, *server)
        assert (code, said in err) == (2, True), err
    code, _, err = await upload(
        str(video), "--title", "Ep 4", "--schedule", "2001-01-01 09:00", *server
    )
    assert code == 1, err
    assert "publish_at must be in the future" in err, err
    await upload.rig.assert_nothing_kept(before)
    assert upload.remembered() == {}


async def test_refusals_are_reported_in_one_line(upload: Command) -> None:
    noise = upload.video("noise.mp4", ingest_media.random_bytes())
    server = ("--server", upload.served.url)

    code, _, err = await upload(str(noise), "--title", "Noise", *server)
    assert (code, "no supported video or sound" in err) == (1, True), err
    assert upload.remembered() == {}  # a refused upload is not resumed

    code, _, err = await upload(str(noise), "--title", "Noise", *server, token="not-a-token")
    assert (code, "HTTP 401" in err) == (3, True), err

    code, _, err = await upload(str(noise), "--title", "Noise", *server, token="")
    assert (code, "access token is required" in err) == (3, True), err

    code, _, err = await upload(str(upload.folder / "missing.mp4"), "--title", "x", *server)
    assert (code, "is not a file" in err) == (2, True), err

    # One retry, not the 5 by default (1+2+4+8+16 s of backoff): the refusal is the same.
    unreachable = ("--server", "http://127.0.0.1:9", "--retries", "1")
    code, _, err = await upload(str(noise), "--title", "x", *unreachable)
    assert (code, "unreachable" in err) == (75, True), err


async def test_upload_replace_resumes_and_keeps_the_item(upload: Command) -> None:
    """``upload FILE --replace ITEM``: the item's file replaced, no title needed, with the
    upload's progress line and its resumption when run again."""
    first = await upload.rig.upload(ingest_media.mp4(seconds=2.0), fields={"title": "Recut"})
    assert first.status_code == 201, first.text
    media_id = first.json()["id"]
    await written_back(upload.rig, media_id, processing_state="failed")
    video = upload.video("recut.mp4", ingest_media.padded(ingest_media.mp4(seconds=3.0), 4 * MIB))
    async with CuttingProxy(upload.served.port) as proxy:
        proxy.cut_after(2 * MIB + MIB // 2, then_refuse=True)
        args = (str(video), "--replace", media_id, "--server", proxy.url, "--chunk-mib", "1")
        code, _, err = await upload(*args, "--retries", "0")
        assert code == 75, err
        assert "run the same command again to resume" in err
        proxy.heal()
        code, out, err = await upload(*args)

    assert code == 0, err
    # Walk 53 F9: said before the upload starts.
    assert f"the current file of {media_id} is deleted once the new one is in" in err, err
    assert "resuming recut.mp4 at " in err and "100%" in err, err
    item = json.loads(out)
    assert (item["id"], item["title"]) == (media_id, "Recut")
    assert item["duration_seconds"] == pytest.approx(3.0, abs=0.1)
    assert not {"s3_key", "created_by"} & item.keys(), item
    stored = await shown(upload.rig, media_id)
    assert upload.rig.object_bytes("media", stored["s3_key"]) == video.read_bytes()
    assert upload.remembered() == {}


async def test_upload_replace_names_what_was_made_for_the_old_file(upload: Command) -> None:
    """Walk 53 F9: a thumbnail chosen from the old cut and captions timed for it stay."""
    rig = upload.rig
    first = await rig.upload(ingest_media.mp4(seconds=3.0), fields={"title": "Lecture"})
    media_id = first.json()["id"]
    await written_back(rig, media_id, processing_state="ready")
    for language in ("en", "fr"):
        caption = await rig.client.put(
            f"/api/v1/ingest/items/{media_id}/captions/{language}",
            content=VTT,
            headers={**rig.admin(), "Content-Type": "text/vtt"},
        )
        assert caption.status_code == 200, caption.text
    chosen = await rig.client.put(
        f"/api/v1/ingest/items/{media_id}/thumbnail", json={"at_seconds": 2.0}, headers=rig.admin()
    )
    assert chosen.status_code == 200, chosen.text
    video = upload.video("recut.mp4", ingest_media.mp4(seconds=2.0))

    code, _, err = await upload(str(video), "--replace", media_id, "--server", upload.served.url)

    assert code == 0, err
    assert (
        "streamstack: made for the old file, now check: the thumbnail chosen (it may show a "
        "frame of the old file); 2 caption tracks timed for the old file\n"
    ) in err, err


async def test_upload_replace_refusals_are_said(upload: Command) -> None:
    video = upload.video("recut.mp4", ingest_media.mp4())
    server = ("--server", upload.served.url)

    code, _, err = await upload(str(video), *server)
    assert (code, "--title is required (or --replace ITEM)" in err) == (2, True), err
    code, _, err = await upload(str(video), "--replace", str(uuid.uuid4()), "--title", "x", *server)
    assert (code, "give none of --title" in err) == (2, True), err
    code, _, err = await upload(str(video), "--replace", str(uuid.uuid4()), *server)
    assert code == 4, err
    assert err.splitlines()[-1].startswith("streamstack: upload: HTTP 404"), err
    assert upload.remembered() == {}


async def test_uploads_lists_the_unfinished_ones_and_cancels_one(upload: Command) -> None:
    rig, server = upload.rig, ("--server", upload.served.url)
    uploads = Command(rig, upload.served, upload.folder, "uploads")
    code, out, err = await uploads(*server)
    assert (code, out, err.strip()) == (0, "", "streamstack: no unfinished uploads")

    data = ingest_media.padded(ingest_media.mp4(), 4 * MIB)
    metadata = tus_metadata(filename="beach.mp4", title="At the beach")
    url = (await rig.create(len(data), metadata=metadata)).headers["location"]
    assert (await rig.patch(url, 0, data[:MIB])).status_code == 204
    upload_id = url.rsplit("/", 1)[-1]
    code, out, err = await uploads(*server)
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == [
        "ID",
        "RECEIVED",
        "IDLE",
        "EXPIRES",
        "IN",
        "UPLOADER",
        "FILE",
        "TITLE",
    ]
    cells = row.split()
    # Idle a few seconds (how many depends on the machine); it expires in a day, less those.
    assert (cells[4][:-1].isdigit(), cells[4][-1], cells[5]) == (True, "s", "23h"), row
    del cells[4:6]
    assert cells == [
        upload_id, "1.0/4.0", "MiB", "25%", rig.admin_id, "beach.mp4", "At", "the", "beach"
    ]  # fmt: skip
    assert header.index("RECEIVED") == row.index("1.0/4.0")  # in columns
    code, out, err = await uploads("--json", *server)
    assert code == 0, err
    listed = json.loads(out)
    assert [(u["id"], u["offset"], u["title"]) for u in listed] == [
        (upload_id, MIB, "At the beach")
    ], listed

    # An uploader auth knows is named by email; one it does not (the rig's minted admin, or
    # an account deleted since) by id.
    account = {"email": "uploader@example.test", "password": "violet kangaroo juggles"}
    registered = await rig.client.post("/api/v1/auth/register", json=account)
    assert registered.status_code == 201, registered.text
    theirs = await rig.create(MIB, headers=rig.admin(registered.json()["id"]))
    assert theirs.status_code == 201, theirs.text
    code, out, err = await uploads(*server)
    assert code == 0, err
    uploaders = {row.split()[0]: row.split()[6] for row in out.splitlines()[1:]}
    their_id = theirs.headers["location"].rsplit("/", 1)[-1]
    assert uploaders == {upload_id: rig.admin_id, their_id: "uploader@example.test"}

    code, _, err = await uploads("--cancel", upload_id, *server)
    assert (code, err.strip()) == (
        0,
        f"streamstack: cancelled {upload_id}; its stored bytes are gone",
    )
    assert (await rig.head(url)).status_code == 404
    code, _, err = await uploads("--cancel", upload_id, *server)
    assert code == 4
    assert err.strip() == (
        f"streamstack: uploads: {upload_id} not cancelled: HTTP 404: no such upload"
    )
    code, _, err = await uploads("--cancel", "not-an-id", *server)
    assert (code, "invalid UUID value" in err) == (2, True), err
    viewer = mint_token(rig.settings, role="viewer", user_id=rig.admin_id)
    code, _, err = await uploads(*server, token=viewer)
    assert (code, "HTTP 403: admin role required" in err) == (3, True), err


async def thumbnail_command(upload: Command) -> tuple[Command, tuple[str, str], str]:
    """``streamstack thumbnail``, the options naming the server, and a 3 s clip's item id."""
    thumbnail = Command(upload.rig, upload.served, upload.folder, "thumbnail")
    response = await upload.rig.upload(ingest_media.mp4(seconds=3.0), fields={"title": "Three s"})
    return thumbnail, ("--server", upload.served.url), response.json()["id"]


async def test_thumbnail_makes_the_frame_at_a_moment_the_thumbnail(upload: Command) -> None:
    rig = upload.rig
    thumbnail, server, item_id = await thumbnail_command(upload)
    uploaded = rig.object_bytes("thumbnails", f"{item_id}.jpg")

    code, out, err = await thumbnail(item_id, "--at", "0:02.5", *server)

    assert code == 0, err
    answer = json.loads(out)
    assert (answer["media_id"], answer["at_seconds"]) == (item_id, 2.5)
    assert answer["thumbnail_url"].startswith(f"/api/v1/stream/thumbnails/{item_id}.jpg?v=")
    assert rig.object_bytes("thumbnails", f"{item_id}.jpg") != uploaded
    # Refusals: one line each, the stills as they were.
    chosen = rig.object_bytes("thumbnails", f"{item_id}.jpg")
    code, _, err = await thumbnail(item_id, "--at", "9", *server)
    assert (code, err.strip()) == (
        1,
        f"streamstack: thumbnail: {item_id} unchanged: HTTP 422: 9 s is past the end of "
        "the video (3.008 s)",
    )
    for moment in ("soon", "1:75", "-1", ""):
        code, _, err = await thumbnail(item_id, "--at", moment, *server)
        assert (code, "not a moment" in err) == (2, True), err
    viewer = mint_token(rig.settings, role="viewer", user_id=rig.admin_id)
    code, _, err = await thumbnail(item_id, "--at", "1", *server, token=viewer)
    assert (code, "HTTP 403: admin role required" in err) == (3, True), err
    assert rig.object_bytes("thumbnails", f"{item_id}.jpg") == chosen


async def test_thumbnail_of_an_image_then_the_automatic_one_again(upload: Command) -> None:
    rig = upload.rig
    thumbnail, server, item_id = await thumbnail_command(upload)
    automatic = rig.object_bytes("thumbnails", f"{item_id}.jpg")
    image = upload.video("cover.webp", ingest_media.still_image("image/webp", luma=220))

    code, out, err = await thumbnail(item_id, "--image", str(image), *server)

    assert code == 0, err
    answer = json.loads(out)
    assert (answer["media_id"], answer["source"], answer["at_seconds"]) == (item_id, "image", None)
    assert mean_luma(rig.object_bytes("thumbnails", f"{item_id}.jpg")) == pytest.approx(220, abs=4)
    code, out, err = await thumbnail(item_id, "--default", *server)
    assert code == 0, err
    assert json.loads(out)["source"] == "automatic"
    assert rig.object_bytes("thumbnails", f"{item_id}.jpg") == automatic
    # Refusals: one line each, the stills as they were.
    drawing = upload.video("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    code, _, err = await thumbnail(item_id, "--image", str(drawing), *server)
    assert (code, err.strip()) == (
        1,
        f"streamstack: thumbnail: {item_id} unchanged: HTTP 415: send an image as one of "
        "image/jpeg, image/png, image/webp",
    )
    code, _, err = await thumbnail(item_id, "--image", str(upload.folder / "none.png"), *server)
    assert (code, "streamstack: thumbnail: cannot read" in err) == (1, True), err
    for options in ((), ("--at", "1", "--default"), ("--default", "--image", str(image))):
        code, _, err = await thumbnail(item_id, *options, *server)
        assert (code, "give one of --at, --image or --default" in err) == (2, True), err
    assert rig.object_bytes("thumbnails", f"{item_id}.jpg") == automatic


SRT = b"1\n00:00:00,500 --> 00:00:02,000\nHello\n\n2\n00:00:02,100 --> 00:00:03,000\nAgain\n"
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour\n"


async def test_captions_are_added_listed_replaced_and_removed(upload: Command) -> None:
    rig, server = upload.rig, ("--server", upload.served.url)
    captions = Command(rig, upload.served, upload.folder, "captions")
    item_id = (await rig.upload(ingest_media.mp4(seconds=3.0))).json()["id"]
    srt, vtt = upload.video("en.srt", SRT), upload.video("fr.vtt", VTT)

    code, out, err = await captions("add", item_id, "en", str(srt), "--label", "English", *server)
    assert code == 0, err
    english = {"language": "en", "label": "English", "source": "upload"}
    assert json.loads(out) == {
        "media_id": item_id,
        "captions": [english],
        "cues_after_end": 0,
        "cues": 2,
        "duration_seconds": pytest.approx(3.0, abs=0.1),
    }
    assert err == "streamstack: stored the en track\n"
    stored = rig.object_bytes("media", f"{item_id}/captions/en.vtt")
    assert stored.startswith(b"WEBVTT") and b"Hello" in stored
    # Replaced by a WebVTT file (the tag in any case), the label kept; a second language
    # beside it, named in its language.
    for language, path in (("EN", vtt), ("Fr", vtt)):
        code, _, err = await captions("add", item_id, language, str(path), *server)
        assert code == 0, err
        assert err == f"streamstack: stored the {language.lower()} track\n"
    code, out, err = await captions("list", item_id, *server)
    assert (code, out.splitlines()) == (
        0,
        ["LANGUAGE  LABEL     SOURCE", "en        English   upload", "fr        Français  upload"],
    )

    code, out, err = await captions("remove", item_id, "en_us", *server)
    assert (code, err) == (
        4,
        "streamstack: captions remove: en_us not removed: HTTP 404: "
        "the item has no caption track in this language\n",
    )
    code, out, err = await captions("remove", item_id, "EN", *server)
    assert (code, err) == (0, "streamstack: removed the en track\n")
    assert [track["language"] for track in json.loads(out)["captions"]] == ["fr"]
    code, out, _ = await captions("list", item_id, "--json", *server)
    assert json.loads(out) == [{"language": "fr", "label": "Français", "source": "upload"}]
    assert (await shown(rig, item_id))["captions"] == json.loads(out)


async def test_captions_timed_past_the_end_are_stored_and_said(upload: Command) -> None:
    """Walk 53 F4: the caption file of another cut is stored, with a word on stderr."""
    rig, server = upload.rig, ("--server", upload.served.url)
    captions = Command(rig, upload.served, upload.folder, "captions")
    item_id = (await rig.upload(ingest_media.mp4(seconds=3.0))).json()["id"]
    long_srt = upload.video("long.srt", SRT + b"\n3\n00:00:30,000 --> 00:00:35,000\nLate\n")

    code, out, err = await captions("add", item_id, "es", str(long_srt), *server)

    assert code == 0, err
    assert json.loads(out)["cues_after_end"] == 1
    assert err == (
        "streamstack: stored the es track\n"
        "streamstack: 1 cue of 3 starts after the video ends (0:03): "
        "is this the caption file of another cut?\n"
    )


async def test_captions_of_a_file_saved_in_a_code_page(upload: Command) -> None:
    rig, server = upload.rig, ("--server", upload.served.url)
    captions = Command(rig, upload.served, upload.folder, "captions")
    item_id = (await rig.upload(ingest_media.mp4(seconds=3.0))).json()["id"]
    words = "Ελληνικά"
    greek = upload.video(
        "el.srt", f"1\r\n00:00:01,000 --> 00:00:02,000\r\n{words}\r\n".encode("cp1253")
    )

    code, out, err = await captions("add", item_id, "el", str(greek), *server)
    assert (code, out) == (1, ""), err
    assert "HTTP 422: this file is not UTF-8" in err and "give --encoding" in err, err
    for wrong in (("--encoding", "greek"), ("--encoding", "cp1253")):
        code, out, err = await captions("add", item_id, "el", str(greek), *wrong, *server)
        assert (code, out, "invalid choice" in err) == (2, "", True), err
    code, _, err = await captions("remove", item_id, "el", "--encoding", "windows-1253", *server)
    assert (code, "--encoding goes with add" in err) == (2, True), err
    assert (await shown(rig, item_id))["captions"] == []

    # Said as the README and the web page spell it: labels are read in any case.
    code, out, err = await captions(
        "add", item_id, "el", str(greek), "--encoding", "Windows-1253", *server
    )
    assert (code, err) == (0, "streamstack: stored the el track\n"), err
    stored = rig.object_bytes("media", f"{item_id}/captions/el.vtt")
    assert stored.decode("utf-8").endswith(f"\n{words}\n")


async def test_captions_refusals_change_nothing(upload: Command) -> None:
    rig, server = upload.rig, ("--server", upload.served.url)
    captions = Command(rig, upload.served, upload.folder, "captions")
    item_id = (await rig.upload(ingest_media.mp4(seconds=3.0))).json()["id"]
    srt, junk = upload.video("en.srt", SRT), upload.video("notes.txt", b"not captions")
    ass = upload.video("en.ass", b"[Script Info]\nScriptType: v4.00+\n")
    said = {
        ("add", item_id, "english", str(srt)): "english not stored: HTTP 400: Expected a "
        "language tag such as en, fr, pt-BR or zh-Hant",
        ("add", item_id, "en", str(junk)): "en not stored: HTTP 422: line 1: not a caption file",
        ("add", item_id, "en", str(ass)): "en not stored: HTTP 422: this looks like an ASS/SSA",
        ("remove", item_id, "de"): "de not removed: HTTP 404: the item has no caption track",
        ("list", str(uuid.uuid4())): "HTTP 404: no such media item",
    }
    for args, line in said.items():
        code, out, err = await captions(*args, *server)
        assert (code, out) == (4 if "HTTP 404" in line else 1, ""), err
        assert err.startswith(f"streamstack: captions {args[0]}: ") and line in err, err
    for confused in (
        ("add", item_id, "en"),
        ("add", item_id, "en", str(upload.folder / "missing.srt")),
        ("remove", item_id),
        ("list", item_id, "en"),
        ("remove", item_id, "en", "--label", "English"),
        ("list", "not-an-id"),
    ):
        code, out, err = await captions(*confused, *server)
        assert (code, out) == (2, ""), err
    viewer = mint_token(rig.settings, role="viewer", user_id=rig.admin_id)
    code, _, err = await captions("add", item_id, "en", str(srt), *server, token=viewer)
    assert (code, "HTTP 403: admin role required" in err) == (3, True), err
    assert (await shown(rig, item_id))["captions"] == []


async def test_probe_reads_the_items_again_and_tallies_them(upload: Command) -> None:
    rig, server = upload.rig, ("--server", upload.served.url)
    probe = Command(rig, upload.served, upload.folder, "probe")
    book = await uploaded_long_ago(rig, ingest_media.audiobook(), "An old audiobook")
    clip = (await rig.upload(ingest_media.mp4(seconds=2.0), fields={"title": "A clip"})).json()
    lost = await uploaded_long_ago(rig, ingest_media.audiobook(), "Its file lost")
    replace_original(rig, lost["s3_key"], None)

    code, out, err = await probe(book["id"], *server)

    assert code == 0, err
    assert json.loads(out)["got_chapters"] == [book["id"]]
    assert (await shown(rig, book["id"]))["chapters"] == BOOK_CHAPTERS
    assert err.strip().splitlines()[-1] == "streamstack: read 1 of 1: 1 got chapters, 0 failed"

    code, out, err = await probe("--all", *server)

    assert code == 1, err
    tally = json.loads(out)
    assert (tally["read"], tally["changed"], tally["got_chapters"]) == (2, 0, [])
    assert {item["media_id"] for item in tally["items"]} == {book["id"], clip["id"]}
    assert tally["failed"] == {"original_missing": [lost["id"]]}
    lines = err.strip().splitlines()
    assert f"streamstack: {lost['id']} not read: HTTP 409: the item's original" in err
    assert lines[0].startswith("[----") and lines[-2].startswith(f"[{'#' * 20}] 100%")
    assert lines[-1] == "streamstack: read 2 of 3: 0 got chapters, 1 failed (1: original_missing)"
    # Refusals of the command itself: one line each.
    for confused in ((), (book["id"], "--all")):
        code, _, err = await probe(*confused, *server)
        assert (code, "name the items, or pass --all" in err) == (2, True), err
    viewer = mint_token(rig.settings, role="viewer", user_id=rig.admin_id)
    code, _, err = await probe("--all", *server, token=viewer)
    assert (code, err.splitlines()[-1]) == (3, "streamstack: probe: HTTP 403: admin role required")


@pytest.mark.parametrize(
    ("command", "owner", "name"),
    [("transcode", TranscodeRetries, "retry"), ("probe", FactsReading, "read_again")],
)
async def test_a_server_away_stops_transcode_and_probe_at_the_first_item(
    upload: Command, monkeypatch: pytest.MonkeyPatch, command: str, owner: type, name: str
) -> None:
    """The server answers 503 to the first of two items: the command stops there with one
    line and exit 75 (try later), the second never asked. It went on item by item, each
    refused the same, and exited 1 (failed for good)."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    away = Away(monkeypatch, owner, name, 2, retry_after="1")
    line = Command(upload.rig, upload.served, upload.folder, command)

    code, out, err = await line(first, second, "--server", upload.served.url)

    assert (code, out, away.failures) == (75, "", 1), err
    assert err.splitlines()[-1] == (
        f"streamstack: {command}: stopped at item 1 of 2 ({first}): HTTP 503: the service "
        "is unreachable (its proxy answered 502) (try again in 1s)"
    ), err
    assert second not in err, err


@pytest.fixture
async def transcoding(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Command]:
    """``streamstack upload`` and a served app with a fast transcoding worker in process."""
    settings = settings_factory(
        worker_in_process=True, transcode_preset="ultrafast", transcode_segment_seconds=1.0
    )
    async with served_rig(settings) as (rig, served):
        yield Command(rig, served, tmp_path)


async def test_upload_waits_for_the_transcoding_with_progress(transcoding: Command) -> None:
    video = transcoding.video("vp9.webm", ingest_media.webm())  # not browser-safe everywhere
    url = transcoding.served.url
    code, out, err = await transcoding(str(video), "--title", "Waited", "--server", url, "--wait")

    assert code == 0, err
    item = json.loads(out)
    assert (item["title"], item["processing_state"], item["processing_percent"]) == (
        "Waited",
        "ready",
        100,
    )
    assert item["has_hls"] and item["renditions"], item
    # The upload's progress line, who sees it (a VP9 file plays once transcoded), then the
    # transcoding's progress (one line per tenth: not a TTY).
    lines = err.splitlines()
    uploaded = next(n for n, line in enumerate(lines) if "100%" in line and "MiB/s" in line)
    assert lines[uploaded + 1] == (
        "streamstack: 'Waited' is public: everyone who can browse sees it once it is "
        "transcoded; `--draft` keeps the next one private"
    ), err
    transcoding = lines[uploaded + 2 :]
    assert transcoding[0] == f"[{'-' * 20}]   0%  queued for transcoding", err
    assert transcoding[-1] == f"[{'#' * 20}] 100%  transcoded", err


async def test_upload_replace_waits_for_the_new_files_transcoding(transcoding: Command) -> None:
    url = transcoding.served.url
    first = transcoding.video("first.mp4", ingest_media.mp4(seconds=2.0))
    code, out, err = await transcoding(str(first), "--title", "Twice", "--server", url, "--wait")
    assert code == 0, err
    media_id = json.loads(out)["id"]
    second = transcoding.video("second.webm", ingest_media.webm())

    code, out, err = await transcoding(
        str(second), "--replace", media_id, "--server", url, "--wait"
    )

    assert code == 0, err
    item = json.loads(out)
    assert (item["id"], item["title"], item["processing_state"]) == (media_id, "Twice", "ready")
    assert item["video_codec"] == "vp9"
    assert err.splitlines()[-1] == f"[{'#' * 20}] 100%  transcoded", err


async def test_transcode_queues_an_item_again_and_waits_for_it(
    transcoding: Command,
) -> None:
    rig, url = transcoding.rig, transcoding.served.url
    video = transcoding.video("vp9.webm", ingest_media.webm())
    code, out, err = await transcoding(str(video), "--title", "Again", "--server", url, "--wait")
    assert code == 0, err
    media_id = json.loads(out)["id"]
    transcode = Command(rig, transcoding.served, transcoding.folder, "transcode")

    code, out, err = await transcode(media_id, "--server", url, "--wait")  # a ready one
    assert code == 0, err
    # One line an item (its whole JSON, fifty lines, buried the progress lines of a library).
    (line,) = out.splitlines()
    assert re.fullmatch(rf"{media_id}  ready \((\d+p, )*\d+p\)  Again", line), out
    assert err.splitlines()[0] == f"streamstack: queued 1 of 1: {media_id}", err
    code, out, err = await transcode("--failed", "--server", url)
    assert (code, out, err.strip()) == (0, "", "streamstack: no item's transcoding failed")
    code, out, err = await transcode("--outdated", "--server", url)
    assert (code, out) == (0, ""), err
    assert (
        err.strip() == "streamstack: no item is outdated: every video is transcoded by this version"
    )
    for confused in ((), ("--failed", media_id), ("--failed", "--outdated")):
        code, _, err = await transcode(*confused, "--server", url)
        assert (code, "name the items, or pass --failed or --outdated" in err) == (2, True), err

    await report(rig, ProcessingUpdate(media_id=media_id, state="failed", detail="out of memory"))
    code, out, err = await transcode("--failed", "--server", url, "--wait", "--json")
    assert code == 0, err
    item = json.loads(out)
    assert (item["id"], item["processing_state"], item["has_hls"]) == (media_id, "ready", True)
    lines = err.splitlines()
    assert lines[:2] == [
        f"streamstack: queued 1 of 1: {media_id}",
        f"[{'-' * 20}]   0%  queued for transcoding",
    ], err
    assert lines[-1] == f"[{'#' * 20}] 100%  transcoded", err

    # Its package as an older version recorded it (no format): outdated, and made again.
    rung = Rendition(height=item["renditions"][0]["height"], bandwidth=1000)
    await report(rig, ProcessingUpdate(media_id, "ready", renditions=[rung], hls=True))
    code, out, err = await transcode("--outdated", "--server", url, "--wait", "--json")
    assert code == 0, err
    item = json.loads(out)
    assert (item["processing_state"], item["package_format"]) == ("ready", PACKAGE_FORMAT)
    assert err.splitlines()[0] == f"streamstack: queued 1 of 1: {media_id}", err

    # Queued, but its job is gone (NATS's store lost): refused, unless forced.
    await report(rig, ProcessingUpdate(media_id=media_id, state="queued"))
    code, out, err = await transcode(media_id, "--server", url)
    assert (code, out) == (1, ""), err
    assert "the item's transcoding is queued: wait until it is done" in err
    code, out, err = await transcode(media_id, "--force", "--server", url, "--wait", "--json")
    assert code == 0, err
    assert json.loads(out)["processing_state"] == "ready"


async def report(rig: Rig, update: ProcessingUpdate) -> None:
    """Report the item's processing as a worker does (a service call)."""
    reported = await rig.client.post(
        "/internal/v1/catalogue/processing",
        content=msgspec.json.encode(update),
        headers={SECRET_HEADER: rig.settings.internal_secret},
    )
    assert reported.status_code == 200, reported.text
