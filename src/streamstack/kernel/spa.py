"""Serving the built single-page app from the same origin as the API (dev, one process),
and its ``index.html`` as pages are answered: titled with the server's name, with more in
its ``<head>`` for a page that shows one video (the catalogue's link previews)."""

from __future__ import annotations

import html
import mimetypes
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import HttpMethod, MediaType, Request, Response, route
from litestar.response import File
from litestar.response.file import create_etag_for_file
from litestar.types import ControllerRouterHandler

from streamstack.kernel.conditions import Conditions, evaluate
from streamstack.kernel.errors import NotFound, PreconditionFailed
from streamstack.kernel.guards import OPEN_TO_GUESTS
from streamstack.kernel.gzipped import accepts_gzip, compressible, gzipped
from streamstack.kernel.http import http_date

#: Path prefixes that are never the SPA: an unknown API route is a JSON 404, not a page.
_NOT_SPA = ("api", "internal")
#: Vite's ``assets/`` files have their content hash in their names: cached for good.
_IMMUTABLE = "public, max-age=31536000, immutable"
#: The built page's own title (Vite's copy of web/index.html holds one).
_TITLE = re.compile(rb"<title>.*?</title>", re.DOTALL)
#: What no attribute or element text may hold, even escaped (C0 controls but tab and
#: newlines, DEL and C1 controls, lone surrogates, noncharacters U+FFFE/U+FFFF).
_NOT_HTML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class SpaIndex:
    """The SPA's ``index.html``: :attr:`plain` (titled ``site_name``) for every client
    route, :meth:`headed` for a page with a title and tags of its own. Read again only when
    the file changed (a new build under ``dev``): one ``stat`` a page."""

    def __init__(self, index: Path, site_name: str) -> None:
        self._index = index
        self._site_name = site_name
        self._read: tuple[int, bytes, bytes] | None = None  # (mtime, built, plain)

    @property
    def plain(self) -> bytes:
        """The page as built, titled with the site's name (every page without a card)."""
        return self._current()[2]

    def headed(self, title: str, head: str) -> bytes:
        """The page titled ``title`` (escaped here), ``head`` (markup the caller escaped)
        put right after its title, so the SPA's own ``<head>`` and scripts are as built."""
        return _headed(self._current()[1], title, head)

    def _current(self) -> tuple[int, bytes, bytes]:
        """The build as last read, read again if its file changed since."""
        changed = self._index.stat().st_mtime_ns
        if self._read is None or self._read[0] != changed:
            built = self._index.read_bytes()
            self._read = (changed, built, _headed(built, self._site_name, ""))
        return self._read

    def response(self, body: bytes) -> Response[bytes]:
        """``body`` answered as a page: HTML, asked again each time (no-cache)."""
        # Litestar adds the response's charset (utf-8) to a text/* type: naming it too doubled it.
        return Response(body, media_type=MediaType.HTML, headers={"Cache-Control": "no-cache"})


def _headed(page: bytes, title: str, head: str) -> bytes:
    """``page`` with its title ``title`` followed by ``head`` (see :meth:`SpaIndex.headed`)."""
    element = f"<title>{html_text(title)}</title>{head}".encode()
    if _TITLE.search(page) is None:  # a build without a title: added at its head's end
        return page.replace(b"</head>", element + b"</head>", 1)
    return _TITLE.sub(lambda _: element, page, count=1)


def html_text(value: str) -> str:
    """``value`` escaped for HTML text and quoted attributes, without what HTML cannot carry."""
    return html.escape(_NOT_HTML_TEXT.sub("", value), quote=True)


def spa_handler(web: Path, site_name: str) -> ControllerRouterHandler:
    """Serve the built SPA: real files (text gzip-compressed for a client that accepts it),
    ``index.html`` (titled ``site_name``) for client routes."""
    root = web.resolve()
    index = SpaIndex(root / "index.html", site_name)

    # Open on a members-only server too: the pages hold no catalogue, and send a guest to sign in.
    # HEAD as GET (without the body), as nginx answers it in production: uptime monitors and
    # link previews ask HEAD first, and a 405 read as the page being down.
    @route(
        ["/", "/{path:path}"],
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        opt=OPEN_TO_GUESTS,
    )
    async def spa(request: Request[Any, Any, Any], path: str = "") -> File | Response[bytes]:
        relative = path.lstrip("/")
        # NUL is in no file name and no client route (and os calls refuse it).
        if relative.split("/", 1)[0] in _NOT_SPA or "\x00" in relative:
            raise NotFound("no such route")
        found = _file_under(root, relative)
        if found is not None:
            immutable = relative.startswith("assets/")
            return await _file(request, *found, _IMMUTABLE if immutable else "no-cache")
        if "." in relative.rsplit("/", 1)[-1]:
            raise NotFound("no such file")
        return index.response(index.plain)

    return spa


async def _file(
    request: Request[Any, Any, Any], path: Path, info: os.stat_result, cache_control: str
) -> File | Response[bytes]:
    """The file at ``path``: gzip-compressed when it is text and the client accepts gzip,
    else as it is; 304 when the client holds the answer's ETag (its encoding's: RFC 9110
    §8.8.3 gives each content coding its own), a raised 412 when an If-Match fails."""
    modified = datetime.fromtimestamp(info.st_mtime, UTC)
    headers = {"Cache-Control": cache_control, "Last-Modified": http_date(modified)}
    # The ETag Litestar's File makes, so that a client's cached identity copy stays valid.
    etag = create_etag_for_file(path, info.st_mtime, info.st_size)
    varies = compressible(path, info)
    # A Range names bytes of the identity body: it gets that body, whole (Range is ignored
    # as it always was here), never gzip bytes a resuming client would splice into it.
    compressed = (
        varies
        and "range" not in request.headers
        and accepts_gzip(request.headers.get("accept-encoding"))
    )
    if varies:
        headers["Vary"] = "Accept-Encoding"
    if compressed:
        etag = etag[:-1] + '-gzip"'
    headers["ETag"] = etag
    outcome = evaluate(Conditions.from_headers(request.headers), etag, modified)
    if outcome == 412:
        raise PreconditionFailed("the file does not match the request's preconditions")
    if outcome == 304:
        return Response(b"", status_code=304, headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(await gzipped(path, info), media_type=media_type, headers=headers)
    # The filename is what Litestar guesses the media type from: without it every file is
    # application/octet-stream, which browsers download instead of running.
    return File(
        path,
        filename=path.name,
        stat_result=info,
        headers=headers,
        content_disposition_type="inline",
    )


def _file_under(root: Path, relative: str) -> tuple[Path, os.stat_result] | None:
    """The regular file at ``relative`` inside ``root`` and its stat, or None (absent,
    outside, unsafe)."""
    if not relative:
        return None
    try:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root):
            info = candidate.stat()
            return (candidate, info) if stat.S_ISREG(info.st_mode) else None
    except (OSError, ValueError):  # absent, too long a name, a loop of links, a bad character
        return None
    return None
