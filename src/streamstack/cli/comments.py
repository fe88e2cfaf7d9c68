"""``streamstack comments``: read a video's comments, or every video's (an admin), newest
first, and a comment's replies, oldest first; delete one (an admin any, anyone else their
own), report someone else's, and dismiss a comment's reports (an admin), for whoever
moderates from a shell. An admin lists one member's comments (``--author``, an account's
id or email) and deletes every one of them at once (others' replies to them stay).

The list shows each comment's first line, who wrote it (their display name, or "A viewer")
and its id, which ``comments replies``, ``delete``, ``report`` and ``dismiss`` take; a
video's list shows how many replies each comment has, every video's list the video's title,
the author's account id and how many accounts reported each comment.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from typing import Any

from streamstack.cli.output import agreed, check_askable, print_json, table
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    server_refused,
)
from streamstack.cli.users import user_by_email, user_by_id
from streamstack.contracts.limits import COMMENTS_PAGE_MAX, LIST_LIMIT_MAX
from streamstack.settings import SettingsError

#: An item's comments (GET lists a page after ``cursor``).
ITEM_COMMENTS_PATH = "/api/v1/catalogue/{id}/comments"
#: A comment's replies (GET lists a page after ``cursor``, oldest first).
REPLIES_PATH = "/api/v1/catalogue/comments/{id}/replies"
#: One comment (DELETE deletes it).
COMMENT_PATH = "/api/v1/catalogue/comments/{id}"
#: Every video's comments (an admin's GET, a page after ``cursor``; ``author``: one
#: account's, whose DELETE deletes them all; others' replies to them stay).
ALL_COMMENTS_PATH = "/api/v1/catalogue/comments"
#: A comment's reports (POST reports it, an admin's DELETE dismisses them).
REPORTS_PATH = "/api/v1/catalogue/comments/{id}/reports"
COLUMNS = ("WHEN", "AUTHOR", "REPLIES", "COMMENT", "ID")
#: A comment's replies (which have none of their own).
REPLY_COLUMNS = ("WHEN", "AUTHOR", "COMMENT", "ID")
#: Every video's comments: which video, its author's account (what ``--author`` takes), and
#: how many accounts reported each.
ALL_COLUMNS = ("WHEN", "VIDEO", "AUTHOR", "AUTHOR ID", "REPORTS", "COMMENT", "ID")
#: Characters of a video's title shown in every video's list.
TITLE_MAX = 30
#: Characters of a comment's first line shown in the list.
FIRST_LINE_MAX = 60


def run_comments(args: argparse.Namespace) -> int:
    """``streamstack comments list [ITEM]|replies|delete|report|dismiss COMMENT_ID``: print
    a video's (or every video's) newest comments or a comment's replies as a table, delete
    one, report one or dismiss its reports; ``list|delete --author USER``: one member's
    comments, or delete them all (asking first). Exit 1 when the server refuses (nothing
    changed then)."""
    target = _checked(args)
    with admin_api(args) as api:
        if args.author is not None:
            return _by_author(api, args)
        if target is None:  # _checked: only a list names no id then
            return _listed_everywhere(api, args, reported=args.reported)
        if args.action == "list":
            return _listed(api, target, args)
        if args.action == "replies":
            return _replies_listed(api, target, args)
        if args.action == "report":
            return _reported(api, target, args.reason)
        if args.action == "dismiss":
            return _dismissed(api, target)
        return _deleted(api, target)


def _checked(args: argparse.Namespace) -> uuid.UUID | None:
    """The id the action names (none: every video's list); a :class:`SettingsError`
    (exit 2) for what cannot be one, or an option that does not go with the action."""
    action = args.action
    named = "the video's id (items list shows it)" if action == "list" else "the comment's id"
    if args.limit is not None and action not in ("list", "replies"):
        raise SettingsError(f"comments {action}: --limit goes with list and replies")
    if args.limit is not None and not 1 <= args.limit <= LIST_LIMIT_MAX:
        raise SettingsError(
            f"comments {action}: --limit is 1 to {LIST_LIMIT_MAX}, not {args.limit}"
        )
    if args.reported and (action != "list" or args.target is not None):
        raise SettingsError(f"comments {action}: --reported goes with list, without a video")
    if args.reason is not None and action != "report":
        raise SettingsError(f"comments {action}: --reason goes with report")
    _check_author(args)
    if args.target is None:
        if action == "list" or args.author is not None:
            return None
        more = ", or --author USER" if action == "delete" else ""
        raise SettingsError(f"comments {action}: give the comment's id{more}")
    try:
        return uuid.UUID(args.target)
    except ValueError:
        raise SettingsError(f"comments {action}: give {named}, not {args.target!r}") from None


def _check_author(args: argparse.Namespace) -> None:
    """``--author`` with a list or delete naming no id; ``--yes`` with delete ``--author``
    alone, needed where no terminal can answer its question."""
    action, author = args.action, args.author
    if author is not None and (action not in ("list", "delete") or args.target is not None):
        raise SettingsError(
            f"comments {action}: --author goes with list and delete, naming no video or comment"
        )
    if args.yes and (action != "delete" or author is None):
        raise SettingsError(f"comments {action}: --yes goes with delete --author")
    if author is not None and action == "delete" and not args.yes:
        check_askable("comments delete", "the member's comments go for good")


def _by_author(api: AdminApi, args: argparse.Namespace) -> int:
    """List (or delete) the comments of the account ``--author`` names: its id, or an email
    the users list knows."""
    try:
        author_id = str(uuid.UUID(args.author))
    except ValueError:
        author_id = user_by_email(api, args.author, f"comments {args.action}")["id"]
    if args.action == "delete":
        return _deleted_of(api, author_id, ask=not args.yes)
    return _listed_everywhere(api, args, reported=args.reported, author=author_id)


def _listed(api: AdminApi, item_id: uuid.UUID, args: argparse.Namespace) -> int:
    """Print up to ``--limit`` of the item's comments, newest first, with how many replies
    each has; the count, replies included (and that comments are off, when so), on stderr."""
    path = ITEM_COMMENTS_PATH.format(id=item_id)
    comments, page = _collected(api, path, {}, args.limit or 20, refused=str(item_id))
    _shown(comments, COLUMNS, _row_with_replies, as_json=args.json)
    total, replies = page["total"], sum(comment["reply_count"] for comment in comments)
    counted = _comments(total)
    if page["next"] is not None:
        counted = f"the newest {len(comments):,} of {counted}" + (
            ", replies included" if replies else ""
        )
    elif replies:
        counted += f", {replies:,} of them {'a reply' if replies == 1 else 'replies'}"
    print(f"streamstack: {counted}", file=sys.stderr)
    if not page["enabled"]:
        print("streamstack: comments are off for this video", file=sys.stderr)
    return 0


def _replies_listed(api: AdminApi, comment_id: uuid.UUID, args: argparse.Namespace) -> int:
    """Print up to ``--limit`` of the comment's replies, oldest first; how many there are
    (and that comments are off, when so) on stderr."""
    path = REPLIES_PATH.format(id=comment_id)
    replies, page = _collected(api, path, {}, args.limit or 20, refused=str(comment_id))
    _shown(replies, REPLY_COLUMNS, _row, as_json=args.json)
    total = page["total"]
    counted = f"{total:,} repl{'y' if total == 1 else 'ies'}" if total else "no replies yet"
    if page["next"] is not None:
        counted = f"the first {len(replies):,} of {counted}"
    print(f"streamstack: {counted}", file=sys.stderr)
    if not page["enabled"]:
        print("streamstack: comments are off for this video", file=sys.stderr)
    return 0


def _collected(
    api: AdminApi, path: str, params: dict[str, Any], wanted: int, *, refused: str = ""
) -> tuple[list[dict[str, Any]], Any]:
    """Up to ``wanted`` comments of ``path``'s pages, read by cursor, and the last page
    read; a refusal is the command's failure (``refused`` before the server's words)."""
    comments: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        asked = {**params, "limit": min(COMMENTS_PAGE_MAX, wanted - len(comments))}
        response = api.request("GET", path, params=asked | ({"cursor": cursor} if cursor else {}))
        if response.status_code != 200:
            raise server_refused(response, refused)
        page = response.json()
        comments += page["comments"]
        cursor = page["next"]
        if cursor is None or len(comments) >= wanted:
            return comments, page


def _shown(
    comments: list[dict[str, Any]],
    columns: tuple[str, ...],
    row: Callable[[dict[str, Any]], tuple[str, ...]],
    *,
    as_json: bool,
) -> None:
    """Print ``comments`` as the server gave them (``as_json``), or as a table of ``columns``
    (each comment's cells by ``row``; nothing when there are none)."""
    if as_json:
        print_json(comments)
    elif comments:
        print(table([columns, *(row(comment) for comment in comments)]))


def _row(comment: dict[str, Any]) -> tuple[str, ...]:
    """One comment's cells, in the order of :data:`REPLY_COLUMNS`."""
    lines = comment["body"].splitlines() or [""]
    first = lines[0].replace("\t", " ")
    if len(first) > FIRST_LINE_MAX or len(lines) > 1:
        first = first[: FIRST_LINE_MAX - 1] + "…"
    edited = " (edited)" if comment["edited_at"] else ""
    when = comment["created_at"][:16].replace("T", " ")
    return (when + edited, comment["author_name"] or "A viewer", first, comment["id"])


def _row_with_replies(comment: dict[str, Any]) -> tuple[str, ...]:
    """One comment's cells, in the order of :data:`COLUMNS`."""
    when, author, first, comment_id = _row(comment)
    return (when, author, str(comment["reply_count"]), first, comment_id)


def _deleted(api: AdminApi, comment_id: uuid.UUID) -> int:
    """Delete the comment; 1 when the server refuses (not there, or not the caller's)."""
    response = api.request("DELETE", COMMENT_PATH.format(id=comment_id))
    if response.status_code != 204:
        raise server_refused(response, f"{comment_id} not deleted")
    print(f"streamstack: deleted comment {comment_id}", file=sys.stderr)
    return 0


def _listed_everywhere(
    api: AdminApi, args: argparse.Namespace, *, reported: bool, author: str | None = None
) -> int:
    """Print up to ``--limit`` of every video's comments, newest first (``reported``: only
    reported ones, the most recently reported first; ``author``: that account's alone),
    with each video's title, its author's id and how many reported each; how many were
    shown on stderr (and of an author, whose they are and how many they wrote in all)."""
    params = ({"reported": "true"} if reported else {}) | ({"author": author} if author else {})
    comments, page = _collected(api, ALL_COMMENTS_PATH, params, args.limit or 20)
    kind = "reported comment" if reported else "comment"
    by = f" by {_whose(_author(api, page))}" if author else ""
    _shown(comments, ALL_COLUMNS, _row_everywhere, as_json=args.json)
    if not comments:
        print(f"streamstack: no {kind}s{by} yet", file=sys.stderr)
        return 0
    more = " (--limit for more)" if page["next"] is not None else ""
    plural = "" if len(comments) == 1 else "s"
    in_all = page["author"]["comments"] if author else len(comments)
    written = f"; {_comments(in_all)} by them in all" if in_all != len(comments) else ""
    print(f"streamstack: {len(comments):,} {kind}{plural}{by}{more}{written}", file=sys.stderr)
    return 0


def _deleted_of(api: AdminApi, author_id: str, *, ask: bool) -> int:
    """Delete every comment of the account (others' replies stay), in one request, after
    saying how many and whose (asking first when ``ask``); print what went as JSON."""
    _, page = _collected(api, ALL_COMMENTS_PATH, {"author": author_id}, 1)
    author = _author(api, page)
    whose, count = _whose(author), author["comments"]
    if count == 0:
        print(f"streamstack: no comments by {whose}; nothing deleted", file=sys.stderr)
        return print_json({"author": author, "deleted": 0})
    if ask and not agreed(f"Delete {_comments(count)} by {whose}? Others' replies stay. [y/N] "):
        print("streamstack: nothing deleted", file=sys.stderr)
        return 1
    # One request, in one transaction: said before it, as the wait may be long.
    print(f"streamstack: deleting {_comments(count)} by {whose}…", file=sys.stderr)
    response = api.request("DELETE", ALL_COMMENTS_PATH, params={"author": author_id})
    if response.status_code != 200:
        raise server_refused(response, f"comments by {whose} not deleted")
    deleted = response.json()["deleted"]
    said = f"deleted {_comments(deleted)} by {whose}; others' replies to them stay"
    print(f"streamstack: {said}", file=sys.stderr)
    return print_json({"author": author, "deleted": deleted})


def _author(api: AdminApi, page: Any) -> dict[str, Any]:
    """The account a page of one member's comments is of; one with none is looked up in
    auth's users, as the catalogue knows no accounts (an id no user has is
    :class:`CommandFailed`, where it read as a member without comments)."""
    author: dict[str, Any] = page["author"]
    if author["comments"] == 0:
        user_by_id(api, author["id"])
    return author


def _whose(author: dict[str, Any]) -> str:
    """The account a list or deletion is of: its name and id (just its id without a name)."""
    return f"{author['name']} ({author['id']})" if author["name"] else f"account {author['id']}"


def _comments(count: int) -> str:
    """``1 comment``, ``1,204 comments``."""
    return f"{count:,} comment{'' if count == 1 else 's'}"


def _row_everywhere(comment: dict[str, Any]) -> tuple[str, ...]:
    """One comment's cells, in the order of :data:`ALL_COLUMNS`."""
    when, author, first, comment_id = _row(comment)
    title = comment["item_title"]
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    reports = str(comment["reports"])
    return (when, title, author, comment["author_id"], reports, first, comment_id)


def _reported(api: AdminApi, comment_id: uuid.UUID, reason: str | None) -> int:
    """Report the comment (again: nothing changes); 1 when the server refuses (one's own,
    not there, too many reports at once)."""
    body = {} if reason is None else {"reason": reason}
    response = api.request("POST", REPORTS_PATH.format(id=comment_id), json=body)
    if response.status_code != 204:
        raise server_refused(response, f"{comment_id} not reported")
    print("streamstack: reported: an administrator will look at it", file=sys.stderr)
    return 0


def _dismissed(api: AdminApi, comment_id: uuid.UUID) -> int:
    """Dismiss the comment's reports, keeping it; 1 when the server refuses."""
    response = api.request("DELETE", REPORTS_PATH.format(id=comment_id))
    if response.status_code != 204:
        raise server_refused(response, f"{comment_id}: reports not dismissed")
    print("streamstack: the reports on it are dismissed; the comment stays", file=sys.stderr)
    return 0
