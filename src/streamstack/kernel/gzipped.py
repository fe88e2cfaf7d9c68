"""The SPA's text files gzip-compressed, as the compose nginx sends them (``gzip_types``),
for the one process that serves them itself (``dev``, ``serve`` with a web dist dir).

Each file is compressed once, on first use, and kept in memory keyed by its path, mtime and
size: a new build is compressed anew, and the dist dir may be read-only (an image, a
package), so nothing is written beside the files. Only what :func:`compressible` names is
ever read here; media and the API never pass through it.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
from pathlib import Path

from streamstack.kernel.recently_used import RecentlyUsed

#: Text the SPA's build holds; images and fonts are compressed already.
_TEXT_SUFFIXES = frozenset(
    {".js", ".mjs", ".css", ".html", ".svg", ".json", ".webmanifest", ".map", ".txt"}
)
#: Smaller files gain less than gzip's header and a round trip costs (nginx's gzip_min_length).
_MIN_BYTES = 1024
#: Larger files are sent as they are: the cache holds at most this much a file.
_MAX_BYTES = 8 * 1024 * 1024
#: Files kept compressed: a build's text files, with room for the build before it.
_CACHED_FILES = 64
#: One Accept-Encoding element: a coding and its weight, if given (RFC 9110 §12.5.3).
_CODING = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def compressible(path: Path, info: os.stat_result) -> bool:
    """Whether ``path`` (of ``info``) is answered gzip-compressed to a client that accepts it."""
    return path.suffix.lower() in _TEXT_SUFFIXES and _MIN_BYTES <= info.st_size <= _MAX_BYTES


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` lets the answer be gzip: ``gzip`` (or ``x-gzip``) with a
    weight above 0, else ``*`` with one. Absent or malformed: no, identity is always safe."""
    weights: dict[str, bool] = {}
    for element in (accept_encoding or "").split(","):
        match = _CODING.fullmatch(element)
        if match is None:
            continue
        coding, weight = match.group(1).lower(), match.group(2)
        weights[coding] = weight is None or (
            _QVALUE.fullmatch(weight) is not None and float(weight) > 0
        )
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding]
    return False


#: The compressed files by (path, mtime, size), least recently used first; only the event
#: loop reads and writes it, so a thread compresses but never touches it.
_cache: RecentlyUsed[tuple[Path, int, int], bytes] = RecentlyUsed(_CACHED_FILES)


async def gzipped(path: Path, info: os.stat_result) -> bytes:
    """``path``'s bytes gzip-compressed: from memory on the event loop (every answer after
    the first: no hop to a thread), or compressed in a thread the first time (a large chunk
    takes tens of milliseconds the event loop and its media must not wait)."""
    key = (path, info.st_mtime_ns, info.st_size)
    if (cached := _cache.recall(key)) is not None:
        return cached
    compressed = await asyncio.to_thread(_compressed, path)
    _cache.put(key, compressed)
    return compressed


def _compressed(path: Path) -> bytes:
    """``path`` compressed."""
    # Level 9 once costs no more per answer than level 1; mtime=0: the same bytes each time.
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
