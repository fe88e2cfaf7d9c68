"""The kernel's page cache in tests that need a file out of it (cold reads)."""

from __future__ import annotations

import ctypes
import mmap
import os
import time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.mmap.restype = ctypes.c_void_p
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
_MAP_FAILED = ctypes.c_void_p(-1).value


def evict(path: os.PathLike[str] | str, *, within: float = 10.0) -> None:
    """Write the file's pages to disk and drop them from the page cache, asking again
    until none is left (pages under writeback or in another CPU's batch are skipped by
    one call); pages a process has mapped stay, and with them the large folio of each."""
    deadline = time.monotonic() + within
    while True:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        if resident_pages(path) == 0 or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def resident_pages(path: os.PathLike[str] | str) -> int:
    """How many of the file's pages the page cache holds (``mincore``, which reads none:
    a read with ``RWF_NOWAIT`` would start readahead, and on a fast disk see it finish)."""
    size = os.path.getsize(path)
    if size == 0:
        return 0
    fd = os.open(path, os.O_RDONLY)
    try:
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    finally:
        os.close(fd)
    if address in (None, _MAP_FAILED):
        raise OSError(ctypes.get_errno(), f"cannot map {path}")
    try:
        vector = ctypes.create_string_buffer(-(-size // mmap.PAGESIZE))
        if _libc.mincore(address, size, vector) != 0:
            raise OSError(ctypes.get_errno(), f"mincore failed for {path}")
        return sum(byte & 1 for byte in vector.raw)
    finally:
        _libc.munmap(address, size)
