"""What ``streamstack upload`` and ``transcode`` print: the item as the catalogue shows it,
with ``--wait`` once its transcoding is over (followed on a progress line)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from streamstack.cli.exits import CommandFailed
from streamstack.cli.output import print_json
from streamstack.cli.session import ServerUnreachable, server_refused
from streamstack.cli.tus_client import ProgressLine
from streamstack.contracts.catalogue import CatalogueItem, MediaItem

#: An admin's view of one item (it has ``processing_detail``: the rung being written).
ITEM_PATH = "/api/v1/catalogue/{id}"
#: How often the item is asked again while it is queued or transcoded.
POLL_SECONDS = 1.0
#: How many failed asks in a row end the wait (the server away or answering 5xx): about
#: two minutes, so a restart or a short NATS outage (503s) is waited out.
PATIENCE = 120
#: The processing states after which nothing more happens to the item.
OVER = ("none", "ready", "failed")
#: What ingest's answer about an item adds to the catalogue's (object keys, the uploader):
#: left out, so a command prints one shape whether it waited or not.
_INTERNAL_FIELDS = frozenset(MediaItem.__struct_fields__) - set(CatalogueItem.__struct_fields__)


class ProcessingFailed(Exception):
    """The item's transcoding failed; the message is the server's reason."""

    def __init__(self, item: Any) -> None:
        super().__init__(item.get("processing_detail") or "no reason given")
        self.item = item


def follow_processing(
    get: Callable[[str], Any],
    item: Any,
    progress: ProgressLine,
    *,
    poll_seconds: float = POLL_SECONDS,
    patience: int = PATIENCE,
) -> Any:
    """Ask the server for ``item`` until its processing is over, drawing each answer on
    ``progress``; the item as it is then.

    :class:`ProcessingFailed` when transcoding failed; :class:`CommandFailed` when the
    server refuses (the item was deleted, say) or fails ``patience`` times in a row.
    """
    failures = 0
    try:
        while item["processing_state"] not in OVER:
            progress.show_percent(item["processing_percent"], _stage(item))
            time.sleep(poll_seconds)
            answer = _ask(get, item["id"])
            if answer is not None:
                failures, item = 0, answer
                continue
            failures += 1
            if failures >= patience:
                raise CommandFailed("the server stopped answering; the transcoding goes on there")
            progress.show_percent(item["processing_percent"], "server not answering, asking again")
        if item["processing_state"] == "ready":
            # What the package skipped of a damaged original, said where the wait ends.
            detail = item.get("processing_detail")
            progress.show_percent(100, f"transcoded · {detail}" if detail else "transcoded")
    finally:
        progress.done()
    if item["processing_state"] == "failed":
        raise ProcessingFailed(item)
    return item


def print_item(
    get: Callable[[str], Any], item: Any, *, wait: bool, done: str, as_json: bool = True
) -> int:
    """Print ``item`` (an upload's or a retry's answer) as the catalogue shows it to admins
    (or, ``as_json`` off, its one-line summary); with ``wait``, once its transcoding is
    over, following it on a progress line (exit 1 if it failed). ``done`` says what already
    happened to it (``uploaded``, ``queued``)."""
    show = print_json if as_json else print_summary
    item = {name: value for name, value in item.items() if name not in _INTERNAL_FIELDS}
    if not wait:
        return show(item)
    try:
        return show(follow_processing(get, item, ProgressLine(sys.stderr)))
    except ProcessingFailed as failed:
        print(f"streamstack: transcoding failed: {failed}", file=sys.stderr)
        return show(failed.item, 1)
    except CommandFailed as exc:
        print(f"streamstack: {done}, but {exc}", file=sys.stderr)
        return show(item, 1)
    except KeyboardInterrupt:
        print(f"\nstreamstack: {done}; the transcoding goes on on the server", file=sys.stderr)
        return show(item, 130)


def print_summary(item: Any, code: int = 0) -> int:
    """Print one line saying where ``item`` is (its id, state, renditions, title) on
    standard output; ``code`` (the command's exit)."""
    state = item["processing_state"]
    if state == "ready":
        heights = [f"{rung['height']}p" for rung in item.get("renditions") or []]
        where = f"ready ({', '.join(heights)})" if heights else "ready"
    elif state == "failed":
        where = f"failed ({item.get('processing_detail') or 'no reason given'})"
    else:
        where = "queued for transcoding" if state == "queued" else state
    print(f"{item['id']}  {where}  {item.get('title', '')}".rstrip())
    return code


def _ask(get: Callable[[str], Any], media_id: str) -> Any | None:
    """The item now, or None when the server could not answer this time."""
    try:
        response = get(ITEM_PATH.format(id=media_id))
    except ServerUnreachable:  # for now
        return None
    if response.status_code >= 500:
        return None
    if response.status_code != 200:
        raise server_refused(response, "cannot follow the transcoding")
    return response.json()


def _stage(item: Any) -> str:
    """``queued for transcoding``, or ``transcoding · <detail>``."""
    if item["processing_state"] == "queued":
        return "queued for transcoding"
    detail = item.get("processing_detail")
    return f"transcoding · {detail}" if detail else "transcoding"
