"""Link previews: what a link to one video shows where it is pasted (chat apps, social sites).

Their crawlers run no JavaScript: the SPA's pages that show one video (``/watch/<id>``, a
share link's ``/s/<secret>`` and its embed page ``/embed/s/<secret>``) are answered as the
SPA's own ``index.html`` with the video's title, Open Graph and Twitter card tags and an
oEmbed discovery link in its ``<head>``; ``GET /api/v1/catalogue/oembed`` answers oEmbed 1.0.

Only what a signed-out visitor may open gets a card: a video a guest's ``GET /{item_id}``
answers (published and playable, listed or unlisted) on a server whose guests may browse,
and a working share link's video on any server. Anything else (a draft, a scheduled or
withdrawn video, an unknown id, a stopped or expired link, any watch page of a members-only
server) is the plain page, the same bytes as every unknown page's, and oEmbed's 404.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from streamstack.catalogue.schemas import OEmbed
from streamstack.catalogue.service import CatalogueService
from streamstack.catalogue.shares import EMBED_PAGE, SHARED_PAGE, ShareService
from streamstack.contracts.catalogue import CatalogueItem
from streamstack.contracts.limits import THUMBNAIL_BOX, fitted_in
from streamstack.contracts.moments import moment_text, start_of
from streamstack.kernel.errors import NotFound
from streamstack.kernel.http import link_origin
from streamstack.kernel.spa import SpaIndex, html_text

#: Where the SPA shows a video to whoever may see it.
WATCH_PAGE = "/watch/"
#: The pages that show one video, by their path: a watch page's id, a share link's secret.
WATCH_PATH = re.compile(r"/watch/(?P<item>[^/]+)")
SHARED_PATH = re.compile(r"/(?:embed/)?s/(?P<secret>[A-Za-z0-9_\-]+)")
#: A card's description is a sentence or two: longer ones end in "…".
DESCRIPTION_MAX = 200
#: An embedded player's width when the consumer does not bound it (the thumbnail's).
EMBED_WIDTH = THUMBNAIL_BOX[0]
#: A video of unknown size is framed 16:9.
_WIDE = 16 / 9


class PreviewNotFound(NotFound, code="preview_not_found"):
    """No video a signed-out visitor may see at that address (or not an address of ours)."""


class LinkPreviews:
    """Finds the video a page's address shows to a signed-out visitor, and writes its card.

    ``public_url`` (``STREAMSTACK_PUBLIC_URL``) is the origin of every address written;
    unset, the request's own is used, as the feed does. ``guests_browse``: whether the
    server's guests may open watch pages (``STREAMSTACK_GUEST_ACCESS=browse``);
    ``embeddable``: whether other sites may frame a share link's player."""

    def __init__(
        self,
        catalogue: CatalogueService,
        shares: ShareService,
        *,
        public_url: str,
        site_name: str,
        oembed_path: str,
        guests_browse: bool,
        embeddable: bool,
    ) -> None:
        self._catalogue = catalogue
        self._shares = shares
        self._public_url = public_url
        self.site_name = site_name
        self._oembed_path = oembed_path
        self._guests_browse = guests_browse
        self._embeddable = embeddable

    def origin(self, request_base: str) -> str:
        """The origin of the addresses written: the public URL, else the request's."""
        return link_origin(self._public_url, request_base)

    async def watched(self, item_id: str) -> CatalogueItem | None:
        """The video a guest's watch page shows (one item lookup), or None."""
        try:
            parsed = uuid.UUID(item_id)
        except ValueError:
            return None
        if not self._guests_browse:
            return None
        try:
            return await self._catalogue.get_item(parsed, admin=False)
        except NotFound:
            return None

    async def shared(self, secret: str) -> CatalogueItem | None:
        """A working share link's video, or None."""
        return await self._shares.preview(secret)

    async def at_address(self, url: str, origin: str) -> tuple[CatalogueItem, str | None]:
        """The video at ``url`` (one of our watch or share pages) and, for a share link
        that may be framed, its secret; :class:`PreviewNotFound` otherwise."""
        address = urlsplit(url)
        ours = urlsplit(origin)
        same_origin = (address.scheme, address.netloc.lower()) == (ours.scheme, ours.netloc)
        watch, shared = WATCH_PATH.fullmatch(address.path), SHARED_PATH.fullmatch(address.path)
        item: CatalogueItem | None = None
        secret: str | None = None
        if same_origin and watch:
            item = await self.watched(watch["item"])
        elif same_origin and shared:
            item, secret = await self.shared(shared["secret"]), shared["secret"]
        if item is None:
            raise PreviewNotFound("there is no video to show at that address")
        return item, secret if self._embeddable else None

    def page(
        self, index: SpaIndex, item: CatalogueItem | None, page_url: str, origin: str
    ) -> bytes:
        """The SPA's page at ``page_url`` with ``item``'s card; the plain page without one."""
        if item is None:
            return index.plain
        oembed = f"{origin}{self._oembed_path}?{urlencode({'url': page_url, 'format': 'json'})}"
        description = card_description(item.description)
        properties = {"og:type": "video.other", "og:title": item.title}
        if description:  # none rather than an empty one: the app shows the title alone
            properties["og:description"] = description
        properties |= {"og:url": page_url, "og:site_name": self.site_name}
        if item.thumbnail_url:
            properties["og:image"] = origin + item.thumbnail_url
        tags = [
            f'<meta property="{name}" content="{html_text(value)}" />'
            for name, value in properties.items()
        ]
        if description:
            tags.append(f'<meta name="description" content="{html_text(description)}" />')
        tags += [
            '<meta name="twitter:card" content="summary_large_image" />',
            f'<link rel="alternate" type="application/json+oembed" href="{html_text(oembed)}" '
            f'title="{html_text(item.title)}" />',
        ]
        return index.headed(
            f"{item.title} \N{EN DASH} {self.site_name}", "\n    ".join(["", *tags])
        )

    def oembed(
        self,
        item: CatalogueItem,
        secret: str | None,
        origin: str,
        *,
        max_width: int | None,
        max_height: int | None,
        start: float | None = None,
    ) -> OEmbed:
        """oEmbed 1.0 of ``item``: a ``video`` framing the share link's player when there is
        one that sites may frame (starting at ``start`` seconds, see :func:`start_asked`),
        else a ``link`` (a watch page has no player to frame)."""
        thumbnail = thumbnail_fields(item, origin)
        common = {
            "version": "1.0",
            "title": item.title,
            "author_name": self.site_name,
            "author_url": origin + "/",
            "provider_name": self.site_name,
            "provider_url": origin + "/",
            **thumbnail,
        }
        if secret is None:
            return OEmbed(type="link", **common)  # type: ignore[arg-type]
        width, height = embed_size(item, max_width, max_height)
        player = f"{origin}{EMBED_PAGE}{quote(secret)}"
        if start is not None:
            player += f"?t={moment_text(start)}"
        frame = (
            f'<iframe src="{html_text(player)}" width="{width}" height="{height}" '
            f'title="{html_text(item.title)}" frameborder="0" '
            'allow="fullscreen; picture-in-picture" allowfullscreen></iframe>'
        )
        return OEmbed(type="video", html=frame, width=width, height=height, **common)  # type: ignore[arg-type]


def start_asked(url: str, item: CatalogueItem) -> float | None:
    """The start time ``url``'s ``t`` asks for (a "link at 1:30"), when ``item`` has it:
    the player's own reading, so a ``t`` it would ignore is dropped rather than passed on."""
    asked = parse_qs(urlsplit(url).query).get("t")
    return start_of(asked[0], item.duration_seconds) if asked else None


def share_page(origin: str, secret: str) -> str:
    """A share link's page (the address a card of its embed page links to as well)."""
    return f"{origin}{SHARED_PAGE}{quote(secret)}"


def watch_page(origin: str, item_id: str) -> str:
    """A video's watch page."""
    return f"{origin}{WATCH_PAGE}{quote(item_id)}"


def card_description(description: str) -> str:
    """``description`` on one line, at most :data:`DESCRIPTION_MAX` characters."""
    text = " ".join(description.split())
    if len(text) <= DESCRIPTION_MAX:
        return text
    return text[: DESCRIPTION_MAX - 1].rstrip() + "…"


def embed_size(
    item: CatalogueItem, max_width: int | None, max_height: int | None
) -> tuple[int, int]:
    """The player's frame: :data:`EMBED_WIDTH` wide (or ``max_width``) at the video's
    aspect ratio, made smaller to fit ``max_height``."""
    aspect = item.width / item.height if item.width and item.height else _WIDE
    width = max_width or EMBED_WIDTH
    height = max(1, round(width / aspect))
    if max_height is not None and height > max_height:
        height = max_height
        width = max(1, min(width, round(height * aspect)))
    return width, height


def thumbnail_fields(item: CatalogueItem, origin: str) -> dict[str, str | int]:
    """oEmbed's thumbnail (its address and size) when the item has one of known size."""
    if not item.thumbnail_url or not item.width or not item.height:
        return {}
    width, height = fitted_in((item.width, item.height), THUMBNAIL_BOX)
    return {
        "thumbnail_url": origin + item.thumbnail_url,
        "thumbnail_width": width,
        "thumbnail_height": height,
    }
