"""The data directory is private: 0700, and every file in it 0600 from the moment it exists.

It holds password hashes (SQLite), live stream tokens (the KV file), uploaded objects and
the dev signing key. A file written world-readable and narrowed afterwards leaves a window
in which anyone may open it, so the tests also watch (with a Python audit hook, which
observes and changes nothing) that no data file is ever narrowed by ``chmod`` after it was
created: each is born 0600.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.kernel.storage.private_files import private_directory, write_private
from streamstack.settings import dev_defaults
from support.apps import live_app, make_settings

# Audit hooks cannot be removed: one for the session, recording only while a test watches.
_chmods: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _chmods is not None and event == "os.chmod":
        _chmods.append(str(args[0]))


sys.addaudithook(_audit)


@contextlib.contextmanager
def watched_chmods(umask: int) -> Iterator[list[str]]:
    """Run with ``umask`` and collect the target of every chmod/fchmod meanwhile."""
    global _chmods
    previous = os.umask(umask)
    _chmods = []
    try:
        yield _chmods
    finally:
        _chmods = None
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_dev_private_key_is_born_0600(tmp_path: Path) -> None:
    keys = tmp_path / "data" / "jwt"
    # Umask 0: a file written first and narrowed later would need a chmod to end at 0600.
    with watched_chmods(0) as chmods:
        ensure_dev_keypair(keys / "private.pem", keys / "public.pem")
    assert mode(keys / "private.pem") == 0o600
    assert not [c for c in chmods if c.endswith(".pem") or c.endswith(".tmp")], chmods
    assert sorted(p.name for p in keys.iterdir()) == ["private.pem", "public.pem"]


def test_a_private_write_replaces_the_file_whole_and_0600(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"old")
    target.chmod(0o644)
    with watched_chmods(0) as chmods:
        write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600
    assert not chmods, chmods  # a new file took the old one's place, born 0600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_an_existing_shared_folder_is_not_narrowed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_directory(shared / "a" / "b")
    assert mode(shared) == 0o755
    assert mode(shared / "a") == mode(shared / "a" / "b") == 0o700
    private_directory(shared, owned=True)
    assert mode(shared) == 0o700


async def test_every_embedded_data_file_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)  # as an older version left it
    settings = dev_defaults(make_settings("embedded", data).replace(internal_secret=""))
    with watched_chmods(0o022):
        async with live_app(settings) as app:
            backends = app.state.backends
            kv = backends.kv("permission-test", 60)
            await kv.put("token", b"a live stream token")
            objects = backends.objects(settings.media_bucket)

            async def chunks() -> Any:
                yield b"video bytes"

            await objects.write("item/original.mp4", chunks(), content_type="video/mp4")
            upload = await objects.start_multipart("item/big.mp4", "video/mp4")
            await objects.put_part("item/big.mp4", upload, 1, b"part one")

    assert mode(data) == 0o700
    exposed = [
        f"{path.relative_to(data)} {oct(mode(path))}"
        for path in [data, *data.rglob("*")]
        if path != data / "jwt" / "public.pem"  # public by design
        and mode(path) != (0o700 if path.is_dir() else 0o600)
    ]
    assert not exposed, exposed
    names = {p.name for p in data.rglob("*")}
    assert {"streamstack.sqlite3", "kv.sqlite3", "original.mp4", "internal-secret"} <= names
    assert any(name.endswith(".part") for name in names)
