"""``streamstack items``: the real command, in a subprocess, against a served catalogue
(an edit racing another admin's, in process, against it too).

The command is a client: these run on the embedded backends only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalogue_testing import API, create_item

from streamstack.cli.editing import edited
from streamstack.cli.exits import CommandFailed
from streamstack.cli.items import confirmed_deletion
from streamstack.cli.main import build_parser
from streamstack.cli.output import clock
from streamstack.cli.scheduling import shown_time
from streamstack.cli.session import AdminApi, GivenToken
from streamstack.settings import Settings
from support.apps import bearer, mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


class Library:
    """A served catalogue holding three items, the command, and a client of the API."""

    def __init__(
        self, settings: Settings, url: str, client: httpx.AsyncClient, folder: Path
    ) -> None:
        self.settings, self.url, self.client = settings, url, client
        self.items = CommandLine("items", folder, mint_token(settings, role="admin"))

    async def __call__(self, *args: str, **kwargs: Any) -> tuple[int, str, str]:
        return await self.items(*args, "--server", self.url, **kwargs)

    async def item(self, title: str) -> dict[str, Any]:
        """The item with this title, as an admin sees it."""
        answer = await self.client.get(
            f"{API}/?status=all", headers={"Authorization": f"Bearer {self.items.token}"}
        )
        return next(item for item in answer.json()["items"] if item["title"] == title)

    async def statuses(self) -> dict[str, str]:
        """Every item's title and status, drafts too."""
        answer = await self.client.get(
            f"{API}/?status=all", headers={"Authorization": f"Bearer {self.items.token}"}
        )
        return {item["title"]: item["status"] for item in answer.json()["items"]}


@pytest.fixture
async def library(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Library]:
    async with served_library(settings_factory, tmp_path) as library:
        yield library


@pytest.fixture(scope="module")
def module_backend_kind() -> str:
    """The embedded backends only, for ``module_library`` too."""
    return "embedded"


@pytest.fixture(scope="module")
async def module_library(
    module_settings_factory: SettingsFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Library]:
    """``library`` shared by the module's tests whose commands are all refused."""
    folder = tmp_path_factory.mktemp("library")
    async with served_library(module_settings_factory, folder) as library:
        yield library


@asynccontextmanager
async def served_library(factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Library]:
    settings = factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        await create_item(client, settings, title="Birds", tags=["nature"])
        await create_item(client, settings, title="Apples", tags=["food"], publish=False)
        await create_item(client, settings, title="Trees", tags=["nature"], duration_seconds=3725.4)
        yield Library(settings, url, client, tmp_path)


async def test_list_shows_drafts_too_filtered_and_sorted(library: Library) -> None:
    code, out, err = await library("list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "STATUS",
        "VISIBILITY",
        "PROCESSING",
        "LENGTH",
        "VIEWS",
        "LIKES",
        "SCHEDULED",
        "TITLE",
    ]
    # Newest first; the length as a player shows it.
    assert [line.split()[1:] for line in lines[1:]] == [
        ["published", "listed", "none", "1:02:05", "0", "0", "-", "Trees"],
        ["draft", "listed", "none", "0:13", "0", "0", "-", "Apples"],
        ["published", "listed", "none", "0:13", "0", "0", "-", "Birds"],
    ]
    assert err == "streamstack: 3 videos\n"

    code, out, _ = await library("list", "--tag", "nature", "--sort", "title")
    assert [line.split()[-1] for line in out.splitlines()[1:]] == ["Birds", "Trees"]
    code, out, _ = await library("list", "--status", "draft", "--json")
    assert [item["title"] for item in json.loads(out)] == ["Apples"]
    code, out, err = await library("list", "--search", "nothing like it")
    assert (code, out, err) == (0, "", "streamstack: 0 videos\n")


@pytest.mark.parametrize(
    ("given", "asked"),
    [
        ("processing", "processing"),
        ("Transcoding", "processing"),
        ("transcoded", "ready"),
        ("Not transcoded", "none"),
        ("not-transcoded", "none"),
        ("NOT_TRANSCODED", "none"),
        ("Outdated", "outdated"),
    ],
)
def test_processing_takes_the_web_librarys_words_too(given: str, asked: str) -> None:
    """The web Library's filter says Transcoding, Transcoded, Not transcoded: typed here they
    ask the API for processing, ready, none (they were refused)."""
    parsed = build_parser().parse_args(["items", "list", "--processing", given])
    assert parsed.processing == asked


async def test_a_processing_state_in_the_librarys_words_filters_the_list(
    library: Library,
) -> None:
    code, out, err = await library("list", "--processing", "Not transcoded", "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 3  # none of them transcoded
    code, out, err = await library("list", "--processing", "transcoding")
    assert (code, out, err) == (0, "", "streamstack: 0 videos\n")


async def test_an_unknown_processing_state_is_refused_naming_the_words_taken(
    library: Library,
) -> None:
    code, out, err = await library("list", "--processing", "busy")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "streamstack items: error: argument --processing: not a processing state: 'busy'; "
        "one of none (not transcoded), queued, processing (transcoding), ready (transcoded), "
        "failed or outdated"
    )


async def test_publish_and_unpublish_what_the_filters_select(library: Library) -> None:
    code, out, err = await library("publish", "--status", "all")
    assert code == 0, err
    outcome = json.loads(out)
    assert (len(outcome["done"]), len(outcome["unchanged"]), outcome["failed"]) == (1, 2, {})
    assert "published 1 of 1: " in err and err.endswith(
        "Apples\nstreamstack: published 1 video, 2 already published\n"
    )
    assert set((await library.statuses()).values()) == {"published"}

    code, out, err = await library("unpublish", "--tag", "nature")
    assert code == 0, err
    assert await library.statuses() == {"Trees": "draft", "Apples": "published", "Birds": "draft"}
    # Viewers see only what is published now.
    public = (await library.client.get(f"{API}/")).json()
    assert [item["title"] for item in public["items"]] == ["Apples"]

    # Published again, they were public before: not announced as new (walk 53, F5).
    trees = await library.item("Trees")
    code, out, err = await library("publish", trees["id"])
    assert code == 0, err
    first = shown_time(trees["published_at"])
    assert f"Trees (public before: back in its place, first published {first})\n" in err


async def test_named_items_and_unknown_ones(library: Library) -> None:
    _, out, _ = await library("list", "--json")
    birds = next(item["id"] for item in json.loads(out) if item["title"] == "Birds")
    unknown = str(uuid.uuid4())

    code, out, err = await library("unpublish", birds, unknown, birds)

    assert code == 4  # what failed was not found
    outcome = json.loads(out)
    assert outcome["failed"][unknown]["request_id"]
    outcome["failed"][unknown]["request_id"] = "…"
    assert outcome == {
        "action": "unpublish",
        "done": [birds],
        "unchanged": [],
        "gone": [],
        "failed": {
            unknown: {
                "detail": "HTTP 404: no such media item",
                "status": 404,
                "code": "not_found",
                "retry_after": None,
                "request_id": "…",
            }
        },
        "schedules_cancelled": [],
        "paused_share_links": 0,
    }
    assert f"streamstack: {unknown} not unpublished: HTTP 404: no such media item" in err
    assert (await library.statuses())["Birds"] == "draft"


async def test_ids_may_follow_the_options_as_scripts_write_them(library: Library) -> None:
    """``items unpublish --server URL ID…``, ``items delete --yes $(cat ids)``: the ids after
    the options are the items acted on (argparse refused them: "unrecognized arguments")."""
    trees, birds = (await library.item("Trees"))["id"], (await library.item("Birds"))["id"]

    code, out, err = await library.items("unpublish", "--server", library.url, trees, birds)
    assert code == 0, err
    assert sorted(json.loads(out)["done"]) == sorted([trees, birds])
    code, out, err = await library.items("delete", "--yes", "--server", library.url, trees)
    assert code == 0, err
    assert json.loads(out)["done"] == [trees]
    assert await library.statuses() == {"Apples": "draft", "Birds": "draft"}


async def test_delete_asks_first_and_needs_yes_without_a_terminal(library: Library) -> None:
    code, _, err = await library("delete", "--tag", "food")
    assert (code, err) == (
        2,
        "streamstack: error: items delete: the videos go for good, with their files, captions "
        "and stills; with no terminal to ask, pass --yes to go ahead\n",
    )
    assert len(await library.statuses()) == 3

    code, out, err = await library("delete", "--tag", "food", "--yes")
    assert code == 0, err
    assert len(json.loads(out)["done"]) == 1
    assert await library.statuses() == {"Trees": "published", "Birds": "published"}


@pytest.mark.parametrize(("answer", "left"), [("y\n", 0), ("no\n", 2)])
async def test_delete_at_a_terminal_does_what_is_answered(
    library: Library, answer: str, left: int
) -> None:
    main, terminal = os.openpty()
    try:
        os.write(main, answer.encode())
        code, out, err = await library("delete", "--tag", "nature", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)
    assert "  Trees (" in err and "  Birds (" in err
    assert "Delete 2 videos with their files, captions and stills? [y/N] " in err
    assert len([title for title in await library.statuses() if title != "Apples"]) == left
    if left:
        assert (code, out) == (1, "") and err.endswith("streamstack: nothing deleted\n")
    else:
        assert code == 0 and json.loads(out)["action"] == "delete"


@pytest.mark.parametrize(
    "confused",
    [
        ("list", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10"),
        ("publish",),
        ("publish", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "--tag", "food"),
        ("publish", "not-an-id"),
        ("list", "--status", "gone"),
        ("undelete", "--status", "all"),
        ("edit", "--title", "No item named"),
        ("edit", "--tag", "food", "--title", "A filter selects none"),
        ("edit", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10"),
        ("edit", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "--tags", "a", "--add-tag", "b"),
        (
            "edit",
            "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10",
            "--description",
            "a",
            "--description-file",
            "-",
        ),
        ("edit", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "--description-file", "/nonexistent.txt"),
        ("publish", "--status", "all", "--title", "Only edit sets titles"),
        ("schedule", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10"),
        ("schedule", "2031-03-02 09:00"),
        ("schedule", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "next monday"),
        ("schedule", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "2031-03-02", "09:00", "--cancel"),
        ("schedule", "--status", "draft", "2031-03-02T09:00Z"),
        ("publish", "0b7a3b9e-3f9c-4a43-9c3f-6f2f7c1d2e10", "--cancel"),
    ],
)
async def test_what_cannot_be_meant_is_refused_in_one_line(
    module_library: Library, confused: tuple[str, ...]
) -> None:
    """On the module's library: every command is refused, nothing changes."""
    library = module_library
    code, out, err = await library(*confused)
    assert (code, out) == (2, ""), err
    assert re.fullmatch(r"streamstack( items)?: error: .+", err.splitlines()[-1]), err
    assert await library.statuses() == {
        "Trees": "published",
        "Apples": "draft",
        "Birds": "published",
    }


async def test_a_viewer_changes_nothing(library: Library) -> None:
    viewer = mint_token(library.settings, role="viewer")
    _, out, _ = await library("list", "--json")
    ids = [item["id"] for item in json.loads(out)]
    asked = [("list", "--status", "all")]
    asked += [
        (verb, *selection)
        for verb in ("publish", "unpublish", "delete")
        for selection in (["--status", "all"], ids)
    ]
    asked += [("edit", ids[0], "--title", "Taken over")]
    for verb, *selection in asked:
        code, out, err = await library(verb, *selection, "--yes", token=viewer)
        assert (code, out) == (3, ""), err  # as the server's own 403: sign in as an admin
        said = err.splitlines()[-1]
        assert said.startswith(f"streamstack: items {verb}: "), err
        assert "admin role required" in said and said.count("\n") == 0
    assert await library.statuses() == {
        "Trees": "published",
        "Apples": "draft",
        "Birds": "published",
    }


async def test_schedule_sets_shows_and_cancels_a_publish_time(library: Library) -> None:
    apples = await library.item("Apples")
    # The machine's zone: five hours behind UTC all year (a POSIX rule, no zone database).
    library.items.env["TZ"] = "XST+05"

    code, out, err = await library("schedule", apples["id"], "2031-03-02", "09:00")
    assert code == 0, err
    # The machine's 9:00 (UTC-5) is kept as the instant it names, in UTC.
    assert json.loads(out)["publish_at"] == "2031-03-02T14:00:00Z"
    assert err == f"streamstack: {apples['id']} scheduled for 2031-03-02 09:00\n"
    code, out, err = await library("list", "--status", "scheduled")
    assert (code, out.splitlines()[1].split()[1:]) == (
        0,
        ["draft", "listed", "none", "0:13", "0", "0", "2031-03-02", "09:00", "Apples"],
    ), err

    code, out, err = await library("schedule", apples["id"], "2031-03-02T09:00:00+01:00")
    assert json.loads(out)["publish_at"] == "2031-03-02T08:00:00Z", err
    code, out, err = await library("schedule", apples["id"], "--cancel")
    assert (code, json.loads(out)["publish_at"]) == (0, None), err
    assert err == f"streamstack: {apples['id']} not scheduled any more\n"

    # A time with seconds is echoed with them, as the server keeps it.
    code, out, err = await library("schedule", apples["id"], "2031-03-02 17:49:41")
    assert json.loads(out)["publish_at"] == "2031-03-02T22:49:41Z", err
    assert err == f"streamstack: {apples['id']} scheduled for 2031-03-02 17:49:41\n"
    code, out, err = await library("schedule", apples["id"], "--cancel")

    birds = await library.item("Birds")  # published: the server's refusal, in its words
    code, out, err = await library("schedule", birds["id"], "2031-03-02 09:00")
    assert (code, out) == (1, "")
    assert "not scheduled: HTTP 409: the item went public at " in err
    # Its schedule cannot be cancelled either: the admin hears it went public.
    code, out, err = await library("schedule", birds["id"], "--cancel")
    assert (code, out) == (1, "")
    assert f"{birds['id']} schedule not cancelled: HTTP 409: the item went public at " in err
    code, out, err = await library("schedule", apples["id"], "9999-03-02 09:00")
    assert (code, out) == (1, "")
    assert "more than 10 years ahead" in err
    code, out, err = await library("schedule", apples["id"], "2001-03-02 09:00")
    assert (code, out) == (1, "")
    assert "publish_at must be in the future" in err
    assert (await library.item("Apples"))["publish_at"] is None


async def test_scheduled_drafts_are_listed_soonest_first(library: Library) -> None:
    await create_item(library.client, library.settings, title="Pears", publish=False)
    for title, day in (("Apples", "2031-03-02"), ("Pears", "2031-03-09")):
        code, out, err = await library("schedule", (await library.item(title))["id"], day)
        assert code == 0, err

    def titles(out: str) -> list[str]:
        return [line.split()[-1] for line in out.splitlines()[1:]]

    # Pears was made last (newest) and is due last: the two orders tell.
    code, out, err = await library("list", "--status", "scheduled")
    assert (code, titles(out)) == (0, ["Apples", "Pears"]), err
    code, out, err = await library("list", "--status", "scheduled", "--sort", "newest")
    assert (code, titles(out)) == (0, ["Pears", "Apples"]), err
    code, out, err = await library("list", "--status", "draft")
    assert (code, titles(out)) == (0, ["Pears", "Apples"]), err


async def test_edit_sends_only_what_is_given(library: Library) -> None:
    birds = await library.item("Birds")

    code, out, err = await library("edit", birds["id"], "--title", "Birds of the coast")
    assert code == 0, err
    item = json.loads(out)
    assert (item["title"], item["tags"]) == ("Birds of the coast", ["nature"])
    assert item["description"] == birds["description"]
    assert err == f"streamstack: edited {birds['id']}: title\n"

    notes = library.items.folder / "notes.md"
    notes.write_text("0:00 Gulls\n\nÉtourneaux at dusk.\n", encoding="utf-8")
    code, out, err = await library("edit", birds["id"], "--description-file", str(notes))
    assert json.loads(out)["description"] == "0:00 Gulls\n\nÉtourneaux at dusk.", err
    code, out, err = await library("edit", birds["id"], "--description-file", "-", stdin="Piped.\n")
    assert json.loads(out)["description"] == "Piped.", err

    # A removed tag is matched as the server stores tags; an added one is stored so.
    code, out, err = await library(
        "edit",
        birds["id"],
        "--add-tag",
        "Sea Birds",
        "--add-tag",
        "gulls",
        "--remove-tag",
        "NATURE",
    )
    assert (code, json.loads(out)["tags"]) == (0, ["gulls", "sea birds"]), err
    code, out, err = await library("edit", birds["id"], "--tags", "coast, ,winter")
    assert json.loads(out)["tags"] == ["coast", "winter"], err
    code, out, err = await library("edit", birds["id"], "--tags", "")
    assert json.loads(out)["tags"] == [], err
    after = await library.item("Birds of the coast")
    assert (after["title"], after["description"], after["status"]) == (
        "Birds of the coast",
        "Piped.",
        "published",
    )


async def test_an_edited_descriptions_chapters_are_in_the_items_json_at_once(
    library: Library,
) -> None:
    trees = await library.item("Trees")
    listed = "Parts:\r\n0:00 Roots\r\n- 1:00 - Trunk\r\n3) 20:00: Crown\r\n"
    code, out, err = await library("edit", trees["id"], "--description-file", "-", stdin=listed)
    item = json.loads(out)
    assert (code, item["chapters_from"]) == (0, "description"), err
    assert item["chapters"] == [
        {"start_seconds": 0.0, "title": "Roots"},
        {"start_seconds": 60.0, "title": "Trunk"},
        {"start_seconds": 1200.0, "title": "Crown"},
    ]
    code, out, err = await library("edit", trees["id"], "--description", "Tall ones.")
    item = json.loads(out)
    assert (code, item["chapters"], "chapters_from" in item) == (0, [], False), err


async def test_edit_unlists_a_video_and_list_shows_and_filters_it(library: Library) -> None:
    birds = await library.item("Birds")
    code, out, err = await library("edit", birds["id"], "--visibility", "unlisted")
    assert code == 0, err
    assert json.loads(out)["visibility"] == "unlisted"
    assert err == f"streamstack: edited {birds['id']}: visibility\n"
    code, out, err = await library("list", "--visibility", "unlisted")
    rows = [line.split()[1:3] + line.split()[-1:] for line in out.splitlines()[1:]]
    assert (code, rows) == (0, [["published", "unlisted", "Birds"]]), err
    code, out, _ = await library("list", "--visibility", "listed", "--json")
    assert sorted(item["title"] for item in json.loads(out)) == ["Apples", "Trees"]
    # Viewers' list leaves it out; listed again, it is back.
    assert [item["title"] for item in (await library.client.get(f"{API}/")).json()["items"]] == [
        "Trees"
    ]
    code, out, err = await library("edit", birds["id"], "--visibility", "listed")
    assert (code, json.loads(out)["visibility"]) == (0, "listed"), err
    code, out, err = await library("edit", birds["id"], "--visibility", "hidden")
    assert (code, out) == (2, ""), err
    assert "--visibility" in err.splitlines()[-1]


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (("--title", "x" * 1000), "HTTP 400: "),
        (("--title", "   "), "HTTP 400: title must not be blank"),
        (("--add-tag", "x" * 1000), "HTTP 400: "),
    ],
)
async def test_edit_shows_what_the_server_refuses(
    library: Library, option: tuple[str, str], said: str
) -> None:
    birds = await library.item("Birds")
    code, out, err = await library("edit", birds["id"], *option)
    assert (code, out) == (1, ""), err
    [line] = err.splitlines()
    assert line.startswith(f"streamstack: items edit: {birds['id']} not edited: {said}"), err
    assert await library.item("Birds") == birds

    unknown = str(uuid.uuid4())
    code, out, err = await library("edit", unknown, *option)
    assert (code, out, err) == (
        4,
        "",
        f"streamstack: items edit: {unknown}: HTTP 404: no such media item\n",
    )


class EditedMeanwhile(AdminApi):
    """The CLI's API, with another admin's edit landing between its read and its write
    (``rivals``: the bodies of those edits, one before each of its writes)."""

    def __init__(self, library: Library, rivals: list[dict[str, Any]]) -> None:
        super().__init__(library.url, GivenToken(library.items.token))
        self.rivals = rivals
        self.other = httpx.Client(base_url=library.url, headers=bearer(library.items.token))

    def request(self, method: str, path: str, *, renew: bool = True, **kwargs: Any) -> Any:
        if method == "PATCH" and self.rivals:
            assert self.other.patch(path, json=self.rivals.pop(0)).status_code == 200
        return super().request(method, path, renew=renew, **kwargs)

    async def edit(self, *args: str) -> Any:
        parsed = build_parser().parse_args(["items", "edit", *args])
        try:
            return await asyncio.to_thread(edited, self, parsed)
        finally:
            self.other.close()
            self.close()


async def test_tags_added_or_removed_are_worked_out_again_after_an_edit_meanwhile(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    birds = await library.item("Birds")
    api = EditedMeanwhile(library, [{"tags": ["nature", "rival"]}])
    item = await api.edit(birds["id"], "--add-tag", "sea", "--remove-tag", "nature")
    assert item["tags"] == ["rival", "sea"]
    assert (
        f"streamstack: {birds['id']} was changed meanwhile; reading it again"
        in capsys.readouterr().err
    )

    # Changed again before the second write: said, and the other edit stands.
    api = EditedMeanwhile(library, [{"tags": ["one"]}, {"tags": ["two"]}])
    with pytest.raises(CommandFailed, match="someone else changed it after this command read it"):
        await api.edit(birds["id"], "--add-tag", "mine")
    assert (await library.item("Birds"))["tags"] == ["two"]


async def test_an_edit_made_meanwhile_is_not_overwritten(library: Library) -> None:
    birds = await library.item("Birds")
    api = EditedMeanwhile(library, [{"title": "Their birds"}])
    with pytest.raises(CommandFailed) as refused:
        await api.edit(birds["id"], "--title", "My birds", "--tags", "mine")
    assert str(refused.value).startswith(
        f"{birds['id']} not edited: someone else changed it after this command read it (HTTP 412: "
    )
    assert "nothing was saved and their change stands" in str(refused.value)
    now = await library.item("Their birds")
    assert now["tags"] == ["nature"]


def test_lengths_read_as_a_player_shows_them() -> None:
    assert [clock(s) for s in (0, 7.4, 59.6, 725, 3600, 3725.4)] == [
        "0:00",
        "0:07",
        "1:00",
        "12:05",
        "1:00:00",
        "1:02:05",
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(3.667, "0:04"), (2.5, "0:03"), (0.3, "0:00.3"), (0.01, "0:00.1"), (0.96, "0:01")],
)
def test_lengths_read_as_the_web_reads_them(seconds: float, shown: str) -> None:
    # Walk 52 F1: a 0.3 s clip was "0:00" here and "0:00.3" on its card; halves went to even.
    # The same cases as web/src/lib/format.test.ts.
    assert clock(seconds) == shown


def test_the_question_lists_every_video(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [{"id": f"id-{n}", "title": f"Video {n}"} for n in range(12)]
    monkeypatch.setattr("builtins.input", lambda: "Y")
    assert confirmed_deletion(items) is True
    lines = capsys.readouterr().err.splitlines()
    assert lines[:12] == [f"  Video {n} (id-{n})" for n in range(12)]
    assert lines[12:] == ["Delete 12 videos with their files, captions and stills? [y/N] "]

    def no_answer() -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_answer)
    assert confirmed_deletion(items[:1]) is False


async def test_unpublishing_a_scheduled_draft_cancels_its_schedule(library: Library) -> None:
    apples = await library.item("Apples")
    code, _, err = await library("schedule", apples["id"], "2031-03-02 09:00")
    assert code == 0, err

    code, out, err = await library("unpublish", "--status", "all")

    assert code == 0, err
    outcome = json.loads(out)
    assert (len(outcome["done"]), outcome["unchanged"]) == (3, [])
    assert outcome["schedules_cancelled"] == [apples["id"]]
    assert f"{apples['id']} Apples (its schedule cancelled)\n" in err
    assert err.endswith("streamstack: unpublished 3 videos (1 scheduled: schedule cancelled)\n")
    assert (await library.item("Apples"))["publish_at"] is None
    # Now it is a plain draft: unpublishing again leaves it alone.
    code, out, err = await library("unpublish", apples["id"])
    assert (code, json.loads(out)["unchanged"]) == (0, [apples["id"]]), err


async def test_unpublishing_says_how_many_share_links_stop_working(library: Library) -> None:
    """Each video's line says how many of its links stop, the last line their total, the JSON
    the count; a video with none says nothing of links."""
    birds, trees = await library.item("Birds"), await library.item("Trees")
    for item, links in ((birds, 2), (trees, 1)):
        for _ in range(links):
            made = await library.client.post(
                f"{API}/{item['id']}/shares",
                json={"expires_in_days": None},
                headers=bearer(library.items.token),
            )
            assert made.status_code == 201, made.text

    code, out, err = await library("unpublish", trees["id"])

    assert (code, json.loads(out)["paused_share_links"]) == (0, 1), err
    assert err.splitlines() == [
        f"streamstack: unpublished 1 of 1: {trees['id']} Trees "
        "(its share link stops working until you publish it again)",
        "streamstack: unpublished 1 video",
    ]

    # Published again, its link works again; it stops again with both of Birds's.
    await library("publish", trees["id"])
    code, out, err = await library("unpublish", "--status", "all")

    assert (code, json.loads(out)["paused_share_links"]) == (0, 3), err
    assert (
        f"{birds['id']} Birds (its 2 share links stop working until you publish it again)\n" in err
    )
    assert f"{trees['id']} Trees (its share link stops" in err
    assert err.endswith(
        "streamstack: unpublished 2 videos, 1 already unpublished; "
        "their 3 share links stop working until you publish them again\n"
    )


def test_a_long_question_names_ten_and_lists_every_video_in_a_file_it_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    items = [{"id": f"id-{n}", "title": f"Under-12 match {n}"} for n in range(60)]
    monkeypatch.setattr("builtins.input", lambda: "n")
    assert confirmed_deletion(items, search="Under-12") is False
    lines = capsys.readouterr().err.splitlines()
    assert lines[:10] == [f"  Under-12 match {n} (id-{n})" for n in range(10)]
    listed = re.fullmatch(r"  …and 50 more, every one listed in (.+)", lines[10])
    assert listed is not None, lines[10]
    assert Path(listed[1]).parent == tmp_path
    written = Path(listed[1]).read_text(encoding="utf-8").splitlines()
    assert written == [f"Under-12 match {n} (id-{n})" for n in range(60)]
    assert lines[11:] == [
        'These are the videos matching "Under-12": check the list.',
        "Delete 60 videos with their files, captions and stills? [y/N] ",
    ]


async def test_delete_by_search_takes_that_number_alone_and_says_what_it_deleted(
    library: Library,
) -> None:
    """ "Under-12" took the "Under-14" videos too (a typo of one digit forgiven); at a
    terminal every title is asked about, with the search; with --yes each is told."""
    for title in ("Under-12 vs Oakwood", "Under-12 final", "Under-14 vs Ashford"):
        await create_item(library.client, library.settings, title=title)
    main, terminal = os.openpty()
    try:
        os.write(main, b"n\n")
        code, _, err = await library("delete", "--search", "Under-12", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)
    assert code == 1
    assert "  Under-12 final (" in err and "  Under-12 vs Oakwood (" in err
    assert "Under-14" not in err
    assert 'These are the videos matching "Under-12": check the list.' in err

    code, out, err = await library("delete", "--search", "Under-12", "--yes")
    assert code == 0, err
    deleted = [line for line in err.splitlines() if re.match(r"streamstack: deleted \d+ of", line)]
    assert [line.rsplit(": ", 1)[1].split(" ", 1)[1] for line in deleted] == [
        "Under-12 final",
        "Under-12 vs Oakwood",
    ]
    assert len(json.loads(out)["done"]) == 2
    assert "Under-14 vs Ashford" in await library.statuses()


async def test_exit_codes_tell_a_script_what_to_do_next(module_library: Library) -> None:
    """README's table: 75 try again later, 3 sign in again, 4 no such thing, 2 a typo."""
    unknown = str(uuid.uuid4())
    items, url = module_library.items, module_library.url

    code, _, err = await items("list", "--server", "http://127.0.0.1:9")
    assert (code, "unreachable" in err) == (75, True), err
    code, _, err = await items("list", "--server", url, token="garbage")
    assert (code, "HTTP 401" in err) == (3, True), err
    code, _, err = await items("list", "--server", url, token="")
    assert (code, "an admin access token is required" in err) == (3, True), err
    code, _, err = await module_library("stats", unknown)
    assert (code, "HTTP 404" in err) == (4, True), err
    code, _, err = await module_library("stats", "not-an-id")
    assert (code, "not an item's id" in err) == (2, True), err


async def test_with_json_an_error_is_one_json_object_with_the_servers_code(
    module_library: Library,
) -> None:
    unknown = str(uuid.uuid4())

    code, out, err = await module_library("stats", unknown, "--json")

    assert (code, out) == (4, ""), err
    error = json.loads(err)["error"]
    assert (error["status"], error["code"]) == (404, "item_not_found"), error
    assert error["detail"].endswith("HTTP 404: no such media item"), error
    assert error["request_id"], error
    code, _, err = await module_library.items("list", "--json", "--server", "http://127.0.0.1:9")
    error = json.loads(err)["error"]
    assert (code, error["status"], error["code"]) == (75, None, "unreachable"), error


async def test_deleting_again_reports_the_videos_gone_and_succeeds(library: Library) -> None:
    """A cleanup interrupted and run again: the videos it deleted are gone, not failed."""
    birds = (await library.item("Birds"))["id"]
    code, _, err = await library("delete", birds, "--yes")
    assert code == 0, err

    code, out, err = await library("delete", birds, "--yes")

    assert code == 0, err
    outcome = json.loads(out)
    assert (outcome["done"], outcome["gone"], outcome["failed"]) == ([], [birds], {}), outcome
    assert "1 gone already" in err, err
