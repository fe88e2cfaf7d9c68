"""The data directory a command starts on, with the real commands an operator runs: a
second ``dev`` (or a ``migrate``) on one in use, or ``dev`` on a taken port, is refused in
one line before it changes anything (walk 44 F6: it migrated the live database, started
its worker, and only then failed to listen); so is a key path set but missing, or one half
of a key pair alone (F7: a new pair was written over the other half), and a data directory
that is a file or cannot be made (F9: a traceback); ``migrate`` on a data directory that
is not there (F3: it made a new empty database and said "migrated")."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from harness.servers import free_port
from streamstack.kernel.jwt import ensure_dev_keypair
from system.system_rig import ChildProcess, clean_environment, streamstack_command

ERROR = "streamstack: error: "


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``streamstack ARGS`` in ``cwd`` with the variables ``env``, to its end."""
    return subprocess.run(
        streamstack_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_environment(STREAMSTACK_WEB_DIST_DIR="", **env),
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


def contents(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by its path there) and the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "lock"
    }


def test_a_key_path_set_but_missing_is_refused_and_nothing_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ensure_dev_keypair(data / "jwt" / "private.pem", data / "jwt" / "public.pem")
    before = contents(data)
    missing = tmp_path / "typo.pem"
    for variable in ("JWT_PRIVATE_KEY_PATH", "JWT_PUBLIC_KEY_PATH", "SEALING_KEYS_PATH"):
        refused = run(
            "dev", "--port", str(free_port()), "--data-dir", str(data),
            **{f"STREAMSTACK_{variable}": str(missing)},
        )  # fmt: skip
        assert refused.returncode == 2, refused.stderr
        [line] = refused.stderr.splitlines()
        assert line.startswith(f"{ERROR}STREAMSTACK_{variable}: "), line
        assert f"{missing}: no such file" in line or f"there is no file {missing}" in line
        assert not missing.exists()
        assert contents(data) == before, variable


def test_one_half_of_a_key_pair_alone_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    private, public = data / "jwt" / "private.pem", data / "jwt" / "public.pem"
    ensure_dev_keypair(private, public)
    public.unlink()
    before = contents(data)
    refused = run("dev", "--port", str(free_port()), "--data-dir", str(data))
    assert (refused.returncode, refused.stderr.splitlines()) == (
        2,
        [
            f"{ERROR}STREAMSTACK_DATA_DIR: {public}: no such file, but the other half of its "
            f"pair {private} is there: restore the matching key from the backup, or remove "
            "both files to make a new pair (which signs everyone out)"
        ],
    )
    assert contents(data) == before


def test_a_key_pair_that_does_not_match_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    private, public = data / "jwt" / "private.pem", data / "jwt" / "public.pem"
    ensure_dev_keypair(private, public)
    other = tmp_path / "other"
    ensure_dev_keypair(other / "private.pem", other / "public.pem")
    public.write_bytes((other / "public.pem").read_bytes())
    refused = run("dev", "--port", str(free_port()), "--data-dir", str(data))
    assert (refused.returncode, refused.stderr.splitlines()[-1:]) == (
        2,
        [
            f"{ERROR}STREAMSTACK_DATA_DIR: {private} does not match the public key {public}: "
            "restore the matching key from the backup, or remove both files to make a new "
            "pair (which signs everyone out)"
        ],
    )


@pytest.mark.parametrize(
    ("command", "where", "why"),
    [
        ("dev", "afile", "is not a directory"),
        ("dev", "afile/sub", "cannot be created: Not a directory"),
        ("dev", "/proc/streamstack", "cannot be created: No such file or directory"),
        ("create-admin", "afile", "is not a directory"),
        ("create-admin", "/proc/streamstack", "cannot be created: No such file or directory"),
        ("migrate", "afile", "is not a directory"),
    ],
)
def test_a_data_directory_that_cannot_be_made_is_refused_in_one_line(
    tmp_path: Path, command: str, where: str, why: str
) -> None:
    (tmp_path / "afile").write_text("not a directory")
    data = tmp_path / where
    extra = {"dev": ["--port", str(free_port())], "create-admin": ["--email", "a@example.com"]}
    args = extra.get(command, [])
    refused = run(command, *args, "--data-dir", str(data))
    assert (refused.returncode, refused.stderr.splitlines()) == (
        2,
        [f"{ERROR}--data-dir: {data} {why}"],
    )
    # Named by the variable, it is named so.
    refused = run(command, *args, STREAMSTACK_DATA_DIR=str(data))
    assert refused.stderr.splitlines() == [f"{ERROR}STREAMSTACK_DATA_DIR: {data} {why}"]


def test_migrate_on_no_data_is_refused_and_makes_nothing(tmp_path: Path) -> None:
    make_new = "`streamstack dev` or `create-admin` makes a new one"
    cases = [
        # No --data-dir, in a folder with none: the README's "run streamstack migrate".
        ((), {}, tmp_path / ".streamstack", "--data-dir"),
        (("--data-dir", str(tmp_path / "typo")), {}, tmp_path / "typo", "--data-dir"),
        (
            (),
            {"STREAMSTACK_DATA_DIR": str(tmp_path / "typo")},
            tmp_path / "typo",
            "STREAMSTACK_DATA_DIR",
        ),
        (
            (),
            {"STREAMSTACK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/gone/x.sqlite3"},
            tmp_path / "gone",
            "STREAMSTACK_DATABASE_URL",
        ),
    ]
    for args, env, folder, named in cases:
        refused = run("migrate", *args, cwd=tmp_path, **env)
        assert (refused.returncode, refused.stderr.splitlines(), refused.stdout) == (
            2,
            [
                f"{ERROR}no StreamStack data in {folder} (no such directory): check {named}; {make_new}"
            ],
            "",
        ), (args, env)
        assert list(tmp_path.iterdir()) == [], (args, env)
