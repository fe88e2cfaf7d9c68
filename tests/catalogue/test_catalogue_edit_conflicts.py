"""Two admins (or two tabs) editing one item: ``If-Match`` with the item's ``etag`` makes an
edit refuse to undo another made since it was read; on both backend kinds."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from catalogue_testing import (
    API,
    CatalogueDeployment,
    admin_headers,
    as_admin,
    create_item,
    to_new,
)

from streamstack.contracts.catalogue import ProcessingUpdate
from streamstack.settings import Settings
from support.apps import AppClient


def settings_of(client: AppClient) -> Settings:
    return client.app.state.settings


async def read(
    client: AppClient, item_id: str, headers: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """The item as an admin GETs it, and its ETag header."""
    r = await client.get(f"{API}/{item_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json(), r.headers["etag"]


async def test_an_admin_is_told_the_etag_in_the_item_the_list_and_the_edit(
    catalogue_client: AppClient,
) -> None:
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    assert item["etag"].startswith('"') and item["etag"].endswith('"')
    got, etag = await read(catalogue_client, item["id"], admin)
    assert got["etag"] == etag == item["etag"]
    listed = (await catalogue_client.get(f"{API}/?status=all", headers=admin)).json()["items"]
    assert [i["etag"] for i in listed] == [etag]

    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"title": "Renamed"}, headers={**admin, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == r.json()["etag"] != etag

    # Viewers are told neither: it is of use to those who edit alone.
    r = await catalogue_client.get(f"{API}/{item['id']}")
    assert "etag" not in r.headers and "etag" not in r.json()
    assert all("etag" not in i for i in (await catalogue_client.get(f"{API}/")).json()["items"])


async def test_the_second_of_two_edits_from_one_read_is_refused_and_changes_nothing(
    catalogue_client: AppClient,
) -> None:
    """Tab A renames, tab B (opened on the same read) changes the description: 412, and
    the title A gave stays."""
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings, title="Weekly team meeting")
    url = f"{API}/{item['id']}"
    _, read_by_both = await read(catalogue_client, item["id"], admin)

    r = await catalogue_client.patch(
        url, json={"title": "Kick-off"}, headers={**admin, "If-Match": read_by_both}
    )
    assert r.status_code == 200, r.text
    r = await catalogue_client.patch(
        url,
        json={"title": "Weekly team meeting", "description": "Notes."},
        headers={**admin, "If-Match": read_by_both},
    )
    assert r.status_code == 412, r.text
    assert r.json()["code"] == "changed_elsewhere"
    assert "nothing was saved" in r.json()["detail"]
    now, _ = await read(catalogue_client, item["id"], admin)
    assert (now["title"], now["description"]) == ("Kick-off", item["description"])
    assert now["updated_at"] != item["updated_at"]  # A's edit, and no other

    # Read again, B's edit goes through; "*" and a list holding the tag match too.
    for description, if_match in (("Notes.", "{}"), ("More.", '"stale", {}'), ("Most.", "*")):
        _, fresh = await read(catalogue_client, item["id"], admin)
        r = await catalogue_client.patch(
            url,
            json={"description": description},
            headers={**admin, "If-Match": if_match.format(fresh)},
        )
        assert r.status_code == 200, (if_match, r.text)
        assert r.json()["description"] == description


async def test_without_if_match_an_edit_is_made_as_before(catalogue_client: AppClient) -> None:
    """The CLI and the bulk actions send none: last write wins, as it always did."""
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    url = f"{API}/{item['id']}"
    assert (await catalogue_client.patch(url, json={"title": "One"}, headers=admin)).is_success
    r = await catalogue_client.patch(url, json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["status"]) == ("One", "draft")


@pytest.mark.parametrize(
    ("if_match", "status", "code"),
    [
        ("2024-05-01T10:00:00Z", 400, "invalid_if_match"),  # updated_at, not the etag
        ("abc123", 400, "invalid_if_match"),  # the etag without its quotes
        ('"abc', 400, "invalid_if_match"),
        ("", 400, "invalid_if_match"),
        (", ,", 400, "invalid_if_match"),
        ("x" * 1001, 400, None),  # past the header's limit
        ('W/"{etag}"', 412, "changed_elsewhere"),  # weak: never matches (RFC 9110 §8.8.3.2)
        ('"{etag}x"', 412, "changed_elsewhere"),
    ],
)
async def test_a_confused_if_match_is_refused_and_changes_nothing(
    module_catalogue_client: AppClient, if_match: str, status: int, code: str | None
) -> None:
    """On the module's app: an item of its own, a refused edit only."""
    catalogue_client = module_catalogue_client
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    if_match = if_match.replace('"{etag}', item["etag"][:-1])
    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"title": "Changed"}, headers={**admin, "If-Match": if_match}
    )
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code
    now, _ = await read(catalogue_client, item["id"], admin)
    assert now["title"] == item["title"] and now["updated_at"] == item["updated_at"]


async def test_publishing_scheduling_and_sharing_change_the_etag(
    catalogue_client: AppClient,
) -> None:
    """Everything a PATCH can change is in the etag: an edit read before another admin's
    unpublishing (or scheduling, unlisting, closing comments) is refused, not made on top
    of it. Each answer's etag is the one a read gives next (a schedule's instant too)."""
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings, publish=False)
    url = f"{API}/{item['id']}"
    tomorrow = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
    seen = [item["etag"]]
    for change in (
        {"publish_at": tomorrow.replace("+00:00", "+02:00")},
        {"visibility": "unlisted"},
        {"comments_enabled": False},
        {"status": "published"},
    ):
        r = await catalogue_client.patch(url, json=change, headers=admin)
        assert r.status_code == 200, r.text
        got, etag = await read(catalogue_client, item["id"], admin)
        listed = await catalogue_client.get(f"{API}/?status=all", headers=admin)
        assert r.json()["etag"] == etag == got["etag"] == listed.json()["items"][0]["etag"]
        assert etag not in seen, change
        seen.append(etag)

    # Read before the publishing, an unpublishing is refused: the item stays public.
    r = await catalogue_client.patch(
        url, json={"status": "draft"}, headers={**admin, "If-Match": seen[-2]}
    )
    assert r.status_code == 412, r.text
    assert r.json()["code"] == "changed_elsewhere"
    got, _ = await read(catalogue_client, item["id"], admin)
    assert got["status"] == "published"


async def test_a_delete_with_if_match_deletes_only_the_item_as_read(
    catalogue_client: AppClient,
) -> None:
    """``DELETE`` evaluates ``If-Match`` as PATCH does (RFC 9110 §13.1.1): stale is 412 and
    malformed 400, the item (and what it holds) still there; matching deletes it."""
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings)
    url = f"{API}/{item['id']}"
    r = await catalogue_client.patch(url, json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    current = r.json()["etag"]
    for if_match, status, code in (
        (item["etag"], 412, "changed_elsewhere"),  # read before the unpublishing
        ('"nope"', 412, "changed_elsewhere"),
        (f"W/{current}", 412, "changed_elsewhere"),
        ("nope", 400, "invalid_if_match"),
        ("", 400, "invalid_if_match"),
    ):
        r = await catalogue_client.delete(url, headers={**admin, "If-Match": if_match})
        assert r.status_code == status, (if_match, r.text)
        assert r.json()["code"] == code
        assert status == 400 or "nothing was deleted" in r.json()["detail"]
        now, _ = await read(catalogue_client, item["id"], admin)
        assert now["etag"] == current, if_match

    r = await catalogue_client.delete(url, headers={**admin, "If-Match": f'"other", {current}'})
    assert r.status_code == 204, r.text
    assert (await catalogue_client.get(url, headers=admin)).status_code == 404
    r = await catalogue_client.delete(url, headers={**admin, "If-Match": current})
    assert r.status_code == 404, r.text


async def test_if_match_on_a_missing_item_is_404(catalogue_client: AppClient) -> None:
    admin = admin_headers(settings_of(catalogue_client))
    r = await catalogue_client.patch(
        f"{API}/{uuid.uuid4()}", json={"title": "x"}, headers={**admin, "If-Match": '"a"'}
    )
    assert r.status_code == 404, r.text


async def test_processing_moving_on_does_not_refuse_an_edit(
    deployment: CatalogueDeployment,
) -> None:
    """Transcoding reports change ``updated_at`` every few seconds, not the etag: an admin
    editing a video being transcoded is not refused for a change they cannot see."""
    queued = to_new(video_codec="hevc", playable=False, processing_state="queued")
    item = await deployment.client.create_item(queued, as_admin(deployment.settings))
    admin = admin_headers(deployment.settings)
    await deployment.client.update_processing(
        ProcessingUpdate(media_id=item.id, state="processing", percent=40)
    )
    r = await deployment.public.patch(
        f"{API}/{item.id}", json={"title": "Still mine"}, headers={**admin, "If-Match": item.etag}
    )
    assert r.status_code == 200, r.text


async def test_an_item_found_by_its_id(catalogue_client: AppClient) -> None:
    """The library's search finds an item by its exact id (the watch page's "Edit in
    library"), whatever its title shares with others; its filters still apply."""
    settings = settings_of(catalogue_client)
    admin = admin_headers(settings)
    items = [
        await create_item(catalogue_client, settings, title="Weekly team meeting") for _ in range(3)
    ]
    wanted = items[1]["id"]
    for q in (wanted, f"  {wanted.upper()} "):
        page = (
            await catalogue_client.get(f"{API}/", params={"q": q, "status": "all"}, headers=admin)
        ).json()
        assert [i["id"] for i in page["items"]] == [wanted] and page["total"] == 1, q
    # The list's shape: no captions nor chapters, as any list.
    assert page["items"][0]["captions"] == [] and page["items"][0]["chapters"] == []
    drafts = (
        await catalogue_client.get(
            f"{API}/", params={"q": wanted, "status": "draft"}, headers=admin
        )
    ).json()
    assert (drafts["items"], drafts["total"]) == ([], 0)
    for filters in ({"tag": "elsewhere"}, {"processing": "failed"}, {"processing": "ready"}):
        other = (
            await catalogue_client.get(
                f"{API}/", params={"q": wanted, "status": "all", **filters}, headers=admin
            )
        ).json()
        assert (other["items"], other["total"]) == ([], 0), filters
    second = (
        await catalogue_client.get(f"{API}/", params={"q": wanted, "page": 2}, headers=admin)
    ).json()
    assert (second["items"], second["total"]) == ([], 1)
    # Another id, or an id and a word: the text search, which finds none of them.
    for q in (str(uuid.uuid4()), f"{wanted} weekly"):
        page = (await catalogue_client.get(f"{API}/", params={"q": q}, headers=admin)).json()
        assert page["items"] == [], q


async def test_a_viewer_finds_by_id_only_what_they_may_see(catalogue_client: AppClient) -> None:
    settings = settings_of(catalogue_client)
    draft = await create_item(catalogue_client, settings, publish=False)
    live = await create_item(catalogue_client, settings)
    for item, found in ((draft, []), (live, [live["id"]])):
        page = (await catalogue_client.get(f"{API}/", params={"q": item["id"]})).json()
        assert [i["id"] for i in page["items"]] == found
