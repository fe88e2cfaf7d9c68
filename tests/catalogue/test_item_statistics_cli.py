"""``streamstack items stats``: the real command, in a subprocess, against a served catalogue
(a client: the embedded backends only)."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import httpx
import pytest
from catalogue_testing import API, create_item

from streamstack.cli.statistics import VIEW_RULE, summary, watch_time
from support.apps import bearer, mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


async def test_an_admin_reads_a_videos_statistics(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        item = (await create_item(client, settings, title="Lecture", duration_seconds=100.0))["id"]
        for position in (50.0, 97.0):
            ada = bearer(mint_token(settings, user_id=str(uuid.uuid4())))
            saved = await client.put(
                f"{API}/{item}/progress", json={"position_seconds": position}, headers=ada
            )
            assert saved.status_code == 200, saved.text
        items = CommandLine("items", tmp_path, mint_token(settings, role="admin"))

        code, out, err = await items("stats", item, "--days", "7", "--server", url)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[:5] == [
            "2 views in all, 2 in the last 7 days · 0 plays by share links",
            "0 s watched in the last 7 days · 0 % of its length watched per view, on average",
            "2 viewers · 1 finished · they stopped at 75 % of it, on average",
            "0 likes · 0 comments · 0 share link opens (page loads, embeds included)",
            VIEW_RULE,
        ]
        assert lines[5].split() == ["DAY", "VIEWS", "WATCHED"]
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert len(lines) == 6 + 7 and lines[-1].split() == [today, "2", "0", "s"]
        code, out, err = await items("stats", item, "--json", "--server", url)
        assert code == 0 and json.loads(out)["period_days"] == 30, err
        code, out, err = await items("stats", str(uuid.uuid4()), "--server", url)
        assert code == 4 and out == "" and "HTTP 404" in err, err
        viewer = CommandLine("items", tmp_path, mint_token(settings))
        code, out, err = await viewer("stats", item, "--server", url)
        assert code == 3 and out == "", err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("stats",), "items stats: name one ITEM"),
        (("stats", "ID", "ID2"), "items stats: name one ITEM"),
        (("stats", "ID", "--tag", "x"), "filters select none"),
        (("stats", "not-an-id"), "not an item's id: not-an-id"),
        (("stats", "ID", "--days", "0"), "items stats: --days is 1 to 365, not 0"),
        (("stats", "ID", "--days", "366"), "items stats: --days is 1 to 365, not 366"),
        (("list", "--days", "7"), "items list: --days goes with stats"),
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


def test_watch_time_is_said_as_a_person_says_it() -> None:
    assert [watch_time(s) for s in (0, 44.6, 60, 754, 3600, 12000, 360000)] == [
        "0 s",
        "45 s",
        "1 min",
        "12 min",
        "1 h",
        "3 h 20 min",
        "100 h",
    ]


def test_every_how_much_of_it_rounds_halves_up_as_history_does() -> None:
    # Walk 53 (F3): one viewing read 53 % in History and 54 % in the stats. A whole
    # percent, halves up, as the SPA's Math.round: 12.5 % is 13 %, not 12 (round's even).
    stats = {
        "period_days": 7,
        "view_count": 1,
        "views_in_period": 1,
        "share_plays": 0,
        "watch_seconds_in_period": 1.5,
        "average_watched": 0.125,
        "viewers": 1,
        "finished": 0,
        "average_reached": 0.125,
        "like_count": 0,
        "comment_count": 0,
        "share_opens": 0,
    }
    lines = summary(stats)
    assert lines[1].endswith(" · 13 % of its length watched per view, on average")
    assert lines[2].endswith(" · they stopped at 13 % of it, on average")
