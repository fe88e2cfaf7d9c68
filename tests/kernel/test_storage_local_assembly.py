"""The local directory joins an upload's parts with one part's worth of extra disk.

Each test stops a completion at its fifth of eight parts, deterministically and with real
files: the fifth part file is changed behind the store's back (as a damaged disk would), so
its bytes no longer have the part's ETag and the completion refuses it there. What the
upload's folder then holds is what a crash at that part would leave (less the bytes a crash
mid-append leaves, which one test adds): parts 1 to 4 already deleted, their bytes in the
assembled file once, no second copy of anything.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec
import pytest

from streamstack.kernel.storage import PartInfo, StorageError, read_all
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.storage.local_assembly import ASSEMBLED, JOURNAL

PART = 1024 * 1024
KEY = "video.mp4"


class Interrupted(msgspec.Struct):
    """An upload of eight parts whose completion stopped at part 5."""

    store: LocalObjectStore
    upload_id: str
    folder: Path
    data: list[bytes]
    parts: list[PartInfo]

    async def complete(self) -> bytes:
        """Put part 5 back, complete again; the object's bytes (its ETag checked)."""
        await self.store.put_part(KEY, self.upload_id, 5, self.data[4])
        info = await self.store.complete_multipart(KEY, self.upload_id, self.parts)
        whole = b"".join(self.data)
        assert info.etag == f'"{hashlib.md5(whole, usedforsecurity=False).hexdigest()}"'
        assert not self.folder.exists()
        return await read_all(await self.store.read(KEY))


@pytest.fixture
async def interrupted(tmp_path: Path) -> Interrupted:
    store = LocalObjectStore(tmp_path / "objects", "media")
    upload_id = await store.start_multipart(KEY, "video/mp4")
    data = [os.urandom(PART) for _ in range(8)]
    parts = [await store.put_part(KEY, upload_id, n, d) for n, d in enumerate(data, 1)]
    folder = tmp_path / "objects" / ".multipart" / upload_id
    (folder / "00005.part").write_bytes(os.urandom(PART))
    with pytest.raises(StorageError, match="part 5"):
        await store.complete_multipart(KEY, upload_id, parts)
    return Interrupted(store, upload_id, folder, data, parts)


def part_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.part"))


async def test_each_part_is_deleted_once_it_is_joined(interrupted: Interrupted) -> None:
    """Never the upload twice on disk: parts 1 to 4 went as they were appended, so the folder
    holds the upload's size and no more (the journal aside), and the journal names them."""
    folder = interrupted.folder
    assert part_files(folder) == [f"0000{n}.part" for n in range(5, 9)]
    assert (folder / ASSEMBLED).read_bytes() == b"".join(interrupted.data[:4])
    held = sum(path.stat().st_size for path in folder.iterdir() if path.name != JOURNAL)
    assert held == 8 * PART + len((folder / "upload.json").read_bytes())
    journal = msgspec.json.decode((folder / JOURNAL).read_bytes())
    assert [(entry["number"], entry["length"]) for entry in journal] == [
        (n, n * PART) for n in range(1, 5)
    ]


async def test_a_completion_sent_again_finishes_what_one_cut_short_began(
    interrupted: Interrupted,
) -> None:
    assert await interrupted.complete() == b"".join(interrupted.data)


async def test_bytes_a_crash_left_past_the_journal_are_cut_off(interrupted: Interrupted) -> None:
    with (interrupted.folder / ASSEMBLED).open("ab") as assembled:
        assembled.write(interrupted.data[4][: PART // 2])  # part 5, half appended
    assert await interrupted.complete() == b"".join(interrupted.data)


async def test_the_parts_listed_after_a_cut_short_completion_are_every_part_once(
    interrupted: Interrupted,
) -> None:
    """Those joined from the journal, the others from their files; a joined part whose file
    a crash left behind (between the journal's write and the file's deletion) is listed
    once, and skipped by the next completion."""
    (interrupted.folder / "00004.part").write_bytes(interrupted.data[3])
    await interrupted.store.put_part(KEY, interrupted.upload_id, 5, interrupted.data[4])
    listed = await interrupted.store.list_parts(KEY, interrupted.upload_id)
    assert listed == interrupted.parts
    assert await interrupted.complete() == b"".join(interrupted.data)


async def test_a_joined_part_sent_again_is_that_part_and_cannot_change(
    interrupted: Interrupted,
) -> None:
    """A client resending the upload's last request after a failed completion sends the
    same parts again: taken as they are, without storing their bytes twice. Other bytes
    cannot replace what is already joined."""
    store, upload_id = interrupted.store, interrupted.upload_id
    assert await store.put_part(KEY, upload_id, 2, interrupted.data[1]) == interrupted.parts[1]
    assert "00002.part" not in part_files(interrupted.folder)
    with pytest.raises(StorageError, match="part 2 is already joined"):
        await store.put_part(KEY, upload_id, 2, interrupted.data[0])
    assert await interrupted.complete() == b"".join(interrupted.data)


async def test_a_part_list_that_differs_from_the_joined_parts_is_refused(
    interrupted: Interrupted,
) -> None:
    store, upload_id, parts = interrupted.store, interrupted.upload_id, interrupted.parts
    with pytest.raises(StorageError, match="differ from the parts already joined"):
        await store.complete_multipart(KEY, upload_id, [parts[0], *parts[2:]])
    assert await interrupted.complete() == b"".join(interrupted.data)


async def test_a_part_list_naming_a_part_not_stored_is_refused_before_anything_is_joined(
    tmp_path: Path,
) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    upload_id = await store.start_multipart(KEY, "video/mp4")
    first = await store.put_part(KEY, upload_id, 1, b"1" * PART)
    with pytest.raises(StorageError, match="part 2 of the upload is not stored"):
        await store.complete_multipart(KEY, upload_id, [first, PartInfo(2, 10, '"x"')])
    assert await store.list_parts(KEY, upload_id) == [first]
    assert not (tmp_path / "objects" / ".multipart" / upload_id / ASSEMBLED).exists()


async def test_an_abort_after_a_cut_short_completion_removes_everything(
    interrupted: Interrupted,
) -> None:
    await interrupted.store.abort_multipart(KEY, interrupted.upload_id)
    assert not interrupted.folder.exists()
