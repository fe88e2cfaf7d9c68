"""``streamstack transcode``: transcode items whose transcoding failed again."""

from __future__ import annotations

import argparse
import sys

from streamstack.cli.processing import print_item, wait_and_print
from streamstack.cli.session import (
    AdminApi,
    ServerUnreachable,
    SignInRequired,
    admin_tokens,
    error_detail,
)

#: Ingest's route that queues a failed item's transcoding again.
RETRY_PATH = "/api/v1/ingest/items/{id}/transcode"


def run_transcode(args: argparse.Namespace) -> int:
    """``streamstack transcode``: each item in turn; exit 1 if any could not be queued (or,
    with ``--wait``, failed again)."""
    import httpx

    server = args.server.rstrip("/")
    with httpx.Client(timeout=30.0) as auth_http:
        api = AdminApi(server, admin_tokens("transcode", args, server, auth_http))
        try:
            return max(_retried(api, str(item_id), wait=args.wait) for item_id in args.items)
        finally:
            api.close()


def _retried(api: AdminApi, item_id: str, *, wait: bool) -> int:
    """Queue one item again; print it (once it is transcoded, with ``wait``)."""
    try:
        response = api.request("POST", RETRY_PATH.format(id=item_id))
    except (ServerUnreachable, SignInRequired) as exc:
        print(f"streamstack: {item_id} not queued: {exc}", file=sys.stderr)
        return 1
    if response.status_code != 202:
        print(f"streamstack: {item_id} not queued: {error_detail(response)}", file=sys.stderr)
        return 1
    item = response.json()
    return wait_and_print(api.get, item, done="queued") if wait else print_item(item)
