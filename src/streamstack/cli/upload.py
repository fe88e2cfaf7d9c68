"""``streamstack upload``: a video to a running StreamStack, through its tus endpoint."""

from __future__ import annotations

import argparse
import mimetypes
import sys
from typing import Any

from streamstack.cli.exits import Exit
from streamstack.cli.processing import print_item
from streamstack.cli.scheduling import publish_time, shown_time
from streamstack.cli.session import admin_api
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
                _say_what_to_check(uploader.checks or [])
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


def _say_what_to_check(checks: list[dict[str, Any]]) -> None:
    """Word on stderr what the server said was made for the old file and stays with the new
    one (:func:`~streamstack.contracts.catalogue.checks_after_replace` decides what): a
    chosen thumbnail, uploaded caption tracks, chapters written in the description."""
    said = [_check_worded(check) for check in checks]
    if any(said):
        listed = "; ".join(words for words in said if words)
        print(f"streamstack: made for the old file, now check: {listed}", file=sys.stderr)


def _check_worded(check: dict[str, Any]) -> str:
    """One thing to check, in words ("" for a kind this client does not know)."""
    kind = check.get("kind")
    if kind == "chosen_thumbnail":
        return "the thumbnail chosen (it may show a frame of the old file)"
    if kind == "uploaded_captions":
        tracks = check.get("count") or 0
        return f"{tracks} caption track{'s' if tracks != 1 else ''} timed for the old file"
    if kind == "description_chapters":
        return "the chapters written in the description"
    return ""
