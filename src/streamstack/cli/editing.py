"""``streamstack items edit``: change an item's title, description, tags, visibility or
whether it takes comments, as the
library's edit form does: only the fields given are sent, with the ``etag`` the command
read as ``If-Match``, so an edit made by someone else meanwhile is not overwritten.

Limits (a title's length, a tag's characters) are the server's alone: what it refuses
is said in its own words, and nothing changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streamstack.cli.exits import CommandFailed
from streamstack.cli.library import as_admin
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import AdminApi, error_detail, server_refused
from streamstack.contracts.catalogue import normalize_tag
from streamstack.settings import SettingsError

#: The options of ``items edit``, by their ``args`` attribute, as the command line spells them.
EDIT_OPTIONS = {
    "title": "--title",
    "description": "--description",
    "description_file": "--description-file",
    "tags": "--tags",
    "add_tag": "--add-tag",
    "remove_tag": "--remove-tag",
    "comments": "--comments",
}


#: ``items edit``'s option of the new visibility, which filters the list in other actions.
VISIBILITY_OPTION = "--visibility"


def edit_options_given(args: argparse.Namespace) -> list[str]:
    """The edit options on the command line (``--title`` …), as it spells them."""
    given = [flag for name, flag in EDIT_OPTIONS.items() if getattr(args, name) not in (None, [])]
    if args.action == "edit" and args.visibility is not None:
        given.append(VISIBILITY_OPTION)
    return given


def check_edit(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse an edit the command line cannot mean (a :class:`SettingsError`, exit 2)."""
    if len(args.items) != 1 or query:
        raise SettingsError("items edit: name one ITEM (by its id); filters select none")
    if not edit_options_given(args):
        options = [*EDIT_OPTIONS.values(), VISIBILITY_OPTION]
        raise SettingsError("items edit: say what to change: " + ", ".join(options))
    if args.description is not None and args.description_file is not None:
        raise SettingsError("items edit: --description or --description-file, not both")
    if args.tags is not None and (args.add_tag or args.remove_tag):
        raise SettingsError("items edit: --tags (all of them) or --add-tag/--remove-tag, not both")
    chosen = args.description_file
    if chosen not in (None, "-") and not Path(chosen).is_file():
        raise SettingsError(f"items edit: no such file: {chosen}")


def description_given(args: argparse.Namespace) -> str | None:
    """The new description: ``--description``, or the text of ``--description-file``
    (``-``: standard input), its final line breaks dropped as a shell's ``$(cat F)`` does;
    None when neither is given."""
    chosen = args.description_file
    if chosen is None:
        return args.description  # type: ignore[no-any-return]
    try:
        text = sys.stdin.read() if chosen == "-" else Path(chosen).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"items edit: {chosen} is not UTF-8 text") from None
    return text.rstrip("\r\n")


def edited(api: AdminApi, args: argparse.Namespace) -> Any:
    """Edit the one named item with what ``args`` gives; the item after the edit.

    The item is read, then sent back conditionally (``If-Match``). An edit made between
    the two (412 ``changed_elsewhere``) is not overwritten: ``--add-tag``/``--remove-tag``,
    which change the tags as they are, read the item again and try once more; any other
    edit would replace what was changed meanwhile, so it stops and says so."""
    item_id = str(args.items[0])
    description = description_given(args)
    relative = bool(args.add_tag or args.remove_tag)
    for attempt in (1, 2):
        item = _read(api, item_id)
        response = api.request(
            "PATCH",
            ITEM_PATH.format(id=item_id),
            json=_changes(args, item, description),
            headers={"If-Match": item["etag"]},
        )
        if response.status_code == 200:
            fields = [flag.lstrip("-") for flag in edit_options_given(args)]
            print(f"streamstack: edited {item_id}: {', '.join(fields)}", file=sys.stderr)
            return response.json()
        if response.status_code != 412:
            raise server_refused(response, f"{item_id} not edited")
        if not relative or attempt == 2:
            break
        print(f"streamstack: {item_id} was changed meanwhile; reading it again", file=sys.stderr)
    raise CommandFailed(
        f"{item_id} not edited: someone else changed it after this command read it "
        f"({error_detail(response)}); nothing was saved and their change stands: look at "
        "the item as it is now, then run the command again"
    )


def _read(api: AdminApi, item_id: str) -> dict[str, Any]:
    """The item as an admin sees it now (its ``etag`` too)."""
    response = api.get(ITEM_PATH.format(id=item_id))
    if response.status_code != 200:
        raise server_refused(response, f"{item_id}")
    return as_admin(response.json())


def _changes(args: argparse.Namespace, item: dict[str, Any], description: str | None) -> Any:
    """The PATCH body: the fields given, the tags worked out from ``item``'s for
    ``--add-tag``/``--remove-tag`` (a removed tag matched as the server stores tags)."""
    body: dict[str, Any] = {}
    if args.title is not None:
        body["title"] = args.title
    if args.comments is not None:
        body["comments_enabled"] = args.comments == "on"
    if args.visibility is not None:
        body["visibility"] = args.visibility
    if description is not None:
        body["description"] = description
    if args.tags is not None:
        # As an upload's comma-separated tags are read: blank pieces are no tags.
        body["tags"] = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
    elif args.add_tag or args.remove_tag:
        removed = {normalize_tag(tag) for tag in args.remove_tag or ()}
        kept = [tag for tag in item["tags"] if tag not in removed]
        body["tags"] = kept + [tag for tag in args.add_tag or () if tag not in kept]
    return body
