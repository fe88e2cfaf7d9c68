"""``streamstack items schedule ITEM WHEN``: set when a draft goes public (``--cancel``:
no longer), as the library's Schedule control does. WHEN is RFC 3339
(``2026-03-02T09:00:00+01:00``) or a time of this machine's zone (``2026-03-02 09:00``);
it is sent as an instant, and the server keeps it in UTC.

Whether the time may be set (a future one, on a draft) is the server's to say: what it
refuses is said in its own words, and nothing changes.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import uuid
from typing import Any

from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import AdminApi, server_refused
from streamstack.settings import SettingsError


def item_or_word(text: str) -> uuid.UUID | str:
    """A positional argument of ``items``: an item's id, or (``schedule``'s WHEN) a word."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return text


def publish_time(text: str, command: str = "items schedule") -> datetime.datetime:
    """The instant WHEN names: RFC 3339 with its offset, or a date and time without one,
    read in this machine's time zone; a :class:`SettingsError` (exit 2) for anything else,
    said as ``command``'s."""
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(
            f"{command}: {text!r} is no time: give RFC 3339 "
            "(2026-03-02T09:00:00+01:00) or a local YYYY-MM-DD HH:MM"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def shown_time(text: str | None) -> str:
    """An instant the API answered, in this machine's time zone (``-`` for none), to the
    minute unless it has seconds (17:49:41 is not 17:49)."""
    if text is None:
        return "-"
    when = datetime.datetime.fromisoformat(text).astimezone()
    return when.strftime("%Y-%m-%d %H:%M:%S" if when.second else "%Y-%m-%d %H:%M")


def check_schedule(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse a schedule the command line cannot mean (a :class:`SettingsError`, exit 2):
    one ITEM, then WHEN or ``--cancel``."""
    item, *when = args.items or [None]
    if not isinstance(item, uuid.UUID) or query:
        raise SettingsError("items schedule: name one ITEM (by its id), then WHEN or --cancel")
    if args.cancel == bool(when):
        raise SettingsError("items schedule: give WHEN (the time to publish at) or --cancel")
    if not args.cancel:
        publish_time(" ".join(str(word) for word in when))


def scheduled(api: AdminApi, args: argparse.Namespace) -> Any:
    """Set (or cancel) the named item's publish time; the item after the change."""
    item_id, *when = (str(word) for word in args.items)
    publish_at = None if args.cancel else publish_time(" ".join(when)).isoformat()
    response = api.request("PATCH", ITEM_PATH.format(id=item_id), json={"publish_at": publish_at})
    if response.status_code != 200:
        refused = "schedule not cancelled" if args.cancel else "not scheduled"
        raise server_refused(response, f"{item_id} {refused}")
    item: dict[str, Any] = response.json()
    set_for = shown_time(item["publish_at"])  # what the server keeps, seconds and all
    said = "not scheduled any more" if args.cancel else f"scheduled for {set_for}"
    print(f"streamstack: {item_id} {said}", file=sys.stderr)
    return item
