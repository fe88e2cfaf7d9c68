"""``streamstack captions``: list, add (or replace) and remove an item's caption tracks."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from streamstack.cli.exits import CommandFailed
from streamstack.cli.output import clock, print_json, table
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    error_detail,
    failure_of,
    server_refused,
)
from streamstack.contracts.languages import canonical_language
from streamstack.settings import SettingsError

#: Ingest's route of one track: PUT adds or replaces it, DELETE removes it.
TRACK_PATH = "/api/v1/ingest/items/{id}/captions/{language}"
COLUMNS = ("LANGUAGE", "LABEL", "SOURCE")


def run_captions(args: argparse.Namespace) -> int:
    """``streamstack captions list|add|remove ITEM [LANGUAGE [FILE]]``: print the item's
    tracks (a table, or ``--json``), or change one and print the tracks as JSON. Exit 1
    when the server refuses (nothing changed then)."""
    _check(args)
    with admin_api(args) as api:
        if args.action == "list":
            return _shown(_tracks(api, str(args.item)), as_json=args.json)
        return print_json(_changed(api, args))


def _check(args: argparse.Namespace) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2)."""
    wanted = {"list": (False, False), "add": (True, True), "remove": (True, False)}
    if (args.language is not None, args.file is not None) != wanted[args.action]:
        shape = {"list": "ITEM", "add": "ITEM LANGUAGE FILE", "remove": "ITEM LANGUAGE"}
        raise SettingsError(f"captions {args.action}: give {shape[args.action]}")
    if args.label is not None and args.action != "add":
        raise SettingsError("captions: --label goes with add")
    if args.encoding is not None and args.action != "add":
        raise SettingsError("captions: --encoding goes with add")
    if args.action == "add" and not args.file.is_file():
        raise SettingsError(f"captions add: no such file: {args.file}")


def _tracks(api: AdminApi, item_id: str) -> list[dict[str, Any]]:
    """The item's caption tracks as recorded now."""
    response = api.get(ITEM_PATH.format(id=item_id))
    if response.status_code != 200:
        raise server_refused(response, f"{item_id}")
    tracks: list[dict[str, Any]] = response.json()["captions"]
    return tracks


def _shown(tracks: list[dict[str, Any]], *, as_json: bool) -> int:
    """Print ``tracks`` as a table (or JSON); a line on stderr when there are none."""
    if as_json:
        return print_json(tracks)
    if tracks:
        rows = [(track["language"], track["label"], track["source"]) for track in tracks]
        print(table([COLUMNS, *rows]))
    else:
        print("streamstack: the item has no caption track", file=sys.stderr)
    return 0


def _changed(api: AdminApi, args: argparse.Namespace) -> Any:
    """Add (or replace) or remove the track; the item's tracks after it."""
    path = TRACK_PATH.format(id=args.item, language=args.language)
    # The server takes a tag in any case (EN, pt_br); what it did is said in its spelling.
    language = canonical_language(args.language) or args.language
    if args.action == "remove":
        response = api.request("DELETE", path)
        if response.status_code != 204:
            raise server_refused(response, f"{args.language} not removed")
        print(f"streamstack: removed the {language} track", file=sys.stderr)
        return {"media_id": str(args.item), "captions": _tracks(api, str(args.item))}
    given = {"label": args.label, "encoding": args.encoding}
    response = api.request(
        "PUT",
        path,
        params={name: value for name, value in given.items() if value is not None},
        content=args.file.read_bytes(),
        # The server reads WebVTT or SubRip by what the file holds, not by its name.
        headers={"Content-Type": "application/octet-stream"},
    )
    if response.status_code != 200:
        said = f"{args.language} not stored: {error_detail(response)}"
        if response.status_code == 422 and "caption_encoding" in response.text:
            said += (
                " (give --encoding, such as --encoding windows-1252; captions --help lists them)"
                if args.encoding is None
                else " (another --encoding, perhaps; captions --help lists them)"
            )
        raise CommandFailed(said, failure_of(response))
    print(f"streamstack: stored the {language} track", file=sys.stderr)
    stored = response.json()
    if late := stored.get("cues_after_end"):
        cues = f"cue of {stored['cues']} starts" if late == 1 else f"cues of {stored['cues']} start"
        print(
            f"streamstack: {late} {cues} after the video ends "
            f"({clock(stored['duration_seconds'])}): is this the caption file of another cut?",
            file=sys.stderr,
        )
    return stored
