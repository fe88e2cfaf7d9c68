"""A share link, in Chromium, against a real ``streamstack dev``: watched without an account.

The admin uploads a clip and, in the Library, makes a share link for it (Share link…,
Create a link: seven days by default) and copies it. Someone with no account opens the link
in a browser context of their own: the title, "Shared with you by link.", and the video
plays; the page asked for its stream tokens at the link's route (never the item's, which
needs an account), sent no bearer and saved no watch progress. The admin then stops
sharing: the stream URL the link's player was given stops working within seconds, and the
link, opened again, says it does not work right now. Both the link's page and the video's watch
page carry the video's card (link previews) and boot the SPA. Nothing else is refused, no uncaught error,
no CSP violation.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    play_muted,
    upload,
)
from support.waiting import eventually
from system.system_video import h264_aac_mp4

TITLE = "Birthday candles"


@dataclasses.dataclass(frozen=True)
class SharedClip:
    """An admin's page (its context able to read the clipboard), the clip they uploaded
    and the share link they made for it in the Library."""

    admin_context: BrowserContext
    admin: Page
    item_id: str
    url: str
    secret: str


async def shared_clip(
    browser: Browser, log: BrowserLog, dev_server: DevServer, title: str, filename: str
) -> SharedClip:
    """The admin signs in, uploads a short clip titled ``title`` and shares it by link."""
    base = dev_server.url
    admin_context, admin = await admin_on(browser, log, dev_server, "/")
    await admin_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    clip = h264_aac_mp4(seconds=6.0, width=160, height=120)
    item_id = await upload(admin, base, title, clip, filename)
    url = await share_from_library(admin, base, title)
    secret = urlsplit(url).path.removeprefix("/s/")
    return SharedClip(admin_context, admin, item_id, url, secret)


def link_button(action: str, url: str) -> str:
    """The name of the Library's ``action`` button ("Copy", "Embed", "Stop sharing") for the
    link ``url``: the end of its secret tells it from the others, not the whole address."""
    return f"{action} link \u2026{url[-4:]}"


async def share_from_library(page: Page, base: str, title: str = TITLE) -> str:
    """In the Library, make a share link for ``title``; the link, as copied."""
    await page.goto(f"{base}/admin/library")
    await page.get_by_role("button", name=f"Share link for {title}").click()
    await page.get_by_role("button", name="Create a link").click()
    link = page.get_by_test_id("share-link").first.locator("code")
    await link.wait_for()
    url = await link.inner_text()
    await page.get_by_role("button", name=link_button("Copy", url), exact=True).click()
    await page.get_by_text("Link copied.").wait_for()
    copied: str = await page.evaluate("() => navigator.clipboard.readText()")
    assert copied == url
    return url


async def stop_sharing(page: Page, url: str) -> None:
    """Stop the link ``url`` from the Library's share panel (confirmed)."""
    await page.get_by_role("button", name=link_button("Stop sharing", url), exact=True).click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Stop sharing").click()
    await page.get_by_test_id("share-link").get_by_text("Stopped").wait_for()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_someone_without_an_account_watches_by_link_until_it_is_stopped(
    dev_server: DevServer,
) -> None:
    log = BrowserLog()
    base = dev_server.url
    async with chromium() as browser:
        clip = await shared_clip(browser, log, dev_server, TITLE, "candles.mp4")
        admin_context, admin, item_id = clip.admin_context, clip.admin, clip.item_id
        url, secret = clip.url, clip.secret
        assert url == f"{base}/s/{secret}" and len(secret) == 43

        guest_context, guest = await new_page(browser, log)
        await guest.goto(url)
        await guest.get_by_role("heading", name=TITLE).wait_for()
        await guest.get_by_test_id("shared-by-link").wait_for()
        await play_muted(guest)

        asked = [r for r in log.responses if r.request.method == "POST"]
        shared = f"/api/v1/catalogue/shared/{secret}/stream-token"
        grants = [r for r in asked if urlsplit(r.url).path == shared]
        assert grants and all(r.status == 200 for r in grants)
        assert all("authorization" not in r.request.headers for r in grants)
        assert not [r for r in asked if r.url.endswith(f"/{item_id}/stream-token")]
        assert not [r for r in log.responses if r.url.endswith(f"/{item_id}/progress")]
        stream_url = base + (await grants[0].json())["stream_url"]

        # A pasted link's card is in the served page, and the SPA boots on it as before.
        card = f'<meta property="og:title" content="{TITLE}" />'
        for page_url in (url, f"{base}/watch/{item_id}"):
            assert card in httpx.get(page_url, timeout=5.0).text, page_url

        await stop_sharing(admin, url)

        def refused() -> bool:
            answer = httpx.get(stream_url, headers={"Range": "bytes=0-99"}, timeout=5.0)
            return answer.status_code >= 400

        await eventually(refused, "the link's stream stopped", seconds=15.0)
        await guest.goto(url)
        await guest.get_by_role("heading", name="This link does not work right now.").wait_for()
        await admin.goto(f"{base}/watch/{item_id}")  # the page with the card
        await admin.get_by_role("heading", name=TITLE).wait_for()
        await play_muted(admin)
        await guest_context.close()
        await admin_context.close()

    log.assert_clean((f"/api/v1/catalogue/shared/{secret}", 404))
