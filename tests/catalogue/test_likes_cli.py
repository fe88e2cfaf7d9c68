"""``streamstack items like|unlike|liked`` and the likes column of ``items list``: the real
commands, in a subprocess, against a served catalogue (a client: the embedded backends
only)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from catalogue_testing import API, create_item

from support.apps import bearer, mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


async def test_a_viewer_likes_unlikes_and_lists_liked_videos(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        birds = (await create_item(client, settings, title="Birds"))["id"]
        trees = (await create_item(client, settings, title="Trees"))["id"]
        draft = (await create_item(client, settings, title="Apples", publish=False))["id"]
        bob = bearer(mint_token(settings, user_id=str(uuid.uuid4())))
        assert (await client.put(f"{API}/{birds}/like", headers=bob)).status_code == 200
        viewer = mint_token(settings, user_id=str(uuid.uuid4()))
        items = CommandLine("items", tmp_path, viewer)

        code, out, err = await items("liked", "--server", url)
        assert (code, out, err) == (0, "", "streamstack: You have not liked any videos yet.\n")
        code, out, err = await items("like", birds, "--server", url)
        assert (code, out) == (0, "liked (2 likes)\n"), err
        code, out, err = await items("like", birds, "--server", url)
        assert (code, out) == (0, "liked (2 likes)\n"), err
        code, out, err = await items("like", trees, "--server", url, "--json")
        assert (code, json.loads(out)) == (0, {"liked": True, "like_count": 1}), err
        code, out, err = await items("like", draft, "--server", url)
        assert code == 4 and out == "" and "HTTP 404" in err, err

        code, out, err = await items("liked", "--server", url)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["TITLE", "LIKED", "ID"]
        assert [(line.split()[0], line.split()[-1]) for line in lines[1:]] == [
            ("Trees", trees),
            ("Birds", birds),
        ]
        assert err == "streamstack: 1 to 2 of 2 liked videos\n"
        code, out, err = await items("liked", "--json", "--server", url)
        assert [row["item"]["title"] for row in json.loads(out)["items"]] == ["Trees", "Birds"]
        code, out, err = await items("liked", "--page", "2", "--server", url)
        assert (code, out, err) == (0, "", "streamstack: no page 2: 2 liked videos fill 1 page\n")

        code, out, err = await items("unlike", birds, "--server", url)
        assert (code, out) == (0, "not liked (1 like)\n"), err
        code, out, err = await items("unlike", birds, "--server", url)
        assert (code, out) == (0, "not liked (1 like)\n"), err

        admin = CommandLine("items", tmp_path, mint_token(settings, role="admin"))
        code, out, err = await admin("list", "--server", url)
        lines = out.splitlines()
        assert lines[0].split()[5:7] == ["VIEWS", "LIKES"], lines[0]
        likes = {line.split()[-1]: line.split()[6] for line in lines[1:]}
        assert likes == {"Birds": "1", "Trees": "1", "Apples": "0"}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("like",), "items like: name one ITEM"),
        (("like", "ID", "ID2"), "items like: name one ITEM"),
        (("unlike", "not-an-id"), "not an item's id: not-an-id"),
        (("liked", "ID"), "items liked: lists your liked videos; name no ITEM"),
        (("liked", "--page", "0"), "items liked: --page is 1 to 100000, not 0"),
        (("like", "ID", "--page", "2"), "items like: --page goes with liked"),
        (("list", "--page", "2"), "items list: --page goes with liked"),
        (("like", "--tag", "nature"), "items like: filters select none"),
        (("unlike", "ID", "--title", "x"), "items unlike: --title go with edit"),
    ],
)
async def test_what_the_command_line_cannot_mean_is_refused(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    """Exit 2, saying why, before any request (the server named is not there)."""
    items = CommandLine("items", tmp_path, "unused-token")
    ids = {"ID": str(uuid.uuid4()), "ID2": str(uuid.uuid4())}
    code, out, err = await items(*(ids.get(a, a) for a in args), "--server", "http://127.0.0.1:9")
    assert (code, out) == (2, ""), err
    assert said in err, err
