"""``streamstack uploads``: the unfinished uploads of every uploader, and cancelling one."""

from __future__ import annotations

import argparse
import datetime
import sys
from typing import Any
from urllib.parse import urlencode

from streamstack.cli.library import every_entry
from streamstack.cli.output import print_json, span, table
from streamstack.cli.session import (
    AdminApi,
    ServerUnreachable,
    SignInRequired,
    admin_api,
    server_refused,
)
from streamstack.cli.tus_client import mib
from streamstack.cli.users import USERS_PATH
from streamstack.contracts.limits import LIST_LIMIT_MAX

#: Ingest's list of unfinished uploads (a page of them, by ``limit`` and ``offset``).
LISTED_PATH = "/api/v1/ingest/uploads"
#: The tus endpoint of one upload, whose ``DELETE`` cancels it.
UPLOAD_PATH = "/api/v1/ingest/uploads/{id}"
COLUMNS = ("ID", "RECEIVED", "IDLE", "EXPIRES IN", "UPLOADER", "FILE", "TITLE")


def run_uploads(args: argparse.Namespace) -> int:
    """``streamstack uploads``: print the table of unfinished uploads, or with ``--cancel``
    cancel one; exit 1 if the server refused."""
    with admin_api(args) as api:
        if args.cancel is not None:
            return _cancel(api, str(args.cancel))
        uploads = _unfinished(api)
        if args.json:
            return print_json(uploads)
        if not uploads:
            print("streamstack: no unfinished uploads", file=sys.stderr)
            return 0
        emails = _emails(api, {upload["uploader_id"] for upload in uploads})
    now = datetime.datetime.now(datetime.UTC)
    print(table([COLUMNS, *(_row(upload, now, emails) for upload in uploads)]))
    return 0


def _unfinished(api: AdminApi) -> list[dict[str, Any]]:
    """Every unfinished upload (the longest idle first)."""
    return every_entry(api, LISTED_PATH, {}, "uploads")


def _emails(api: AdminApi, ids: set[str]) -> dict[str, str]:
    """The email of each uploader auth still knows, by id (auth's users the repeated ``id``
    names: ingest knows ids alone); those it does not (an account
    deleted since) or cannot name (its module not answering) are shown by id."""
    emails: dict[str, str] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), LIST_LIMIT_MAX):
        chunk = wanted[start : start + LIST_LIMIT_MAX]
        query = urlencode({"limit": len(chunk), "id": chunk}, doseq=True)
        try:
            response = api.get(f"{USERS_PATH}?{query}")
        except (ServerUnreachable, SignInRequired):
            return emails
        if response.status_code != 200:
            return emails
        emails |= {user["id"]: user["email"] for user in response.json()["items"]}
    return emails


def _cancel(api: AdminApi, upload_id: str) -> int:
    """Cancel one upload (the tus termination); 1 when the server refuses."""
    response = api.request(
        "DELETE", UPLOAD_PATH.format(id=upload_id), headers={"Tus-Resumable": "1.0.0"}
    )
    if response.status_code != 204:
        raise server_refused(response, f"{upload_id} not cancelled")
    print(f"streamstack: cancelled {upload_id}; its stored bytes are gone", file=sys.stderr)
    return 0


def _row(upload: dict[str, Any], now: datetime.datetime, emails: dict[str, str]) -> tuple[str, ...]:
    """One upload's cells, in the order of :data:`COLUMNS`."""
    offset, length = upload["offset"], upload["length"]
    idle = now - datetime.datetime.fromisoformat(upload["last_activity_at"])
    expires = datetime.datetime.fromisoformat(upload["expires_at"]) - now
    return (
        upload["id"],
        f"{mib(offset)}/{mib(length)} MiB {offset * 100 // length:3d}%",
        span(idle),
        span(expires) if expires.total_seconds() > 0 else "expired",
        emails.get(upload["uploader_id"], upload["uploader_id"]),
        upload["file_name"] or "-",
        f"{upload['title']} (new file)" if upload.get("replaces") else upload["title"],
    )
