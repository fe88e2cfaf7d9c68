"""``streamstack storage audit``: objects in ingest's buckets that no item or unfinished upload
accounts for (orphans).

The server does the work (``/api/v1/ingest/storage/audit``): it lists both buckets, which
takes as long as listing them, so a line on stderr says the command is still waiting.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from streamstack.cli.processing import print_item
from streamstack.cli.session import (
    AdminApi,
    ServerUnreachable,
    SignInRequired,
    admin_api,
    error_detail,
)

#: Ingest's audit.
AUDIT_PATH = "/api/v1/ingest/storage/audit"
#: After this long without an answer, stderr says the command is still waiting.
QUIET_SECONDS = 2.0


class AuditRefused(Exception):
    """The server refused or failed the audit; the message says how."""


def run_storage(args: argparse.Namespace) -> int:
    """``streamstack storage audit``: print the report (``--json``: the server's answer as
    it is). Exit 1 when the server cannot be reached or refuses."""
    with admin_api("storage", args) as api:
        try:
            report = _asked(api, "GET", AUDIT_PATH, args.limit, "auditing the buckets")
        except (ServerUnreachable, SignInRequired, AuditRefused) as exc:
            print(f"streamstack: storage audit: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print_item(report)
    else:
        print(said(report))
    return 0


def _asked(api: AdminApi, method: str, path: str, limit: int, doing: str) -> Any:
    """The server's report, with a waiting line on stderr while it lists the buckets."""
    with _waiting(doing):
        response = api.request(method, path, params={"limit": limit})
    if response.status_code != 200:
        raise AuditRefused(error_detail(response))
    return response.json()


def said(report: Any) -> str:
    """The report in lines a person reads: per bucket, its objects, orphans and unrecognised
    keys (those the server named)."""
    grace = report["grace_seconds"]
    lines = [f"grace period: {age_text(grace)} (younger objects of no item are left alone)"]
    for bucket in report["buckets"]:
        lines.append("")
        lines.append(
            f"{bucket['role']} (bucket {bucket['bucket']}): {_objects(bucket['objects'])}, "
            f"{size_text(bucket['bytes'])}"
        )
        lines += _tally_lines("orphans", bucket["orphans"])
        lines += _tally_lines("unrecognised", bucket["unrecognised"])
    return "\n".join(lines)


def _tally_lines(kind: str, tally: Any) -> list[str]:
    lines = [f"  {kind}: {_objects(tally['count'])}, {size_text(tally['bytes'])}"]
    for entry in tally["first"]:
        lines.append(
            f"    {entry['key']}  {size_text(entry['size_bytes'])}, "
            f"{age_text(entry['age_seconds'])} old"
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


def age_text(seconds: int) -> str:
    """``40 s``, ``12 min``, ``5 h``, ``3 d``."""
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds // length} {unit}"
    return f"{seconds} s"


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
