"""``streamstack workers``: whether transcoding works, the queue of transcoding jobs and the
workers taking them (``/api/v1/ingest/transcoding``).

Exit 1 when videos wait and no worker runs to take them (nothing says so elsewhere: the
uploads just stay queued), or when items are queued or transcoding but the queue holds no
job for them (its store lost: the library's queued and transcoding items are compared with
the queue's jobs), so a script or a monitor can run it; 0 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from typing import Any

from streamstack.cli.library import listed
from streamstack.cli.output import print_json, span, table
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    server_refused,
)

#: Ingest's status of the transcoding queue and its workers.
STATUS_PATH = "/api/v1/ingest/transcoding"
COLUMNS = ("WORKER", "HOST", "PID", "JOBS", "STARTED", "LAST SEEN")
#: What ``state`` adds to the summary line (``no_worker`` says more, on its own).
_STATE_NOTES = {"busy": " (all busy: more workers would go faster)"}


def run_workers(args: argparse.Namespace) -> int:
    """``streamstack workers``: print the summary and a table of the workers seen (``--json``:
    the server's answer); exit 1 when jobs wait and no worker is seen, or the server cannot
    be reached or refuses."""
    with admin_api(args) as api:
        response = api.get(STATUS_PATH)
        if response.status_code != 200:
            raise server_refused(response)
        status: dict[str, Any] = response.json()
        lost = jobless(api, status)
    stalled = status["state"] == "no_worker"
    if args.json:
        print_json(status)
    else:
        print(summary(status))
        if status["workers"]:
            now = datetime.datetime.now(datetime.UTC)
            print(table([COLUMNS, *(_row(worker, now) for worker in status["workers"])]))
            for worker in status["workers"]:
                if worker.get("waiting"):
                    print(f"{worker['id']}: {worker['waiting']}")
    if stalled:
        print(f"streamstack: {no_worker_warning(status)}", file=sys.stderr)
    if lost:
        print(f"streamstack: {lost}", file=sys.stderr)
    return 1 if stalled or lost else 0


def jobless(api: AdminApi, status: dict[str, Any]) -> str | None:
    """What to do when more items are queued or transcoding than the queue holds jobs
    (with those ingest has not handed over yet): the queue lost theirs. None otherwise.

    The queue names no job's item, so the items are named only when it holds none."""
    items = [
        item["id"]
        for state in ("queued", "processing")
        for item in listed(api, {"processing": state}, f"{state} items")
    ]
    jobs = queued(status) + status.get("unrelayed", 0)
    if len(items) <= jobs:
        return None
    count = len(items) - jobs
    them = "1 item is" if count == 1 else f"{count} items are"
    ids = " ".join(items) if jobs == 0 else "ITEM (one of: " + " ".join(items) + ")"
    return (
        f"{them} queued but the queue has no job for {'it' if count == 1 else 'them'} "
        f"(was the queue's store lost?): run streamstack transcode --force {ids}"
    )


def queued(status: dict[str, Any]) -> int:
    """Every job in the queue: waiting, running, and held by a worker no longer seen."""
    return int(status["waiting"] + status["running"] + status["stranded"])


def summary(status: dict[str, Any]) -> str:
    """``Transcoding: 3 waiting, 1 in progress · 2 workers``, as the library page says it;
    jobs a killed worker still holds are said apart, with when they are queued again (so
    nobody restarts anything for them)."""
    waiting, running, seen = status["waiting"], status["running"], len(status["workers"])
    stranded = status["stranded"]
    held = "1 held by a worker" if stranded == 1 else f"{stranded} held by workers"
    counts = [
        f"{waiting} waiting" if waiting else "",
        f"{running} in progress" if running else "",
        f"{held} that stopped answering (queued again within {status['requeued_within_seconds']} s)"
        if stranded
        else "",
    ]
    jobs = ", ".join(count for count in counts if count) or "nothing waiting"
    workers = "no worker running" if not seen else "1 worker" if seen == 1 else f"{seen} workers"
    return f"Transcoding: {jobs} · {workers}{_STATE_NOTES.get(status['state'], '')}"


def no_worker_warning(status: dict[str, Any]) -> str:
    """What to do when videos wait and no worker takes them."""
    count = queued(status)
    videos = "1 video is" if count == 1 else f"{count} videos are"
    return (
        f"{videos} waiting to be transcoded, but no transcoding worker is running (none seen "
        f"in the last {status['seen_within_seconds']}s). Start one with `streamstack worker` "
        "(README, Workers)."
    )


def _row(worker: dict[str, Any], now: datetime.datetime) -> tuple[str, ...]:
    """One worker's cells, in the order of :data:`COLUMNS`."""
    started = now - datetime.datetime.fromisoformat(worker["started_at"])
    seen = now - datetime.datetime.fromisoformat(worker["last_seen_at"])
    return (
        worker["id"],
        worker["host"],
        str(worker["pid"]),
        f"{worker['running']} of {worker['concurrency']}",
        f"{span(started)} ago",
        f"{span(seen)} ago",
    )
