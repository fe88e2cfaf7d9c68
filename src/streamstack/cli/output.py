"""What the commands print: JSON on standard output for scripts, tables for people, spans
of time in their largest unit, and the question before a deletion (or the refusal to go
ahead unasked)."""

from __future__ import annotations

import datetime
import json
import math
import sys
from typing import Any

from streamstack.cli.exits import Exit, Failure
from streamstack.settings import SettingsError


def print_json(value: object, code: int = 0) -> int:
    """Print ``value`` as indented JSON on standard output; ``code`` (the command's exit).

    Text as it is (a title ``Über``, not ``\\u00dcber``) when standard output can encode
    it; escaped otherwise (a C locale's ASCII), as JSON allows either way."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(value, indent=2)
    print(text)
    return code


def print_failure(where: str, failure: Failure, *, as_json: bool) -> Exit:
    """Say why ``where`` (the command: ``items list``) failed, on standard error: a line
    each line of it, or with ``as_json`` one JSON object, ``{"error": {...}}`` (a script
    reads the server's code there); the exit code that says what to do about it."""
    if as_json:
        print(json.dumps({"error": failure.as_json()}), file=sys.stderr)
    else:
        for line in failure.detail.splitlines():
            print(f"streamstack: {where}: {line}", file=sys.stderr)
    return failure.exit


def span(duration: datetime.timedelta) -> str:
    """A duration in its largest whole unit: ``45s``, ``12m``, ``3h``, ``2d``."""
    seconds = max(0, int(duration.total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def lasting(expires_at: str) -> str:
    """How long a code the server just made lasts, from now until ``expires_at`` (its ISO
    time) to the nearest minute, then in its largest whole unit: ``1h``, ``2d`` (the
    moments the request took would otherwise floor a full day to ``23h``), with the
    moment itself: ``1h (until 2026-12-05 15:30 UTC)``."""
    expires = datetime.datetime.fromisoformat(expires_at).astimezone(datetime.UTC)
    left = expires - datetime.datetime.now(datetime.UTC)
    minutes = datetime.timedelta(minutes=round(left.total_seconds() / 60))
    return f"{span(minutes)} (until {expires:%Y-%m-%d %H:%M} UTC)"


def handed_over(secret: dict[str, Any], server: str, what: str, terms: str) -> dict[str, Any]:
    """Say a one-time secret the server just made (an invite, a password reset) on standard
    error: ``what`` it is, how long it lasts and its ``terms``, then the link to hand over
    (``server`` leading the answer's ``link_path``); the answer, with its ``link``. An
    older server's answer names no link: the secret is still said, without one."""
    said = f"streamstack: {what}, shown only now, valid for {lasting(secret['expires_at'])}{terms}."
    if "link_path" not in secret:
        print(said, file=sys.stderr)
        return secret
    secret["link"] = server.rstrip("/") + secret["link_path"]
    print(f"{said} Hand it over with this link:\n  {secret['link']}", file=sys.stderr)
    return secret


def table(rows: list[tuple[str, ...]]) -> str:
    """``rows`` in columns two spaces apart, each as wide as its widest cell (the last
    one unpadded)."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    widths[-1] = 0
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def clock(seconds: float) -> str:
    """A length as the web shows it (``formatDuration``), to the nearest second (half up):
    ``0:07``, ``0:04`` for 3.67 s, ``12:05``, ``1:02:05``; one under a second in tenths,
    never none (``0:00.3``)."""
    tenths = max(1, math.floor(seconds * 10 + 0.5))
    if seconds > 0 and tenths < 10:
        return f"0:00.{tenths}"
    # Not round(): it rounds halves to even (2.5 -> 2) where the web's Math.round goes up.
    whole = math.floor(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, seconds_left = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds_left:02d}" if hours else f"{minutes}:{seconds_left:02d}"


def agreed(question: str) -> bool:
    """Ask ``question`` (its lines, the last ending ``[y/N] ``) on standard error, as every
    line but the JSON: standard output stays the answer alone; whether the person at the
    terminal said yes (no answer: no)."""
    print(question, end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def check_askable(command: str, consequence: str) -> None:
    """Refuse (a :class:`SettingsError`, exit 2) to ask where no terminal can answer: a
    script must not do ``consequence`` unawares, and ``--yes`` says it means to. The
    refusal names the command and what it would do."""
    if not sys.stdin.isatty():
        raise SettingsError(
            f"{command}: {consequence}; with no terminal to ask, pass --yes to go ahead"
        )
