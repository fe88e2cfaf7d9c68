"""An item's chapters: its description's when it lists them as YouTube reads them, else its
file's; in every answer about the one item (the player, the CLI and the API read the same)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from catalogue_testing import (
    API,
    EventLog,
    admin_headers,
    create_item,
    eventually,
    viewer_headers,
)

from streamstack.catalogue.chapters import chapters_in, described_chapters, item_chapters
from streamstack.contracts.catalogue import MEDIA_UPDATED
from streamstack.contracts.limits import CHAPTER_TITLE_MAX, MAX_CHAPTERS
from streamstack.contracts.media import Chapter
from support.apps import AppClient

ALBUM = "\n".join(
    ["Tracks:", "0:00 Intro", "1:23 - The chorus", "(2:05) Bridge", "3:10 \u2013 Outro", "Thanks!"]
)
ALBUM_CHAPTERS = [
    Chapter(0.0, "Intro"),
    Chapter(83.0, "The chorus"),
    Chapter(125.0, "Bridge"),
    Chapter(190.0, "Outro"),
]
FILE = [Chapter(0.0, "Part one"), Chapter(1800.0, "Part two")]


def test_lines_starting_with_a_timestamp_name_chapters() -> None:
    assert chapters_in(ALBUM, 240) == ALBUM_CHAPTERS


def test_bullets_numbers_brackets_hours_and_crlf() -> None:
    text = "\r\n".join(
        [
            "\u2022 00:00 Opening",
            "- 0:59:30 \u2013 Main act",
            "3) 1:00:00: Encore",
            "4. [1:02:03] | Credits",
        ]
    )
    assert chapters_in(text, 4000) == [
        Chapter(0.0, "Opening"),
        Chapter(3570.0, "Main act"),
        Chapter(3600.0, "Encore"),
        Chapter(3723.0, "Credits"),
    ]


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("0:05 Intro\n1:00 Middle\n2:00 End", 300),  # not from 0:00
        ("0:00 Intro\n1:00 End", 300),  # fewer than three
        ("0:00 Intro\n2:00 End\n1:00 Middle", 300),  # out of order
        ("0:00 Intro\n1:00 Again\n1:00 End", 300),  # not strictly ascending
        ("0:00 Intro\n0:05 Blink\n1:00 End", 300),  # a chapter under ten seconds
        ("0:00 Intro\n1:00 Middle\n4:55 End", 300),  # the last under ten seconds
        ("0:00 Intro\n1:00 Middle\n6:00 End", 300),  # one past the end
        ("The chorus at 1:23 and again at 2:40, from 0:00.", 300),  # running text
        ("Intro 0:00\nThe chorus 1:23\nOutro 2:40", 300),  # a timestamp ends the line
        ("See 0:00 Intro\nthen 1:23 Chorus\nand 2:40 Outro", 300),  # mid-sentence
        ("0:00\n1:00\n2:00", 300),  # bare timestamps with no title
        ("0:00 A\n1:75 B\n2:00 C", 300),  # not a time
        ("0:00 A\n1:234 B\n2:00 C", 300),  # "1:23" is only part of a number
        ("0:00 A\n1:00 B\n2:00:00:00 C", 100_000),  # nor is "2:00:00"
        ("", 300),
        (None, 300),
    ],
)
def test_timestamps_that_make_no_chapter_list_give_none(text: str | None, duration: int) -> None:
    assert chapters_in(text, duration) == []


def test_lines_between_the_chapters_are_left_alone() -> None:
    text = "Tracks:\n\n0:00 A\nrecorded live\n0:10 B\n\n0:20 C\nThanks for watching"
    assert [c.title for c in chapters_in(text, None)] == ["A", "B", "C"]


def test_any_length_when_the_videos_is_unknown() -> None:
    assert len(chapters_in("0:00 A\n0:10 B\n0:20 C", None)) == 3
    assert len(chapters_in("0:00 A\n0:10 B\n0:20 C", 0)) == 3  # not yet probed


def test_a_title_is_one_line_within_the_contracts_length() -> None:
    text = f"0:00 Tab\there\n0:10 {'x' * 300}\n0:20 Bell\x07rang"
    titles = [c.title for c in chapters_in(text, None)]
    assert titles == ["Tab here", "x" * CHAPTER_TITLE_MAX, "Bell rang"]


def test_a_long_list_keeps_its_first_chapters_as_a_files_does() -> None:
    starts = (n * 10 for n in range(MAX_CHAPTERS + 20))
    text = "\n".join(f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02} Part {s // 10}" for s in starts)
    chapters = chapters_in(text, None)
    assert len(chapters) == MAX_CHAPTERS
    assert chapters[-1] == Chapter(float((MAX_CHAPTERS - 1) * 10), f"Part {MAX_CHAPTERS - 1}")


def test_the_description_is_the_uploaders_word_over_the_files() -> None:
    assert item_chapters(ALBUM, 240, FILE) == (ALBUM_CHAPTERS, "description")
    assert item_chapters("An audiobook.", 3600, FILE) == (FILE, "file")
    assert item_chapters(None, 3600, []) == ([], None)


@pytest.mark.parametrize(
    ("text", "duration", "why"),
    [
        ("0:05 Intro\n1:00 Middle\n2:00 End", 300, "the first must be at 0:00"),
        ("0:00 Intro\n1:00 End", 300, "there must be at least 3"),
        ("0:00 Intro\n2:00 End\n1:00 Middle", 300, "they must be in order, earliest first"),
        ("0:00 Intro\n1:00 Again\n1:00 End", 300, "they must be in order, earliest first"),
        ("0:00 Intro\n1:00 Middle\n6:00 End", 300, "one is at or after the end of the video"),
        (
            "0:00 Warm-up\n0:05 Drills\n0:20 Cool-down",  # the outside walk's, of a 25 s video
            25,
            "each chapter must last at least 10 seconds",
        ),
        ("0:00 Intro\n1:00 Middle\n4:55 End", 300, "each chapter must last at least 10 seconds"),
        (ALBUM, 3600, None),  # chapters
        ("Just words, no times.", 300, None),  # nothing to explain
        ("", 300, None),
    ],
)
def test_why_timestamped_lines_make_no_chapters(text: str, duration: int, why: str | None) -> None:
    chapters, unused = described_chapters(text, duration)
    assert unused == why
    assert chapters == chapters_in(text, duration)


async def test_the_forms_ask_what_a_description_being_typed_makes(
    catalogue_client: AppClient,
) -> None:
    """The edit and upload forms ask as the description is typed (nothing stored); admins
    only, as the forms are theirs."""
    settings = catalogue_client.app.state.settings
    url = f"{API}/description-chapters"
    walk = {"description": "0:00 Warm-up\n0:05 Drills\n0:20 Cool-down", "duration_seconds": 25}
    answer = await catalogue_client.post(url, json=walk, headers=admin_headers(settings))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "chapters": [],
        "unused_because": "each chapter must last at least 10 seconds",
    }
    # Before the file is read its length is unknown: any length.
    answer = await catalogue_client.post(
        url,
        json={"description": walk["description"].replace("0:05", "0:10")},
        headers=admin_headers(settings),
    )
    assert [c["title"] for c in answer.json()["chapters"]] == ["Warm-up", "Drills", "Cool-down"]
    assert answer.json()["unused_because"] is None
    refused = await catalogue_client.post(url, json=walk, headers=viewer_headers(settings))
    assert refused.status_code == 403
    too_long = {"description": "x" * 5001}
    refused = await catalogue_client.post(url, json=too_long, headers=admin_headers(settings))
    assert refused.status_code == 400


async def test_a_description_list_wins_until_an_edit_takes_it_away(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(
        catalogue_client,
        settings,
        description=ALBUM,
        duration_seconds=3600,
        chapters=msgspec.to_builtins(FILE),
    )
    url = f"{API}/{item['id']}"
    assert _chapters_of(item) == (ALBUM_CHAPTERS, "description")
    viewed = await catalogue_client.get(url, headers=viewer_headers(settings))
    assert _chapters_of(viewed.json()) == (ALBUM_CHAPTERS, "description"), viewed.text
    await _lists_carry_no_chapters(catalogue_client, viewer_headers(settings))

    # The edit's answer, the event viewers' caches follow and the next read agree: the
    # file's chapters are back.
    async with EventLog.attached(catalogue_client.app.state.backends) as log:
        edit = await catalogue_client.patch(url, json={"description": "Read aloud."}, headers=admin)
        await eventually(lambda: log.about(item["id"], MEDIA_UPDATED), "media.updated")
    assert _chapters_of(edit.json()) == (FILE, "file"), edit.text
    event = msgspec.json.decode(log.about(item["id"], MEDIA_UPDATED)[0].payload)
    assert _chapters_of(event) == (FILE, "file")
    viewed = await catalogue_client.get(url, headers=viewer_headers(settings))
    assert _chapters_of(viewed.json()) == (FILE, "file")

    edit = await catalogue_client.patch(url, json={"description": ALBUM}, headers=admin)
    assert _chapters_of(edit.json()) == (ALBUM_CHAPTERS, "description"), edit.text
    viewed = await catalogue_client.get(url, headers=viewer_headers(settings))
    assert _chapters_of(viewed.json()) == (ALBUM_CHAPTERS, "description")


async def test_a_drafts_description_gives_it_chapters_within_its_length(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings, publish=False, duration_seconds=195)
    url = f"{API}/{item['id']}"
    assert _chapters_of(item) == ([], None)

    # ALBUM's outro starts at 3:10, too near the end of a 195 s video: no chapters.
    edit = await catalogue_client.patch(url, json={"description": ALBUM}, headers=admin)
    assert _chapters_of(edit.json()) == ([], None), edit.text
    shorter = ALBUM.replace("3:10 \u2013 Outro", "3:00 \u2013 Outro")
    edit = await catalogue_client.patch(url, json={"description": shorter}, headers=admin)
    assert [c.title for c in _chapters_of(edit.json())[0]] == [c.title for c in ALBUM_CHAPTERS]
    read = await catalogue_client.get(url, headers=admin)
    assert _chapters_of(read.json())[1] == "description"
    viewer = await catalogue_client.get(url, headers=viewer_headers(settings))
    assert viewer.status_code == 404  # a draft is the library's alone
    await _lists_carry_no_chapters(catalogue_client, admin, "?status=all")


def _chapters_of(item: dict[str, Any]) -> tuple[list[Chapter], str | None]:
    """An item's chapters and where they come from (None: not said)."""
    return msgspec.convert(item["chapters"], list[Chapter]), item.get("chapters_from")


async def _lists_carry_no_chapters(
    client: AppClient, headers: dict[str, str], query: str = ""
) -> None:
    """Lists answer no chapters, nor where they come from: the one item alone does."""
    listed = await client.get(f"{API}/{query}", headers=headers)
    assert listed.json()["items"], listed.text
    for item in listed.json()["items"]:
        assert (item["chapters"], "chapters_from" in item) == ([], False)
