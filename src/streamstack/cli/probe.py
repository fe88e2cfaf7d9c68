"""``streamstack probe``: read items' files again, for what the probe reads in them now
(chapters, the main sound track) in items uploaded before it did."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from streamstack.cli.exits import CommandFailed, in_trouble
from streamstack.cli.library import listed_items
from streamstack.cli.output import print_json
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    error_detail,
    server_refused,
    stopped_at,
)
from streamstack.cli.tus_client import ProgressLine
from streamstack.settings import SettingsError

#: Ingest's route that reads an item's original again.
PROBE_PATH = "/api/v1/ingest/items/{id}/probe"


@dataclasses.dataclass
class Tally:
    """What reading the items again came to: the answers, and the items not read, by why."""

    read: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: Item ids by the code of the server's refusal (``original_missing`` …), or by what
    #: kept the request from the server.
    failed: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def got_chapters(self) -> list[str]:
        """The items that have chapters now which they did not have."""
        return [answer["media_id"] for answer in self.read if "chapters" in answer["changed"]]

    def summary(self) -> dict[str, Any]:
        """The tally as the command prints it on stdout."""
        return {
            "read": len(self.read),
            "changed": sum(1 for answer in self.read if answer["changed"]),
            "got_chapters": self.got_chapters(),
            "failed": self.failed,
            "items": [
                {"media_id": answer["media_id"], "changed": answer["changed"]}
                for answer in self.read
            ],
        }

    def said(self) -> str:
        """The tally in one line."""
        failures = sum(len(ids) for ids in self.failed.values())
        why = "; ".join(f"{len(ids)}: {reason}" for reason, ids in self.failed.items())
        return (
            f"read {len(self.read)} of {len(self.read) + failures}: "
            f"{len(self.got_chapters())} got chapters, {failures} failed"
            + (f" ({why})" if why else "")
        )


def run_probe(args: argparse.Namespace) -> int:
    """``streamstack probe ITEM… | --all``: read each item's original again, with a progress
    line; print the tally as JSON and in words. Exit 1 if any item could not be read; the
    server out of reach or failing stops it at once (exit 75 when it is away or busy)."""
    if bool(args.items) == args.all:
        raise SettingsError("probe: name the items, or pass --all (one)")
    with admin_api(args) as api:
        items = listed_items(api) if args.all else [str(item) for item in args.items]
        if not items:
            print("streamstack: probe: the library has no item", file=sys.stderr)
        tally = _read_each(api, items)
    print(f"streamstack: {tally.said()}", file=sys.stderr)
    return print_json(tally.summary(), 1 if tally.failed else 0)


def _read_each(api: AdminApi, items: list[str]) -> Tally:
    """Read each item again in turn, the progress line showing how far; a failure is noted
    on a line of its own, and the next item read. :class:`CommandFailed` when the caller is
    no admin or the server is out of reach or in trouble: every item would be refused."""
    tally = Tally()
    progress = ProgressLine(sys.stderr)
    try:
        for number, item_id in enumerate(items, 1):
            progress.show_percent((number - 1) * 100 // len(items), f"reading {item_id}")
            try:
                response = api.request("POST", PROBE_PATH.format(id=item_id))
                if in_trouble(response):
                    raise server_refused(response)
            except CommandFailed as exc:
                raise stopped_at(exc, item_id, number, len(items)) from None
            if response.status_code == 200:
                tally.read.append(response.json())
                continue
            if response.status_code == 403:
                raise server_refused(response)
            reason, detail = _refusal_code(response), error_detail(response)
            tally.failed.setdefault(reason, []).append(item_id)
            progress.note(f"streamstack: {item_id} not read: {detail}")
        if items:
            progress.show_percent(100, f"read {len(items)} item{'' if len(items) == 1 else 's'}")
    finally:
        progress.done()
    return tally


def _refusal_code(response: Any) -> str:
    """The code of the server's JSON error (``probe_failed``), else its status."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    return str(code) if code else f"HTTP {response.status_code}"
