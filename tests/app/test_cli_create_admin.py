"""``streamstack create-admin --data-dir D`` then ``streamstack dev --data-dir D``: the
admin signs in (issue 16 item 10), with the real commands as a user runs them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from harness.servers import free_port
from system.system_rig import ChildProcess, clean_environment, streamstack_command

EMAIL = "Owner@Example.com"
PASSWORD = "violet kangaroo juggles forty lanterns"


def create_admin(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``streamstack create-admin ARGS`` run in ``cwd``."""
    return subprocess.run(
        streamstack_command("create-admin", *args),
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_explains_the_data_directory(tmp_path: Path) -> None:
    shown = create_admin(tmp_path, "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "--data-dir DATA_DIR the data directory of `streamstack dev`" in text, text
    assert "pass the same --data-dir to `streamstack dev`" in text


def test_the_admin_created_in_a_data_directory_signs_in_on_dev_with_it(tmp_path: Path) -> None:
    # A relative directory, as a user types it; the app is started from the same place.
    made = create_admin(
        tmp_path, "--email", EMAIL, "--password-stdin", "--data-dir", "site", stdin=PASSWORD
    )
    assert made.returncode == 0, made.stderr
    database = (tmp_path / "site" / "streamstack.sqlite3").resolve()
    assert f"the account is in {database}" in made.stderr, made.stderr
    assert "new data directory" in made.stderr
    generated = create_admin(tmp_path, "--email", "second@example.com", "--data-dir", "site")
    assert generated.returncode == 0, generated.stderr
    assert "new data directory" not in generated.stderr
    # The banner's "set your own" command names the data directory; the user runs it as shown.
    hint = generated.stdout.split("Set your own with:", 1)[1].split("\n")[1].split()
    assert hint[:2] == ["streamstack", "create-admin"]
    assert hint[-2:] == ["--data-dir", str(database.parent)], hint
    second_password = "seven purple otters sail at dawn"
    own = create_admin(tmp_path, *hint[2:], stdin=second_password)
    assert own.returncode == 0, own.stderr

    port = free_port()
    dev = streamstack_command("dev", "--port", str(port), "--data-dir", "site")
    in_tmp_path = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', str(tmp_path), *dev]
    env = clean_environment(STREAMSTACK_WEB_DIST_DIR="")
    process = ChildProcess("streamstack-dev", in_tmp_path, env, tmp_path / "dev.log")
    process.start()
    try:
        url = f"http://127.0.0.1:{port}"
        process.wait_until(f"{url}/ready")
        with httpx.Client(base_url=url, timeout=30) as http:
            for email, password in ((EMAIL, PASSWORD), ("second@example.com", second_password)):
                signed_in = http.post(
                    "/api/v1/auth/login", json={"email": email, "password": password}
                )
                assert signed_in.status_code == 200, signed_in.text
                token = signed_in.json()["access_token"]
                me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
                assert me.json()["role"] == "admin"
            # Set up as the README says, strangers cannot make accounts: invites only.
            assert http.get("/api/v1/auth/config").json() == {
                "registration_mode": "invite",
                # Unnamed (no STREAMSTACK_SITE_NAME), the server goes by the software's name.
                "site_name": "StreamStack",
                # Browsing stays open to guests unless STREAMSTACK_GUEST_ACCESS=none.
                "guest_access": "browse",
                # dev writes its mail to the data directory
                "mail": True,
            }
            stranger = {"email": "stranger@example.com", "password": second_password}
            refused = http.post("/api/v1/auth/register", json=stranger)
            assert (refused.status_code, refused.json()["code"]) == (403, "invite_required")
    finally:
        process.kill()
    # An admin existed, so dev did not invent admin@localhost.
    assert "admin@localhost" not in process.log_path.read_text()
