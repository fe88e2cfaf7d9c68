"""``streamstack items download``: the real command, in a subprocess, against a served
catalogue and streaming; the command is a client, so on the embedded backends only."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalogue_testing import create_item, put_object

from streamstack.settings import Settings
from support.apps import mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory

ORIGINAL = os.urandom(3 * 2**20 + 17)
TITLE = "Ducks at dawn: the return"


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


class Served:
    """A served catalogue and streaming holding one item, and the command as an admin."""

    def __init__(self, settings: Settings, url: str, item: dict[str, Any], folder: Path) -> None:
        self.settings, self.url, self.item, self.folder = settings, url, item, folder
        self.items = CommandLine("items", folder, mint_token(settings, role="admin"))

    async def __call__(self, *args: str, **kwargs: Any) -> tuple[int, str, str]:
        return await self.items("download", *args, "--server", self.url, **kwargs)


@pytest.fixture
async def served(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Served]:
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        item = await create_item(client, settings, title=TITLE, size_bytes=len(ORIGINAL))
        await put_object(settings, item["s3_key"], ORIGINAL)
        yield Served(settings, url, item, tmp_path)


async def test_download_saves_the_original_under_its_title(served: Served) -> None:
    code, out, err = await served(served.item["id"], cwd=served.folder)

    assert code == 0, err
    saved = served.folder / "Ducks at dawn the return.mp4"
    assert out == f"{saved.name}\n"
    assert saved.read_bytes() == ORIGINAL
    assert "100%" in err and "3.0/3.0 MiB" in err


async def test_a_file_cut_short_is_finished_with_a_range(served: Served) -> None:
    output = served.folder / "copy.mp4"
    code, _, err = await served(served.item["id"], "--output", str(output))
    assert code == 0, err
    # Cut short as a dropped connection leaves it: its first MiB, with the time the command
    # gave it. That first MiB is marked, so a resumed file keeps the mark and a file sent
    # again from the start would not.
    stamped = output.stat().st_mtime
    output.write_bytes(b"\0" * 2**20)
    os.utime(output, (stamped, stamped))

    code, out, err = await served(served.item["id"], "--output", str(output))

    assert code == 0, err
    assert out == f"{output}\n"
    assert output.read_bytes() == b"\0" * 2**20 + ORIGINAL[2**20 :]
    assert "100%" in err


async def test_a_file_that_is_no_such_download_is_written_again(served: Served) -> None:
    output = served.folder / "other.mp4"
    output.write_bytes(b"not this video")
    os.utime(output, (10**9, 10**9))  # a file of 2001, not the original's time

    code, _, err = await served(served.item["id"], "--output", str(output))

    assert code == 0, err
    assert output.read_bytes() == ORIGINAL


async def test_a_whole_file_is_left_as_it_is(served: Served) -> None:
    output = served.folder / "copy.mp4"
    assert (await served(served.item["id"], "--output", str(output)))[0] == 0

    code, _, err = await served(served.item["id"], "--output", str(output))

    assert code == 0, err
    assert "is complete already (3.0 MiB)" in err
    assert output.read_bytes() == ORIGINAL


async def test_refusals_exit_with_a_line_and_write_nothing(served: Served) -> None:
    output = served.folder / "nothing.mp4"
    unknown = str(uuid.uuid4())
    viewer = mint_token(served.settings)

    code, out, err = await served(unknown, "--output", str(output))
    assert (code, out) == (4, "")
    assert f"streamstack: items download: no such video: {unknown}" in err

    code, out, err = await served(served.item["id"], "--output", str(output), token=viewer)
    # Exit 3, as the server's 403 to an admin's route: sign in as an admin.
    assert (code, out) == (3, ""), err
    assert err == (
        "streamstack: items download: only an admin may download a video's original file (the "
        "server answered this account as a viewer): sign in as an admin or pass an admin's "
        "--token\n"
    )
    assert not output.exists()


async def test_a_command_line_it_cannot_mean_exits_2(served: Served) -> None:
    item = served.item["id"]
    assert (await served())[0] == 2  # no item
    assert (await served(item, item))[0] == 2  # two
    assert (await served(item, "--output", str(served.folder)))[0] == 2  # a folder
    code, _, err = await served.items("list", "--output", "x", "--server", served.url)
    assert code == 2 and "--output goes with download" in err
