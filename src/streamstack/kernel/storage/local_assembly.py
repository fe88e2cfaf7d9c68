"""Joining a local multipart upload's parts into its object with one part's worth of extra disk.

An upload's folder holds its part files (``00001.part`` …). A completion appends them, in
the order asked, to ``assembled.bin`` in the same folder, one at a time: each part's bytes
are appended and synced, then recorded in the journal ``assembled.json`` (written whole and
renamed into place, the folder synced), and only then is its part file deleted. So the disk
holds the upload once plus at most the part being appended; a copy of all the parts beside
them needed the file's size free twice, which the free-space check at an upload's start
does not reserve, and a small disk then failed every upload at its very end.

A completion that stops (a crash, a full disk, a refused part) is resumed by the next one:
it cuts the assembled file back to the journal's length (a crash mid-append leaves bytes
the journal does not count) and goes on from the first part not journaled. Appended parts
can no longer be replaced, unlike S3's, which keeps every part until its completion
succeeds at once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import msgspec

from streamstack.kernel.storage import DEFAULT_CHUNK_BYTES, ObjectNotFound, PartInfo, StorageError
from streamstack.kernel.storage.private_files import FILE_MODE, write_private

if TYPE_CHECKING:
    from hashlib import _Hash

ASSEMBLED = "assembled.bin"
JOURNAL = "assembled.json"
#: How much of a part is read and appended at a time.
_CHUNK_BYTES = DEFAULT_CHUNK_BYTES * 4


class Appended(msgspec.Struct, frozen=True):
    """A part appended to the assembled file, as the journal records it."""

    number: int
    size: int
    etag: str
    #: The assembled file's length once this part was appended.
    length: int


def part_path(folder: Path, number: int) -> Path:
    """The file of part ``number`` in an upload's ``folder``."""
    return folder / f"{number:05d}.part"


def etag_of(data: bytes) -> str:
    """The ETag of a part holding ``data`` (its MD5, quoted, as S3 gives it)."""
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


def journal_of(folder: Path) -> list[Appended]:
    """The parts already appended to ``folder``'s assembled file, in order (none before a
    completion began)."""
    try:
        return msgspec.json.decode((folder / JOURNAL).read_bytes(), type=list[Appended])
    except FileNotFoundError:
        return []


def stored_parts(folder: Path) -> list[PartInfo]:
    """Every part of the upload in ``folder`` by number: those appended by an interrupted
    completion (from the journal: their files are gone) and those still in files."""
    parts = {
        done.number: PartInfo(done.number, done.size, done.etag) for done in journal_of(folder)
    }
    for path in folder.glob("*.part"):
        number = int(path.stem)
        if number not in parts:  # a journaled part's file outlives it only if a crash came between
            data = path.read_bytes()
            parts[number] = PartInfo(number, len(data), etag_of(data))
    return [parts[number] for number in sorted(parts)]


def appended_part(folder: Path, number: int, data: bytes) -> PartInfo | None:
    """Part ``number`` if an interrupted completion already appended it, else None.

    Sent again with the same bytes (a client resending the upload's last request after a
    failed completion does), it is that part; with other bytes it is refused: they can no
    longer replace the appended ones.
    """
    done = next((p for p in journal_of(folder) if p.number == number), None)
    if done is None:
        return None
    if etag_of(data) != done.etag:
        raise StorageError(f"part {number} is already joined into the object: it cannot change")
    return PartInfo(number, done.size, done.etag)


class Assembly:
    """One completion's joining of the parts into the folder's assembled file.

    Made in a worker thread (:meth:`resume`), then :meth:`append` each part it says is
    left, in a worker thread of its own (a cancelled completion stops between parts), then
    :meth:`md5`; :meth:`close` in any case.
    """

    def __init__(self, folder: Path, out: BinaryIO, journal: list[Appended]) -> None:
        self.folder = folder
        self.path = folder / ASSEMBLED
        self._out = out
        self._journal = journal
        self._digest = hashlib.md5(usedforsecurity=False)

    @classmethod
    def resume(cls, folder: Path, parts: Sequence[PartInfo]) -> tuple[Assembly, list[PartInfo]]:
        """The assembly of ``parts`` in ``folder``, cut back to what its journal counts,
        and the parts left to append.

        :class:`StorageError` when ``parts`` do not start with the journaled parts or name a
        part that is not stored (S3 refuses such a list as ``InvalidPart``);
        :class:`ObjectNotFound` when the journal is there but the assembled file went: the
        object was committed and the folder not yet removed.
        """
        journal = journal_of(folder)
        asked = [(p.number, p.etag) for p in parts[: len(journal)]]
        if asked != [(p.number, p.etag) for p in journal]:
            raise StorageError("the parts to complete differ from the parts already joined")
        remaining = list(parts[len(journal) :])
        missing = [p.number for p in remaining if not part_path(folder, p.number).is_file()]
        if missing:
            raise StorageError(f"part {missing[0]} of the upload is not stored")
        flags = os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if not journal else 0)
        try:
            fd = os.open(folder / ASSEMBLED, flags, FILE_MODE)
        except FileNotFoundError:
            raise ObjectNotFound("no such multipart upload") from None
        assembly = cls(folder, os.fdopen(fd, "r+b"), journal)
        try:
            assembly._restart()
        except BaseException:
            assembly.close()
            raise
        return assembly, remaining

    def _restart(self) -> None:
        """Cut the file to the journal's length and hash what it keeps.

        The bytes kept are read once more for the object's MD5 (a hash cannot be saved in
        the journal): only a completion resumed after an interrupted one does, and reading
        costs time, never disk.
        """
        length = self._journal[-1].length if self._journal else 0
        self._out.truncate(length)
        self._out.seek(0)
        while length > 0 and (chunk := self._out.read(min(_CHUNK_BYTES, length))):
            self._digest.update(chunk)
            length -= len(chunk)

    def append(self, part: PartInfo) -> None:
        """Append ``part``'s file, sync it, journal it, then delete the file.

        A file whose bytes do not have the part's ETag is refused (:class:`StorageError`),
        as S3 refuses a part list naming a part it does not hold; what a failed append
        wrote is cut off again at once, not left holding disk until the next completion.
        """
        start = self._out.tell()
        path = part_path(self.folder, part.number)
        try:
            digest = self._copy(path, part)
        except BaseException:
            self._out.truncate(start)
            self._out.seek(start)
            raise
        self._out.flush()
        os.fsync(self._out.fileno())
        self._digest = digest
        length = self._out.tell()
        self._journal.append(Appended(part.number, length - start, part.etag, length))
        write_private(self.folder / JOURNAL, msgspec.json.encode(self._journal))
        _sync_folder(self.folder)  # the journal's rename is durable before the part goes
        path.unlink()

    def _copy(self, path: Path, part: PartInfo) -> _Hash:
        """Write the part file at ``path`` to the assembled file's end; the object's MD5
        with it (the one so far stays as it was if the part is refused)."""
        own, digest = hashlib.md5(usedforsecurity=False), self._digest.copy()
        with path.open("rb") as source:
            while chunk := source.read(_CHUNK_BYTES):
                own.update(chunk)
                digest.update(chunk)
                self._out.write(chunk)
        if f'"{own.hexdigest()}"' != part.etag:
            raise StorageError(f"part {part.number} of the upload is not the part to complete")
        return digest

    def md5(self) -> str:
        """The hex MD5 of everything appended."""
        return self._digest.hexdigest()

    def close(self) -> None:
        """Close the assembled file (it stays, for a later completion or the commit)."""
        self._out.close()


def _sync_folder(folder: Path) -> None:
    """Make the renames and deletions in ``folder`` so far survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
