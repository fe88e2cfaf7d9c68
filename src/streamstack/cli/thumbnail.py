"""``streamstack thumbnail``: make an item's thumbnail of the frame at a moment."""

from __future__ import annotations

import argparse
import re
import sys

from streamstack.cli.output import print_json
from streamstack.cli.session import ServerUnreachable, SignInRequired, admin_api, error_detail

#: Ingest's route that makes an item's thumbnail and poster of a frame.
THUMBNAIL_PATH = "/api/v1/ingest/items/{id}/thumbnail"
_CLOCK = re.compile(r"(?:(?:(\d+):)?([0-5]?\d):)?(\d+(?:\.\d+)?)")


def moment(text: str) -> float:
    """``--at``: seconds (``12.5``) or a clock (``1:05``, ``1:02:05.5``), as a player shows it."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None or (match[2] is not None and float(match[3]) >= 60):
        raise argparse.ArgumentTypeError(f"not a moment: {text!r} (seconds, or m:ss, h:mm:ss)")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def run_thumbnail(args: argparse.Namespace) -> int:
    """``streamstack thumbnail ITEM --at T``: print the stills' new URLs as JSON; exit 1 if
    the server refused (nothing changed then)."""
    with admin_api("thumbnail", args) as api:
        try:
            response = api.request(
                "PUT", THUMBNAIL_PATH.format(id=args.item), json={"at_seconds": args.at}
            )
        except (ServerUnreachable, SignInRequired) as exc:
            print(f"streamstack: thumbnail: {exc}", file=sys.stderr)
            return 1
    if response.status_code != 200:
        print(
            f"streamstack: {args.item}: thumbnail unchanged: {error_detail(response)}",
            file=sys.stderr,
        )
        return 1
    return print_json(response.json())
