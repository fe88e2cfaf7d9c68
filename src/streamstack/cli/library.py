"""Lists as commands read them, every entry, page by page: the library (the catalogue's
admin list: ``items``, ``transcode --failed``/``--outdated``, ``probe --all``) and the
lists paged by ``limit`` and ``offset`` (``uploads``, ``users``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from streamstack.catalogue.schemas import MAX_PAGE_SIZE
from streamstack.cli.session import AdminApi, AdminRequired, server_refused
from streamstack.contracts.limits import LIST_LIMIT_MAX

#: The catalogue's list: admins see drafts too (``status=all``, unless ``query`` says).
LIST_PATH = "/api/v1/catalogue"


def as_admin(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` when the server answered it as to an admin (its admin-only fields, the
    ``etag`` an edit sends back among them); else :class:`AdminRequired`."""
    if "outdated" not in item:
        raise AdminRequired(
            "admin role required (the server shows this token published videos alone)"
        )
    return item


def listed(
    api: AdminApi, query: Mapping[str, str] | None = None, what: str = "items"
) -> list[dict[str, Any]]:
    """Every item the list shows with ``query`` (``{"processing": "failed"}``), all read
    before any is acted on (acting on one may move the rest up the list);
    :class:`CommandFailed` naming ``what`` when the server refuses to list them."""
    params = {"status": "all", **(query or {}), "page_size": MAX_PAGE_SIZE}
    return _all_pages(
        api, what, lambda pages, _: f"{LIST_PATH}?{urlencode({**params, 'page': pages + 1})}"
    )


def every_entry(
    api: AdminApi, path: str, query: Mapping[str, str], what: str
) -> list[dict[str, Any]]:
    """Every entry of the list at ``path`` (its ``items`` and ``total``, a page of the most
    the server gives at a time by ``limit`` and ``offset``) with ``query``;
    :class:`CommandFailed` naming ``what`` when the server refuses to list them."""
    paged = {**query, "limit": LIST_LIMIT_MAX}
    return _all_pages(api, what, lambda _, read: f"{path}?{urlencode({**paged, 'offset': read})}")


def _all_pages(
    api: AdminApi, what: str, page_url: Callable[[int, int], str]
) -> list[dict[str, Any]]:
    """The ``items`` of every page of a list (``page_url`` of how many pages and entries
    were read so far), until its ``total`` is read or a page comes back empty."""
    entries: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = api.get(page_url(pages, len(entries)))
        if response.status_code != 200:
            raise server_refused(response, f"cannot list the {what}")
        page = response.json()
        entries += page["items"]
        pages += 1
        if not page["items"] or len(entries) >= page["total"]:
            return entries


def listed_items(
    api: AdminApi, query: Mapping[str, str] | None = None, what: str = "items"
) -> list[str]:
    """The ids of every item :func:`listed` reads."""
    return [item["id"] for item in listed(api, query, what)]
