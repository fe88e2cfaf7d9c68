"""The server's new videos as an Atom 1.0 feed (RFC 4287), for feed readers.

The entries are what a signed-out visitor's Browse shows first (playable, published,
listed items, newest published first), at most :data:`FEED_ENTRIES`. The document is
written with :mod:`xml.etree.ElementTree`, which escapes ``<``, ``&`` and quotes; the
characters XML 1.0 cannot carry at all (C0 controls but tab and newlines, lone
surrogates, U+FFFE/U+FFFF), which a description may hold, are dropped first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from streamstack.contracts.catalogue import CatalogueItem
from streamstack.kernel.http import link_origin

#: How many of the newest videos a feed lists.
FEED_ENTRIES = 50
#: Where the feed is served, under the catalogue's prefix.
FEED_PATH = "/feeds/videos.atom"
#: ``Content-Type`` of the feed.
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
#: How long a feed reader or a cache may keep a public server's feed without asking again.
FEED_MAX_AGE_SECONDS = 300

ATOM = "http://www.w3.org/2005/Atom"
#: Media RSS, for each entry's thumbnail (read by feed readers that show pictures).
MEDIA = "http://search.yahoo.com/mrss/"
ET.register_namespace("", ATOM)
ET.register_namespace("media", MEDIA)

# What XML 1.0 (§2.2 Char) cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: An empty feed's ``updated``: no video has changed it since ever.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class FeedDocument:
    """A written feed: its bytes and their strong entity tag."""

    body: bytes
    etag: str


@dataclasses.dataclass(frozen=True, slots=True)
class VideoFeed:
    """Writes the feed of new videos with links to the server's public address.

    ``public_url`` is the origin links point at (``STREAMSTACK_PUBLIC_URL``); when it is
    unset the address the feed reader asked is used: the feed goes back to that reader
    alone, so a forged Host header misleads no one but whoever wrote it. ``site_name``
    (``STREAMSTACK_SITE_NAME``) is the feed's title and author, as a feed reader lists it.
    """

    public_url: str
    site_name: str
    catalogue_prefix: str
    public: bool
    """Whether signed-out visitors may browse (``STREAMSTACK_GUEST_ACCESS=browse``)."""

    @property
    def cache_control(self) -> str:
        """A public server's feed may be kept a while by anyone; a members-only one's is
        a member's own, asked again each time (a 304 while unchanged)."""
        return f"public, max-age={FEED_MAX_AGE_SECONDS}" if self.public else "private, no-cache"

    def origin(self, request_base: str) -> str:
        """The origin of the feed's links: the public URL, else the request's."""
        return link_origin(self.public_url, request_base)

    def self_url(self, origin: str, tag: str | None) -> str:
        """The feed's own address (one tag's feed when ``tag`` is given)."""
        return f"{origin}{self.catalogue_prefix}{FEED_PATH}{_tag_query(tag)}"

    def write(
        self, items: Sequence[CatalogueItem], *, origin: str, tag: str | None
    ) -> FeedDocument:
        """The feed of ``items`` (newest first), linked to ``origin``."""
        feed = ET.Element(f"{{{ATOM}}}feed")
        self_url = self.self_url(origin, tag)
        browse = f"{origin}/{_tag_query(tag)}"
        _text(feed, "id", self_url)
        title = f"{self.site_name}: videos tagged {tag}" if tag else self.site_name
        _text(feed, "title", title)
        _text(feed, "updated", _when(max((_updated(item) for item in items), default=_NEVER)))
        _link(feed, "self", self_url, "application/atom+xml")
        _link(feed, "alternate", browse, "text/html")
        _text(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", self.site_name)
        for item in items:
            _entry(feed, item, origin)
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return FeedDocument(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def _tag_query(tag: str | None) -> str:
    """``?tag=…`` for one tag's feed or Browse page; nothing for all videos."""
    return f"?{urlencode({'tag': tag})}" if tag else ""


def _entry(feed: ET.Element, item: CatalogueItem, origin: str) -> None:
    """One video's entry: its id, title, watch page, times, description, tags, thumbnail."""
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "id", f"urn:uuid:{item.id}")
    _text(entry, "title", item.title)
    _link(entry, "alternate", f"{origin}/watch/{quote(item.id)}", "text/html")
    _text(entry, "published", _when(item.published_at or item.created_at))
    _text(entry, "updated", _when(_updated(item)))
    if item.description:
        _text(entry, "summary", item.description)
    for tag in item.tags:
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": _xml_text(tag)})
    if item.thumbnail_url:
        ET.SubElement(entry, f"{{{MEDIA}}}thumbnail", {"url": origin + item.thumbnail_url})


def _updated(item: CatalogueItem) -> datetime:
    """When the entry last changed: never before it was published."""
    return max(item.updated_at, item.published_at or item.updated_at)


def _when(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, name: str, value: str) -> None:
    """An Atom element holding plain text (``type="text"``, Atom's default)."""
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = _xml_text(value)


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    """An Atom ``link`` of relation ``rel``."""
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": media_type, "href": href})


def _xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", value)
