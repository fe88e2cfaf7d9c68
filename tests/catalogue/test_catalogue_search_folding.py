"""Search folds accents and case on both sides, and forgives a typo only at a word start:
each row of the admin walk's table, on both backends (SQLite's GLOB patterns and FTS5
table, PostgreSQL's regular expressions and trigram indexes).

Searches are an admin's (never cached, never budgeted): each one reads the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from catalogue_testing import admin_headers, create_item

from support.apps import AppClient

API = "/api/v1/catalogue"

TITLES = [
    "Café crème à Paris",
    "Crème brûlée at home",
    "A naïve résumé",
    "Straße der Pariser Kommune",
    "Zürich by night",
    "Team meeting notes",
    "Physics lecture 3",
    "Birthday party",
    "Привет, мир",
    "Αθήνα τη νύχτα",
    "東京タワーの夜景",
    "مرحبا بالعالم",
    "🎉 New year",
]
#: Items holding "zurich" and "naive" as typed, in their descriptions only.
PLAIN = {"Lake day trip": "From Zurich and back", "Plain words": "A naive question"}
#: "extREMEly": "creme" less its "c", inside a longer word.
NOISE = [f"An extremely long title {index}" for index in range(9)]
#: Words that "creme" with its first letter dropped ("reme") or less a letter ("cree")
#: begins: typos of other words.
NEAR = ["A remedy for colds", "Creek walk"]


async def found(client: AppClient, q: str, **params: Any) -> tuple[set[str], int]:
    settings = client.app.state.settings
    r = await client.get(
        f"{API}/", params={"q": q, "page_size": 50, **params}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    return {item["title"] for item in body["items"]}, body["total"]


@pytest.fixture(scope="module")
async def catalogue(module_catalogue_client: AppClient) -> AppClient:
    """Seeded once per module and backend: the tests using it only search."""
    client = module_catalogue_client
    settings = client.app.state.settings
    for title in TITLES + NOISE + NEAR:
        await create_item(client, settings, title=title)
    for title, description in PLAIN.items():
        await create_item(client, settings, title=title, description=description)
    return client


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("cafe", {"Café crème à Paris"}),
        ("resume", {"A naïve résumé"}),
        ("strasse", {"Straße der Pariser Kommune"}),
        ("Zurich", {"Zürich by night", "Lake day trip"}),
        ("naive", {"A naïve résumé", "Plain words"}),
        # One typo on a folded word: with the accent it was two.
        ("zurch", {"Zürich by night", "Lake day trip"}),
        ("naivve", {"A naïve résumé", "Plain words"}),
        ("creme", {"Café crème à Paris", "Crème brûlée at home"}),
        ("CRÈME", {"Café crème à Paris", "Crème brûlée at home"}),
        ("STRAẞE", {"Straße der Pariser Kommune"}),
    ],
)
async def test_accents_and_case_never_decide_a_match(
    catalogue: AppClient, q: str, titles: set[str]
) -> None:
    assert await found(catalogue, q) == (titles, len(titles))


@pytest.mark.parametrize(
    ("q", "first"), [("Zurich", "Zürich by night"), ("naive", "A naïve résumé")]
)
async def test_an_accented_title_word_ranks_as_the_word(
    catalogue: AppClient, q: str, first: str
) -> None:
    """Found in the title tier, above an item holding the word elsewhere (it was found as
    a typo before, ranked below)."""
    settings = catalogue.app.state.settings
    r = await catalogue.get(f"{API}/", params={"q": q}, headers=admin_headers(settings))
    assert next(item["title"] for item in r.json()["items"]) == first


@pytest.mark.parametrize(
    ("q", "title"),
    [
        ("meetng", "Team meeting notes"),
        ("lectrue", "Physics lecture 3"),
        ("birthdy", "Birthday party"),
        ("extremly", NOISE[0]),  # a typo at a word's start is still forgiven
        ("мир", "Привет, мир"),
        ("ПРИВЕТ", "Привет, мир"),
        ("ΑΘΉΝΑ", "Αθήνα τη νύχτα"),
        ("αθηνα", "Αθήνα τη νύχτα"),
        ("東京タワー", "東京タワーの夜景"),
        ("مرحبا", "مرحبا بالعالم"),
        ("🎉", "🎉 New year"),
    ],
)
async def test_typos_and_other_scripts_are_still_found(
    catalogue: AppClient, q: str, title: str
) -> None:
    titles, _ = await found(catalogue, q)
    assert title in titles
    if q != "extremly":
        assert titles == {title}


async def test_titles_sort_without_their_accents(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    for title in ("Zebra", "Éclair", "eagle"):
        await create_item(catalogue_client, settings, title=title)
    r = await catalogue_client.get(f"{API}/", params={"sort": "title"})
    assert [item["title"] for item in r.json()["items"]] == ["eagle", "Éclair", "Zebra"]


async def test_titles_sort_with_their_numbers_by_value(catalogue_client: AppClient) -> None:
    """ "Part 10" after "Part 9" (characters alone put it first), for viewers and admins,
    through a search's tiers too, and after a rename."""
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    items = {}
    for title in ("Part 10", "Part 9", "part 1 of 2", "Part 02b", "Part 100"):
        items[title] = await create_item(catalogue_client, settings, title=title)
    natural = ["part 1 of 2", "Part 02b", "Part 9", "Part 10", "Part 100"]
    for params, headers in (
        ({"sort": "title"}, {}),
        ({"sort": "title", "status": "all"}, admin),
        ({"sort": "title", "q": "part"}, {}),
    ):
        r = await catalogue_client.get(f"{API}/", params=params, headers=headers)
        assert [item["title"] for item in r.json()["items"]] == natural, params
    renamed = await catalogue_client.patch(
        f"{API}/{items['Part 100']['id']}", json={"title": "Part 3"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    r = await catalogue_client.get(f"{API}/", params={"sort": "title"})
    assert [i["title"] for i in r.json()["items"]][2:4] == ["Part 3", "Part 9"]
