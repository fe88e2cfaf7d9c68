"""Serving the built single-page app from the same origin as the API (dev, one process)."""

from __future__ import annotations

from pathlib import Path

from litestar import HttpMethod, route
from litestar.response import File
from litestar.types import ControllerRouterHandler

from streamstack.kernel.errors import NotFound
from streamstack.kernel.guards import OPEN_TO_GUESTS

#: Path prefixes that are never the SPA: an unknown API route is a JSON 404, not a page.
_NOT_SPA = ("api", "internal")
#: Vite's ``assets/`` files have their content hash in their names: cached for good.
_IMMUTABLE = "public, max-age=31536000, immutable"


def spa_handler(web: Path) -> ControllerRouterHandler:
    """Serve the built SPA: real files as they are, ``index.html`` for client routes."""
    root = web.resolve()

    # Open on a members-only server too: the pages hold no catalogue, and send a guest to sign in.
    # HEAD as GET (without the body), as nginx answers it in production: uptime monitors and
    # link previews ask HEAD first, and a 405 read as the page being down.
    @route(
        ["/", "/{path:path}"],
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        sync_to_thread=False,
        opt=OPEN_TO_GUESTS,
    )
    def spa(path: str = "") -> File:
        relative = path.lstrip("/")
        # NUL is in no file name and no client route (and os calls refuse it).
        if relative.split("/", 1)[0] in _NOT_SPA or "\x00" in relative:
            raise NotFound("no such route")
        candidate = _file_under(root, relative)
        if candidate is not None:
            immutable = relative.startswith("assets/")
            return _inline(candidate, _IMMUTABLE if immutable else "no-cache")
        if "." in relative.rsplit("/", 1)[-1]:
            raise NotFound("no such file")
        return _inline(root / "index.html", "no-cache")

    return spa


def _inline(path: Path, cache_control: str) -> File:
    # The filename is what Litestar guesses the media type from: without it every file is
    # application/octet-stream, which browsers download instead of running.
    return File(
        path,
        filename=path.name,
        headers={"Cache-Control": cache_control},
        content_disposition_type="inline",
    )


def _file_under(root: Path, relative: str) -> Path | None:
    """The regular file at ``relative`` inside ``root``, or None (absent, outside, unsafe)."""
    if not relative:
        return None
    try:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    except (OSError, ValueError):  # too long a name, a loop of links, a bad character
        return None
    return None
