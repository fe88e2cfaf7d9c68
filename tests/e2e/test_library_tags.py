"""The library's tag filter and bulk tags in Chromium, across its pages.

Found on an admin walk of a 323-video library: the library could not be filtered by tag, a
tag could only be added one video's edit form at a time, a selection was lost on turning
the page, and the pages went only one back or forward. The admin filters by a tag, ticks a
video on the first page and one on the last, and tags both at once; the API has the tag on
those two alone. The videos are registered through the API (their files never read): only
the library's pages matter here.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, bearer_for, chromium

#: More than a library page (24) of videos tagged "walk", and a few others.
WALKS = 26
OTHERS = 3


def register(client: httpx.Client, headers: dict[str, str], title: str, tags: list[str]) -> str:
    """A draft video registered as ingest does (its objects named by its id); its id."""
    item_id = str(uuid.uuid4())
    body = {
        "id": item_id,
        "title": title,
        "s3_key": f"{item_id}.mp4",
        "size_bytes": 1_048_576,
        "content_type": "video/mp4",
        "tags": tags,
        "publish": False,
    }
    answer = client.post("/api/v1/catalogue/", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return item_id


def titles_tagged(client: httpx.Client, headers: dict[str, str], tag: str) -> set[str]:
    """The titles of every video, drafts too, that has ``tag``."""
    params = {"tag": tag, "status": "all", "page_size": 100}
    answer = client.get("/api/v1/catalogue/", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["title"] for item in answer.json()["items"]}


#: Whether the library lists exactly the given titles (each row's "Select …" box), in any
#: order (videos registered in one instant may come in either).
LISTS = """titles => {
  const boxes = document.querySelectorAll('input[type=checkbox][aria-label^="Select "]');
  const shown = [...boxes].map(b => b.getAttribute('aria-label').slice('Select '.length));
  return JSON.stringify(shown.sort()) === JSON.stringify([...titles].sort());
}"""


def walks(first: int, last: int) -> list[str]:
    """The titles "Walk <first>" to "Walk <last>"."""
    return [f"Walk {number:02d}" for number in range(last, first + 1)]


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_an_admin_tags_videos_ticked_on_two_pages_of_a_tag_filter(
    dev_server: DevServer,
) -> None:
    with httpx.Client(base_url=dev_server.url, timeout=10.0) as client:
        headers = bearer_for(client, dev_server.admin_email, dev_server.admin_password)
        # Registered oldest first: the newest ("Walk 26") leads page 1, "Walk 01" ends page 2.
        for number in range(1, WALKS + 1):
            register(client, headers, f"Walk {number:02d}", ["walk"])
        for number in range(1, OTHERS + 1):
            register(client, headers, f"Other {number}", ["other"])

        log = BrowserLog()
        async with chromium() as browser:
            _, page = await admin_on(browser, log, dev_server, "/admin/library")
            await page.get_by_label("Tag", exact=True).select_option("walk")
            await page.wait_for_url("**/admin/library?tag=walk")
            # The router commits the address in a transition: the whole library (also "Page 1
            # of 2", Walk 26 on it) stays shown until then, and a box ticked in it was cleared
            # with the filter's change. Walks alone are what say the filter is on.
            await page.wait_for_function(LISTS, arg=walks(26, 3))
            pages = page.get_by_role("navigation", name="Pagination")
            await pages.get_by_text("Page 1 of 2").wait_for()

            await page.get_by_role("checkbox", name="Select Walk 26").check()
            await pages.get_by_role("button", name="Last »").click()
            await pages.get_by_text("Page 2 of 2").wait_for()
            await page.get_by_role("checkbox", name="Select Walk 01").check()
            bar = page.get_by_role("group", name="Selected videos")
            await bar.get_by_text("2 selected, 1 on other pages").wait_for()

            await bar.get_by_label("Tag to add or remove").fill("Favourite")
            await bar.get_by_role("button", name="Add tag").click()
            notice = page.get_by_test_id("done-notice")
            await notice.filter(has_text="Added “favourite” to 2 videos.").wait_for()
            assert titles_tagged(client, headers, "favourite") == {"Walk 26", "Walk 01"}

            # The new tag is offered by the filter; choosing it starts with nothing selected.
            await page.get_by_role("checkbox", name="Select Walk 02").check()
            await page.get_by_label("Tag", exact=True).select_option("favourite")
            await page.get_by_test_id("selection-cleared").wait_for()
            # Walk 01 (ticked before) is on the last page of "walk" too: the two tagged alone
            # are what say the new filter's list is shown.
            await page.wait_for_function(LISTS, arg=["Walk 26", "Walk 01"])
            assert await page.get_by_role("checkbox", name="Select Walk 01").is_checked() is False
        log.assert_clean()
