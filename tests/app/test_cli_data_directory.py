"""The data directory a command starts on, with the real commands an operator runs: a
second ``dev`` (or a ``migrate``) on one in use, or ``dev`` on a taken port, is refused in
one line before it changes anything (walk 44 F6: it migrated the live database, started
its worker, and only then failed to listen)."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

from harness.servers import free_port
from system.system_rig import ChildProcess, clean_environment, streamstack_command

ERROR = "streamstack: error: "


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """``streamstack ARGS``, to its end."""
    return subprocess.run(
        streamstack_command(*args),
        capture_output=True,
        text=True,
        env=clean_environment(STREAMSTACK_WEB_DIST_DIR=""),
        timeout=120,
        check=False,
    )


def dev(data: Path, port: int) -> list[str]:
    """The ``streamstack dev`` command line on ``data`` and ``port``."""
    return streamstack_command("dev", "--port", str(port), "--data-dir", str(data))


def revisions(database: Path) -> dict[str, str]:
    """Each module's revision, as its version table names it."""
    with sqlite3.connect(database) as db:
        tables = db.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'alembic_version_%'"
        ).fetchall()
        return {
            table: db.execute(f"SELECT version_num FROM {table}").fetchone()[0]  # noqa: S608
            for (table,) in tables
        }


def test_a_second_dev_or_a_migrate_on_a_data_directory_in_use_changes_nothing(
    tmp_path: Path,
) -> None:
    data, port = tmp_path / "data", free_port()
    env = clean_environment(STREAMSTACK_WEB_DIST_DIR="")
    first = ChildProcess("first-dev", dev(data, port), env, tmp_path / "first.log")
    first.start()
    try:
        first.wait_until(f"http://127.0.0.1:{port}/ready")
        database = data / "streamstack.sqlite3"
        # As an older release left it: a second process that migrated would move it on.
        with sqlite3.connect(database) as db:
            db.execute("UPDATE alembic_version_catalogue SET version_num = 'catalogue_0008'")
        before = revisions(database)
        in_use = (
            f"{ERROR}another StreamStack is running on the data directory {data.resolve()} "
            f"(pid {first.pid}): stop it first"
        )
        # The same port (the upgrade's slip), another port, and migrate.
        for command in (
            ("dev", "--port", str(port), "--data-dir", str(data)),
            ("dev", "--port", str(free_port()), "--data-dir", str(data)),
        ):
            refused = run(*command)
            assert (refused.returncode, refused.stderr.splitlines()) == (2, [in_use]), command
        refused = run("migrate", "--data-dir", str(data))
        assert (refused.returncode, refused.stderr.splitlines()) == (2, [in_use])
        assert revisions(database) == before
    finally:
        first.kill()


def test_dev_on_a_taken_port_is_refused_before_it_makes_anything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = run("dev", "--port", str(port), "--data-dir", str(data))
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        f"{ERROR}port {port} is in use: stop what listens there, or choose another with --port"
    ]
    # No database, key, secret or mail folder: the data directory holds only its lock.
    assert [path.name for path in data.iterdir()] == ["lock"]
