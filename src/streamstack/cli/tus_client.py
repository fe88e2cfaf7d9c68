"""A tus 1.0 client: one file through ingest's resumable-upload endpoint.

It resumes across network errors (asking the server where the upload stands), across an
access token that expires mid-upload (it renews the token and continues from the server's
offset) and across runs (the upload URL of each file is remembered until it finishes), and
reports progress on one line.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self, TypeVar

from streamstack.cli.credentials import canonical_server
from streamstack.cli.exits import CommandFailed, Failure
from streamstack.cli.output import clock
from streamstack.cli.session import (
    AdminApi,
    ServerUnreachable,
    SignInRequired,
    error_detail,
    failure_of,
)
from streamstack.contracts.catalogue import REPLACES_METADATA_KEY
from streamstack.kernel.backoff import backoff_seconds

UPLOADS_PATH = "/api/v1/ingest/uploads"
TUS_VERSION = "1.0.0"
#: What a refused sign-in mid-upload adds: the upload is not lost.
KEPT_FOR_SIGN_IN = (
    "the upload is kept: run `streamstack login`, then the same command again to resume it"
)
#: A PATCH body goes out in pieces this large, the progress line moving between them.
PIECE_BYTES = 64 * 1024
#: The progress line is redrawn this often at most while a chunk goes out.
REDRAW_SECONDS = 0.25
#: The rate shown is over about this many seconds past (not since the start: an outage
#: long ago, or a fast first minute, says nothing of the link now).
RATE_WINDOW_SECONDS = 10.0
#: How long a PATCH may go without a sign of life before it is given up and the upload
#: resumed: its body not taken (httpx's write timeout) or, once out, no answer (its read
#: timeout, 600 s for other requests). A connection gone half-open (a NAT forgot it) never
#: fails by itself, and the rest of a chunk that fits in the sockets' buffers goes out
#: whole, so the wait was for the answer. Past the server's 25 s (its lease lapses after
#: the bytes stop), so the resume is let in. The last PATCH's answer waits for the probe:
#: given up, the server's offset shows every byte in, and the run waits for the processing.
SILENCE_SECONDS = 30.0
#: Answers that say the server, or the service behind its proxy, is briefly away (a replica
#: restarting): any request of an upload is sent again, within ``--retries``.
AWAY_STATUSES = (502, 503, 504)

_T = TypeVar("_T")


class UploadFailed(CommandFailed):
    """The upload cannot go on; the message says why, in the server's words when it gave any."""

    def __init__(
        self, message: str, failure: Failure | None = None, *, resumable: bool = False
    ) -> None:
        super().__init__(message, failure)
        self.resumable = resumable


@dataclasses.dataclass(eq=False, slots=True)
class ResumableUploader:
    """Sends one file through the tus endpoint, resuming across errors and across runs.

    Each file's upload URL is remembered (by server, path, size and modification time) in
    ``$XDG_CACHE_HOME/streamstack/uploads.json`` until it finishes, so running the same
    command after an interruption continues where the server says the upload stands.
    """

    api: AdminApi
    _: dataclasses.KW_ONLY
    chunk_bytes: int
    retries: int
    bytes_per_second: float | None = None
    _state_file: Path = dataclasses.field(init=False)
    _progress: ProgressLine = dataclasses.field(init=False)
    _size: int = dataclasses.field(default=0, init=False)
    """The size of the file being sent (for the progress line)."""
    checks: list[dict[str, Any]] | None = dataclasses.field(default=None, init=False)
    """What the server said to check after the finished upload replaced an item's file
    (its job's ``checks``); None for a new item, or from a server that does not say."""

    def __post_init__(self) -> None:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        self._state_file = cache / "streamstack" / "uploads.json"
        self._progress = ProgressLine(sys.stderr)

    def upload(self, path: Path, metadata: dict[str, str]) -> Any:
        """Upload ``path`` (or finish its earlier upload) and return the item as JSON data."""
        fingerprint = self._fingerprint(path, metadata)
        try:
            item = self._upload(path, fingerprint, metadata)
        except _Retryable as exc:
            raise UploadFailed(str(exc), exc.failure, resumable=True) from None
        except SignInRequired as exc:
            # Signed out elsewhere (or the sign-in expired) mid-way: nothing is lost.
            if self._remembered().get(fingerprint) is None:
                raise
            raise UploadFailed(f"{exc}; {KEPT_FOR_SIGN_IN}", exc.failure, resumable=True) from None
        except UploadFailed as exc:
            if not exc.resumable:
                self._remember(fingerprint, None)
            raise
        self._remember(fingerprint, None)
        return item

    def _upload(self, path: Path, fingerprint: str, metadata: dict[str, str]) -> Any:
        size = path.stat().st_size
        url = self._remembered().get(fingerprint)
        standing = self._retried(functools.partial(self._standing, url), size) if url else None
        if url is None or standing is None:
            url, offset = self._retried(lambda: self._create(size, metadata), size), 0
            self._remember(fingerprint, url)
        else:
            offset, began_as = standing
            if offset:
                print(
                    f"resuming {path.name} at {mib(offset)} of {mib(size)} MiB "
                    f"({offset * 100 // max(size, 1)}%)",
                    file=sys.stderr,
                )
            if began_as is not None and began_as != metadata.get("title"):
                print(
                    f"the upload goes on with the title it began with, {began_as!r} "
                    "(change it in the library once it is done)",
                    file=sys.stderr,
                )
        self._size = size
        try:
            with path.open("rb") as file:
                self._send(url, file, offset, size)
        finally:
            self._progress.done()
        return self._outcome(url)

    def _send(self, url: str, file: Any, offset: int, size: int) -> None:
        failures = refusals = 0
        locked_since: float | None = None
        self._progress.show(offset, size)
        pace = _Pace(self.bytes_per_second)
        while offset < size:
            file.seek(offset)
            try:
                offset = self._patch(url, offset, file.read(self.chunk_bytes), pace)
                failures = refusals = 0
                locked_since = None
            except _Locked as exc:
                locked_since = self._wait_out_lock(exc, locked_since, offset, size)
                offset = self._offset_or(url, offset)
            except _Refused as exc:
                refusals += 1
                offset = self._signed_in_again(url, str(exc), refusals, offset, size)
            except _Silent as exc:
                if (stored := self._stored_beyond(url, offset)) is not None:
                    # Only the answer was lost (or is the probe's): a try that got through.
                    self._progress.note(f"{exc}; going on from the {mib(stored)} MiB it has")
                    offset, failures = stored, 0
                else:
                    failures = self._retrying(exc, failures + 1, offset, size)
                    offset = self._offset_or(url, offset)
            except _Retryable as exc:
                failures = self._retrying(exc, failures + 1, offset, size)
                offset = self._offset_or(url, offset)
            self._progress.show(offset, size)

    def _retrying(self, exc: _Retryable, failures: int, offset: int | None, size: int) -> int:
        """Failure number ``failures`` (``exc``): said, then waited out (as long as the
        server's ``Retry-After`` at least); past ``--retries``, :class:`UploadFailed`.
        ``offset``: what is stored, when known."""
        if failures > self.retries:
            stored = "" if offset is None else f"{mib(offset)} of {mib(size)} MiB are stored, "
            raise UploadFailed(
                f"{exc}; {stored}run the same command again to resume", exc.failure, resumable=True
            ) from None
        # Said, so a progress line standing still for a while is not a mystery.
        self._progress.note(f"{exc}; retrying ({failures} of {self.retries})")
        time.sleep(max(backoff_seconds(failures, 1.0, 30.0), exc.retry_after))
        return failures

    def _retried(self, ask: Callable[[], _T], size: int, stored: int | None = None) -> _T:
        """``ask()``, a request that sends no bytes (the creation, a HEAD asking where the
        upload stands), asked again within ``--retries`` while the server is away.
        ``stored``: what is stored, when known."""
        failures = 0
        while True:
            try:
                return ask()
            except _Retryable as exc:
                failures = self._retrying(exc, failures + 1, stored, size)

    def _offset_or(self, url: str, offset: int) -> int:
        """Where the server says the upload stands, asked as any request is (a failed HEAD
        let the next PATCH go from an offset it had not confirmed); ``offset`` when the
        server no longer knows the upload (its next PATCH says so)."""
        stored = self._retried(functools.partial(self._offset, url), self._size, offset)
        return offset if stored is None else stored

    def _stored_beyond(self, url: str, offset: int) -> int | None:
        """The server's offset if it holds more than ``offset``, else None (or unknown)."""
        stored = self._offset_or(url, offset)
        return stored if stored > offset else None

    def _wait_out_lock(self, locked: _Locked, since: float | None, offset: int, size: int) -> float:
        """A 423: the server still holds an attempt of ours whose connection was lost
        (or the server that ran it died) until its lease lapses. Waited out apart from
        ``--retries``, for longer than a lease can outlive its request; when it was
        first seen."""
        now = time.monotonic()
        if since is None:
            # Not "its connection": a restarted server holds a killed one's lease too.
            self._progress.note(
                "the server has not let go of the last attempt yet; "
                f"waiting up to {LOCKED_WAIT_SECONDS:.0f} s"
            )
            since = now
        elif now - since > LOCKED_WAIT_SECONDS:
            raise UploadFailed(
                f"{locked}; {mib(offset)} of {mib(size)} MiB are stored, "
                "run the same command again to resume",
                locked.failure,
                resumable=True,
            )
        time.sleep(locked.retry_after)
        return since

    def _signed_in_again(
        self, url: str, refusal: str, refusals: int, offset: int, size: int
    ) -> int:
        """A 401: continue with a renewed token, or say that signing in again resumes the
        upload (signed out elsewhere, the sign-in expired): it is kept, not lost."""
        try:
            if refusals > 1:  # even a renewed token is refused
                raise SignInRequired(refusal)
            return self._continue_signed_in(url, refusal)
        except SignInRequired as exc:
            raise UploadFailed(
                f"{exc}; {mib(offset)} of {mib(size)} MiB are stored, {KEPT_FOR_SIGN_IN}",
                exc.failure,
                resumable=True,
            ) from None

    def _continue_signed_in(self, url: str, refusal: str) -> int:
        """The access token expired mid-upload: renew it, continue at the server's offset."""
        self._renew(refusal)
        stored = self._offset(url)
        if stored is None:
            raise UploadFailed("the server no longer knows this upload; run the command again")
        self._progress.note(f"access token renewed; continuing at {mib(stored)} MiB")
        return stored

    def _renew(self, refusal: str) -> None:
        """A new access token after ``refusal``; the network failing is worth a retry."""
        try:
            self.api.renew(refusal)
        except ServerUnreachable as exc:
            raise _Retryable(str(exc)) from exc

    def _create(self, size: int, metadata: dict[str, str]) -> str:
        encoded = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
        )
        response = self._request(
            "POST", UPLOADS_PATH, headers={"Upload-Length": str(size), "Upload-Metadata": encoded}
        )
        if response.status_code != 201:
            raise _refusal(response)
        return str(response.headers["Location"])

    def _offset(self, url: str) -> int | None:
        """Where the server says the upload stands; None when it no longer knows it."""
        standing = self._standing(url)
        return None if standing is None else standing[0]

    def _standing(self, url: str) -> tuple[int, str | None] | None:
        """Where the upload stands and the title it was begun with (from its tus
        metadata); None when the server no longer knows it."""
        response = self._request("HEAD", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise _refusal(response)
        return int(response.headers["Upload-Offset"]), _title_of(
            response.headers.get("Upload-Metadata", "")
        )

    def _patch(self, url: str, offset: int, data: bytes, pace: _Pace) -> int:
        response = self._request(
            "PATCH",
            url,
            content=self._counted(data, offset, pace),
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                # Given, so the pieces go as one body of known length (not chunked).
                "Content-Length": str(len(data)),
            },
            timeout=SILENCE_SECONDS,
        )
        if response.status_code == 204:
            return int(response.headers["Upload-Offset"])
        if response.status_code == 401:
            raise _Refused(error_detail(response))
        if response.status_code == 423:
            raise _Locked.answered(response, 2.0)
        if response.status_code == 409 or response.status_code >= 500:
            raise _Retryable.answered(response)
        raise _refusal(response)

    def _counted(self, data: bytes, offset: int, pace: _Pace | None = None) -> Iterator[bytes]:
        """``data`` in pieces, the progress line moved as they go out: a chunk of 8 MiB
        takes 40 s on a slow link, and a line that moved only after each stood still.
        ``pace`` (``--limit-mib``) holds each piece back: a chunk sent at once, then waited
        out, left the line at 0 % for the 4 s of a chunk at 2 MiB/s."""
        view = memoryview(data)
        shown = time.monotonic()
        for start in range(0, len(data), PIECE_BYTES):
            piece = bytes(view[start : start + PIECE_BYTES])
            yield piece
            if pace is not None:
                pace.after(len(piece))
            now = time.monotonic()
            if now - shown >= REDRAW_SECONDS:
                self._progress.show(offset + min(start + PIECE_BYTES, len(data)), self._size)
                shown = now

    def _outcome(self, url: str) -> Any:
        """The item the finished upload made, once the server processed it. A connection
        lost meanwhile is retried as a chunk's is: the upload is in, only an answer was
        lost (a cut after the last chunk's answer failed the run while the item was made)."""
        upload_id = url.rstrip("/").rsplit("/", 1)[-1]
        failures = 0
        for _ in range(600):
            try:
                response = self._request("GET", f"/api/v1/ingest/jobs/{upload_id}")
                if response.status_code != 200:
                    raise _refusal(response)
            except _Retryable as exc:
                failures = self._retrying(exc, failures + 1, self._size, self._size)
                continue
            failures = 0
            job = response.json()
            if job["state"] == "done":
                self.checks = job.get("checks")
                return job["item"]
            if job["state"] == "failed":
                raise UploadFailed(job["error"] or "processing failed")
            time.sleep(1.0)
        raise UploadFailed("the server is still processing the video; check the library later")

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        """One request as the admin. A refused token is renewed and the request sent again,
        except a PATCH: after a renewal the upload continues from the offset the server
        reports (:meth:`_continue_signed_in`)."""
        headers = {**kwargs.pop("headers", {}), "Tus-Resumable": TUS_VERSION}
        try:
            return self.api.request(method, url, renew=method != "PATCH", headers=headers, **kwargs)
        except ServerUnreachable as exc:
            if method == "PATCH" and _timed_out(exc):
                raise _Silent(f"no answer from the server for {SILENCE_SECONDS:.0f} s") from exc
            raise _Retryable(str(exc)) from exc

    def _fingerprint(self, path: Path, metadata: dict[str, str]) -> str:
        stat = path.stat()
        # One spelling of the server: another (a slash, a capital) resumes the same upload.
        mine = f"{canonical_server(self.api.server)} {path.resolve()} {stat.st_size} {stat.st_mtime_ns}"
        # The same file replacing an item's is another upload than the one making a new item.
        replaces = metadata.get(REPLACES_METADATA_KEY)
        return mine if replaces is None else f"{mine} replaces {replaces}"

    def _remembered(self) -> dict[str, str]:
        try:
            data = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, fingerprint: str, url: str | None) -> None:
        state = self._remembered()
        if url is None:
            state.pop(fingerprint, None)
        else:
            state[fingerprint] = url
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(state, indent=1))


class _Retryable(CommandFailed):
    """A failure worth asking the server where the upload stands, and trying again, not
    before ``retry_after`` seconds (the server's ``Retry-After``); ``failure``: the server's
    answer, when one came (none: it could not be reached)."""

    CODE = "unreachable"

    def __init__(
        self, message: str, retry_after: float = 0.0, failure: Failure | None = None
    ) -> None:
        super().__init__(message, failure)
        self.retry_after = retry_after

    @classmethod
    def answered(cls, response: Any, wait: float = 0.0) -> Self:
        """The failure the server's ``response`` says, to be tried again after its
        ``Retry-After`` (``wait`` when it gives none)."""
        return cls(error_detail(response), _retry_after(response, wait), failure_of(response))


def _refusal(response: Any) -> Exception:
    """What an unexpected answer raises: :class:`_Retryable` when it says the server is
    away (:data:`AWAY_STATUSES`), else :class:`UploadFailed`."""
    if response.status_code in AWAY_STATUSES:
        return _Retryable.answered(response)
    return UploadFailed(error_detail(response), failure_of(response))


class _Silent(_Retryable):
    """A PATCH given up after :data:`SILENCE_SECONDS` without a sign of life."""


def _timed_out(exc: ServerUnreachable) -> bool:
    """Whether the request failed for its silence (an httpx timeout), not a refusal or reset."""
    import httpx

    return isinstance(exc.__cause__, httpx.TimeoutException)


#: How long 423 answers (an earlier attempt's lease still held by the server) are waited
#: out: past the longest the server holds a lease after its request died or went silent
#: (its LEASE_OUTLIVES_SECONDS, 25 s), with room for a slower server's clock.
LOCKED_WAIT_SECONDS = 60.0


class _Locked(_Retryable):
    """423: the server still works on an earlier request for this upload."""


def _retry_after(response: Any, default: float) -> float:
    """The ``Retry-After`` seconds of an answer (``default`` when absent or odd), at
    most 10."""
    try:
        return min(max(float(response.headers["Retry-After"]), 0.5), 10.0)
    except (KeyError, ValueError):
        return default


class _Refused(Exception):
    """The server refused the access token (401): it expired or was revoked."""


def mib(size: int) -> str:
    """``size`` bytes in MiB, one decimal: ``12.5``."""
    return f"{size / 2**20:.1f}"


def amount_of(sent: int, total: int) -> str:
    """``sent``/``total`` in the unit of ``total``: ``3.5/12.0 MiB``, ``1.5/4.0 KiB``,
    ``6/6 B`` (a small file read "0.0/0.0 MiB")."""
    if total >= 2**20:
        return f"{mib(sent)}/{mib(total)} MiB"
    if total >= 2**10:
        return f"{sent / 2**10:.1f}/{total / 2**10:.1f} KiB"
    return f"{sent}/{total} B"


class _Pace:
    """Keeps the upload under ``bytes_per_second`` (``--limit-mib``) by pausing after a
    piece of a chunk that went out faster."""

    def __init__(self, bytes_per_second: float | None) -> None:
        self._rate = bytes_per_second
        self._started = time.monotonic()
        self._sent = 0

    def after(self, sent: int) -> None:
        """``sent`` more bytes went out: wait until the average rate is within the limit."""
        if not self._rate:
            return
        self._sent += sent
        ahead = self._sent / self._rate - (time.monotonic() - self._started)
        if ahead > 0:
            time.sleep(ahead)


#: Off a terminal, the longest a log goes without a progress line while work goes on.
LOG_EVERY_SECONDS = 30.0


class ProgressLine:
    """``[#####-----]  48%  12.0/25.0 MiB  3.1 MiB/s`` on stderr; redrawn in place on a TTY.

    A redrawn line is padded to the width of the one it replaces, and a note (``note``)
    first blanks the line, so no characters of an earlier, longer line are left behind.
    Off a terminal (a log) it writes a line per tenth, and one at least every
    :data:`LOG_EVERY_SECONDS`: a tenth of a long upload or transcode took many minutes, and a
    log that said nothing that long looked hung (F25).
    """

    def __init__(self, stream: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._clock = clock
        self._started = clock()
        self._samples: deque[tuple[float, int]] = deque()
        self._last_percent = -1
        self._last_logged = self._started
        self._width = 0  # of what the terminal line shows now
        self._line = ""

    def show(self, sent: int, total: int) -> None:
        """Report ``sent`` of ``total`` bytes, and the time left at the recent rate."""
        rate = self._recent_rate(sent)
        percent = 100 if total == 0 else sent * 100 // total
        what = f"{amount_of(sent, total)}  {rate / 2**20:.1f} MiB/s"
        if 0 < sent < total and rate > 0:
            what += f"  about {clock(math.ceil((total - sent) / rate))} left"
        self.show_percent(percent, what)

    def _recent_rate(self, sent: int) -> float:
        """Bytes a second over the last :data:`RATE_WINDOW_SECONDS` (since the first report
        until then), ``sent`` counted."""
        now = self._clock()
        if self._samples and sent < self._samples[-1][1]:
            self._samples.clear()  # sent again from the server's offset: a new count
        self._samples.append((now, sent))
        # The oldest sample kept is the newest one at least a window old.
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW_SECONDS:
            self._samples.popleft()
        since, first = self._samples[0]
        return (sent - first) / max(now - since, 1e-6)

    def show_percent(self, percent: int, what: str) -> None:
        """Report work ``percent`` done, ``what`` after the bar (``transcoding · 720p``)."""
        if not self._tty and not self._worth_a_log_line(percent):
            return
        self._last_percent = percent
        bar = "#" * (percent // 5) + "-" * (20 - percent // 5)
        self._line = f"[{bar}] {percent:3d}%  {what}"
        if self._tty:
            self._redraw(self._line)
        else:
            self._stream.write(f"{self._line}\n")
        self._stream.flush()

    def _worth_a_log_line(self, percent: int) -> bool:
        """Whether a log gets this report: a new tenth, the end, or a while since the last."""
        now = self._clock()
        same_tenth = percent // 10 == self._last_percent // 10 and percent != 100
        if same_tenth and now - self._last_logged < LOG_EVERY_SECONDS:
            return False
        self._last_logged = now
        return True

    def note(self, message: str) -> None:
        """A message on a line of its own; the progress line is drawn again below it."""
        if self._tty:
            self._redraw(message)
            self._stream.write("\n")
            self._width = 0
            if self._line:
                self._redraw(self._line)
        else:
            self._stream.write(f"{message}\n")
        self._stream.flush()

    def done(self) -> None:
        """End the line."""
        if self._tty and self._width:
            self._stream.write("\n")
            self._width = 0
            self._stream.flush()

    def _redraw(self, text: str) -> None:
        # Spaces over whatever is left of a longer earlier line, then back to its end.
        self._stream.write(f"\r{text.ljust(self._width)}")
        self._width = len(text)


def _title_of(metadata: str) -> str | None:
    """The ``title`` of a tus ``Upload-Metadata`` header (``key base64,key base64``)."""
    for pair in metadata.split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "title":
            try:
                return base64.b64decode(value, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
    return None
