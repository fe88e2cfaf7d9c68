"""``streamstack transcode``: transcode items again (failed ones, or ready ones after an
upgrade)."""

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
from streamstack.cli.tus_client import UploadFailed
from streamstack.settings import SettingsError

#: Ingest's route that queues an item's transcoding again.
RETRY_PATH = "/api/v1/ingest/items/{id}/transcode"
#: One page of the items whose transcoding failed, drafts included, as admins list them.
FAILED_PATH = "/api/v1/catalogue?status=all&processing=failed&page_size=100&page={page}"


def run_transcode(args: argparse.Namespace) -> int:
    """``streamstack transcode``: each item (or, with ``--failed``, each failed one) in turn;
    exit 1 if any could not be queued (or, with ``--wait``, failed again)."""
    import httpx

    if bool(args.items) == args.failed:
        raise SettingsError("transcode: name the items, or pass --failed (not both)")
    server = args.server.rstrip("/")
    with httpx.Client(timeout=30.0) as auth_http:
        api = AdminApi(server, admin_tokens("transcode", args, server, auth_http))
        try:
            items = [str(item) for item in args.items] or _failed_items(api)
            if not items:
                print("streamstack: no item's transcoding failed", file=sys.stderr)
            return max((_retried(api, item, wait=args.wait) for item in items), default=0)
        except (ServerUnreachable, SignInRequired, UploadFailed) as exc:
            print(f"streamstack: transcode: {exc}", file=sys.stderr)
            return 1
        finally:
            api.close()


def _failed_items(api: AdminApi) -> list[str]:
    """The ids of every item whose transcoding failed (all read before any is queued,
    since queueing one moves the rest up the list)."""
    ids: list[str] = []
    page = 1
    while True:
        response = api.get(FAILED_PATH.format(page=page))
        if response.status_code != 200:
            raise UploadFailed(f"cannot list the failed items: {error_detail(response)}")
        listed = response.json()
        ids += [item["id"] for item in listed["items"]]
        if not listed["items"] or len(ids) >= listed["total"]:
            return ids
        page += 1


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
