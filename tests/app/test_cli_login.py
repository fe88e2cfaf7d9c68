"""``streamstack login`` / ``logout`` and an upload that outlives its access token
(issue 16 items 8 and 9), with the real commands against a real ``streamstack dev``.

The server issues access tokens that live 2 seconds; the upload is paced by
``--limit-mib`` to take at least 6 seconds, so its first access token certainly expires
mid-upload: the command must renew it from the stored sign-in and continue from the
server's offset, and store the rotated refresh token. The uploaded item then plays on the
watch page in Debian's Chromium (whose SPA renews its own 2 s tokens), with a clean console.
"""

from __future__ import annotations

import json
import re
import stat
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from e2e.spa_rig import DevServer, running_dev_server, watch_plays
from streamstack.cli.credentials import DEFAULT_SERVER, SavedLogin, SavedLogins, chosen_server
from streamstack.settings import SettingsError
from support.apps import free_port
from support.commands import CommandLine
from system.system_video import h264_aac_mp4

MIB = 1024 * 1024
ACCESS_TOKEN_TTL_SECONDS = 2
ADMIN = "admin@localhost"


@dataclass
class Dev:
    """A running ``streamstack dev``, its admin's password, and a user's home for the CLI."""

    url: str
    password: str
    home: Path
    server: DevServer

    async def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        """``streamstack ARGS`` as this user: exit code, standard output and error."""
        return await CommandLine(args[0], self.home, token="")(*args[1:], stdin=stdin)

    def saved(self) -> dict[str, dict[str, str]]:
        """The stored sign-ins."""
        path = self.home / "config" / "streamstack" / "credentials.json"
        if not path.exists():
            return {}
        data: dict[str, dict[str, str]] = json.loads(path.read_text())
        return data


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    """``streamstack dev`` (serving the SPA) with short access tokens; a user's home for the CLI."""
    ttl = str(ACCESS_TOKEN_TTL_SECONDS)
    with running_dev_server(tmp_path, STREAMSTACK_ACCESS_TOKEN_TTL_SECONDS=ttl) as server:
        yield Dev(server.url, server.admin_password, tmp_path / "user", server)


def padded_video(folder: Path, size: int) -> Path:
    """A playable MP4 grown to ``size`` bytes by a trailing ``free`` box."""
    video = h264_aac_mp4(seconds=1.0)
    filler = size - len(video)
    path = folder / "long-upload.mp4"
    path.write_bytes(video + struct.pack(">I4s", filler, b"free") + bytes(filler - 8))
    return path


@pytest.mark.timeout(180)
async def test_login_keeps_a_private_refresh_token_and_upload_outlives_its_access_token(
    dev: Dev, tmp_path: Path
) -> None:
    code, _, err = await dev.run(
        "login", "--server", dev.url, "--email", ADMIN, "--password-stdin", stdin="wrong password\n"
    )
    assert code == 1 and "HTTP 401" in err, err
    assert dev.saved() == {}

    code, _, err = await dev.run(
        "login",
        "--server",
        dev.url + "/",
        "--email",
        ADMIN,
        "--password-stdin",
        stdin=f"{dev.password}\n",
    )
    assert code == 0, err
    folder = dev.home / "config" / "streamstack"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "credentials.json").stat().st_mode) == 0o600
    assert list(dev.saved()) == [dev.url]  # one spelling per server
    first_refresh = dev.saved()[dev.url]["refresh_token"]
    assert dev.password not in (folder / "credentials.json").read_text()

    video = padded_video(tmp_path, 3 * MIB)
    code, out, err = await dev.run(
        "upload", str(video), "--title", "Long", "--server", dev.url,
        "--chunk-mib", "1", "--limit-mib", "0.5",
    )  # fmt: skip
    assert code == 0, err
    # Renewed mid-upload: continuing between the first and the last byte.
    renewed = re.findall(r"access token renewed; continuing at ([\d.]+) MiB", err)
    assert any(0 < float(at) < 3 for at in renewed), err
    item = json.loads(out)
    assert item["title"] == "Long" and item["size_bytes"] == 3 * MIB
    # The upload plays in the browser (whose own 2 s tokens the SPA keeps renewing).
    played = await watch_plays(dev.server, item["id"])
    played.assert_clean(*played.retried_after_401())
    rotated = dev.saved()[dev.url]["refresh_token"]
    assert rotated != first_refresh
    code, out, _ = await dev.run("logout")  # the one server signed in to, unnamed
    assert code == 0 and "signed out" in out
    assert dev.saved() == {}
    with httpx.Client(base_url=dev.url) as http:  # revoked on the server too
        assert http.post("/api/v1/auth/refresh", json={"refresh_token": rotated}).status_code == 401

    code, _, err = await dev.run("upload", str(video), "--title", "x", "--server", dev.url)
    assert code == 3
    assert "streamstack login --server" in err


def test_the_dev_server_throttles_by_the_connection_not_x_forwarded_for(dev: Dev) -> None:
    # Nothing stands in front of `streamstack dev`: a header claiming another address each
    # time must not reset the sign-in throttle's count for this one.
    wrong = {"email": "admin@localhost", "password": "not the password"}
    with httpx.Client(base_url=dev.url, timeout=10.0) as client:
        answers = [
            client.post(
                "/api/v1/auth/login", json=wrong, headers={"X-Forwarded-For": f"10.0.0.{n}"}
            ).status_code
            for n in range(1, 8)
        ]
    assert answers[:5] == [401] * 5 and 429 in answers[5:], answers


async def test_an_ended_sign_in_says_to_log_in_again(dev: Dev, tmp_path: Path) -> None:
    # Email and password from the prompts this time.
    code, out, err = await dev.run("login", "--server", dev.url, stdin=f"{ADMIN}\n{dev.password}\n")
    assert code == 0, err
    assert "Email: " in out and f"Password for {ADMIN}: " in err
    token = dev.saved()[dev.url]["refresh_token"]
    with httpx.Client(base_url=dev.url) as http:  # signed out elsewhere (another device)
        pair = http.post("/api/v1/auth/refresh", json={"refresh_token": token}).json()
        http.post(
            "/api/v1/auth/logout", headers={"Authorization": f"Bearer {pair['access_token']}"}
        )
    video = padded_video(tmp_path, MIB)
    code, _, err = await dev.run("upload", str(video), "--title", "x", "--server", dev.url)
    assert code == 3
    assert "sign-in" in err and f"streamstack login --server {dev.url}" in err
    # The server stays the one commands talk to (not the default), its token gone.
    assert dev.saved() == {dev.url: {"email": ADMIN, "refresh_token": ""}}
    code, _, err = await dev.run("items", "list")
    assert code == 3
    assert f"your sign-in to {dev.url} has ended" in err
    assert f"streamstack login --server {dev.url}" in err
    code, _, err = await dev.run("logout")
    assert code == 0, err
    assert dev.saved() == {}


def test_the_server_is_the_one_signed_in_to_unless_named(tmp_path: Path) -> None:
    logins = SavedLogins(tmp_path / "credentials.json")
    assert chosen_server(None, logins) == DEFAULT_SERVER
    logins.put("http://media.example:8790/", SavedLogin("a@example.test", "r1"))
    assert chosen_server(None, logins) == "http://media.example:8790"
    assert chosen_server("http://other:1/", logins) == "http://other:1"
    logins.put("http://backup.example", SavedLogin("a@example.test", "r2"))
    with pytest.raises(
        SettingsError,
        match=r"several servers \(http://backup\.example, http://media\.example:8790\): pass --server",
    ):
        chosen_server(None, logins)
    assert chosen_server("http://backup.example", logins) == "http://backup.example"


@pytest.mark.parametrize(
    "command",
    [
        ("items", "list"),
        ("captions", "list", str(uuid.UUID(int=1))),
        ("thumbnail", str(uuid.UUID(int=1)), "--at", "1"),
        ("storage", "audit"),
        ("uploads",),
        ("transcode", str(uuid.UUID(int=1))),
        ("probe", str(uuid.UUID(int=1))),
        # One retry, not the 5 by default (1+2+4+8+16 s of backoff): the line is the same.
        ("upload", "{video}", "--title", "x", "--retries", "1"),
    ],
)
async def test_a_server_out_of_reach_is_one_line_with_a_stored_sign_in(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The stored sign-in's first refresh is the first request: a server that is down is
    said in one line, as with --token, not a traceback."""
    server = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    cli = CommandLine(command[0], tmp_path, token="")
    SavedLogins(tmp_path / "config" / "streamstack" / "credentials.json").put(
        server, SavedLogin("admin@example.test", "refresh-token")
    )
    video = padded_video(tmp_path, MIB)
    args = [arg.format(video=video) for arg in command[1:]]
    code, _, err = await cli(*args, "--server", server, token="")
    # transcode and probe stop at once too: each item after would meet the same (exit 75).
    assert code == 75, err
    assert f"{server} unreachable (ConnectError)" in err.splitlines()[-1], err


async def test_logout_from_a_server_out_of_reach_says_its_session_lasts(tmp_path: Path) -> None:
    server = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    logins = SavedLogins(tmp_path / "config" / "streamstack" / "credentials.json")
    logins.put(server, SavedLogin("admin@example.test", "refresh-token"))

    code, out, err = await CommandLine("logout", tmp_path, token="")("--server", server, token="")

    assert (code, out) == (1, "")
    assert f"{server} unreachable: the sign-in is forgotten here" in err
    assert "lasts until it expires" in err
    assert logins.get(server) is None
