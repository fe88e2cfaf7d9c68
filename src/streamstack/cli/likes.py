"""``streamstack items like|unlike|liked``: like a video or stop liking it (printing how
many people like it now), and list the videos one liked, the most recently liked first,
a page at a time, for anyone signed in (viewers too).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from streamstack.catalogue.schemas import MAX_PAGE
from streamstack.cli.output import print_json, table
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import AdminApi, server_refused
from streamstack.settings import SettingsError

#: The items actions of likes.
LIKE_ACTIONS = ("like", "unlike", "liked")
#: The caller's liked videos (GET, ``?page=``).
LIKED_PATH = "/api/v1/catalogue/me/likes"
LIKED_COLUMNS = ("TITLE", "LIKED", "ID")
#: Liked videos a page of ``items liked`` lists (the API's default page).
LIKED_PAGE_SIZE = 20
NONE_LIKED = "You have not liked any videos yet."


def check_liking(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2): one
    ITEM to like or unlike, none to list, and no filters."""
    if query:
        raise SettingsError(f"items {args.action}: filters select none")
    if args.action == "liked":
        if args.items:
            raise SettingsError("items liked: lists your liked videos; name no ITEM")
        if args.page is not None and not 1 <= args.page <= MAX_PAGE:
            raise SettingsError(f"items liked: --page is 1 to {MAX_PAGE}, not {args.page}")
    elif len(args.items) != 1:
        raise SettingsError(f"items {args.action}: name one ITEM (by its id)")


def run_liking(api: AdminApi, args: argparse.Namespace) -> int:
    """Do the like action ``args`` names; a refusal (no such video) raises
    :class:`CommandFailed`, said why."""
    if args.action == "liked":
        return _listed(api, args.page or 1, as_json=args.json)
    item_id = str(args.items[0])
    method = "PUT" if args.action == "like" else "DELETE"
    response = api.request(method, ITEM_PATH.format(id=item_id) + "/like")
    if response.status_code != 200:
        raise server_refused(response, f"{item_id}")
    liking = response.json()
    if args.json:
        return print_json(liking)
    count = liking["like_count"]
    state = "liked" if liking["liked"] else "not liked"
    print(f"{state} ({count:,} like{'' if count == 1 else 's'})")
    return 0


def _listed(api: AdminApi, page: int, *, as_json: bool) -> int:
    """Print one page of the caller's liked videos as a table (or JSON); how many on stderr."""
    params = {"page": page, "page_size": LIKED_PAGE_SIZE}
    response = api.request("GET", LIKED_PATH, params=params)
    if response.status_code != 200:
        raise server_refused(response)
    answer = response.json()
    if as_json:
        return print_json(answer)
    rows, total = answer["items"], answer["total"]
    if not total:
        print(f"streamstack: {NONE_LIKED}", file=sys.stderr)
        return 0
    first = (page - 1) * LIKED_PAGE_SIZE
    plural = "" if total == 1 else "s"
    if not rows:  # past the last page
        pages = -(-total // LIKED_PAGE_SIZE)
        print(
            f"streamstack: no page {page}: {total:,} liked video{plural} fill"
            f" {pages} page{'' if pages == 1 else 's'}",
            file=sys.stderr,
        )
        return 0
    print(table([LIKED_COLUMNS, *(_row(row) for row in rows)]))
    shown = f"{first + 1:,} to {first + len(rows):,} of "
    more = f" (--page {page + 1} for more)" if first + len(rows) < total else ""
    print(f"streamstack: {shown}{total:,} liked video{plural}{more}", file=sys.stderr)
    return 0


def _row(row: dict[str, Any]) -> tuple[str, ...]:
    """One liked video's cells, in the order of :data:`LIKED_COLUMNS`."""
    when = row["liked_at"][:16].replace("T", " ")
    return (row["item"]["title"], when, row["item"]["id"])
