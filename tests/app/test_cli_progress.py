"""The upload's progress line on a terminal never leaves stray characters (issue 16.9); in a
log it is a line per tenth, and one at least every half minute while work goes on (F25).

The line is redrawn in place with a carriage return; what a terminal then shows is
emulated here: when a shorter line (a slower rate, fewer digits) replaces a longer one,
or a note is printed between two progress lines, every visible character must belong
to the newest text.
"""

from __future__ import annotations

import io
from typing import Any, cast

import pytest

from streamstack.cli import tus_client
from streamstack.cli.tus_client import ProgressLine

MIB = 1024 * 1024


class Terminal(io.StringIO):
    """An output stream that says it is a TTY."""

    def isatty(self) -> bool:
        return True

    def screen(self) -> list[str]:
        """The visible lines: ``\\r`` returns to column 0 and overwrites, ``\\n`` ends a line."""
        lines: list[list[str]] = [[]]
        column = 0
        for char in self.getvalue():
            if char == "\r":
                column = 0
            elif char == "\n":
                lines.append([])
                column = 0
            else:
                line = lines[-1]
                if column < len(line):
                    line[column] = char
                else:
                    line.append(char)
                column += 1
        return ["".join(line).rstrip() for line in lines]


def test_a_shorter_redraw_blanks_the_rest_of_the_longer_line() -> None:
    terminal = Terminal()
    progress = ProgressLine(terminal)
    progress.show(0, 100 * MIB)
    progress._line = "x" * 200
    progress._redraw(progress._line)
    progress.show(50 * MIB, 100 * MIB)
    *_, last = terminal.screen()
    assert last.startswith("[##########----------]  50%  50.0/100.0 MiB"), last
    assert "x" not in last, last


def test_a_note_gets_its_own_line_and_the_progress_line_comes_back() -> None:
    terminal = Terminal()
    progress = ProgressLine(terminal)
    progress.show(90 * MIB, 100 * MIB)
    progress.note("ok")
    progress.show(100 * MIB, 100 * MIB)
    progress.done()
    screen = terminal.screen()
    assert screen[0] == "ok", screen  # nothing of the longer progress line after it
    assert screen[1].startswith("[####################] 100%  100.0/100.0 MiB"), screen
    assert screen[2:] == [""], screen


def test_a_log_gets_one_line_per_tenth_without_carriage_returns() -> None:
    log = io.StringIO()
    progress = ProgressLine(log)
    for sent in range(0, 101):
        progress.show(sent * MIB, 100 * MIB)
    progress.note("access token renewed; continuing at 50.0 MiB")
    assert "\r" not in log.getvalue()
    assert len(log.getvalue().splitlines()) == 12


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_log_hears_at_least_every_half_minute_within_a_tenth() -> None:
    log, clock = io.StringIO(), Clock()
    progress = ProgressLine(log, clock=clock)
    progress.show_percent(10, "transcoding · 1080p")
    # Four minutes inside one tenth, a report every ten seconds: a line every 30 s.
    for _ in range(24):
        clock.now += 10
        progress.show_percent(13, "transcoding · 1080p")
    lines = log.getvalue().splitlines()
    assert len(lines) == 1 + 24 // 3, lines
    assert all(line.endswith("13%  transcoding · 1080p") for line in lines[1:]), lines
    # Quicker reports within the tenth after one of those lines add none.
    clock.now += 29
    progress.show_percent(14, "transcoding · 1080p")
    assert len(log.getvalue().splitlines()) == len(lines)


def test_the_rate_is_the_recent_one_not_the_average_since_the_start() -> None:
    """After an outage (or a fast first minute), the rate says how the link goes now."""
    clock, terminal = Clock(), Terminal()
    progress = ProgressLine(terminal, clock=clock)
    progress.show(0, 1000 * MIB)
    clock.now += 100
    progress.show(100 * MIB, 1000 * MIB)  # 1 MiB/s
    clock.now += 300  # an outage: nothing moved
    progress.show(100 * MIB, 1000 * MIB)
    for second in range(1, 11):
        clock.now += 1
        progress.show(100 * MIB + second * 2 * MIB, 1000 * MIB)
    *_, last = terminal.screen()
    # 2 MiB/s over the last 10 s; the average since the start would say 0.3. The time left
    # is at that rate: 880 MiB in 440 s.
    assert last.endswith("120.0/1000.0 MiB  2.0 MiB/s  about 7:20 left"), last


def test_a_small_file_is_counted_in_its_own_unit() -> None:
    """A 6-byte file read "0.0/0.0 MiB"; a finished one says no time left."""
    log = io.StringIO()
    ProgressLine(log).show(6, 6)
    ProgressLine(log).show(1536, 4096)  # a first report: no rate yet, so no time left
    assert log.getvalue().splitlines() == [
        "[####################] 100%  6/6 B  0.0 MiB/s",
        "[#######-------------]  37%  1.5/4.0 KiB  0.0 MiB/s",
    ]


def test_the_line_moves_while_a_chunk_goes_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk of 8 MiB takes 40 s on a slow link: the line moves as its pieces go out,
    not only once the server answered it."""
    monkeypatch.setattr(tus_client, "REDRAW_SECONDS", 0.0)  # a slow link: every piece
    log = io.StringIO()
    uploader = tus_client.ResumableUploader(cast(Any, None), chunk_bytes=4 * MIB, retries=0)
    uploader._progress, uploader._size = ProgressLine(log), 8 * MIB
    pieces = uploader._counted(b"x" * 4 * MIB, 4 * MIB)
    body = b""
    for piece in pieces:
        body += piece
        if len(body) == 2 * MIB:
            assert " 70%  5.6/8.0 MiB" in log.getvalue(), log.getvalue()  # tenths in a log
    assert body == b"x" * 4 * MIB
    assert "100%  8.0/8.0 MiB" in log.getvalue().splitlines()[-1]
