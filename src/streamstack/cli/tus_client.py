"""A tus 1.0 client: one file through ingest's resumable-upload endpoint.

It resumes across network errors (asking the server where the upload stands) and across
runs (the upload URL of each file is remembered until it finishes), and reports progress
on one line.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

UPLOADS_PATH = "/api/v1/ingest/uploads"
TUS_VERSION = "1.0.0"


class UploadFailed(Exception):
    """The upload cannot go on; the message says why, in the server's words when it gave any."""

    def __init__(self, message: str, *, resumable: bool = False) -> None:
        super().__init__(message)
        self.resumable = resumable


class ResumableUploader:
    """Sends one file through the tus endpoint, resuming across errors and across runs.

    Each file's upload URL is remembered (by server, path, size and modification time) in
    ``$XDG_CACHE_HOME/streamstack/uploads.json`` until it finishes, so running the same
    command after an interruption continues where the server says the upload stands.
    """

    def __init__(self, server: str, token: str, *, chunk_bytes: int, retries: int) -> None:
        import httpx

        self.server = server
        self.chunk_bytes = chunk_bytes
        self.retries = retries
        # The last PATCH waits while the server probes and registers the video.
        self._http = httpx.Client(
            base_url=server,
            headers={"Authorization": f"Bearer {token}", "Tus-Resumable": TUS_VERSION},
            timeout=httpx.Timeout(30.0, read=600.0),
        )
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        self._state_file = cache / "streamstack" / "uploads.json"
        self._progress = ProgressLine(sys.stderr)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def upload(self, path: Path, metadata: dict[str, str]) -> Any:
        """Upload ``path`` (or finish its earlier upload) and return the item as JSON data."""
        fingerprint = self._fingerprint(path)
        try:
            item = self._upload(path, fingerprint, metadata)
        except _Retryable as exc:
            raise UploadFailed(str(exc), resumable=True) from None
        except UploadFailed as exc:
            if not exc.resumable:
                self._remember(fingerprint, None)
            raise
        self._remember(fingerprint, None)
        return item

    def _upload(self, path: Path, fingerprint: str, metadata: dict[str, str]) -> Any:
        size = path.stat().st_size
        url = self._remembered().get(fingerprint)
        offset = self._offset(url) if url else None
        if url is None or offset is None:
            url, offset = self._create(size, metadata), 0
            self._remember(fingerprint, url)
        elif offset:
            print(f"resuming {path.name} at {offset} of {size} bytes", file=sys.stderr)
        try:
            with path.open("rb") as file:
                self._send(url, file, offset, size)
        finally:
            self._progress.done()
        return self._outcome(url)

    def _send(self, url: str, file: Any, offset: int, size: int) -> None:
        failures = 0
        self._progress.show(offset, size)
        while offset < size:
            file.seek(offset)
            try:
                offset = self._patch(url, offset, file.read(self.chunk_bytes))
                failures = 0
            except _Retryable as exc:
                failures += 1
                if failures > self.retries:
                    raise UploadFailed(
                        f"{exc}; {offset} of {size} bytes are stored, "
                        "run the same command again to resume",
                        resumable=True,
                    ) from None
                time.sleep(min(30.0, 0.5 * 2**failures))
                with contextlib.suppress(_Retryable):
                    offset = self._offset(url) or offset
            self._progress.show(offset, size)

    def _create(self, size: int, metadata: dict[str, str]) -> str:
        encoded = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
        )
        response = self._request(
            "POST", UPLOADS_PATH, headers={"Upload-Length": str(size), "Upload-Metadata": encoded}
        )
        if response.status_code != 201:
            raise UploadFailed(_error_detail(response))
        return str(response.headers["Location"])

    def _offset(self, url: str) -> int | None:
        """Where the server says the upload stands; None when it no longer knows it."""
        response = self._request("HEAD", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise UploadFailed(_error_detail(response))
        return int(response.headers["Upload-Offset"])

    def _patch(self, url: str, offset: int, data: bytes) -> int:
        response = self._request(
            "PATCH",
            url,
            content=data,
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code == 204:
            return int(response.headers["Upload-Offset"])
        if response.status_code in (409, 423) or response.status_code >= 500:
            raise _Retryable(_error_detail(response))
        raise UploadFailed(_error_detail(response))

    def _outcome(self, url: str) -> Any:
        upload_id = url.rstrip("/").rsplit("/", 1)[-1]
        for _ in range(600):
            response = self._request("GET", f"/api/v1/ingest/jobs/{upload_id}")
            if response.status_code != 200:
                raise UploadFailed(_error_detail(response))
            job = response.json()
            if job["state"] == "done":
                return job["item"]
            if job["state"] == "failed":
                raise UploadFailed(job["error"] or "processing failed")
            time.sleep(1.0)
        raise UploadFailed("the server is still processing the video; check the library later")

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise _Retryable(f"{self.server} unreachable ({exc.__class__.__name__})") from exc

    def _fingerprint(self, path: Path) -> str:
        stat = path.stat()
        return f"{self.server} {path.resolve()} {stat.st_size} {stat.st_mtime_ns}"

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


class _Retryable(Exception):
    """A failure worth asking the server where the upload stands, and trying again."""


def _error_detail(response: Any) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return f"HTTP {response.status_code}: {detail or response.reason_phrase}"


class ProgressLine:
    """``[#####-----]  48%  12.0/25.0 MiB  3.1 MiB/s`` on stderr; redrawn in place on a TTY."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._first: int | None = None
        self._last_percent = -1

    def show(self, sent: int, total: int) -> None:
        """Report ``sent`` of ``total`` bytes."""
        if self._first is None:
            self._first = sent
        percent = 100 if total == 0 else sent * 100 // total
        if not self._tty and percent // 10 == self._last_percent // 10 and percent != 100:
            return  # a log, not a terminal: one line per tenth
        self._last_percent = percent
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = (sent - self._first) / elapsed / 2**20
        bar = "#" * (percent // 5) + "-" * (20 - percent // 5)
        line = (
            f"[{bar}] {percent:3d}%  {sent / 2**20:.1f}/{total / 2**20:.1f} MiB  {rate:.1f} MiB/s"
        )
        self._stream.write(f"\r{line}" if self._tty else f"{line}\n")
        self._stream.flush()

    def done(self) -> None:
        """End the line."""
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
