"""Private files on the local disk: the data directory is 0700 and every file in it 0600.

The data directory holds password hashes (SQLite), live stream tokens (the KV file), the
dev signing key and every uploaded object. Files are *created* with their final mode
(``os.open`` with 0600), never written first and narrowed afterwards, so no other user can
open one in between; whole-file writes go through a temporary file and a rename, so a
reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path, *, owned: bool = False) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; return it.

    Only folders created here are given 0700, so pointing a setting at an existing shared
    folder (``/tmp``) never narrows it, unless ``owned`` says the folder is ours (the
    configured data directory), which then is narrowed to 0700 even if it exists.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=DIRECTORY_MODE)
            os.chmod(folder, DIRECTORY_MODE)  # mkdir's mode is narrowed by the umask only
    if owned and path.stat().st_mode & 0o777 != DIRECTORY_MODE:
        os.chmod(path, DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (created empty if missing); return it.

    For files another library opens (SQLite creates its ``-wal`` and ``-shm`` files with
    the mode of the database file, so they inherit 0600).
    """
    private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)  # a file an older version left world-readable
    finally:
        os.close(fd)
    return path


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing (truncating it), creating it with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode through O_CREAT
    return os.fdopen(fd, "wb")


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is 0600 from its first byte."""
    private_directory(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
