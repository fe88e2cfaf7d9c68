"""A number is not a typo of another number: "Under-12" finds the under-12 team's videos,
none of the under-14's, on both backends (SQLite's GLOB patterns and FTS5 table,
PostgreSQL's regular expressions and trigram indexes).

A word holding a digit matches only as typed (no typo forgiven), and a word beginning
with one only where a number begins: "12" finds "12", "12th", "U12" and "120" (typing
a number finds it as it grows), not "#412" or "2012". Words of letters still forgive a
typo, but one of its last letter (dropped, or another in its place) only as a whole word:
"goals" finds "goal" and "goals", not "Goalkeeper" ("goal?" at a word's start). The walk
that found them: an admin's "Select all 28 matching" for "Under-12" held 16 "Under-14"
videos, "goals" 18 "Goalkeeper" titles (finding F2 of walk 40).
"""

from __future__ import annotations

import pytest
from catalogue_testing import create_item
from test_catalogue_search_folding import found

from support.apps import AppClient

#: The walk's titles and descriptions, numbers that hold "12" inside them included.
UNDER_12 = [f"Under-12 vs Oakwood - 2021 #{n}" for n in (340, 355, 371)]
UNDER_14 = [f"Under-14 vs Ashford - 2019 #{n}" for n in (412, 1012, 512)]
OTHERS = {
    "U12 cup final 2024": "Penalties at the end.",
    "Seniors vs Kingsbridge - 2022 #317": "Archive entry 317.",
    "Team meeting notes": "Plans for 2025.",
    "Goalkeeper training": "Hands up.",
    "Season goals": "Every one of them.",
    "A late goal": "In the rain.",
    "Tournament day": "All of it.",
}


@pytest.fixture
async def catalogue(catalogue_client: AppClient) -> AppClient:
    settings = catalogue_client.app.state.settings
    for title in UNDER_12:
        number = title.rsplit("#", 1)[1]
        description = f"Under-12 game against Oakwood. Archive entry {number}."
        await create_item(catalogue_client, settings, title=title, description=description)
    for title in UNDER_14:
        number = title.rsplit("#", 1)[1]
        description = f"Under-14 game against Ashford. Archive entry {number}."
        await create_item(catalogue_client, settings, title=title, description=description)
    for title, description in OTHERS.items():
        await create_item(catalogue_client, settings, title=title, description=description)
    return catalogue_client


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("Under-12", set(UNDER_12)),
        ("under 12", set(UNDER_12)),
        ("Under-14", set(UNDER_14)),
        ("under12", set()),
        ("U12", {"U12 cup final 2024"}),
        ("#317", {"Seniors vs Kingsbridge - 2022 #317"}),
        ("317", {"Seniors vs Kingsbridge - 2022 #317"}),
        ("#31", {"Seniors vs Kingsbridge - 2022 #317"}),  # typed so far
        ("2024", {"U12 cup final 2024"}),
        ("2025", {"Team meeting notes"}),
        ("2019", set(UNDER_14)),
        ("#1012", {UNDER_14[1]}),
        ("12", {*UNDER_12, "U12 cup final 2024"}),
    ],
)
async def test_a_number_is_found_only_as_typed(
    catalogue: AppClient, q: str, titles: set[str]
) -> None:
    assert await found(catalogue, q) == (titles, len(titles))


@pytest.mark.parametrize(
    ("q", "title"),
    [("meetng", "Team meeting notes"), ("Kingsbrige", "Seniors vs Kingsbridge - 2022 #317")],
)
async def test_a_word_of_letters_still_forgives_a_typo(
    catalogue: AppClient, q: str, title: str
) -> None:
    assert await found(catalogue, q) == ({title}, 1)


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("goals", {"Season goals", "A late goal"}),
        ("goalz", {"Season goals", "A late goal"}),
        ("tournaments", {"Tournament day"}),
        ("goalkeepr", {"Goalkeeper training"}),
        ("goal", {"Season goals", "A late goal", "Goalkeeper training"}),  # typed so far
    ],
)
async def test_a_typo_of_the_last_letter_is_forgiven_in_a_whole_word_only(
    catalogue: AppClient, q: str, titles: set[str]
) -> None:
    assert await found(catalogue, q) == (titles, len(titles))
