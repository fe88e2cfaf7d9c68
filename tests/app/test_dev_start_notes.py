"""What ``streamstack dev`` says at start beside its log, with the real command as an
operator runs it: where mail goes (dev writes it to files, a developer's convenience, while
the web app offers mail to everyone, so an operator running it for real people is told),
and that registration is by invite when its mode is unset (releases before 2026-12-05 let
anyone register then: an upgrade closed it)."""

from __future__ import annotations

from pathlib import Path

from harness.servers import free_port
from system.system_rig import ChildProcess, clean_environment, streamstack_command


def started_dev(tmp_path: Path, **variables: str) -> str:
    """``streamstack dev`` on a data directory in ``tmp_path`` with ``variables``, until it
    answers ``/ready``; what it printed until then."""
    port = free_port()
    data_dir = tmp_path / "site"
    dev = streamstack_command("dev", "--port", str(port), "--data-dir", str(data_dir))
    env = clean_environment(STREAMSTACK_WEB_DIST_DIR="", **variables)
    process = ChildProcess("streamstack-dev", dev, env, tmp_path / "dev.log")
    process.start()
    try:
        process.wait_until(f"http://127.0.0.1:{port}/ready")
    finally:
        process.kill()
    return process.log_path.read_text()


def test_dev_says_its_mail_is_written_to_files_and_registration_is_by_invite(
    tmp_path: Path,
) -> None:
    printed = started_dev(tmp_path).splitlines()
    assert (
        "streamstack: registration: by invite (STREAMSTACK_REGISTRATION_MODE is unset; set it "
        "to open to let anyone register)"
    ) in printed
    mail = tmp_path.resolve() / "site" / "mail"
    assert (
        f"streamstack: mail: not sent; each one is written to {mail} as an .eml file, its "
        "link in this log; set STREAMSTACK_SMTP_URL and STREAMSTACK_PUBLIC_URL to send it"
    ) in printed


def test_dev_with_a_mail_server_and_a_registration_mode_says_so(tmp_path: Path) -> None:
    port = free_port()  # nothing is mailed at start: no server needs to listen there
    printed = started_dev(
        tmp_path,
        STREAMSTACK_SMTP_URL=f"smtp://user:pw-x7q@127.0.0.1:{port}",
        STREAMSTACK_PUBLIC_URL="http://localhost:8000",
        STREAMSTACK_REGISTRATION_MODE="open",
    )
    said = f"streamstack: mail: sent through 127.0.0.1:{port} (STREAMSTACK_SMTP_URL)"
    assert said in printed.splitlines()
    assert "not sent" not in printed and "pw-x7q" not in printed
    assert "registration:" not in printed  # the mode chosen is the operator's to know


def test_dev_says_uploads_are_refused_when_the_disk_has_less_free_than_the_reserve(
    tmp_path: Path,
) -> None:
    # A reserve larger than any disk stands in for a small disk under the default 1 GiB.
    printed = started_dev(tmp_path, STREAMSTACK_INGEST_FREE_SPACE_RESERVE_BYTES=str(2**60))
    [note] = [line for line in printed.splitlines() if line.startswith("streamstack: uploads:")]
    assert note.startswith("streamstack: uploads: refused, the media disk has ")
    assert note.endswith(
        " MiB free and STREAMSTACK_INGEST_FREE_SPACE_RESERVE_BYTES keeps 1,099,511,627,776.0 MiB "
        "of it free; lower it on a small disk"
    )


def test_dev_says_nothing_of_uploads_when_the_disk_has_room(tmp_path: Path) -> None:
    assert "uploads:" not in started_dev(tmp_path, STREAMSTACK_INGEST_FREE_SPACE_RESERVE_BYTES="0")
