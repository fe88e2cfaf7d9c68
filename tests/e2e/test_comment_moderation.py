"""An admin removes everything a spamming member wrote, in Chromium, against a real
``streamstack dev``.

A member ("Spam Bot") posts 25 comments under a video and a reply to another member's
comment, who answered one of the spam and reported three (through the API: the posting is
not what is tested). The admin's nav says "Comments (3)". On the Comments page the admin
follows a row's "Show comments by Spam Bot" (the address says ``?author=``), sees the chip
"Comments by Spam Bot", and deletes all 26 at once, though the page shows 20: the page
says 27 went (the reply to the spam with them), shows none, and with the chip cleared shows
the other member's comment alone, as the API does; the nav's count is gone. The console
stays clean.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_uploaded,
    bearer_for,
    chromium,
    running_dev_server,
    wait_until_ready,
)
from system.system_video import h264_aac_mp4

PASSWORD = "a member's long passphrase"
SPAM = 25


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """``streamstack dev`` whose comment budget lets one member post the spam at once."""
    with running_dev_server(tmp_path, STREAMSTACK_COMMENT_BURST="100") as server:
        yield server


def member(client: httpx.Client, email: str, name: str) -> dict[str, str]:
    """A new member named ``name``, signed in: their ``Authorization``."""
    answer = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    answer.raise_for_status()
    return bearer_for(client, email, PASSWORD)


def comment(client: httpx.Client, item_id: str, who: dict[str, str], body: str, **more: str) -> str:
    """The id of the comment ``who`` posts on the item."""
    answer = client.post(
        f"/api/v1/catalogue/{item_id}/comments", json={"body": body, **more}, headers=who
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def spammed(server: DevServer, item_id: str) -> None:
    """Spam Bot's 25 comments and a reply to Ada's; Ada's comment, her reply to one of the
    spam, and her reports of three."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        spammer = member(client, "spam@example.com", "Spam Bot")
        ada = member(client, "ada@example.com", "Ada")
        adas = comment(client, item_id, ada, "A lovely clip")
        spam = [comment(client, item_id, spammer, f"Cheap watches {n}") for n in range(SPAM)]
        comment(client, item_id, spammer, "Cheap watches here too", reply_to=adas)
        comment(client, item_id, ada, "Please stop", reply_to=spam[0])
        for comment_id in spam[:3]:
            answer = client.post(
                f"/api/v1/catalogue/comments/{comment_id}/reports", json={}, headers=ada
            )
            answer.raise_for_status()


def comments_left(server: DevServer, item_id: str) -> tuple[list[str], int]:
    """Every comment's text as the admins' list has it, and the item's count of comments."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        admin = bearer_for(client, server.admin_email, server.admin_password)
        listed = client.get("/api/v1/catalogue/comments", params={"limit": 50}, headers=admin)
        item = client.get(f"/api/v1/catalogue/{item_id}", headers=admin)
        return [c["body"] for c in listed.json()["comments"]], int(item.json()["comment_count"])


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_an_admin_deletes_everything_a_spammer_wrote_and_others_replies_stay(
    dev_server: DevServer,
) -> None:
    log = BrowserLog()
    base = dev_server.url
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=2.0, width=160, height=120)
        admin, item_id = await admin_uploaded(browser, log, dev_server, "Spammed", clip, "a.mp4")
        await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        await asyncio.to_thread(spammed, dev_server, item_id)

        await admin.goto(f"{base}/admin/comments")
        nav = admin.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="Comments, 3 reported").wait_for()
        await admin.get_by_role("link", name="Show comments by Spam Bot").first.click()
        await admin.wait_for_url("**/admin/comments?author=*")
        await admin.locator(".filter-chip", has_text="Comments by Spam Bot").wait_for()
        await admin.get_by_role("button", name="Delete all 26 comments by Spam Bot…").click()
        dialog = admin.get_by_role("alertdialog", name="Delete all 26 comments by Spam Bot?")
        await dialog.get_by_role("button", name="Delete all 26 comments").click()

        await admin.get_by_text(
            "Deleted 26 comments by Spam Bot; others\u2019 replies to them stay."
        ).wait_for()
        await admin.get_by_text("No comments yet.").wait_for()
        await admin.get_by_role("button", name="Show everyone\u2019s comments").click()
        await admin.wait_for_url(f"{base}/admin/comments")
        await admin.locator("[data-testid=moderated-comment]", has_text="A lovely clip").wait_for()
        assert await admin.get_by_test_id("moderated-comment").count() == 2  # Ada's reply stays
        await nav.get_by_role("link", name="Comments", exact=True).wait_for()
        left = (["Please stop", "A lovely clip"], 2)
        assert await asyncio.to_thread(comments_left, dev_server, item_id) == left

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
