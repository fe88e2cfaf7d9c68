"""``streamstack items``: list the library's videos, edit one (:mod:`.editing`), schedule
one (:mod:`.scheduling`), download one's original (:mod:`.download`), share one by link
(:mod:`.sharing`), like one or list one's liked videos (:mod:`.likes`), say how one does
(:mod:`.statistics`), and publish,
unpublish or delete them, named by id or selected by the library's filters (the library
page's bulk actions, for scripts)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from streamstack.cli.download import downloaded
from streamstack.cli.editing import check_edit, edit_options_given, edited
from streamstack.cli.exits import Exit, Failure
from streamstack.cli.library import as_admin, listed
from streamstack.cli.likes import LIKE_ACTIONS, check_liking, run_liking
from streamstack.cli.output import agreed, check_askable, clock, print_json, table
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.scheduling import check_schedule, scheduled, shown_time
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    failure_of,
    server_refused,
)
from streamstack.cli.sharing import SHARE_ACTIONS, check_sharing, run_sharing
from streamstack.cli.statistics import STATS_ACTION, check_stats, run_stats
from streamstack.contracts.catalogue import ProcessingFilter
from streamstack.settings import SettingsError

#: The web Library's words for the processing states its filter offers (AdminLibrary.tsx's
#: PROCESSING), accepted by ``--processing`` as well as the API's: an admin who reads
#: "Transcoding" there types it here. Hyphens and underscores read as spaces.
LIBRARY_WORDS: dict[str, ProcessingFilter] = {
    "transcoding": "processing",
    "transcoded": "ready",
    "not transcoded": "none",
}


def processing_filter(text: str) -> ProcessingFilter:
    """``--processing``: a processing state as the API names it or as the web Library shows
    it (:data:`LIBRARY_WORDS`), in any case; the state the API is asked for."""
    word = " ".join(text.replace("-", " ").replace("_", " ").lower().split())
    accepted: dict[str, ProcessingFilter] = {s: s for s in get_args(ProcessingFilter)}
    state = (accepted | LIBRARY_WORDS).get(word)
    if state is None:
        raise argparse.ArgumentTypeError(
            f"not a processing state: {text!r}; one of {PROCESSING_WORDS}"
        )
    return state


def _processing_words() -> str:
    """The states ``--processing`` accepts, each with the Library's word for it."""
    library = {state: word for word, state in LIBRARY_WORDS.items()}
    words = [
        f"{state} ({library[state]})" if state in library else state
        for state in get_args(ProcessingFilter)
    ]
    return ", ".join(words[:-1]) + " or " + words[-1]


#: "none (not transcoded), queued, processing (transcoding), …": in the help and a refusal.
PROCESSING_WORDS = _processing_words()


#: The list's filters as options, by the query parameter each sets.
FILTERS = {
    "status": "status",
    "processing": "processing",
    "visibility": "visibility",
    "search": "q",
    "tag": "tag",
}
#: How many titles the question before a deletion lists on the terminal; of more, it names
#: the first :data:`NAMED_IN_QUESTION` and lists every one in a file it names.
LISTED_IN_QUESTION = 50
NAMED_IN_QUESTION = 10
COLUMNS = (
    "ID",
    "STATUS",
    "VISIBILITY",
    "PROCESSING",
    "LENGTH",
    "VIEWS",
    "LIKES",
    "SCHEDULED",
    "TITLE",
)
_Item = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Action:
    """What ``items VERB`` does to each item, and which items it would not change."""

    done: str
    method: str
    body: dict[str, str] | None
    leaves_alone: Callable[[_Item], bool]


ACTIONS = {
    "publish": Action(
        "published", "PATCH", {"status": "published"}, lambda item: item["status"] == "published"
    ),
    # A scheduled draft is not unpublished yet: it goes public at its time unless its
    # schedule is cancelled, which unpublishing it does.
    "unpublish": Action(
        "unpublished",
        "PATCH",
        {"status": "draft"},
        lambda item: item["status"] == "draft" and not item.get("publish_at"),
    ),
    "delete": Action("deleted", "DELETE", None, lambda item: False),
}


@dataclasses.dataclass
class Outcome:
    """What an action came to: the ids it changed, those it had no need to, those gone
    already (a deletion run again) and those it could not change with why (the server's
    error, as ``--json`` prints one); of those unpublished, the scheduled drafts (their schedule
    cancelled, so they stay hidden) and how many share links stop working (the server's
    ``paused_share_links``: those that worked until then)."""

    action: str
    done: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    gone: list[str] = dataclasses.field(default_factory=list)
    failed: dict[str, Failure] = dataclasses.field(default_factory=dict)
    schedules_cancelled: list[str] = dataclasses.field(default_factory=list)
    paused_share_links: int = 0

    def said(self) -> str:
        """The outcome in one line."""
        words = [f"{ACTIONS[self.action].done} {_videos(len(self.done))}"]
        if self.schedules_cancelled:
            words[0] += f" ({len(self.schedules_cancelled)} scheduled: schedule cancelled)"
        if self.unchanged:
            words.append(f"{len(self.unchanged)} already {ACTIONS[self.action].done}")
        if self.gone:
            words.append(f"{len(self.gone)} gone already")
        if self.failed:
            words.append(f"{len(self.failed)} failed")
        said = ", ".join(words)
        # One video's own line has said it already.
        if len(self.done) > 1 and self.paused_share_links:
            said += f"; {_paused_links(self.paused_share_links, len(self.done))}"
        return said


def _paused_links(links: int, videos: int) -> str:
    """What unpublishing ``videos`` did to the ``links`` share links that stop working (the
    web Library's pausedLinksSentence, in a line's words)."""
    them = "it" if videos == 1 else "them"
    if links == 1:
        which = "its share link stops" if videos == 1 else "one share link of theirs stops"
    else:
        which = f"{'its' if videos == 1 else 'their'} {links:,} share links stop"
    return f"{which} working until you publish {them} again"


def run_items(args: argparse.Namespace) -> int:
    """``streamstack items list|edit|schedule|download|share|shares|unshare|like|unlike|
    liked|stats|publish|unpublish|delete``: list the videos the filters select (a table, or
    ``--json``), edit or schedule one and print it as JSON, download one's original and
    print where it went, share one by link, list its links or stop one (:mod:`.sharing`),
    like one, stop liking it or list one's liked videos (:mod:`.likes`), print one's
    statistics (:mod:`.statistics`), or act on the named or
    selected ones one at a time with a line each and print the outcome as JSON. Exit 1 if
    any could not be changed."""
    query = {param: value for option, param in FILTERS.items() if (value := getattr(args, option))}
    if args.action == "edit":
        # There --visibility is the new visibility, not a filter.
        query.pop("visibility", None)
    _check(args, query)
    with admin_api(args) as api:
        if args.action == "list":
            return _listed(_library(api, {**query, "sort": _sort(args)}), as_json=args.json)
        if args.action == "edit":
            return print_json(edited(api, args))
        if args.action == "schedule":
            return print_json(scheduled(api, args))
        if args.action == "download":
            print(downloaded(api, str(args.items[0]), args.output))
            return 0
        if args.action in SHARE_ACTIONS:
            return run_sharing(api, args)
        if args.action in LIKE_ACTIONS:
            return run_liking(api, args)
        if args.action == STATS_ACTION:
            return run_stats(api, args)
        outcome = Outcome(args.action)
        chosen = _named(api, args.items, outcome) if args.items else _library(api, query)
        ask = args.action == "delete" and not args.yes
        return _acted(api, chosen, outcome, ask=ask, search=query.get("q", ""))


def _sort(args: argparse.Namespace) -> str:
    """The order asked for; scheduled drafts are listed as they fall due unless told."""
    if args.sort is not None:
        return str(args.sort)
    return "due" if args.status == "scheduled" else "newest"


def _check(args: argparse.Namespace, query: dict[str, str]) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2)."""
    if args.page is not None and args.action != "liked":
        raise SettingsError(f"items {args.action}: --page goes with liked")
    if args.days is not None and args.action != STATS_ACTION:
        raise SettingsError(f"items {args.action}: --days goes with stats")
    if args.start is not None and args.action != "share":
        raise SettingsError(f"items {args.action}: --start goes with share")
    if args.action == "schedule":
        return check_schedule(args, query)
    if args.action in SHARE_ACTIONS:
        return check_sharing(args, query)
    if args.expires_in_days is not None:
        raise SettingsError(f"items {args.action}: --expires-in-days goes with share")
    if args.cancel:
        raise SettingsError(f"items {args.action}: --cancel goes with schedule")
    if args.output is not None and args.action != "download":
        raise SettingsError(f"items {args.action}: --output goes with download")
    if words := [str(word) for word in args.items if not isinstance(word, uuid.UUID)]:
        raise SettingsError(f"items {args.action}: not an item's id: {', '.join(words)}")
    if args.action == "edit":
        return check_edit(args, query)
    if given := edit_options_given(args):
        raise SettingsError(f"items {args.action}: {', '.join(given)} go with edit")
    if args.action in LIKE_ACTIONS:
        return check_liking(args, query)
    if args.action == STATS_ACTION:
        return check_stats(args, query)
    if args.action == "download":
        return _check_download(args, query)
    if args.action == "list":
        if args.items:
            raise SettingsError(
                "items list: select with --status, --processing, --visibility, --search or --tag"
            )
        return
    if bool(args.items) == bool(query):
        raise SettingsError(
            f"items {args.action}: name the items, or select them with --status, "
            "--processing, --visibility, --search or --tag (one)"
        )
    if args.action == "delete" and not args.yes:
        check_askable(
            "items delete", "the videos go for good, with their files, captions and stills"
        )


def _check_download(args: argparse.Namespace, query: dict[str, str]) -> None:
    """One item, and an output that is no folder."""
    if len(args.items) != 1 or query:
        raise SettingsError("items download: name one ITEM (by its id); filters select none")
    if args.output is not None and Path(args.output).is_dir():
        raise SettingsError(f"items download: --output names a folder: {args.output}")


def _library(api: AdminApi, query: dict[str, str]) -> list[_Item]:
    """The items the list shows with ``query``, as an admin sees them."""
    return [as_admin(item) for item in listed(api, query)]


def _listed(items: list[_Item], *, as_json: bool) -> int:
    """Print ``items`` as a table (or JSON); the count on stderr."""
    if as_json:
        return print_json(items)
    if items:
        print(table([COLUMNS, *(_row(item) for item in items)]))
    print(f"streamstack: {_videos(len(items))}", file=sys.stderr)
    return 0


def _row(item: _Item) -> tuple[str, ...]:
    """One item's cells, in the order of :data:`COLUMNS`."""
    seconds = item["duration_seconds"]
    return (
        item["id"],
        item["status"],
        item.get("visibility", "listed"),
        item["processing_state"],
        "-" if seconds is None else clock(seconds),
        f"{item['view_count']:,}",
        f"{item.get('like_count', 0):,}",
        shown_time(item.get("publish_at")),
        item["title"],
    )


def _named(api: AdminApi, ids: list[Any], outcome: Outcome) -> list[_Item]:
    """The named items as they are now; one the server will not show is failed, said why."""
    found = []
    for item_id in dict.fromkeys(str(item_id) for item_id in ids):
        response = api.get(ITEM_PATH.format(id=item_id))
        if response.status_code == 200:
            found.append(as_admin(response.json()))
        elif response.status_code == 403:
            raise server_refused(response)
        else:
            _failed(outcome, item_id, response)
    return found


def _acted(
    api: AdminApi, chosen: list[_Item], outcome: Outcome, *, ask: bool, search: str = ""
) -> int:
    """Act on each chosen item the action would change, in turn, after asking when
    ``ask`` (saying they are those ``search`` matches); print the outcome (JSON on
    stdout, one line on stderr)."""
    action = ACTIONS[outcome.action]
    todo = [item for item in chosen if not action.leaves_alone(item)]
    outcome.unchanged = [item["id"] for item in chosen if action.leaves_alone(item)]
    if ask and todo and not confirmed_deletion(todo, search=search):
        print("streamstack: nothing deleted", file=sys.stderr)
        return 1
    for number, item in enumerate(todo, 1):
        response = api.request(action.method, ITEM_PATH.format(id=item["id"]), json=action.body)
        if response.status_code in (200, 204):
            outcome.done.append(item["id"])
            said = f"{action.done} {number} of {len(todo)}: {item['id']} {item['title']}"
            if outcome.action == "unpublish" and item["status"] == "draft":
                outcome.schedules_cancelled.append(item["id"])
                said += " (its schedule cancelled)"
            if outcome.action == "publish" and item.get("published_at"):
                # Public before: the server keeps its first date, so it is no new release.
                first = shown_time(item["published_at"])
                said += f" (public before: back in its place, first published {first})"
            if paused := _paused(response):
                outcome.paused_share_links += paused
                said += f" ({_paused_links(paused, 1)})"
            print(f"streamstack: {said}", file=sys.stderr)
        elif response.status_code == 403:
            raise server_refused(response)
        else:
            _failed(outcome, item["id"], response)
    print(f"streamstack: {outcome.said()}", file=sys.stderr)
    # Failures all of one kind (every id unknown, the server away) say so by the exit code.
    exits = {failure.exit for failure in outcome.failed.values()} or {Exit.DONE}
    return print_json(dataclasses.asdict(outcome), exits.pop() if len(exits) == 1 else Exit.FAILED)


def _paused(response: Any) -> int:
    """How many share links an edit's answer says it paused (none from a deletion)."""
    if response.status_code != 200:
        return 0
    return int(response.json().get("paused_share_links", 0))


def _failed(outcome: Outcome, item_id: str, response: Any) -> None:
    """Note that ``item_id`` was not changed, on stderr too; a deletion's item the server
    no longer has is gone already (a cleanup run again), not failed."""
    if outcome.action == "delete" and response.status_code == 404:
        outcome.gone.append(item_id)
        print(f"streamstack: {item_id} gone already", file=sys.stderr)
        return
    failure = failure_of(response)
    outcome.failed[item_id] = failure
    done = ACTIONS[outcome.action].done
    print(f"streamstack: {item_id} not {done}: {failure.detail}", file=sys.stderr)


def confirmed_deletion(items: list[_Item], *, search: str = "") -> bool:
    """Ask on the terminal before deleting ``items``, listing every one: a search may
    hold videos not meant ("Under-12" once took "Under-14"), which a few names would not
    show. Past :data:`LISTED_IN_QUESTION` (a terminal's screen), the first are named and
    every one is listed in a file the question names."""
    names = [f"  {item['title']} ({item['id']})" for item in items]
    if len(items) > LISTED_IN_QUESTION:
        every_one = _written(names)
        more = len(items) - NAMED_IN_QUESTION
        names = [*names[:NAMED_IN_QUESTION], f"  …and {more} more, every one listed in {every_one}"]
    if search:
        names.append(f'These are the videos matching "{search}": check the list.')
    question = f"Delete {_videos(len(items))} with their files, captions and stills? [y/N] "
    return agreed("\n".join([*names, question]))


def _written(lines: list[str]) -> str:
    """``lines`` in a new file of the temporary folder (kept: it is read after); its path."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", prefix="streamstack-delete-", suffix=".txt", delete=False
    ) as file:
        file.write("".join(f"{line.strip()}\n" for line in lines))
    return file.name


def _videos(count: int) -> str:
    return f"{count:,} video{'' if count == 1 else 's'}"
