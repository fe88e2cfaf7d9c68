"""Write under a temporary name, publish by renaming: never a playlist of partial files.

A transcode writes everything into ``<output>/.staging-<random>/`` and, once every file is
complete, swaps each top-level directory (``hls``, ``storyboard``, ``captions``) into
place with renames: an older copy is first renamed aside, then the new one in, then the
old one deleted. A run killed at any point leaves either the previous complete package, or none,
and debris under dotted names that the next run into the same directory deletes first,
so a rerun (a redelivered job) simply overwrites.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"


def clear_debris(output: Path) -> None:
    """Delete what killed runs left in ``output`` (staging and retired directories)."""
    if not output.is_dir():
        return
    for entry in output.iterdir():
        if entry.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)


def staging_directory(output: Path) -> Path:
    """A new, empty directory in ``output`` to write a package into."""
    output.mkdir(parents=True, exist_ok=True)
    staging = output / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    staging.mkdir()
    return staging


def publish(staging: Path, output: Path, names: Sequence[str]) -> None:
    """Move ``names`` (top-level directories of ``staging``) into ``output``, replacing any."""
    retired = []
    for name in names:
        target = output / name
        if target.exists():
            aside = output / f"{RETIRED_PREFIX}{secrets.token_hex(6)}-{name}"
            target.rename(aside)
            retired.append(aside)
        (staging / name).rename(target)
    for name in os.listdir(output):
        # A package of a previous run without a storyboard, say: no stale leftovers.
        if name not in names and (output / name).is_dir() and name in _PACKAGE_DIRECTORIES:
            retired.append(output / name)
    for path in retired:
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


#: Every top-level directory a package may have.
_PACKAGE_DIRECTORIES = frozenset({"hls", "storyboard", "captions"})
