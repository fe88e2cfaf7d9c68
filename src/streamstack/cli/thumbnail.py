"""``streamstack thumbnail``: make an item's thumbnail of the frame at a moment, of an
image, or as processing made it (the automatic frame)."""

from __future__ import annotations

import argparse
import mimetypes
import re
import sys
from typing import Any

from streamstack.cli.exits import CommandFailed, Exit
from streamstack.cli.output import print_json
from streamstack.cli.session import admin_api, server_refused
from streamstack.contracts.limits import STILL_IMAGE_MAX_BYTES

#: Ingest's route that makes an item's thumbnail and poster of a frame (PUT), or as
#: processing made them (DELETE); ``/image`` of an image.
THUMBNAIL_PATH = "/api/v1/ingest/items/{id}/thumbnail"
_CLOCK = re.compile(r"(?:(?:(\d+):)?([0-5]?\d):)?(\d+(?:\.\d+)?)")


def moment(text: str) -> float:
    """``--at``: seconds (``12.5``) or a clock (``1:05``, ``1:02:05.5``), as a player shows it."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None or (match[2] is not None and float(match[3]) >= 60):
        raise argparse.ArgumentTypeError(f"not a moment: {text!r} (seconds, or m:ss, h:mm:ss)")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


class ImageUnread(CommandFailed):
    """The image file could not be read, or is larger than the server takes."""


def run_thumbnail(args: argparse.Namespace) -> int:
    """``streamstack thumbnail ITEM --at T | --image FILE | --default``: print the stills'
    new URLs as JSON; exit 1 if the server refused (nothing changed then), 2 unless exactly
    one of the three is given."""
    chosen = [
        name for name in ("at", "image", "default") if getattr(args, name) not in (None, False)
    ]
    if len(chosen) != 1:
        print("streamstack: thumbnail: give one of --at, --image or --default", file=sys.stderr)
        return Exit.USAGE
    with admin_api(args) as api:
        method, path, body = _request(args)
        response = api.request(method, path, **body)
    if response.status_code != 200:
        raise server_refused(response, f"{args.item} unchanged")
    return print_json(response.json())


def _request(args: argparse.Namespace) -> tuple[str, str, dict[str, Any]]:
    """The method, path and body of the request for what the options chose."""
    path = THUMBNAIL_PATH.format(id=args.item)
    if args.default:
        return "DELETE", path, {}
    if args.image is None:
        return "PUT", path, {"json": {"at_seconds": args.at}}
    return "PUT", f"{path}/image", _image_body(args.image)


def _image_body(path: str) -> dict[str, Any]:
    """The image file as the request's body, with the type its name says (the server reads
    what the bytes are, and refuses a type that is no image's)."""
    try:
        with open(path, "rb") as file:
            data = file.read(STILL_IMAGE_MAX_BYTES + 1)
    except OSError as exc:
        raise ImageUnread(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > STILL_IMAGE_MAX_BYTES:
        raise ImageUnread(f"{path} is larger than an image may be ({STILL_IMAGE_MAX_BYTES} bytes)")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return {"content": data, "headers": {"Content-Type": content_type}}
