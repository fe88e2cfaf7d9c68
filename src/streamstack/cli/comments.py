"""``streamstack comments``: read a video's comments, newest first, and delete one (an
admin any, anyone else their own), for whoever moderates from a shell.

The list shows each comment's first line, who wrote it (their display name, or "A viewer")
and its id, which ``comments delete`` takes.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any

from streamstack.cli.output import table
from streamstack.cli.session import (
    AdminApi,
    ServerUnreachable,
    SignInRequired,
    admin_api,
    error_detail,
)
from streamstack.cli.tus_client import UploadFailed
from streamstack.contracts.limits import COMMENTS_PAGE_MAX, LIST_LIMIT_MAX
from streamstack.settings import SettingsError

#: An item's comments (GET lists a page after ``cursor``).
ITEM_COMMENTS_PATH = "/api/v1/catalogue/{id}/comments"
#: One comment (DELETE deletes it).
COMMENT_PATH = "/api/v1/catalogue/comments/{id}"
COLUMNS = ("WHEN", "AUTHOR", "COMMENT", "ID")
#: Characters of a comment's first line shown in the list.
FIRST_LINE_MAX = 60


def run_comments(args: argparse.Namespace) -> int:
    """``streamstack comments list ITEM|delete COMMENT_ID``: print a video's newest comments
    as a table, or delete one. Exit 1 when the server refuses (nothing changed then)."""
    target = _checked(args)
    with admin_api("comments", args) as api:
        try:
            if args.action == "list":
                return _listed(api, target, args.limit)
            return _deleted(api, target)
        except (ServerUnreachable, SignInRequired, UploadFailed) as exc:
            print(f"streamstack: comments {args.action}: {exc}", file=sys.stderr)
            return 1


def _checked(args: argparse.Namespace) -> uuid.UUID:
    """The id the action names; a :class:`SettingsError` (exit 2) for what cannot be one."""
    named = "the video's id (items list shows it)" if args.action == "list" else "the comment's id"
    if args.limit is not None and args.action != "list":
        raise SettingsError(f"comments {args.action}: --limit goes with list")
    if args.limit is not None and not 1 <= args.limit <= LIST_LIMIT_MAX:
        raise SettingsError(f"comments list: --limit is 1 to {LIST_LIMIT_MAX}, not {args.limit}")
    try:
        return uuid.UUID(args.target)
    except ValueError:
        raise SettingsError(f"comments {args.action}: give {named}, not {args.target!r}") from None


def _listed(api: AdminApi, item_id: uuid.UUID, limit: int | None) -> int:
    """Print up to ``limit`` of the item's comments, newest first; the count (and that
    comments are off, when so) on stderr."""
    wanted, cursor = limit or 20, None
    comments: list[dict[str, Any]] = []
    while True:
        page = _page(api, item_id, cursor, min(COMMENTS_PAGE_MAX, wanted - len(comments)))
        comments += page["comments"]
        cursor = page["next"]
        if cursor is None or len(comments) >= wanted:
            break
    if comments:
        print(table([COLUMNS, *(_row(comment) for comment in comments)]))
    total = page["total"]
    shown = f"the newest {len(comments):,} of " if len(comments) < total else ""
    print(f"streamstack: {shown}{total:,} comment{'' if total == 1 else 's'}", file=sys.stderr)
    if not page["enabled"]:
        print("streamstack: comments are off for this video", file=sys.stderr)
    return 0


def _page(api: AdminApi, item_id: uuid.UUID, cursor: str | None, limit: int) -> Any:
    """One page of the item's comments after ``cursor``."""
    params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    response = api.request("GET", ITEM_COMMENTS_PATH.format(id=item_id), params=params)
    if response.status_code != 200:
        raise UploadFailed(f"{item_id}: {error_detail(response)}")
    return response.json()


def _row(comment: dict[str, Any]) -> tuple[str, ...]:
    """One comment's cells, in the order of :data:`COLUMNS`."""
    lines = comment["body"].splitlines() or [""]
    first = lines[0].replace("\t", " ")
    if len(first) > FIRST_LINE_MAX or len(lines) > 1:
        first = first[: FIRST_LINE_MAX - 1] + "…"
    edited = " (edited)" if comment["edited_at"] else ""
    when = comment["created_at"][:16].replace("T", " ")
    return (when + edited, comment["author_name"] or "A viewer", first, comment["id"])


def _deleted(api: AdminApi, comment_id: uuid.UUID) -> int:
    """Delete the comment; 1 when the server refuses (not there, or not the caller's)."""
    response = api.request("DELETE", COMMENT_PATH.format(id=comment_id))
    if response.status_code != 204:
        raise UploadFailed(f"{comment_id} not deleted: {error_detail(response)}")
    print(f"streamstack: deleted comment {comment_id}", file=sys.stderr)
    return 0
