"""The library as commands read it: the catalogue's admin list, every item of it, page by
page (``transcode --failed``/``--outdated``, ``probe --all``)."""

from __future__ import annotations

from streamstack.cli.session import AdminApi, error_detail
from streamstack.cli.tus_client import UploadFailed

#: One page of the items, drafts included, as admins list them; ``filters`` narrow it
#: (``&processing=failed``).
LISTED_PATH = "/api/v1/catalogue?status=all{filters}&page_size=100&page={page}"


def listed_items(api: AdminApi, filters: str = "", what: str = "items") -> list[str]:
    """The ids of every item the list shows with ``filters``, all read before any is acted
    on (acting on one may move the rest up the list); :class:`UploadFailed` naming
    ``what`` when the server refuses to list them."""
    ids: list[str] = []
    page = 1
    while True:
        response = api.get(LISTED_PATH.format(filters=filters, page=page))
        if response.status_code != 200:
            raise UploadFailed(f"cannot list the {what}: {error_detail(response)}")
        listed = response.json()
        ids += [item["id"] for item in listed["items"]]
        if not listed["items"] or len(ids) >= listed["total"]:
            return ids
        page += 1
