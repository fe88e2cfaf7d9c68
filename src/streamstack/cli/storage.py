"""``streamstack storage audit``: objects in ingest's buckets that no item or unfinished upload
accounts for (orphans), reported, or with ``--delete`` deleted.

The server does the work (``/api/v1/ingest/storage/audit``): it lists both buckets, which
takes as long as listing them, so a line on stderr says the command is still waiting.
What ``--delete`` removes is what the server's own fresh audit finds, never a list sent
from here.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from streamstack.cli.output import agreed, check_askable, print_json, span
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    server_refused,
)

#: Ingest's audit, and the deletion of the orphans a fresh audit finds.
AUDIT_PATH = "/api/v1/ingest/storage/audit"
DELETE_PATH = "/api/v1/ingest/storage/audit/delete"
#: After this long without an answer, stderr says the command is still waiting.
QUIET_SECONDS = 2.0


def run_storage(args: argparse.Namespace) -> int:
    """``streamstack storage audit [--delete [--yes]]``: print the report (``--json``: the
    server's answer as it is); with ``--delete``, show it, ask, and delete the orphans.
    Exit 1 when an item is missing files or has damaged ones (for cron and monitoring, as ``streamstack
    workers``), the server cannot be reached or refuses, or the deletion is declined."""
    if args.delete and not args.yes:
        check_askable("storage audit --delete", "the orphans the audit finds go for good")
    with admin_api(args) as api:
        if args.delete and not args.yes:
            report = _asked(api, "GET", AUDIT_PATH, args, "auditing the buckets")
            _show(report, args)
            if not orphan_count(report):
                return exit_status(report)  # nothing to ask about
            if not confirmed(report):
                print("streamstack: nothing deleted", file=sys.stderr)
                return 1
        if args.delete:
            report = _asked(api, "POST", DELETE_PATH, args, "deleting the orphans")
        else:
            report = _asked(api, "GET", AUDIT_PATH, args, "auditing the buckets")
    _show(report, args)
    return exit_status(report)


def exit_status(report: Any) -> int:
    """1 when the report finds an item missing or with damaged files, else 0."""
    return 1 if report["missing"]["count"] else 0


def _asked(api: AdminApi, method: str, path: str, args: argparse.Namespace, doing: str) -> Any:
    """The server's report, with a waiting line on stderr while it lists the buckets. The
    question and the deletion after it are sent the same ``--grace``: what was shown is
    what may go."""
    params = {"limit": args.limit}
    if args.grace is not None:
        params["grace_seconds"] = args.grace
    with _waiting(doing):
        response = api.request(method, path, params=params)
    if response.status_code != 200:
        raise server_refused(response)
    return response.json()


def _show(report: Any, args: argparse.Namespace) -> None:
    if args.json:
        print_json(report)
    else:
        print(said(report, deleting=args.delete))


def orphan_count(report: Any) -> int:
    """How many orphans the report counts in all buckets."""
    return sum(bucket["orphans"]["count"] for bucket in report["buckets"])


def confirmed(report: Any) -> bool:
    """Whether the person at the terminal says to delete the report's orphans, asked on
    stderr (as every command's question: stdout stays the report)."""
    count = orphan_count(report)
    size = size_text(sum(bucket["orphans"]["bytes"] for bucket in report["buckets"]))
    return agreed(f"Delete {_objects(count)} ({size}) that no item accounts for? [y/N] ")


def said(report: Any, *, deleting: bool = False) -> str:
    """The report in lines a person reads: per bucket, its objects, orphans and unrecognised
    keys (those the server named), and what to do next."""
    grace = report["grace_seconds"]
    lines = [
        f"grace period: {span(timedelta(seconds=grace))} (younger objects of no item are left alone)"
    ]
    for bucket in report["buckets"]:
        lines.append("")
        lines.append(
            f"{bucket['role']} (bucket {bucket['bucket']}): {_objects(bucket['objects'])}, "
            f"{size_text(bucket['bytes'])}"
        )
        kind = "deleted" if report["deleted"] else "orphans"
        lines += _tally_lines(kind, bucket["orphans"])
        lines += _tally_lines("unrecognised (never deleted)", bucket["unrecognised"])
        lines += _young_lines(bucket["younger_than_grace"], grace, report["judged_after"])
    lines += missing_lines(report["missing"])
    if not report["deleted"] and orphan_count(report) and not deleting:
        lines += ["", "delete the orphans with `streamstack storage audit --delete`"]
    return "\n".join(lines)


#: What each missing part is called, for a person.
_PARTS = {
    "original": "its video file",
    "stream": "its stream (the files viewers play)",
    "thumbnail": "its thumbnail",
    "captions": "its caption files",
}


#: An item's stream files that are not the size they were written with.
_DAMAGED = "damaged stream files (not the size they were written with: cut short?)"


def missing_lines(missing: Any) -> list[str]:
    """The items whose media is missing or damaged, each named with what is wrong and what
    viewers get meanwhile, and what to do; and those that could not be checked for damage."""
    checked = f"{missing['items_checked']} item{'' if missing['items_checked'] == 1 else 's'}"
    if not missing["count"]:
        none = f"items: {checked} checked, none has a missing or damaged file"
        return ["", none, *unchecked_lines(missing)]
    count = missing["count"]
    lines = [
        "",
        f"items: {checked} checked, {count} {'has' if count == 1 else 'have'} missing or "
        "damaged files (a bucket restored from an older backup, or a lost volume?):",
    ]
    for entry in missing["first"]:
        parts = ", ".join(_PARTS[part] for part in entry["missing"] if part in _PARTS)
        wrong = [
            f"missing {parts}" if parts else "",
            _DAMAGED if "damaged" in entry["missing"] else "",
        ]
        lines.append(
            f"  {entry['title'] or entry['id']} ({entry['id']}): "
            f"{'; '.join(part for part in wrong if part)} — {viewers_get(entry)}"
        )
    if count > len(missing["first"]):
        lines.append(f"  … and {count - len(missing['first'])} more")
    lines += [
        "  Restore the files from a backup of the buckets, or:",
        "    no video file: upload it again with `streamstack upload --replace ID FILE`, "
        "or delete the item",
        "    no stream, or a damaged one: `streamstack transcode --force ID` makes it again "
        "from the video file",
        "    no thumbnail: `streamstack thumbnail ID --default` makes it again",
        "    no caption files: add them again with `streamstack captions add ID LANGUAGE FILE`",
    ]
    return [*lines, *unchecked_lines(missing)]


def unchecked_lines(missing: Any) -> list[str]:
    """The items whose stream could be checked for missing files but not damaged ones (made
    before sizes were recorded), and how to make them checkable; nothing when none."""
    count = missing.get("unchecked", 0)
    if not count:
        return []
    named = missing["unchecked_first"]
    more = f" … and {count - len(named)} more" if count > len(named) else ""
    return [
        f"  {count} {'item' if count == 1 else 'items'} could not be checked for damaged files "
        "(made before file sizes were recorded); `streamstack transcode --force ID` makes "
        f"one checkable: {' '.join(named)}{more}",
    ]


def viewers_get(entry: Any) -> str:
    """What viewers get of an item missing ``entry['missing']``: a lost original still
    plays from the item's package (viewers never play the original of a packaged item),
    but no transcode or download can read it."""
    missing = entry["missing"]
    plays = not ("stream" in missing or ("original" in missing and not entry["packaged"]))
    said = ["still plays" if plays else "cannot be played"]
    if "original" in missing and plays:
        said.append("cannot be transcoded again or downloaded")
    if "damaged" in missing and plays:
        said.append("skips or stalls where a file is damaged")
    if "captions" in missing:
        said.append("no captions")
    if "thumbnail" in missing:
        said.append("no picture in lists")
    return "; ".join(said)


def _young_lines(tally: Any, grace: int, judged_after: str | None) -> list[str]:
    """The objects of no item left alone as younger than the grace period, and when they
    are judged (nothing when there are none)."""
    if not tally["count"]:
        return []
    when = datetime.fromisoformat(judged_after).astimezone() if judged_after else None
    after = f" after {when:%Y-%m-%d %H:%M %Z}" if when else ""
    return [
        f"  {_objects(tally['count'])}, {size_text(tally['bytes'])} of no item "
        f"{'is' if tally['count'] == 1 else 'are'} younger than the grace period "
        f"({span(timedelta(seconds=grace))}); they are judged{after}, or now with --grace 0"
    ]


def _tally_lines(kind: str, tally: Any) -> list[str]:
    lines = [f"  {kind}: {_objects(tally['count'])}, {size_text(tally['bytes'])}"]
    for entry in tally["first"]:
        lines.append(
            f"    {entry['key']}  {size_text(entry['size_bytes'])}, "
            f"{span(timedelta(seconds=entry['age_seconds']))} old"
        )
    if tally["count"] > len(tally["first"]):
        lines.append(f"    … and {tally['count'] - len(tally['first'])} more")
    return lines


def _objects(count: int) -> str:
    return f"{count} object{'' if count == 1 else 's'}"


def size_text(size: int) -> str:
    """``12 B``, ``3.4 MiB``, ``1.2 TiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


@contextlib.contextmanager
def _waiting(doing: str) -> Iterator[None]:
    """While the block runs longer than :data:`QUIET_SECONDS`, say on stderr how long it
    has waited (redrawn each second on a terminal, a line every 30 s in a log)."""
    stop = threading.Event()
    drawn = threading.Event()
    tty = sys.stderr.isatty()

    def tell() -> None:
        started = time.monotonic()
        if stop.wait(QUIET_SECONDS):
            return
        while True:
            waited = int(time.monotonic() - started)
            if tty:
                sys.stderr.write(f"\rstreamstack: {doing} · {waited} s")
            elif waited % 30 == 0 or not drawn.is_set():
                sys.stderr.write(f"streamstack: {doing} · {waited} s\n")
            sys.stderr.flush()
            drawn.set()
            if stop.wait(1.0):
                return

    thread = threading.Thread(target=tell, name="storage-audit-wait", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if tty and drawn.is_set():
            sys.stderr.write("\n")
