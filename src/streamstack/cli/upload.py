"""``streamstack upload``: a video to a running StreamStack, through its tus endpoint."""

from __future__ import annotations

import argparse
import mimetypes
import sys

from streamstack.cli.exits import Exit
from streamstack.cli.processing import print_item
from streamstack.cli.session import admin_api
from streamstack.cli.tus_client import ResumableUploader
from streamstack.contracts.catalogue import REPLACES_METADATA_KEY
from streamstack.settings import SettingsError


def run_upload(args: argparse.Namespace) -> int:
    """``streamstack upload``."""
    if not args.file.is_file():
        raise SettingsError(f"upload: {args.file} is not a file")
    if not 1 <= args.chunk_mib <= 1024 or args.retries < 0:
        raise SettingsError("upload: --chunk-mib must be 1..1024 and --retries at least 0")
    if args.limit_mib is not None and args.limit_mib <= 0:
        raise SettingsError("upload: --limit-mib must be greater than 0")
    if args.replace is None and not args.title:
        raise SettingsError("upload: --title is required (or --replace ITEM)")
    if args.replace is not None and (args.title or args.description or args.tags or args.draft):
        raise SettingsError(
            "upload: --replace keeps the item's title, description, tags and status: "
            "give none of --title, --description, --tags, --draft with it"
        )
    with admin_api(args) as api:
        uploader = ResumableUploader(
            api,
            chunk_bytes=args.chunk_mib * 1024 * 1024,
            retries=args.retries,
            bytes_per_second=args.limit_mib * 2**20 if args.limit_mib else None,
        )
        try:
            item = uploader.upload(args.file, _metadata(args))
            # Past this point the upload is done: print_item reports its own failures.
            done = "uploaded" if args.replace is None else "replaced"
            return print_item(api.get, item, wait=args.wait, done=done)
        except KeyboardInterrupt:
            print(
                "\nstreamstack: interrupted; run the same command again to resume",
                file=sys.stderr,
            )
            return Exit.INTERRUPTED


def _metadata(args: argparse.Namespace) -> dict[str, str]:
    """The upload's tus metadata: its file, and the new item's details or the item whose
    video file it replaces."""
    file = {
        "filename": args.file.name,
        "filetype": mimetypes.guess_type(args.file.name)[0] or "application/octet-stream",
    }
    if args.replace is not None:
        return {**file, REPLACES_METADATA_KEY: args.replace}
    return {
        **file,
        "title": args.title,
        "description": args.description,
        "tags": args.tags,
        "publish": "false" if args.draft else "true",
    }
