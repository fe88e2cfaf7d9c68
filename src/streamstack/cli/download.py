"""``streamstack items download ITEM [--output PATH]``: save an item's original file.

It asks for a stream token as the SPA does (an admin's carries ``download_url``) and reads
the original from it with a progress line on stderr. A file already at the output is taken
for a download cut short: the rest is asked for with a Range, and with ``If-Range`` the
file's time, which the command sets to the original's ``Last-Modified`` whenever it stops
writing; an original replaced since (or a file that is no such download) fails that
condition, so the server sends the whole file again and it is written from the start.
"""

from __future__ import annotations

import email.utils
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from streamstack.cli.exits import CommandFailed
from streamstack.cli.processing import ITEM_PATH
from streamstack.cli.session import AdminApi, AdminRequired, failure_of, server_refused
from streamstack.cli.tus_client import ProgressLine, mib

#: ``filename*=UTF-8''…`` (RFC 6266, preferred) and ``filename="…"`` of a disposition.
_NAME_STAR = re.compile(r"filename\*=UTF-8''([^;\s]+)", re.IGNORECASE)
_NAME = re.compile(r'filename="([^"]*)"', re.IGNORECASE)


class DownloadRefused(CommandFailed):
    """The server would not hand the original over (the message says why)."""


def downloaded(api: AdminApi, item_id: str, output: Path | None) -> Path:
    """Save the item's original at ``output`` (else under the name the server gives it, in
    the working directory), resuming a file already there; the path written."""
    url = _download_url(api, item_id)
    chosen = output or Path(_offered_name(api, url))
    have = chosen.stat().st_size if chosen.is_file() else 0
    headers = {"Range": f"bytes={have}-", "If-Range": _file_time(chosen)} if have else {}
    with api.stream(url, headers=headers) as response:
        if response.status_code == 416 and have:
            return _complete(response, chosen, have)
        if response.status_code not in (200, 206):
            raise server_refused(response, "the original could not be read")
        _save(response, chosen, have if response.status_code == 206 else 0)
    return chosen


def _download_url(api: AdminApi, item_id: str) -> str:
    """A fresh grant's ``download_url``; :class:`DownloadRefused` for an unknown item,
    :class:`AdminRequired` for an account that may not download (the grant is a viewer's,
    to watch: it has no ``download_url``)."""
    response = api.request("POST", ITEM_PATH.format(id=item_id) + "/stream-token")
    if response.status_code == 404:
        raise DownloadRefused(f"no such video: {item_id}", failure_of(response))
    if response.status_code != 200:
        raise server_refused(response)
    url: str | None = response.json().get("download_url")
    if not url:
        raise AdminRequired(
            "only an admin may download a video's original file (the server answered this "
            "account as a viewer): sign in as an admin or pass an admin's --token"
        )
    return url


def _offered_name(api: AdminApi, url: str) -> str:
    """The file name the server offers (HEAD), kept to one plain name in this directory."""
    with api.stream(url, method="HEAD") as response:
        if response.status_code != 200:
            raise server_refused(response, "the original could not be read")
        disposition = response.headers.get("content-disposition", "")
    starred, plain = _NAME_STAR.search(disposition), _NAME.search(disposition)
    name = unquote(starred[1]) if starred else plain[1] if plain else ""
    # Never a path: the server's name is sanitised, but a client trusts no server with that.
    name = Path(name.replace("\\", "/")).name
    return name if name.strip(". ") else "original"


def _file_time(path: Path) -> str:
    """The file's modification time as an HTTP date (the ``If-Range`` of a resumed file)."""
    return email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)


def _complete(response: Any, path: Path, have: int) -> Path:
    """A 416 to a resumed file: whole already if it is the original's size, else refused."""
    total = response.headers.get("content-range", "").rpartition("/")[2]
    if total != str(have):
        raise DownloadRefused(f"{path} is larger than the original: not a download of it")
    print(f"streamstack: {path} is complete already ({mib(have)} MiB)", file=sys.stderr)
    return path


def _save(response: Any, path: Path, start: int) -> None:
    """Write the body at ``start`` of ``path`` (0: the file from scratch), showing progress;
    the file then carries the original's ``Last-Modified``, so a cut-short one resumes."""
    import httpx

    total = start + int(response.headers.get("content-length", 0))
    progress = ProgressLine(sys.stderr)
    written, why = start, ""
    with path.open("r+b" if start else "wb") as file:
        file.seek(start)
        file.truncate()
        try:
            for chunk in response.iter_bytes():
                file.write(chunk)
                written += len(chunk)
                progress.show(written, total)
        except httpx.HTTPError as exc:  # what it has is kept: the next run asks for the rest
            why = f" ({exc.__class__.__name__})"
        finally:
            file.flush()
            _stamp(path, response.headers.get("last-modified"))
            progress.done()
    if written < total:
        raise DownloadRefused(
            f"the download stopped at {mib(written)} of {mib(total)} MiB{why}: run the "
            "command again to go on from there"
        )


def _stamp(path: Path, last_modified: str | None) -> None:
    """Give ``path`` the original's modification time (nothing when the server sent none)."""
    moment = email.utils.parsedate_to_datetime(last_modified) if last_modified else None
    if moment is not None:
        os.utime(path, (moment.timestamp(), moment.timestamp()))
