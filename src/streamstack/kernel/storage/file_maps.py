"""Read-only memory maps of object files, so cached bytes reach a socket without a copy.

Reading a range with ``pread`` copies it from the page cache into a Python buffer, which
the server then copies into the socket: two copies per byte. A slice of a shared mapping
of the file goes to the socket directly, the kernel copying from the page cache once,
and there is no buffer to allocate (bench/throughput.py).

Three costs come with a mapping, and they are bounded here:

* the pages a process has touched through a map count in its RSS (they are the page
  cache, shared and reclaimable, but they look like the process's memory), so only
  readers that hand chunks straight to a socket ask for maps (``zero_copy``): streaming,
  not ingest reading whole originals;
* the kernel would read a page that is not in the page cache while the event loop waits
  on the socket write. :meth:`FileMap.resident` asks the kernel (``mincore``) first, and
  the reader sends such a chunk from a worker thread's read instead;
* a mapping keeps its file's disk space allocated after the file is deleted or replaced.
  :class:`FileMaps` keeps a bounded number of them and drops each one
  :data:`IDLE_SECONDS` after its last read, or as soon as the file it maps is replaced.

The store replaces a file only by renaming a whole new one into place, so a map's bytes
never change under it. A file cut short in place behind the store's back is noticed
before each chunk (its identity changes) and read with ``pread`` instead: reading a map
past the file's end is a ``SIGBUS`` for a Python reader (the kernel, copying a slice to a
socket, only fails that write with ``EFAULT``).
"""

from __future__ import annotations

import asyncio
import ctypes
import mmap
import os
import time

from streamstack.kernel.recently_used import RecentlyUsed
from streamstack.kernel.storage import ObjectInfo

#: (device, inode, mtime, size): a file with the same identity has the same bytes.
Identity = tuple[int, int, int, int]
#: How many files' maps a store keeps open at most.
MAX_MAPS = 256
#: How long a map is kept after its last read.
IDLE_SECONDS = 30.0

_PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None, use_errno=True)
_mincore = _libc.mincore
_mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
_mincore.restype = ctypes.c_int


class _Buffer(ctypes.Structure):
    """The head of CPython's ``Py_buffer``: only ``buf`` is read, the rest is room."""

    _fields_ = (("buf", ctypes.c_void_p), ("room", ctypes.c_byte * 128))


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_Buffer), ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_Buffer)]
_release_buffer.restype = None


def identity_of(stat: os.stat_result) -> Identity:
    """What tells one version of a file from another: a replacement is a rename (a new
    inode), and an in-place rewrite changes the mtime."""
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _address(target: mmap.mmap) -> int:
    """Where ``target``'s bytes start in this process (valid while ``target`` is open)."""
    buffer = _Buffer()
    _get_buffer(target, ctypes.byref(buffer), 0)  # PyBUF_SIMPLE: read-only is fine
    try:
        return buffer.buf or 0
    finally:
        _release_buffer(ctypes.byref(buffer))


class FileMap:
    """A shared, read-only map of one version of a non-empty object file."""

    __slots__ = ("_address", "_map", "identity", "info", "used_at", "view")

    def __init__(self, fd: int, identity: Identity, info: ObjectInfo) -> None:
        self._map = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        self._address = _address(self._map)
        self.view = memoryview(self._map)
        self.identity = identity
        self.info = info
        self.used_at = time.monotonic()

    def resident(self, start: int, length: int) -> bool:
        """Whether every page of ``[start, start + length)`` is in the page cache, so
        sending it cannot wait for the disk (False when unsure)."""
        first = start - start % _PAGE
        span = start + length - first
        pages = -(-span // _PAGE)
        vector = ctypes.create_string_buffer(pages)
        if _mincore(self._address + first, span, vector) != 0:
            return False
        return vector.raw.count(1) == pages


class FileMaps:
    """The maps of recently read files, least recently read first."""

    def __init__(self, *, max_maps: int = MAX_MAPS, idle_seconds: float = IDLE_SECONDS) -> None:
        self._idle_seconds = idle_seconds
        self._maps: RecentlyUsed[str, FileMap] = RecentlyUsed(max_maps)
        self._sweeper: asyncio.TimerHandle | None = None
        self._sweeper_loop: asyncio.AbstractEventLoop | None = None

    def get(self, key: str, identity: Identity) -> FileMap | None:
        """The map of ``key`` if it maps the version ``identity`` describes."""
        found = self._maps.recall(key)
        if found is None:
            return None
        if found.identity != identity:
            del self._maps[key]  # replaced or rewritten: the old map is dropped
            return None
        found.used_at = time.monotonic()
        return found

    def add(self, key: str, fd: int, identity: Identity, info: ObjectInfo) -> FileMap:
        """Map the open file ``fd`` (non-empty), whose version is ``identity``, as ``key``."""
        found = FileMap(fd, identity, info)
        self._maps.put(key, found)
        self._arm_sweeper()
        return found

    def __contains__(self, key: str) -> bool:
        return key in self._maps

    def forget(self, key: str) -> None:
        """Drop ``key``'s map (deleted; readers still streaming keep theirs)."""
        self._maps.pop(key, None)

    def sweep(self) -> None:
        """Drop the maps not read for the idle time (:data:`IDLE_SECONDS`)."""
        self._sweeper = None
        idle_since = time.monotonic() - self._idle_seconds
        for key in [key for key, found in self._maps.items() if found.used_at <= idle_since]:
            del self._maps[key]
        self._arm_sweeper()

    def _arm_sweeper(self) -> None:
        """Sweep again in a while, on the running loop, while any map is kept."""
        if not self._maps:
            return
        loop = asyncio.get_running_loop()
        if self._sweeper is not None and self._sweeper_loop is loop:
            return
        self._sweeper = loop.call_later(self._idle_seconds, self.sweep)
        self._sweeper_loop = loop
