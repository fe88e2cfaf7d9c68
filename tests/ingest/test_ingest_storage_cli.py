"""``streamstack storage audit``: the real command, in a subprocess, against a served app.

The command is a client: these run on the embedded backends only, the server's grace
period 0. The orphan is an original stored by an upload that crashed before registering
its item (written straight into the bucket directory).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import ingest_media
import pytest
from ingest_rig import Command, packaged_behind, replace_original, served_rig, write_behind

from streamstack.cli.storage import size_text
from support.apps import mint_token
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


class Stored:
    """The media bucket's directory: an orphan and an unrecognised object in it."""

    def __init__(self, command: Command) -> None:
        self.bucket = command.rig.settings.data_dir / "objects" / "media"
        self.orphan = f"{uuid.uuid4()}.mp4"
        self.stranger = "operator-notes.txt"
        for key, data in ((self.orphan, b"x" * 2048), (self.stranger, b"notes")):
            (self.bucket / key).parent.mkdir(parents=True, exist_ok=True)
            (self.bucket / key).write_bytes(data)

    def keys(self) -> set[str]:
        return {path.name for path in self.bucket.iterdir()}


def server(command: Command) -> tuple[str, str]:
    return ("--server", command.served.url)


@pytest.fixture
async def storage(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Command]:
    """The command, and a served app whose grace period is 0."""
    settings = settings_factory(ingest_orphan_grace_seconds=0)
    async with served_rig(settings) as (rig, served):
        yield Command(rig, served, tmp_path, name="storage")


async def test_audit_reports_the_orphans_and_leaves_them(storage: Command) -> None:
    stored = Stored(storage)
    code, out, err = await storage("audit", *server(storage))
    assert code == 0, err
    assert "grace period: 0s" in out
    assert "media (bucket media): 2 objects, 2.0 KiB" in out
    assert "  orphans: 1 object, 2.0 KiB" in out
    assert f"    {stored.orphan}  2.0 KiB, " in out
    assert "  unrecognised (never deleted): 1 object, 5 B" in out
    assert f"    {stored.stranger}  5 B, " in out
    assert "delete the orphans with `streamstack storage audit --delete`" in out
    assert stored.keys() == {stored.orphan, stored.stranger}

    code, out, err = await storage("audit", "--json", "--limit", "0", *server(storage))
    assert code == 0, err
    media = json.loads(out)["buckets"][0]
    assert (media["role"], media["orphans"]["count"], media["orphans"]["first"]) == (
        "media",
        1,
        [],
    )
    code, out, err = await storage("audit", "--limit", "101", *server(storage))
    assert code == 2 and "--limit" in err


async def test_delete_asks_for_yes_then_deletes_only_the_orphans(storage: Command) -> None:
    stored = Stored(storage)
    # No terminal to ask at: --yes is required, and nothing is deleted without it.
    code, _, err = await storage("audit", "--delete", *server(storage))
    assert code == 2
    assert err.endswith(
        "storage audit --delete: the orphans the audit finds go for good; "
        "with no terminal to ask, pass --yes to go ahead\n"
    )
    assert stored.keys() == {stored.orphan, stored.stranger}

    code, out, err = await storage("audit", "--delete", "--yes", *server(storage))
    assert code == 0, err
    assert "  deleted: 1 object, 2.0 KiB" in out and stored.orphan in out
    assert stored.keys() == {stored.stranger}
    code, out, err = await storage("audit", *server(storage))
    assert code == 0 and "  orphans: 0 objects, 0 B" in out


async def test_a_viewer_is_refused_in_one_line(storage: Command) -> None:
    stored = Stored(storage)
    viewer = mint_token(storage.rig.settings, role="viewer")
    for args in (("audit",), ("audit", "--delete", "--yes")):
        code, out, err = await storage(*args, *server(storage), token=viewer)
        assert code == 3 and out == ""
        assert "storage audit: HTTP 403" in err
    assert stored.keys() == {stored.orphan, stored.stranger}


def test_sizes_read_as_people_write_them() -> None:
    assert [size_text(n) for n in (0, 1023, 1024, 5 * 2**20 + 2**19, 3 * 2**40)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "5.5 MiB",
        "3.0 TiB",
    ]


async def at_a_terminal(storage: Command, typed: bytes) -> tuple[int, str, str]:
    """``storage audit --delete`` with a terminal for its standard input, ``typed`` on it."""
    main, terminal = os.openpty()
    try:
        os.write(main, typed)
        return await storage("audit", "--delete", *server(storage), stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)


async def test_delete_asks_at_the_terminal_on_stderr_and_only_a_yes_deletes(
    storage: Command,
) -> None:
    """The question goes to stderr, as items delete's and comments delete --author's do:
    standard output stays the report alone (it was asked there, by its own input())."""
    stored = Stored(storage)
    question = "Delete 1 object (2.0 KiB) that no item accounts for? [y/N] "
    for typed in (b"n\n", b"\n"):
        code, out, err = await at_a_terminal(storage, typed)
        assert (code, err) == (1, f"{question}streamstack: nothing deleted\n"), err
        assert "  orphans: 1 object, 2.0 KiB" in out and question not in out
        assert stored.keys() == {stored.orphan, stored.stranger}

    code, out, err = await at_a_terminal(storage, b"YES\n")
    assert (code, err) == (0, question), err
    assert "  deleted: 1 object, 2.0 KiB" in out
    assert stored.keys() == {stored.stranger}
    # Nothing left to delete: nothing asked.
    code, out, err = await at_a_terminal(storage, b"y\n")
    assert (code, err) == (0, ""), err
    assert "  orphans: 0 objects, 0 B" in out


async def test_audit_names_an_item_whose_file_is_gone_and_what_to_do(storage: Command) -> None:
    response = await storage.rig.upload(ingest_media.mp4(), fields={"title": "Heron at dusk"})
    assert response.status_code == 201, response.text
    media_id = response.json()["id"]
    (storage.rig.settings.data_dir / "objects" / "media" / f"{media_id}.mp4").unlink()

    code, out, err = await storage("audit", *server(storage))
    assert code == 1, err
    assert "items: 1 item checked, 1 has missing or damaged files" in out
    # Not yet transcoded: viewers play the original, so nothing plays.
    assert f"  Heron at dusk ({media_id}): missing its video file — cannot be played\n" in out
    assert "`streamstack upload --replace ID FILE`" in out

    code, out, err = await storage("audit", "--json", *server(storage))
    missing = json.loads(out)["missing"]
    assert code == 1
    assert (missing["count"], missing["first"][0]["missing"]) == (1, ["original"])


async def test_audit_says_what_viewers_get_and_fails_until_nothing_is_missing(
    storage: Command,
) -> None:
    """A lost original of a packaged item still plays, a lost thumbnail costs a picture:
    said so, not "viewers cannot play these"; the exit status is 1 for cron and monitoring
    while anything is missing, 0 once it is back."""
    ids = []
    for title in ("Small avi", "Killed mid-upload"):
        response = await storage.rig.upload(ingest_media.mp4(), fields={"title": title})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    plays, unpictured = ids
    await packaged_behind(storage.rig, plays, {"hls/master.m3u8": b"#EXTM3U\n"})
    original = storage.rig.object_bytes("media", f"{plays}.mp4")
    replace_original(storage.rig, f"{plays}.mp4", None)
    settings = storage.rig.settings
    thumbnail = settings.data_dir / "objects" / settings.thumbnails_bucket / f"{unpictured}.jpg"
    picture = thumbnail.read_bytes()
    thumbnail.unlink()

    code, out, err = await storage("audit", *server(storage))
    assert code == 1, err
    assert (
        f"  Small avi ({plays}): missing its video file — still plays; "
        "cannot be transcoded again or downloaded\n"
    ) in out
    assert (
        f"  Killed mid-upload ({unpictured}): missing its thumbnail — still plays; "
        "no picture in lists\n"
    ) in out
    assert "cannot play" not in out

    write_behind(storage.rig, f"{plays}.mp4", original)
    thumbnail.write_bytes(picture)
    code, out, err = await storage("audit", *server(storage))
    assert code == 0, err
    assert "none has a missing or damaged file" in out


async def test_audit_says_what_the_grace_left_and_takes_a_grace_of_its_own(
    storage: Command,
) -> None:
    stored = Stored(storage)
    code, out, err = await storage("audit", "--grace", "3600", *server(storage))
    assert code == 0, err
    assert "grace period: 1h" in out and "  orphans: 0 objects, 0 B" in out
    assert (
        "  1 object, 2.0 KiB of no item is younger than the grace period (1h); "
        "they are judged after " in out
    )
    assert "or now with --grace 0" in out

    code, out, err = await storage(
        "audit", "--delete", "--yes", "--grace", "3600", *server(storage)
    )
    assert code == 0, err
    assert stored.keys() == {stored.orphan, stored.stranger}  # younger than the run's grace
    code, out, err = await storage("audit", "--delete", "--yes", "--grace", "0", *server(storage))
    assert code == 0, err
    assert stored.keys() == {stored.stranger}

    for bad in ("-1", "1d", "7776001"):
        code, out, err = await storage("audit", "--grace", bad, *server(storage))
        assert code == 2 and "--grace" in err and len(err) < 1000, err


async def test_audit_names_a_stream_cut_short_and_what_it_could_not_check(
    storage: Command,
) -> None:
    """A segment cut short (``truncate -s 200``) is damage, with the same remedy as a lost
    stream; a package that records no sizes is named as not checked, and how to make it
    checkable. Only the damage fails the run."""
    ids = []
    for title in ("Cut short", "Made long ago"):
        response = await storage.rig.upload(ingest_media.mp4(), fields={"title": title})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    cut, old = ids
    files = {"hls/master.m3u8": b"#EXTM3U\n", "hls/240p/seg_00002.m4s": b"x" * 4096}
    await packaged_behind(storage.rig, cut, files)
    await packaged_behind(storage.rig, old, files, sized=False)
    write_behind(storage.rig, f"{cut}/hls/240p/seg_00002.m4s", b"x" * 200)

    code, out, err = await storage("audit", *server(storage))
    assert code == 1, err
    assert (
        f"  Cut short ({cut}): damaged stream files (not the size they were written with: "
        "cut short?) — still plays; skips or stalls where a file is damaged\n"
    ) in out
    assert "no stream, or a damaged one: `streamstack transcode --force ID`" in out
    assert out.endswith(
        "  1 item could not be checked for damaged files (made before file sizes were "
        f"recorded); `streamstack transcode --force ID` makes one checkable: {old}\n"
    )

    write_behind(storage.rig, f"{cut}/hls/240p/seg_00002.m4s", files["hls/240p/seg_00002.m4s"])
    code, out, err = await storage("audit", *server(storage))
    assert code == 0, err
    assert "none has a missing or damaged file" in out and f"checkable: {old}" in out
