"""``streamstack upload``: a video to a running StreamStack, through its tus endpoint."""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys

from streamstack.cli.tus_client import ResumableUploader, UploadFailed
from streamstack.settings import SettingsError


def run_upload(args: argparse.Namespace) -> int:
    """``streamstack upload``."""
    if not args.token:
        raise SettingsError(
            "upload: an admin access token is required (--token or STREAMSTACK_TOKEN)"
        )
    if not args.file.is_file():
        raise SettingsError(f"upload: {args.file} is not a file")
    if not 1 <= args.chunk_mib <= 1024 or args.retries < 0:
        raise SettingsError("upload: --chunk-mib must be 1..1024 and --retries at least 0")
    uploader = ResumableUploader(
        args.server.rstrip("/"),
        args.token,
        chunk_bytes=args.chunk_mib * 1024 * 1024,
        retries=args.retries,
    )
    try:
        item = uploader.upload(
            args.file,
            {
                "filename": args.file.name,
                "filetype": mimetypes.guess_type(args.file.name)[0] or "application/octet-stream",
                "title": args.title,
                "description": args.description,
                "tags": args.tags,
                "publish": "false" if args.draft else "true",
            },
        )
    except UploadFailed as exc:
        print(f"\nstreamstack: upload failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstreamstack: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        uploader.close()
    print(json.dumps(item, indent=2))
    return 0
