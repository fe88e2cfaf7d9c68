"""``streamstack upload``: a video to a running StreamStack, through its tus endpoint."""

from __future__ import annotations

import argparse
import mimetypes
import sys
from typing import Any

from streamstack.cli.exits import Exit
from streamstack.cli.processing import ITEM_PATH, print_item
from streamstack.cli.scheduling import publish_time, shown_time
from streamstack.cli.session import AdminApi, ServerUnreachable, admin_api
from streamstack.cli.tus_client import ResumableUploader
from streamstack.contracts.catalogue import REPLACES_METADATA_KEY
from streamstack.settings import SettingsError


def run_upload(args: argparse.Namespace) -> int:
    """``streamstack upload``."""
    _check(args)
    metadata = _metadata(args)
    with admin_api(args) as api:
        uploader = ResumableUploader(
            api,
            chunk_bytes=args.chunk_mib * 1024 * 1024,
            retries=args.retries,
            bytes_per_second=args.limit_mib * 2**20 if args.limit_mib else None,
        )
        if args.replace is not None:
            print(
                f"streamstack: the current file of {args.replace} is deleted once the new one "
                "is in (`items download` then gives the new one)",
                file=sys.stderr,
            )
        try:
            item = uploader.upload(args.file, metadata)
            # Past this point the upload is done: print_item reports its own failures.
            if args.replace is None:
                _say_who_sees(item)
            else:
                _say_what_to_check(api, item)
            done = "uploaded" if args.replace is None else "replaced"
            return print_item(api.get, item, wait=args.wait, done=done)
        except KeyboardInterrupt:
            print(
                "\nstreamstack: interrupted; run the same command again to resume",
                file=sys.stderr,
            )
            return Exit.INTERRUPTED


def _check(args: argparse.Namespace) -> None:
    """Refuse options the command cannot mean together (a :class:`SettingsError`, exit 2)."""
    if not args.file.is_file():
        raise SettingsError(f"upload: {args.file} is not a file")
    if not 1 <= args.chunk_mib <= 1024 or args.retries < 0:
        raise SettingsError("upload: --chunk-mib must be 1..1024 and --retries at least 0")
    if args.limit_mib is not None and args.limit_mib <= 0:
        raise SettingsError("upload: --limit-mib must be greater than 0")
    if args.replace is None and not args.title:
        raise SettingsError("upload: --title is required (or --replace ITEM)")
    if args.replace is not None and (
        args.title or args.description or args.tags or args.draft or args.schedule
    ):
        raise SettingsError(
            "upload: --replace keeps the item's title, description, tags and status: "
            "give none of --title, --description, --tags, --draft, --schedule with it"
        )
    if args.schedule is not None and args.draft:
        raise SettingsError(
            "upload: --schedule keeps it a draft until then: give --schedule or --draft"
        )


def _metadata(args: argparse.Namespace) -> dict[str, str]:
    """The upload's tus metadata: its file, and the new item's details or the item whose
    video file it replaces."""
    file = {
        "filename": args.file.name,
        "filetype": mimetypes.guess_type(args.file.name)[0] or "application/octet-stream",
    }
    if args.replace is not None:
        return {**file, REPLACES_METADATA_KEY: args.replace}
    details = {
        **file,
        "title": args.title,
        "description": args.description,
        "tags": args.tags,
    }
    if args.schedule is not None:
        return {**details, "publish_at": publish_time(args.schedule, "upload").isoformat()}
    return {**details, "publish": "false" if args.draft else "true"}


def _say_who_sees(item: dict[str, Any]) -> None:
    """Say on stderr who sees a new item: everyone when it went public (the default, easy
    to forget; once transcoded when it does not play as uploaded), nobody before its
    schedule."""
    if item["status"] == "published":
        when = "now" if item.get("playable", True) else "once it is transcoded"
        print(
            f"streamstack: {item['title']!r} is public: everyone who can browse sees it "
            f"{when}; `--draft` keeps the next one private",
            file=sys.stderr,
        )
    elif item.get("publish_at"):
        print(
            f"streamstack: {item['title']!r} is a draft until {shown_time(item['publish_at'])}: "
            "it goes public then by itself",
            file=sys.stderr,
        )


def _say_what_to_check(api: AdminApi, replaced: dict[str, Any]) -> None:
    """Name on stderr what was made for the old file and stays with the new one: a chosen
    thumbnail (a frame of the old cut), uploaded caption tracks (timed for it), chapters
    written in the description. Said only when the item can be read (it is replaced)."""
    try:
        response = api.get(ITEM_PATH.format(id=replaced["id"]))
    except ServerUnreachable:  # nothing to name now; the replace itself is done
        return
    item = response.json() if response.status_code == 200 else {}
    tracks = sum(track.get("source") == "upload" for track in item.get("captions", []))
    checks = [
        "the thumbnail chosen (it may show a frame of the old file)"
        if replaced.get("stills_chosen")
        else "",
        f"{tracks} caption track{'s' if tracks != 1 else ''} timed for the old file"
        if tracks
        else "",
        "the chapters written in the description"
        if item.get("chapters_from") == "description"
        else "",
    ]
    if any(checks):
        said = "; ".join(check for check in checks if check)
        print(f"streamstack: made for the old file, now check: {said}", file=sys.stderr)
