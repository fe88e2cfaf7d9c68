"""An item's chapters: its description's when it lists them as YouTube reads them, else its
file's; in every answer about the one item (the player, the CLI and the API read the same)."""

from __future__ import annotations

import pytest
from catalogue_testing import API, admin_headers, create_item, viewer_headers

from streamstack.catalogue.chapters import chapters_in, item_chapters
from streamstack.contracts.limits import CHAPTER_TITLE_MAX
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


def test_lines_ending_with_one_bullets_and_hours_too() -> None:
    text = "• Opening 00:00\r\n• Main act - 0:59:30\r\n• Credits (1:02:03)"
    assert chapters_in(text, 4000) == [
        Chapter(0.0, "Opening"),
        Chapter(3570.0, "Main act"),
        Chapter(3723.0, "Credits"),
    ]


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("0:05 Intro\n1:00 Middle\n2:00 End", 300),  # not from 0:00
        ("0:00 Intro\n1:00 End", 300),  # fewer than three
        ("0:00 Intro\n2:00 End\n1:00 Middle", 300),  # out of order
        ("0:00 Intro\n0:05 Blink\n1:00 End", 300),  # a chapter under ten seconds
        ("0:00 Intro\n1:00 Middle\n4:55 End", 300),  # the last under ten seconds
        ("0:00 Intro\n1:00 Middle\n6:00 End", 300),  # one past the end
        ("The chorus at 1:23 and again at 2:40, from 0:00.", 300),  # running text
        ("0:00\n1:00\n2:00", 300),  # bare timestamps with no title
        ("0:00 A\n1:75 B\n2:00 C", 300),  # not a time
        ("", 300),
        (None, 300),
    ],
)
def test_timestamps_that_make_no_chapter_list_give_none(text: str | None, duration: int) -> None:
    assert chapters_in(text, duration) == []


def test_any_length_when_the_videos_is_unknown() -> None:
    assert len(chapters_in("0:00 A\n0:10 B\n0:20 C", None)) == 3


def test_a_title_is_one_line_within_the_contracts_length() -> None:
    text = f"0:00 Tab\there\n0:10 {'x' * 300}\n0:20 Bell\x07rang"
    titles = [c.title for c in chapters_in(text, None)]
    assert titles == ["Tab here", "x" * CHAPTER_TITLE_MAX, "Bell rang"]


def test_the_description_is_the_uploaders_word_over_the_files() -> None:
    assert item_chapters(ALBUM, 240, FILE) == ALBUM_CHAPTERS
    assert item_chapters("An audiobook.", 3600, FILE) == FILE
    assert item_chapters(None, 3600, []) == []


async def test_an_item_answers_its_descriptions_chapters(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    item = await create_item(catalogue_client, settings, description=ALBUM, duration_seconds=240)
    r = await catalogue_client.get(f"{API}/{item['id']}", headers=viewer_headers(settings))
    assert r.status_code == 200, r.text
    assert [c["title"] for c in r.json()["chapters"]] == [c.title for c in ALBUM_CHAPTERS]
    # An edit of the description is an edit of the chapters; lists carry none.
    r = await catalogue_client.patch(
        f"{API}/{item['id']}",
        json={"description": "No more chapters."},
        headers=admin_headers(settings),
    )
    assert r.status_code == 200, r.text
    assert r.json()["chapters"] == []
    listed = await catalogue_client.get(f"{API}/", headers=viewer_headers(settings))
    assert all(i["chapters"] == [] for i in listed.json()["items"])
