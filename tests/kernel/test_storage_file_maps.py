"""The local directory's maps of object files (``kernel/storage/file_maps.py``).

For a ``zero_copy`` read (streaming's), a cached chunk is a slice of the file's map and a
chunk out of the page cache is read by a worker thread; other readers never map a file
(mapped pages count in the process's RSS). A map never outlives its use by much: it keeps
a deleted or replaced file's disk space allocated, so it goes when the adapter deletes the
object, when the file is replaced, after the idle time, and past the bound on how many
are kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from streamstack.kernel.storage import read_all
from streamstack.kernel.storage.file_maps import FileMaps, identity_of
from streamstack.kernel.storage.local import LocalObjectStore
from support.page_cache import evict

MIB = 1024 * 1024
DATA = os.urandom(3 * MIB + 17)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _mapped(path: Path) -> bool:
    """Whether this process maps ``path`` (or what was there before a delete/replace)."""
    with open("/proc/self/maps") as maps:
        return any(str(path) in line for line in maps)


async def test_cached_chunks_are_slices_of_the_map(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/hot.mp4", _once(DATA))
    await read_all(await store.read("v/hot.mp4", zero_copy=True))  # in the page cache now

    body = await store.read("v/hot.mp4", 5, 2 * MIB, chunk_size=MIB, zero_copy=True)
    chunks = [chunk async for chunk in body]

    assert all(isinstance(chunk, memoryview) for chunk in chunks)
    assert b"".join(chunks) == DATA[5 : 5 + 2 * MIB]


async def test_other_readers_get_buffers_and_map_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/plain.mp4", _once(DATA))

    body = await store.read("v/plain.mp4", 5, 2 * MIB, chunk_size=MIB)
    chunks = [chunk async for chunk in body]

    assert all(isinstance(chunk, bytearray) for chunk in chunks)
    assert b"".join(chunks) == DATA[5 : 5 + 2 * MIB]
    assert not _mapped(store.local_path("v/plain.mp4"))


async def test_a_chunk_out_of_the_page_cache_is_read_by_a_thread(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/cold.mp4", _once(DATA))
    # Before anything touches the map: a page a process has mapped stays in the page
    # cache, and with it the whole (large) folio it belongs to.
    evict(store.local_path("v/cold.mp4"))

    body = await store.read("v/cold.mp4", 100, chunk_size=MIB, zero_copy=True)
    chunks = [chunk async for chunk in body]

    assert isinstance(chunks[0], bytearray)
    assert b"".join(chunks) == DATA[100:]


async def test_a_read_keeps_its_version_when_the_object_is_replaced(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/a.mp4", _once(DATA))
    old = await store.read("v/a.mp4", MIB, MIB, chunk_size=64 * 1024, zero_copy=True)
    new_data = DATA[::-1]

    await store.write("v/a.mp4", _once(new_data))

    assert await read_all(old) == DATA[MIB : 2 * MIB]
    assert (
        await read_all(await store.read("v/a.mp4", MIB, MIB, zero_copy=True))
        == new_data[MIB : 2 * MIB]
    )


async def test_a_read_keeps_its_bytes_when_the_object_is_deleted(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/b.mp4", _once(DATA))
    path = store.local_path("v/b.mp4")
    body = await store.read("v/b.mp4", chunk_size=MIB, zero_copy=True)

    await store.delete("v/b.mp4")

    assert _mapped(path), "the open read holds the map"
    assert await read_all(body) == DATA
    del body
    assert not _mapped(path), "the deleted file's map (and disk space) was let go"


async def test_a_file_cut_short_in_place_ends_the_read_early(tmp_path: Path) -> None:
    """Someone truncates an object's file behind the adapter: the read ends at the new
    end of the file (the server then cuts the response short) instead of failing."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    await store.write("v/c.mp4", _once(DATA))
    body = await store.read("v/c.mp4", chunk_size=MIB, zero_copy=True)

    os.truncate(store.local_path("v/c.mp4"), MIB + MIB // 2)

    assert await read_all(body) == DATA[: MIB + MIB // 2]


async def test_a_replaced_file_is_mapped_anew(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    path = tmp_path / "objects" / "media" / "loose.bin"
    path.write_bytes(DATA)
    assert await read_all(await store.read("loose.bin", 0, 10, zero_copy=True)) == DATA[:10]

    replacement = path.with_name("loose.new")
    replacement.write_bytes(DATA[::-1])
    replacement.replace(path)

    assert await read_all(await store.read("loose.bin", 0, 10, zero_copy=True)) == DATA[::-1][:10]


async def test_maps_go_after_the_idle_time_and_past_the_bound(tmp_path: Path) -> None:
    files = []
    for index in range(3):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(DATA[: MIB + index])
        files.append(path)
    store = LocalObjectStore(tmp_path / "objects", "media")
    info = await store.write("v/info.mp4", _once(b"x"))  # any ObjectInfo will do
    maps = FileMaps(max_maps=2, idle_seconds=0)

    for index, path in enumerate(files):
        fd = os.open(path, os.O_RDONLY)
        try:
            maps.add(str(index), fd, identity_of(os.fstat(fd)), info)
        finally:
            os.close(fd)

    assert ("0" in maps, "1" in maps, "2" in maps) == (False, True, True)
    assert not _mapped(files[0])
    assert maps.get("1", identity_of(files[2].stat())) is None, "another version"
    assert "1" not in maps
    maps.sweep()  # nothing was read within the (zero) idle time
    assert "2" not in maps
    assert not any(_mapped(path) for path in files)


UNMAPPABLE = """
import asyncio, os, resource, sys
from pathlib import Path
from streamstack.kernel.storage import read_all
from streamstack.kernel.storage.local import LocalObjectStore

async def main() -> None:
    store = LocalObjectStore(Path(sys.argv[1]), "media")
    path = Path(sys.argv[1]) / "media" / "huge.bin"
    with open(path, "wb") as file:
        file.write(b"head")
    os.truncate(path, 64 * 2**30)  # sparse: 64 GiB of address space to map it
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, hard))
    body = await store.read("huge.bin", 0, 4096, zero_copy=True)
    print(await read_all(body) == b"head" + bytes(4092), type(body._map).__name__)

asyncio.run(main())
"""


def test_a_file_that_cannot_be_mapped_is_read_into_buffers(tmp_path: Path) -> None:
    """No address space for the map (RLIMIT_AS, or a file system without mmap): the read
    falls back to buffers instead of failing the request."""
    run = subprocess.run(
        [sys.executable, "-c", UNMAPPABLE, str(tmp_path / "objects")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert run.stdout.split() == ["True", "NoneType"], run.stderr
