"""``streamstack items share|shares|unshare``: share links, by which someone without an
account watches one published video.

``share ITEM [--expires-in-days N] [--start 1:30]`` makes one and prints the whole link, and
on stderr when it expires, the code that embeds it in another site's page (both starting at
``--start`` when given) and which sites that code works on; ``shares ITEM [--json]`` lists a
video's links, the newest first (live, expired or stopped), with their opens (page loads,
embeds included) and plays (loads whose player started; the JSON carries each one's
``embed_code`` too); ``unshare SHARE_ID`` stops one, so that it no longer works.
"""

from __future__ import annotations

import argparse
import datetime
import html
import sys
from typing import Any

from streamstack.cli.exits import CommandFailed
from streamstack.cli.output import print_json, table
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.scheduling import shown_time
from streamstack.cli.session import AdminApi, failure_of, server_refused
from streamstack.contracts.limits import SHARE_EXPIRY_DAYS_MAX
from streamstack.contracts.moments import moment_text, parse_moment, start_of
from streamstack.settings import SettingsError

#: The items actions of share links.
SHARE_ACTIONS = ("share", "shares", "unshare")
SHARE_COLUMNS = ("ID", "CREATED", "EXPIRES", "OPENS", "PLAYS", "STATE", "MAKER", "LINK")
#: What the two counts mean, under the table: an open is no proof anyone watched.
COUNTS_MEANING = (
    "OPENS counts loads of a link's page or embed, played or not (a blog page with the embed "
    "counts each reader); PLAYS those whose player started playing, once per load"
)
#: The server's setting of the sites that may embed a link's player.
EMBED_SETTING = "STREAMSTACK_EMBED_ANCESTORS"
#: A video's links: made (POST) and listed (GET).
ITEM_SHARES_PATH = ITEM_PATH + "/shares"
#: Where an admin stops a link, by its id.
SHARE_PATH = "/api/v1/catalogue/shares/{id}"


def check_sharing(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2): one id,
    no filters, and an expiry (within 1 to 365 days) and a start time only to ``share``."""
    named = "SHARE_ID" if args.action == "unshare" else "ITEM"
    if len(args.items) != 1 or query:
        raise SettingsError(
            f"items {args.action}: name one {named} (by its id); filters select none"
        )
    if args.start is not None and parse_moment(args.start) is None:
        raise SettingsError(
            f"items share: --start {args.start!r} is not a time: give one such as 1:30, 90 or 1m30s"
        )
    days = args.expires_in_days
    if days is not None and args.action != "share":
        raise SettingsError(f"items {args.action}: --expires-in-days goes with share")
    if days is not None and not 1 <= days <= SHARE_EXPIRY_DAYS_MAX:
        raise SettingsError(
            f"items share: --expires-in-days takes 1 to {SHARE_EXPIRY_DAYS_MAX} days "
            "(leave it out for a link that never expires)"
        )


def run_sharing(api: AdminApi, args: argparse.Namespace) -> int:
    """Do the share-link action ``args`` names; 1 when the server refused it (said why)."""
    target = str(args.items[0])
    if args.action == "share":
        return _share(api, target, args)
    if args.action == "shares":
        response = api.get(ITEM_SHARES_PATH.format(id=target))
        if response.status_code != 200:
            raise _refused(args.action, response)
        listed = response.json()
        links = listed["links"]
        _say_where_embeds_work(listed["embed_sites"])
        if args.json:
            title = _title(api, target) or ""
            links = [
                {**link, "embed_code": link["embed_path"] and embed_code(api.server, link, title)}
                for link in links
            ]
        return _listed(api.server, links, as_json=args.json)
    response = api.request("DELETE", SHARE_PATH.format(id=target))
    if response.status_code != 204:
        raise _refused(args.action, response)
    print("stopped: the link no longer works", file=sys.stderr)
    return 0


def _share(api: AdminApi, target: str, args: argparse.Namespace) -> int:
    """Make a link and print it (its expiry and embed code on stderr), starting at
    ``--start``; 1 when the video is shorter than that (nothing made) or the server refused."""
    title, duration = _facts(api, target)
    start = start_of(args.start, duration)
    if args.start is not None and start is None:
        print(
            f"streamstack: items share: --start {args.start} is past the video's end; "
            "give a time within it",
            file=sys.stderr,
        )
        return 1
    response = api.request(
        "POST",
        ITEM_SHARES_PATH.format(id=target),
        json={"expires_in_days": args.expires_in_days},
    )
    if response.status_code != 201:
        raise _refused(args.action, response)
    link = response.json()
    if args.json:  # as `shares --json` lists it, with the link to hand over
        print_json({**link, "url": full_link(api.server, link, start=start)})
    else:
        print(full_link(api.server, link, start=start))
    print(f"expires: {_expiry(link)}", file=sys.stderr)
    print("Anyone with this link can watch this video without an account.", file=sys.stderr)
    if title is not None and link["embed_path"] is not None:
        print(f"embed: {embed_code(api.server, link, title, start)}", file=sys.stderr)
    listed = api.get(ITEM_SHARES_PATH.format(id=target))
    if listed.status_code == 200:
        _say_where_embeds_work(listed.json()["embed_sites"])
    return 0


def _say_where_embeds_work(sites: list[str]) -> None:
    """On stderr, where the server lets the embed code work (``STREAMSTACK_EMBED_ANCESTORS``):
    nothing when any site may embed it; a blocked frame looks like a server that is down."""
    if "*" in sites:
        return
    if not sites:
        print(
            "embedding is turned off on this server: no other site may embed its videos "
            f"(the server's {EMBED_SETTING} setting)",
            file=sys.stderr,
        )
        return
    named = ", ".join("this server's own pages" if site == "'self'" else site for site in sites)
    print(
        f"the embed code works on: {named}; other sites get a blank frame saying the server "
        f"refused to connect (the server's {EMBED_SETTING} setting)",
        file=sys.stderr,
    )


def full_link(
    server: str, link: dict[str, Any], page: str = "path", start: float | None = None
) -> str:
    """The link to hand over: the server's address and the link's page (``/s/<secret>``;
    ``page="embed_path"``: its embed page, ``/embed/s/<secret>``), at ``start`` seconds."""
    at = "" if start is None else f"?t={moment_text(start)}"
    return f"{server.rstrip('/')}{link[page]}{at}"


def embed_code(server: str, link: dict[str, Any], title: str, start: float | None = None) -> str:
    """The ``<iframe>`` another site's page embeds the link's player with (starting at
    ``start`` seconds), titled for screen readers, full screen and picture-in-picture allowed
    (the SPA's Embed gives the same)."""
    src = html.escape(full_link(server, link, "embed_path", start), quote=True)
    return (
        f'<iframe src="{src}" width="640" height="360" title="{html.escape(title, quote=True)}" '
        'style="border:0" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>'
    )


def _title(api: AdminApi, item_id: str) -> str | None:
    """The video's title (None when it cannot be read: the link was made all the same)."""
    return _facts(api, item_id)[0]


def _facts(api: AdminApi, item_id: str) -> tuple[str | None, float | None]:
    """The video's title and duration (None when unknown or it cannot be read)."""
    response = api.get(ITEM_PATH.format(id=item_id))
    if response.status_code != 200:
        return None, None
    item = response.json()
    return str(item["title"]), item.get("duration_seconds")


def link_state(link: dict[str, Any], now: datetime.datetime | None = None) -> str:
    """``live``, ``expired``, ``stopped`` (an admin stopped it: said over its expiry) or
    ``withdrawn`` (stopped as its maker is no longer an admin)."""
    if link["revoked_at"] is not None:
        return "withdrawn" if link.get("revoked_reason") == "maker_no_longer_admin" else "stopped"
    expires = link["expires_at"]
    now = now or datetime.datetime.now(datetime.UTC)
    if expires is not None and datetime.datetime.fromisoformat(expires) <= now:
        return "expired"
    return "live"


def _expiry(link: dict[str, Any]) -> str:
    return "never" if link["expires_at"] is None else shown_time(link["expires_at"])


def _listed(server: str, links: list[dict[str, Any]], *, as_json: bool) -> int:
    """Print ``links`` as a table (or the server's JSON); the count on stderr."""
    if as_json:
        return print_json(links)
    rows = [
        (
            link["id"],
            shown_time(link["created_at"]),
            _expiry(link),
            f"{link['opens']:,}",
            f"{link['plays']:,}",
            link_state(link),
            link["created_by_name"] or f"({link['created_by'][:8]})",
            full_link(server, link),
        )
        for link in links
    ]
    if rows:
        print(table([SHARE_COLUMNS, *rows]))
        print(COUNTS_MEANING, file=sys.stderr)
    print(f"streamstack: {len(links)} share link{'' if len(links) == 1 else 's'}", file=sys.stderr)
    return 0


def _refused(action: str, response: Any) -> CommandFailed:
    """Why the server refused, in the words of the thing named when it has none (404)."""
    if response.status_code == 404:
        what = "share link" if action == "unshare" else "video"
        return CommandFailed(f"no such {what}", failure_of(response))
    return server_refused(response)
