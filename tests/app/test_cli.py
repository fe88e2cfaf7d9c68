"""The ``streamstack`` command, run as a user would run it."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from streamstack.cli.output import handed_over
from streamstack.cli.uploads import _row as uploads_row
from support.processes import clean_environment, streamstack_command


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        streamstack_command(*args),
        capture_output=True,
        text=True,
        env=clean_environment(**(env or {})),
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["dev"],
        ["serve"],
        ["migrate"],
        ["create-admin"],
        ["login"],
        ["logout"],
        ["upload"],
        ["transcode"],
        ["uploads"],
        ["thumbnail"],
        ["probe"],
        ["storage"],
    ],
)
def test_help_on_every_command(command: list[str]) -> None:
    r = run(*command, "--help")
    assert r.returncode == 0
    assert "usage: streamstack" in r.stdout


def test_upload_help_says_sound_files_go_too() -> None:
    """Sound alone is accepted (MP3, FLAC, WAV …); the help said FILE was "the video"."""
    r = run("upload", "--help")
    assert "FILE                  the video or sound file to upload" in r.stdout


def test_upload_and_download_help_say_what_is_public_and_what_is_stored() -> None:
    """Walk 53 F1 and F2: an upload is public at once unless --draft or --schedule; the
    original downloaded may be remuxed for streaming, not the bytes uploaded."""
    upload = " ".join(run("upload", "--help").stdout.split())
    assert "public as soon as it is in (it says so), unless --draft or --schedule WHEN" in upload
    assert "--schedule WHEN" in upload
    items = " ".join(run("items", "--help").stdout.split())
    assert "the same picture and sound but not the same bytes" in items


def test_migrate_help_says_which_modules() -> None:
    """``--module NAME`` had no help: which names, and whether it repeats (walk 44 F12)."""
    shown = " ".join(run("migrate", "--help").stdout.split())
    assert "--module NAME module whose schema to migrate, repeatable (auth, catalogue," in shown


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["serve"],
            {"STREAMSTACK_MODULES": "auth,billing"},
            "STREAMSTACK_MODULES: unknown module billing",
        ),
        (["serve", "--module", "nope"], {}, "STREAMSTACK_MODULES: unknown module nope"),
        (["dev"], {"STREAMSTACK_NATS_URL": "localhost:4222"}, "STREAMSTACK_NATS_URL"),
        (["serve", "--module", "streaming"], {}, "STREAMSTACK_INTERNAL_SECRET"),
        (
            ["serve", "--module", "catalogue"],
            {
                "STREAMSTACK_INTERNAL_SECRET": "s" * 32,
                "STREAMSTACK_DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:9/none",
            },
            # Why, not a class name alone ("the database is unavailable: ConnectionRefusedError").
            "STREAMSTACK_DATABASE_URL: database unreachable ([Errno 111] Connect call failed",
        ),
        (
            ["migrate"],
            {"STREAMSTACK_DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:9/none"},
            "STREAMSTACK_DATABASE_URL: database unreachable ([Errno 111] Connect call failed",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    r = run(*args, env=env, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("streamstack: error: ")
    assert message in lines[0]
    assert "Traceback" not in r.stderr


def test_migrate_checks_only_the_settings_it_uses(tmp_path: Path) -> None:
    # It refused the services' env file for a PUBLIC_URL that is not https, which it never uses.
    env = {
        "STREAMSTACK_ENVIRONMENT": "production",
        "STREAMSTACK_PUBLIC_URL": "http://videos.example",
        "STREAMSTACK_WORKER_CONCURRENCY": "abc",
    }
    r = run("migrate", "--data-dir", str(tmp_path), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(f"migrated {tmp_path / 'streamstack.sqlite3'}")
    assert all(line.startswith("{") for line in r.stderr.splitlines())  # production: JSON
    # A setting it uses is still checked.
    env["STREAMSTACK_DATABASE_URL"] = "mysql://u:p@127.0.0.1/none"
    r = run("migrate", env=env, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "STREAMSTACK_DATABASE_URL" in r.stderr


def test_a_database_that_answers_but_fails_to_migrate_says_why(tmp_path: Path) -> None:
    # It was called unreachable, with a class name alone.
    (tmp_path / "streamstack.sqlite3").write_bytes(b"not a database " * 1000)
    r = run("migrate", "--data-dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == (
        "streamstack: error: STREAMSTACK_DATABASE_URL: cannot migrate "
        "(DatabaseError: file is not a database)"
    )


#: A command printing more than a pipe holds, run through the CLI's entry point.
_CHATTY_COMMAND = """
import argparse
import importlib
cli = importlib.import_module("streamstack.cli.main")  # the package names its function main
def many_lines(args):
    for number in range(200_000):
        print("line", number)
    return 0
parser = argparse.ArgumentParser()
parser.set_defaults(command=many_lines)
cli.build_parser = lambda: parser
cli.main([])
"""


def test_a_reader_gone_away_ends_a_command_quietly() -> None:
    # `streamstack storage audit | head` closes the pipe early: no traceback, the shell's code.
    process = subprocess.Popen(
        [sys.executable, "-c", _CHATTY_COMMAND], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10) == b"line 0\nlin"
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, errors
    assert errors == ""


def test_a_secret_is_said_with_its_link_and_without_one_from_an_older_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An invite or reset answer names its page (``link_path``); an older server's did not
    (invites), and the code, shown only once, must still be said rather than lost."""
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)).isoformat()
    invite = {"code": "c0de", "expires_at": expires, "link_path": "/register#invite=c0de"}
    said = handed_over(dict(invite), "http://video.example/", "invite code c0de", ", once")
    assert said["link"] == "http://video.example/register#invite=c0de"
    err = capsys.readouterr().err
    assert err.startswith("streamstack: invite code c0de, shown only now, valid for 2h (until ")
    assert err.endswith(", once. Hand it over with this link:\n  " + said["link"] + "\n")
    del invite["link_path"]
    assert "link" not in handed_over(invite, "http://video.example", "invite code c0de", ", once")
    err = capsys.readouterr().err
    assert "invite code c0de" in err and err.endswith(", once.\n")


def test_uploads_says_which_row_is_an_items_new_file() -> None:
    """A replacement's row is its item's title, marked as that item's new file."""
    now = datetime.datetime(2026, 12, 5, 12, tzinfo=datetime.UTC)
    upload = {
        "id": "u1",
        "offset": 2**20,
        "length": 4 * 2**20,
        "last_activity_at": "2026-12-05T11:00:00+00:00",
        "expires_at": "2026-12-06T11:00:00+00:00",
        "uploader_id": "someone",
        "file_name": "recut.mp4",
        "title": "The lake",
    }
    assert uploads_row(upload, now, {})[-1] == "The lake"
    assert uploads_row({**upload, "replaces": "item-1"}, now, {})[-1] == "The lake (new file)"
