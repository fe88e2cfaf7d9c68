"""``streamstack items stats ITEM [--days N] [--json]``: how a video does, for admins: its
views (ever, and in the last N days) and plays by share links beside them, the time
watched, how far viewers got, likes, comments and share-link opens (page loads), in a few lines of words, then a table of views and time
watched by day (UTC), oldest first; or the server's answer as JSON. Totals only: nobody's
viewing is named.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from streamstack.cli.output import print_json, table
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import AdminApi, server_refused
from streamstack.contracts.limits import STATISTICS_DAYS_DEFAULT, STATISTICS_DAYS_MAX
from streamstack.settings import SettingsError

#: The items action of statistics.
STATS_ACTION = "stats"
DAY_COLUMNS = ("DAY", "VIEWS", "WATCHED")
#: How views and time watched are counted (catalogue/watching.py), as the web Library's
#: Statistics panel says it.
VIEW_RULE = (
    "A view is a signed-in viewer playing it; playing again within an hour of their last"
    " play is the same view. Time watched adds up the time they played it, watching again"
    " included (per view at most 100 % of its length). Share link plays are no views."
)


def check_stats(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2): one
    ITEM, no filters, and 1 to 365 days."""
    if len(args.items) != 1 or query:
        raise SettingsError("items stats: name one ITEM (by its id); filters select none")
    days = args.days
    if days is not None and not 1 <= days <= STATISTICS_DAYS_MAX:
        raise SettingsError(f"items stats: --days is 1 to {STATISTICS_DAYS_MAX}, not {days}")


def run_stats(api: AdminApi, args: argparse.Namespace) -> int:
    """Print the video's statistics (words and a table by day, or JSON); a refusal (no such
    video, not an admin) raises :class:`CommandFailed`, said why."""
    item_id = str(args.items[0])
    days = args.days or STATISTICS_DAYS_DEFAULT
    path = ITEM_PATH.format(id=item_id) + "/statistics"
    response = api.request("GET", path, params={"days": days})
    if response.status_code != 200:
        raise server_refused(response, f"{item_id}")
    stats = response.json()
    if args.json:
        return print_json(stats)
    print("\n".join(summary(stats)))
    rows = [
        (day["date"], f"{day['views']:,}", watch_time(day["watch_seconds"]))
        for day in stats["days"]
    ]
    print(table([DAY_COLUMNS, *rows]))
    return 0


def summary(stats: dict[str, Any]) -> list[str]:
    """The statistics in words, a line each: views, watching, reactions."""
    days = stats["period_days"]
    period = "today" if days == 1 else f"in the last {days} days"
    reached, watched = stats["average_reached"], stats.get("average_watched")
    lines = [
        f"{counted(stats['view_count'], 'view')} in all, {stats['views_in_period']:,} {period}"
        f" · {counted(stats['share_plays'], 'play')} by share links",
        f"{watch_time(stats['watch_seconds_in_period'])} watched {period}"
        + (
            ""
            if watched is None
            else f" · {whole_percent(watched)} % of its length watched per view, on average"
        ),
        f"{counted(stats['viewers'], 'viewer')} · {stats['finished']:,} finished"
        + (
            ""
            if reached is None
            else f" · they stopped at {whole_percent(reached)} % of it, on average"
        ),
        f"{counted(stats['like_count'], 'like')} · {counted(stats['comment_count'], 'comment')}"
        f" · {counted(stats['share_opens'], 'share link open')} (page loads, embeds included)",
        VIEW_RULE,
    ]
    return lines


def whole_percent(share: float) -> int:
    """A share of a video (0 to 1) as a whole percent, halves up: the one rule of every "how
    much of it" (History and the web Library's Statistics panel: ``wholePercent``), where
    :func:`round` rounds halves to even (12.5 to 12, which the SPA shows as 13)."""
    return min(100, max(0, math.floor(share * 100 + 0.5)))


def counted(number: int, noun: str) -> str:
    """``1 view``, ``1,204 views``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def watch_time(seconds: float) -> str:
    """A time watched as a person says it: ``45 s``, ``12 min``, ``3 h 20 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(whole // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours:,} h {minutes} min" if minutes else f"{hours:,} h"
