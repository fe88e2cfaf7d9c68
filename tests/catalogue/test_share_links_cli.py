"""``streamstack items share|shares|unshare``: the real command, in a subprocess, against a
served catalogue. The command is a client: these run on the embedded backends only."""

from __future__ import annotations

import contextlib
import datetime
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalogue_testing import API, create_item

from streamstack.cli.sharing import embed_code, link_state
from support.apps import mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


class Served:
    """A served catalogue with one published video and one draft, and the command."""

    def __init__(self, url: str, client: httpx.AsyncClient, items: CommandLine) -> None:
        self.url, self.client, self.items = url, client, items
        self.video: dict[str, Any] = {}
        self.draft: dict[str, Any] = {}
        self.admin_id = ""

    async def __call__(self, *args: str) -> tuple[int, str, str]:
        return await self.items(*args, "--server", self.url)


@pytest.fixture
async def served(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Served]:
    async with serving(settings_factory, tmp_path) as served:
        yield served


@contextlib.asynccontextmanager
async def serving(
    settings_factory: SettingsFactory, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Served]:
    settings = settings_factory(modules=("catalogue",), **overrides)
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        admin_id = str(uuid.uuid4())
        token = mint_token(settings, user_id=admin_id, role="admin")
        served = Served(url, client, CommandLine("items", tmp_path, token))
        served.admin_id = admin_id
        served.video = await create_item(client, settings, title="Birds")
        served.draft = await create_item(client, settings, title="Apples", publish=False)
        yield served


async def test_share_list_and_stop_a_link(served: Served) -> None:
    video = served.video["id"]
    code, out, err = await served("share", video, "--expires-in-days", "7")
    assert code == 0, err
    link = out.strip()
    assert link.startswith(f"{served.url}/s/") and len(link.rsplit("/", 1)[1]) == 43
    assert "expires: " in err and "never" not in err
    secret = link.rsplit("/", 1)[1]
    assert (
        f'embed: <iframe src="{served.url}/embed/s/{secret}" width="640" height="360" '
        'title="Birds" style="border:0" allow="fullscreen; picture-in-picture" '
        "allowfullscreen></iframe>"
    ) in err.splitlines()
    assert "embed code works on" not in err and "turned off" not in err  # any site may
    code, out, err = await served("share", video)
    assert code == 0 and "expires: never" in err, err
    forever = out.strip()
    opened = await served.client.get(f"{API}/shared/{link.rsplit('/', 1)[1]}")
    assert opened.status_code == 200  # the link works without an account

    code, out, err = await served("shares", video)
    assert code == 0, err
    links_maker = served.admin_id
    header, *rows = out.splitlines()
    assert header.split() == [
        "ID", "CREATED", "EXPIRES", "OPENS", "PLAYS", "STATE", "MAKER", "LINK"
    ]  # fmt: skip
    assert "OPENS counts loads of a link's page or embed, played or not" in err
    # The admin who made them (no name known to a catalogue without auth: their id's start).
    assert all(row.split()[-2] == f"({links_maker[:8]})" for row in rows)
    assert [row.split()[-1] for row in rows] == [forever, link]  # the newest first
    assert all(" live " in row for row in rows) and "never" in rows[0]
    assert "2 share links" in err

    code, out, err = await served("shares", video, "--json")
    links = json.loads(out)
    assert [entry["opens"] for entry in links] == [0, 1]
    assert [entry["plays"] for entry in links] == [0, 0]
    assert [entry["embed_code"] for entry in links] == [
        embed_code(served.url, entry, "Birds") for entry in links
    ]
    assert f'src="{served.url}/embed/s/{secret}"' in links[1]["embed_code"]
    code, out, err = await served("unshare", links[1]["id"])
    assert code == 0 and "stopped: the link no longer works" in err, err
    assert (await served.client.get(f"{API}/shared/{link.rsplit('/', 1)[1]}")).status_code == 404
    code, out, err = await served("shares", video)
    assert " stopped " in out.splitlines()[2]


async def test_share_with_json_prints_the_link_whose_id_unshare_takes(served: Served) -> None:
    code, out, err = await served("share", served.video["id"], "--json", "--start", "0:05")
    assert code == 0, err
    link = json.loads(out)
    assert link["url"] == f"{served.url}{link['path']}?t=5", link
    assert (link["item_id"], link["expires_at"]) == (served.video["id"], None), link

    code, _, err = await served("unshare", link["id"])
    assert code == 0, err


async def test_a_link_and_its_embed_code_start_where_asked(served: Served) -> None:
    # "Birds" plays 12.5 s (catalogue_testing's item): 0:07 is in it, 0:20 is not.
    code, out, err = await served("share", served.video["id"], "--start", "0:07")
    assert code == 0, err
    link = out.strip()
    assert link.startswith(f"{served.url}/s/") and link.endswith("?t=7")
    secret = link.removesuffix("?t=7").rsplit("/", 1)[1]
    assert f'embed: <iframe src="{served.url}/embed/s/{secret}?t=7" ' in err
    code, _, err = await served("share", served.video["id"], "--start", "20")
    assert code == 1 and "--start 20 is past the video's end" in err, err
    code, _, err = await served("share", served.video["id"], "--start", "1:75")
    assert code == 2 and "'1:75' is not a time: give one such as 1:30" in err, err
    code, _, err = await served("shares", served.video["id"], "--start", "7")
    assert code == 2 and "--start goes with share" in err, err
    code, out, _ = await served("shares", served.video["id"], "--json")
    assert len(json.loads(out)) == 1  # the refused ones made nothing


@pytest.mark.parametrize(
    ("ancestors", "said"),
    [
        (
            "https://club.example 'self'",
            "the embed code works on: https://club.example, this server's own pages; other "
            "sites get a blank frame saying the server refused to connect (the server's "
            "STREAMSTACK_EMBED_ANCESTORS setting)",
        ),
        (
            "'none'",
            "embedding is turned off on this server: no other site may embed its videos "
            "(the server's STREAMSTACK_EMBED_ANCESTORS setting)",
        ),
    ],
)
async def test_says_where_the_embed_code_works(
    settings_factory: SettingsFactory, tmp_path: Path, ancestors: str, said: str
) -> None:
    async with serving(settings_factory, tmp_path, embed_ancestors=ancestors) as served:
        for action in ("share", "shares"):
            code, _, err = await served(action, served.video["id"])
            assert code == 0, err
            assert said in err.splitlines(), (action, err)


async def test_refusals_are_said_plainly(served: Served) -> None:
    code, _, err = await served("share", served.draft["id"])
    assert code == 1 and "publish the video to share it by link" in err, err
    code, _, err = await served("share", str(uuid.uuid4()))
    assert code == 4 and "no such video" in err, err
    code, _, err = await served("unshare", str(uuid.uuid4()))
    assert code == 4 and "no such share link" in err, err
    for args in (
        ("share", served.video["id"], "--expires-in-days", "0"),
        ("share", served.video["id"], "--expires-in-days", "366"),
        ("shares", served.video["id"], "--expires-in-days", "3"),
        ("list", "--expires-in-days", "3"),
        ("share",),
        ("share", served.video["id"], served.draft["id"]),
        ("share", "--status", "published"),
    ):
        code, _, err = await served(*args)
        assert code == 2, (args, err)
    code, out, _ = await served("shares", served.video["id"], "--json")
    assert json.loads(out) == []  # nothing was made


def test_a_links_state() -> None:
    now = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    link = {"revoked_at": None, "expires_at": None}
    assert link_state(link, now) == "live"
    assert link_state({**link, "expires_at": "2026-01-02T00:00:00Z"}, now) == "expired"
    assert link_state({**link, "expires_at": "2026-01-03T00:00:00Z"}, now) == "live"
    stopped = {"revoked_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-01T00:00:00Z"}
    assert link_state(stopped, now) == "stopped"
    assert link_state({**stopped, "revoked_reason": "stopped_by_admin"}, now) == "stopped"
    withdrawn = {**stopped, "revoked_reason": "maker_no_longer_admin"}
    assert link_state(withdrawn, now) == "withdrawn"


def test_the_embed_code_escapes_the_title() -> None:
    link = {"path": "/s/abc", "embed_path": "/embed/s/abc"}
    code = embed_code("https://v.example/", link, 'Q&A: "Live" <uncut>')
    assert code == (
        '<iframe src="https://v.example/embed/s/abc" width="640" height="360" '
        'title="Q&amp;A: &quot;Live&quot; &lt;uncut&gt;" style="border:0" '
        'allow="fullscreen; picture-in-picture" allowfullscreen></iframe>'
    )
