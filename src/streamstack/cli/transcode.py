"""``streamstack transcode``: transcode items again (failed ones, or ready ones after an
upgrade)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from streamstack.cli.exits import CommandFailed, in_trouble
from streamstack.cli.library import listed_items
from streamstack.cli.processing import print_item
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    error_detail,
    server_refused,
    stopped_at,
)
from streamstack.settings import SettingsError

#: Ingest's route that queues an item's transcoding again.
RETRY_PATH = "/api/v1/ingest/items/{id}/transcode"
#: What is said when a list is empty.
_NONE_LISTED = {
    "failed": "no item's transcoding failed",
    "outdated": "no item is outdated: every video is transcoded by this version",
}


def run_transcode(args: argparse.Namespace) -> int:
    """``streamstack transcode``: queue each item (or, with ``--failed`` or ``--outdated``,
    each one listed so), then with ``--wait`` follow each in turn; exit 1 if any could not
    be queued (or, with ``--wait``, failed again). The server out of reach or failing stops
    it at once (exit 75 when it is away or busy)."""
    which = "failed" if args.failed else "outdated" if args.outdated else None
    if (bool(args.items), args.failed, args.outdated).count(True) != 1:
        raise SettingsError("transcode: name the items, or pass --failed or --outdated (one)")
    with admin_api(args) as api:
        if which is None:
            items = [str(item) for item in args.items]
        elif not (items := listed_items(api, {"processing": which}, f"{which} items")):
            print(f"streamstack: {_NONE_LISTED[which]}", file=sys.stderr)
        path = RETRY_PATH + ("?force=true" if args.force else "")
        queued = [_queued(api, path, item, n, len(items)) for n, item in enumerate(items, 1)]
        shown = (_shown(api, item, wait=args.wait, as_json=args.json) for item in queued)
        return max(shown, default=0)


def _queued(
    api: AdminApi, path: str, item_id: str, number: int, count: int
) -> dict[str, Any] | None:
    """Queue one item again (``path``: the retry route, maybe forced): the item, or None
    (said why) when it was not queued. The server out of reach or in trouble stops the
    command (:func:`stopped_at`): each item after it would be refused the same."""
    try:
        response = api.request("POST", path.format(id=item_id))
        if in_trouble(response):
            raise server_refused(response)
    except CommandFailed as exc:
        raise stopped_at(exc, item_id, number, count) from None
    if response.status_code != 202:
        print(f"streamstack: {item_id} not queued: {error_detail(response)}", file=sys.stderr)
        return None
    print(f"streamstack: queued {number} of {count}: {item_id}", file=sys.stderr)
    item: dict[str, Any] = response.json()
    return item


def _shown(api: AdminApi, item: dict[str, Any] | None, *, wait: bool, as_json: bool) -> int:
    """Print a queued item's line, or its JSON (once it is transcoded, with ``wait``); 1 for
    one not queued."""
    if item is None:
        return 1
    return print_item(api.get, item, wait=wait, done="queued", as_json=as_json)
