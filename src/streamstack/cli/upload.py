"""``streamstack upload``: a video to a running StreamStack, through its tus endpoint."""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from typing import Any

from streamstack.cli.credentials import SavedLogins
from streamstack.cli.processing import ProcessingFailed, follow_processing
from streamstack.cli.session import AccessTokens, GivenToken, SignedIn, SignInRequired, login_hint
from streamstack.cli.tus_client import ProgressLine, ResumableUploader, UploadFailed
from streamstack.settings import SettingsError


def run_upload(args: argparse.Namespace) -> int:
    """``streamstack upload``."""
    import httpx

    if not args.file.is_file():
        raise SettingsError(f"upload: {args.file} is not a file")
    if not 1 <= args.chunk_mib <= 1024 or args.retries < 0:
        raise SettingsError("upload: --chunk-mib must be 1..1024 and --retries at least 0")
    if args.limit_mib is not None and args.limit_mib <= 0:
        raise SettingsError("upload: --limit-mib must be greater than 0")
    server = args.server.rstrip("/")
    with httpx.Client(timeout=30.0) as auth_http:
        uploader = ResumableUploader(
            server,
            _access_tokens(args, server, auth_http),
            chunk_bytes=args.chunk_mib * 1024 * 1024,
            retries=args.retries,
            bytes_per_second=args.limit_mib * 2**20 if args.limit_mib else None,
        )
        try:
            item = uploader.upload(args.file, _metadata(args))
            # Past this point the upload is done: _waited reports its own failures.
            return _waited(uploader, item) if args.wait else _printed(item)
        except (UploadFailed, SignInRequired) as exc:
            print(f"streamstack: upload failed: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(
                "\nstreamstack: interrupted; run the same command again to resume",
                file=sys.stderr,
            )
            return 130
        finally:
            uploader.close()


def _printed(item: object, code: int = 0) -> int:
    """Print ``item`` as JSON on stdout; ``code``."""
    print(json.dumps(item, indent=2))
    return code


def _waited(uploader: ResumableUploader, item: Any) -> int:
    """``--wait``: follow the uploaded item's transcoding, then print it as it ended."""
    try:
        return _printed(follow_processing(uploader.get, item, ProgressLine(sys.stderr)))
    except ProcessingFailed as failed:
        print(f"streamstack: transcoding failed: {failed}", file=sys.stderr)
        return _printed(failed.item, 1)
    except (UploadFailed, SignInRequired) as exc:
        print(f"streamstack: uploaded, but {exc}", file=sys.stderr)
        return _printed(item, 1)
    except KeyboardInterrupt:
        print("\nstreamstack: uploaded; the transcoding goes on on the server", file=sys.stderr)
        return _printed(item, 130)


def _access_tokens(args: argparse.Namespace, server: str, auth_http: object) -> AccessTokens:
    """``--token`` when given, else the sign-in ``streamstack login`` stored for ``server``."""
    if args.token:
        return GivenToken(args.token)
    logins = SavedLogins()
    if logins.get(server) is None:
        raise SettingsError(
            f"upload: an admin access token is required: sign in once with {login_hint(server)}, "
            "or pass --token (or STREAMSTACK_TOKEN)"
        )
    return SignedIn(server, logins, auth_http)


def _metadata(args: argparse.Namespace) -> dict[str, str]:
    return {
        "filename": args.file.name,
        "filetype": mimetypes.guess_type(args.file.name)[0] or "application/octet-stream",
        "title": args.title,
        "description": args.description,
        "tags": args.tags,
        "publish": "false" if args.draft else "true",
    }
