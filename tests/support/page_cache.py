"""The kernel's page cache in tests that need a file out of it (cold reads)."""

from __future__ import annotations

import os


def evict(path: os.PathLike[str] | str) -> None:
    """Write the file's pages to disk and drop them from the page cache (pages a process
    has mapped stay, and with them the whole large folio each belongs to)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cached(path: os.PathLike[str] | str) -> bool:
    """Whether the first page of the file is in the page cache (a read that may not wait)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.preadv(fd, [bytearray(4096)], 0, os.RWF_NOWAIT)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
