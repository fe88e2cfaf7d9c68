"""Finding videos on both backend kinds: the tag list with counts, and sorting by duration
both ways (issue 16.4, backend)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalogue_testing import API, admin_headers, create_item, viewer_headers
from sqlalchemy import text, update

from streamstack.catalogue.items import series_numbers, title_key
from streamstack.catalogue.models import MediaItemRow
from streamstack.catalogue.repository import reading
from support.apps import AppClient


async def tags(client: AppClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    r = await client.get(f"{API}/tags", headers=headers or {}, params=params)
    assert r.status_code == 200, r.text
    return r.json()["tags"]


async def test_tags_with_counts_of_what_the_caller_may_see(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    await create_item(catalogue_client, settings, tags=["Nature", "slow tv"])
    await create_item(catalogue_client, settings, tags=["nature"])
    await create_item(catalogue_client, settings, tags=["nature", "news"], publish=False)
    await create_item(catalogue_client, settings, tags=["codec"], playable=False)
    await create_item(catalogue_client, settings, tags=["music"])

    public = [{"tag": "nature", "count": 2}, {"tag": "music", "count": 1}]
    public.append({"tag": "slow tv", "count": 1})
    assert await tags(catalogue_client) == public
    assert await tags(catalogue_client, viewer_headers(settings)) == public
    assert await tags(catalogue_client, admin_headers(settings)) == [
        {"tag": "nature", "count": 3},
        {"tag": "codec", "count": 1},
        {"tag": "music", "count": 1},
        {"tag": "news", "count": 1},
        {"tag": "slow tv", "count": 1},
    ]
    # Suggestions as a filter is typed: a prefix, case and spaces as stored.
    assert await tags(catalogue_client, prefix=" S") == [{"tag": "slow tv", "count": 1}]
    assert await tags(catalogue_client, prefix="n") == [{"tag": "nature", "count": 2}]
    assert await tags(catalogue_client, prefix="%") == []
    assert await tags(catalogue_client, prefix="_") == []
    assert await tags(catalogue_client, limit=1) == [{"tag": "nature", "count": 2}]


async def test_bad_tag_list_parameters_are_400(catalogue_client: AppClient) -> None:
    for params in (
        {"limit": 0},
        {"limit": 501},
        {"limit": "many"},
        {"prefix": "x" * 41},
        {"prefix": "a\nb"},
    ):
        r = await catalogue_client.get(f"{API}/tags", params=params)
        assert r.status_code == 400, (params, r.text)
        assert set(r.json()) == {"status", "code", "detail", "request_id"}


async def test_sort_by_duration_both_ways(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    made = {
        length: (await create_item(catalogue_client, settings, duration_seconds=length))["id"]
        for length in (30.0, 5.0, 600.0)
    }
    unknown = (await create_item(catalogue_client, settings, duration_seconds=None))["id"]

    async def order(sort: str) -> list[str]:
        r = await catalogue_client.get(f"{API}/", params={"sort": sort})
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    shortest = [made[5.0], made[30.0], made[600.0], unknown]
    assert await order("shortest") == shortest
    assert await order("duration") == shortest
    assert await order("longest") == [made[600.0], made[30.0], made[5.0], unknown]
    r = await catalogue_client.get(f"{API}/", params={"sort": "-duration"})
    assert r.status_code == 400


async def related(
    client: AppClient, item_id: str, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    """The titles ``GET /{item_id}/related`` answers, in order."""
    r = await client.get(f"{API}/{item_id}/related", headers=headers or {}, params=params)
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]]


async def test_related_items_share_tags_first_then_the_most_viewed(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    watched = await create_item(
        catalogue_client, settings, title="Watched", tags=["nature", "birds"]
    )
    await create_item(catalogue_client, settings, title="One tag", tags=["nature"])
    await create_item(catalogue_client, settings, title="Both tags", tags=["birds", "nature"])
    await create_item(catalogue_client, settings, title="Quiet", tags=["news"])
    popular = await create_item(catalogue_client, settings, title="Popular", tags=[])
    draft = await create_item(
        catalogue_client, settings, title="Draft", tags=["nature"], publish=False
    )
    await create_item(
        catalogue_client, settings, title="Unplayable", tags=["birds"], playable=False
    )
    for _ in range(2):  # two viewers play it: two views
        saved = await catalogue_client.put(
            f"{API}/{popular['id']}/progress",
            json={"position_seconds": 3},
            headers=viewer_headers(settings),
        )
        assert saved.status_code == 200, saved.text

    expected = ["Both tags", "One tag", "Popular", "Quiet"]
    assert await related(catalogue_client, watched["id"]) == expected
    assert await related(catalogue_client, watched["id"], viewer_headers(settings)) == expected
    assert await related(catalogue_client, watched["id"], limit=3) == expected[:3]
    assert await related(catalogue_client, watched["id"], limit=1) == ["Both tags"]
    # An admin looking at a draft is shown what viewers could watch after it: one tag
    # shared by three, unviewed, the newest first.
    after_draft = await related(catalogue_client, draft["id"], admin_headers(settings))
    assert after_draft == ["Both tags", "One tag", "Watched", "Popular", "Quiet"]


async def set_views(client: AppClient, views: dict[str, int]) -> None:
    """Give items (by id) these view counts."""
    async with client.app.state.backends.database.session() as session, session.begin():
        for item_id, count in views.items():
            await session.execute(
                update(MediaItemRow)
                .where(MediaItemRow.id == uuid.UUID(item_id))
                .values(view_count=count)
            )


async def create_titled(client: AppClient, titles: list[str]) -> dict[str, str]:
    """Items of these titles (the default tags), created in order: their ids by title."""
    settings = client.app.state.settings
    return {title: (await create_item(client, settings, title=title))["id"] for title in titles}


async def unpublish(client: AppClient, item_id: str) -> None:
    """Make an item a draft again, as an admin does."""
    admin = admin_headers(client.app.state.settings)
    hidden = await client.patch(f"{API}/{item_id}", json={"status": "draft"}, headers=admin)
    assert hidden.status_code == 200, hidden.text


async def test_up_next_of_a_numbered_series_is_its_next_number(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    titles = ["Episode 1", "Episode 2", "Episode 3", "Episode 3 (bonus)", "Episode 5"]
    titles += ["Episode 9", "Episode 10", "Episode 11", "Episode 12", "Episode 20"]
    titles += ["Episode 100", "Episodes 4", "Part 1 of 3", "Part 2 of 3", "Season 2 Episode 3"]
    titles += ["Season 2 Episode 4", "Season 3 Episode 3", "Part 3 of 3", "Lecture 09"]
    titles += ["Lecture 10", "Lecture 11", "Plain"]
    made = await create_titled(catalogue_client, titles)
    # Episode 3 the least viewed of all: tags and views alone rank it last.
    await set_views(catalogue_client, {item_id: 10 for item_id in made.values()})
    await set_views(catalogue_client, {made["Episode 3"]: 0, made["Plain"]: 50})

    after_2 = await related(catalogue_client, made["Episode 2"], limit=8)
    assert after_2[0] == "Episode 3"
    assert len(after_2) == 8 and after_2.count("Episode 3") == 1
    assert await related(
        catalogue_client, made["Episode 2"], viewer_headers(settings), limit=1
    ) == ["Episode 3"]
    # The smallest greater number, whatever the gap; the same words around it alone.
    assert (await related(catalogue_client, made["Episode 3"]))[0] == "Episode 5"
    assert (await related(catalogue_client, made["Episode 12"]))[0] == "Episode 20"
    assert (await related(catalogue_client, made["Part 1 of 3"]))[0] == "Part 2 of 3"
    assert (await related(catalogue_client, made["Lecture 09"]))[0] == "Lecture 10"
    # A title's last number counts first.
    season_2 = await related(catalogue_client, made["Season 2 Episode 3"])
    assert season_2[0] == "Season 2 Episode 4"
    # The last of a series, and a title without a number, keep the shared ranking.
    assert (await related(catalogue_client, made["Episode 100"]))[0] == "Plain"
    assert (await related(catalogue_client, made["Part 3 of 3"]))[0] == "Plain"
    # Only what a viewer can play: an unpublished next episode is passed over.
    await unpublish(catalogue_client, made["Episode 3"])
    assert (await related(catalogue_client, made["Episode 2"]))[0] == "Episode 5"


def test_a_subtitle_after_a_titles_number_is_no_part_of_its_series() -> None:
    lecture = series_numbers(title_key("Lecture 1: Test patterns"))
    assert [(n.prefix, n.words, n.unnumbered, n.subtitled) for n in lecture] == [
        ("lecture ", ("",), "lecture ", True)
    ]
    # The season's number: its words up to the subtitle.
    season = series_numbers(title_key("Season 1 Episode 10 \N{EN DASH} Finale"))
    assert [(n.words, n.subtitled) for n in season] == [(("",), True), ((" episode ", ""), True)]
    # A number inside the words, and "1.2", "10:30" (no subtitle after): matched whole.
    assert [n.words for n in series_numbers("part 2 of the talk")] == [(" of the talk",)]
    assert not any(n.subtitled for n in series_numbers("episode 3 (bonus)"))
    assert [n.words for n in series_numbers("at 10:30 sharp")] == [(" sharp",), (":", " sharp")]


async def test_up_next_of_subtitled_episodes_is_the_next_number_whatever_its_subtitle(
    catalogue_client: AppClient,
) -> None:
    # The outside tester's titles (walk 53, F7): each episode has its own subtitle.
    titles = ["Demo 1: alpha", "Demo 2: beta", "Demo 3: gamma", "Lecture 1: Test patterns"]
    titles += ["Lecture 2 \N{EN DASH} Colour bars", "Lecture 5: Chapters and odd sizes"]
    titles += ["Part 1 of the talk", "Part 2 of the chat", "Part 3 of the talk"]
    titles += ["Season 1 Episode 10: Finale", "Season 2 Episode 1 | Pilot", "Release 1.2"]
    titles += ["Release 1.3. Notes", "Episode 2", "Episode 3 (bonus)", "Episode 4 - Heist"]
    made = await create_titled(catalogue_client, [*titles, "Plain"])
    # The last ones the most viewed: tags and views alone rank them first.
    await set_views(catalogue_client, {made["Demo 3: gamma"]: 40, made["Plain"]: 50})
    await set_views(catalogue_client, {made["Lecture 5: Chapters and odd sizes"]: 30})

    async def up_next(title: str) -> str:
        return (await related(catalogue_client, made[title], limit=1))[0]

    assert await up_next("Demo 1: alpha") == "Demo 2: beta"
    assert await up_next("Demo 2: beta") == "Demo 3: gamma"
    assert await up_next("Lecture 1: Test patterns") == "Lecture 2 \N{EN DASH} Colour bars"
    assert await up_next("Season 1 Episode 10: Finale") == "Season 2 Episode 1 | Pilot"
    assert await up_next("Release 1.2") == "Release 1.3. Notes"
    # A title ending at its number is followed by a subtitled one, not by other words.
    assert await up_next("Episode 2") == "Episode 4 - Heist"
    # A number inside the words: those words, exactly, as before.
    assert await up_next("Part 1 of the talk") == "Part 3 of the talk"
    # The last of a series keeps the shared ranking.
    assert await up_next("Demo 3: gamma") == "Plain"


async def test_up_next_after_a_seasons_last_episode_is_the_next_seasons_first(
    catalogue_client: AppClient,
) -> None:
    # Season 2 of "Show" lacks its first episode; "Show S02E10" has S01E10's words and
    # last number, "Show S02E" and "Show S02E02 extra" other words.
    titles = ["Show S01E01", "Show S01E02", "Show S01E04", "Show S01E10", "Show S02E"]
    titles += ["Show S02E02 extra", "Show S02E02", "Show S02E03", "Show S02E10", "Show S03E01"]
    titles += ["Season 1 Episode 9", "Season 1 Episode 10", "Season 2 Episode 2"]
    titles += ["Season 2 Episode 1", "Trek 1x12", "Trek 2x03", "Trek 2x01", "Trek 3x01"]
    titles += ["Élan S01E05", "ELAN s02e01", "Plain"]
    made = await create_titled(catalogue_client, titles)
    await set_views(catalogue_client, {made["Plain"]: 50})

    async def up_next(title: str) -> str:
        return (await related(catalogue_client, made[title], limit=1))[0]

    # Within a season, the smallest greater episode, as before.
    assert await up_next("Show S01E02") == "Show S01E04"
    assert await up_next("Show S01E04") == "Show S01E10"
    assert await up_next("Show S02E03") == "Show S02E10"
    # After a season's last, the next season's first, whatever its first's number.
    assert await up_next("Show S01E10") == "Show S02E02"
    assert await up_next("Show S02E10") == "Show S03E01"
    assert await up_next("Season 1 Episode 10") == "Season 2 Episode 1"
    assert await up_next("Trek 1x12") == "Trek 2x01"
    assert await up_next("Trek 2x03") == "Trek 3x01"
    # Spellings folded as titles are: case and accents.
    assert await up_next("Élan S01E05") == "ELAN s02e01"
    # The last of a series keeps the shared ranking.
    assert await up_next("Show S03E01") == "Plain"
    # Only what a viewer can play: a draft first episode of a season is passed over.
    await unpublish(catalogue_client, made["Show S02E02"])
    assert await up_next("Show S01E10") == "Show S02E03"


async def test_up_next_is_the_next_episode_the_viewer_has_not_finished(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    titles = ["Tale S01E01", "Tale S01E02", "Tale S01E03", "Tale S01E04", "Tale S02E01"]
    made = await create_titled(catalogue_client, [*titles, "Tale S02E02", "Other"])
    await set_views(catalogue_client, {made["Other"]: 50})
    # Never offered, though nobody finished it: a draft.
    await unpublish(catalogue_client, made["Tale S01E04"])
    me, someone = viewer_headers(settings), viewer_headers(settings)
    admin = admin_headers(settings, user_id=str(uuid.uuid4()))

    async def finish(headers: dict[str, str], *finished: str) -> None:
        for title in finished:
            saved = await catalogue_client.put(
                f"{API}/{made[title]}/progress", json={"position_seconds": 12.5}, headers=headers
            )
            assert (saved.status_code, saved.json()["completed"]) == (200, True), saved.text

    async def up_next(headers: dict[str, str] | None, title: str = "Tale S01E01") -> str:
        return (await related(catalogue_client, made[title], headers, limit=1))[0]

    await finish(me, "Tale S01E02")
    assert await up_next(me) == "Tale S01E03"
    # Everyone else, signed in or not, is offered the plain next one.
    for headers in (None, someone, admin):
        assert await up_next(headers) == "Tale S01E02"
    # Past the season's last (and the draft), into the next season.
    await finish(me, "Tale S01E03")
    assert await up_next(me) == "Tale S02E01"
    await finish(me, "Tale S02E01")
    assert await up_next(me) == "Tale S02E02"
    # The offered one moved first; the rest keep their order, what they finished last.
    offered = await related(catalogue_client, made["Tale S01E01"], me)
    assert offered[:2] == ["Tale S02E02", "Other"]
    assert set(offered[2:]) == {"Tale S01E02", "Tale S01E03", "Tale S02E01"}
    # Every following one finished: the plain next one, to watch again.
    await finish(me, "Tale S02E02")
    assert await up_next(me) == "Tale S01E02"
    assert await up_next(me, "Tale S01E02") == "Tale S01E03"
    # An admin is a viewer here too: what they finished is skipped, drafts never offered.
    await finish(admin, "Tale S01E02", "Tale S01E03")
    assert await up_next(admin) == "Tale S02E01"


async def test_related_items_of_what_the_caller_may_not_see_are_404(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    draft = await create_item(catalogue_client, settings, tags=["nature"], publish=False)
    for item_id, headers in (
        (draft["id"], viewer_headers(settings)),
        (draft["id"], {}),
        ("6f1c7f34-0000-4000-8000-000000000000", admin_headers(settings)),
    ):
        r = await catalogue_client.get(f"{API}/{item_id}/related", headers=headers)
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), r.text
    for params in ({"limit": 0}, {"limit": 25}, {"limit": "few"}):
        r = await catalogue_client.get(f"{API}/{draft['id']}/related", params=params)
        assert r.status_code == 400, (params, r.text)


async def test_what_a_viewer_watched_to_the_end_comes_last_for_them(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    now = await create_item(catalogue_client, settings, title="Now", tags=["birds"])
    made = {
        title: (await create_item(catalogue_client, settings, title=title, tags=tags))["id"]
        for title, tags in (
            ("Finished", ["birds"]),
            ("Half seen", ["birds"]),
            ("Unseen", ["birds"]),
            ("Elsewhere", []),
        )
    }
    me, someone = viewer_headers(settings), viewer_headers(settings)

    async def watch(headers: dict[str, str], title: str, position: float) -> None:
        saved = await catalogue_client.put(
            f"{API}/{made[title]}/progress", json={"position_seconds": position}, headers=headers
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["completed"] is (position == 12.5)  # the item's whole length

    await watch(someone, "Finished", 3.0)
    for title, position in (("Finished", 12.5), ("Half seen", 5.0), ("Elsewhere", 12.5)):
        await watch(me, title, position)

    # For everyone: the most viewed of those sharing a tag first, then the most viewed other.
    everyone = ["Finished", "Half seen", "Unseen", "Elsewhere"]
    assert await related(catalogue_client, now["id"]) == everyone
    assert await related(catalogue_client, now["id"], someone) == everyone
    # For the viewer, what they finished comes after the rest, in the same order.
    mine = ["Half seen", "Unseen", "Finished", "Elsewhere"]
    assert await related(catalogue_client, now["id"], me) == mine
    assert await related(catalogue_client, now["id"], me, limit=2) == mine[:2]
    # Up next (one item) is not the one they just finished, though everyone's first.
    assert await related(catalogue_client, now["id"], me, limit=1) == ["Half seen"]


async def test_an_item_sharing_more_tags_wins_over_a_crowd_sharing_one(
    catalogue_client: AppClient,
) -> None:
    # Candidates are each tag's most viewed few (4 per item asked for): the crowd of seven
    # "a" items fills its four by walking the most-viewed order, and the one "b" item is
    # found among its tag's own items. The oldest item, sharing both, still comes first.
    settings = catalogue_client.app.state.settings
    both = await create_item(catalogue_client, settings, title="Both", tags=["a", "b"])
    for number in range(7):
        await create_item(catalogue_client, settings, title=f"Crowd {number}", tags=["a"])
    now = await create_item(catalogue_client, settings, title="Now", tags=["a", "b"])

    assert await related(catalogue_client, now["id"], limit=1) == ["Both"]
    assert await related(catalogue_client, now["id"], limit=3) == ["Both", "Crowd 6", "Crowd 5"]
    assert await related(catalogue_client, both["id"], limit=2) == ["Now", "Crowd 6"]


#: PostgreSQL planner settings that leave it one kind of join (SQLite has only nested loops).
JOINS = {
    "as planned": (),
    "hash": ("enable_nestloop", "enable_mergejoin"),
    "merge": ("enable_nestloop", "enable_hashjoin"),
}


@pytest.mark.parametrize("joins", JOINS)
async def test_each_tags_candidates_are_its_most_viewed_whatever_the_join(
    catalogue_client: AppClient, joins: str
) -> None:
    # Asked for one item, each tag offers its 4 most viewed. The most viewed of the tag has
    # the highest id: a join that reads the tag's items in id order (PostgreSQL's hash or
    # merge join, which it picks for large catalogues) would offer the 4 lowest instead,
    # unless the walk orders its rows again.
    settings = catalogue_client.app.state.settings
    database = catalogue_client.app.state.backends.database
    now = await create_item(catalogue_client, settings, title="Now", tags=["a"])
    views = {}
    for number in range(8):
        item_id = uuid.UUID(int=(number + 1) << 64)
        await create_item(
            catalogue_client, settings, id=str(item_id), title=f"A {number}", tags=["a"]
        )
        views[item_id] = 10 + number
    async with database.session() as session, session.begin():
        for item_id, count in views.items():
            await session.execute(
                update(MediaItemRow).where(MediaItemRow.id == item_id).values(view_count=count)
            )
    async with reading(database) as store:
        if store.items.session.get_bind().dialect.name == "postgresql":
            for setting in JOINS[joins]:
                await store.items.session.execute(text(f"SET LOCAL {setting} = off"))
        rows = await store.items.related(uuid.UUID(now["id"]), 1)
    assert [row.title for row in rows] == ["A 7"]
