"""Finding external tools (nginx, chromium, wrk, ffprobe...) for tests that need them.

A missing tool skips the test, except under ``STREAMSTACK_REQUIRE_ALL=1`` (CI), where it
fails it: CI must not go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REQUIRE_ALL_ENV = "STREAMSTACK_REQUIRE_ALL"

# Besides PATH: the virtual environment's bin (nats-server and friends come from wheels) and
# the sbin directories, where Debian puts nginx and which a non-root PATH often lacks.
_EXTRA_DIRS = (Path(sys.executable).parent, Path("/usr/local/sbin"), Path("/usr/sbin"))


def require_all() -> bool:
    """True when skips are forbidden (``STREAMSTACK_REQUIRE_ALL=1``)."""
    return os.environ.get(REQUIRE_ALL_ENV, "").strip().lower() in {"1", "true", "yes"}


def find_tool(name: str) -> str | None:
    """Path of executable ``name`` on PATH or in the extra directories, else None."""
    found = shutil.which(name)
    if found is not None:
        return found
    extra_path = os.pathsep.join(str(directory) for directory in _EXTRA_DIRS)
    return shutil.which(name, path=extra_path)


def skip_or_fail(reason: str) -> None:
    """``pytest.skip(reason)``, or ``pytest.fail`` under ``STREAMSTACK_REQUIRE_ALL=1``."""
    if require_all():
        pytest.fail(f"{reason} ({REQUIRE_ALL_ENV}=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, reason: str) -> str:
    """Return the path of executable ``name``; if it is missing, skip (or fail) the test.

    ``reason`` says what the test needs it for, e.g.
    ``require_tool("nginx", "benchmarks the local backend behind nginx")``.
    """
    path = find_tool(name)
    if path is None:
        skip_or_fail(f"{name!r} is not installed: {reason}")
    assert path is not None
    return path
