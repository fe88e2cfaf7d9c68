"""A playlist, in Chromium: saved from the watch page, played in order, shared by link.

A real ``streamstack dev``; the admin uploads three short clips. Two are saved to a new
playlist from their watch pages' Save dialog (the first through "New playlist", the second
by ticking it). The playlist page lists them in order; Play all starts the first with the
playlist beside the player; at its end the end screen offers the playlist's second item,
not the related one (which shares the first's tag), and goes to it, still in the playlist,
which now marks the second. The console stays clean.

Shared: the admin's playlist holds a draft among its clips and is shared by link (Share,
Copy link); a viewer, signed in in another browser context, opens the link: the clips in
order without the draft, nothing to change, Play all plays them in turn, and Save to my
playlists keeps a copy.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_on,
    change_status,
    chromium,
    new_page,
    play_into_next,
    register_viewer,
    sign_in,
    upload_short_clip,
)

VIEWER_EMAIL = "viewer@example.com"
VIEWER_PASSWORD = "a viewer's long passphrase"


async def save_to(page: Page, base: str, item_id: str, playlist: str, *, new: bool) -> None:
    """On the item's watch page, put it in ``playlist`` (made first when ``new``)."""
    await page.goto(f"{base}/watch/{item_id}")
    await page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save to playlist")
    if new:
        await dialog.get_by_role("textbox", name="New playlist").fill(playlist)
        await dialog.get_by_role("button", name="Create").click()
    else:
        await dialog.get_by_role("checkbox", name=playlist).check()
    # Saved once the box is ticked and no longer busy (its request answered).
    box = dialog.get_by_role("checkbox", name=playlist)
    await box.wait_for()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('[role=dialog] input[type=checkbox]')]"
        ".some(b => b.checked && b.getAttribute('aria-disabled') !== 'true')"
    )
    await dialog.get_by_role("button", name="Done").click()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_saved_playlist_plays_its_items_in_order(dev_server: DevServer) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        base = dev_server.url
        second = await upload_short_clip(page, base, "Evening two", "news")
        await upload_short_clip(page, base, "Related walk", "walks")
        first = await upload_short_clip(page, base, "Evening one", "walks")

        await save_to(page, base, first, "Evening", new=True)
        await save_to(page, base, second, "Evening", new=False)

        await page.goto(f"{base}/playlists")
        await page.get_by_role("link", name="Evening", exact=True).click()
        await page.get_by_role("heading", name="Evening").wait_for()
        rows = page.get_by_test_id("playlist-item").locator(".card-title")
        assert await rows.all_inner_texts() == ["Evening one", "Evening two"]
        playlist_id = page.url.rsplit("/", 1)[-1]

        await page.get_by_role("link", name="Play all").click()
        await page.wait_for_url(f"{base}/watch/{first}?list={playlist_id}")
        panel = page.get_by_role("region", name="Evening")
        current = panel.locator("[aria-current=true]")
        assert "Evening one" in await current.inner_text()

        await play_into_next(page, base, "Evening two", f"/watch/{second}?list={playlist_id}")
        assert "Evening two" in await current.inner_text()
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []


async def shared_link(page: Page, base: str, title: str) -> str:
    """On the admin's playlist ``title``: Share by link, then Copy link; the link copied."""
    await page.goto(f"{base}/playlists")
    await page.get_by_role("link", name=title, exact=True).click()
    share = page.get_by_role("region", name="Share")
    await share.get_by_role("button", name="Share by link").click()
    await share.get_by_role("button", name="Copy link").click()
    await share.get_by_text("Link copied.").wait_for()
    link: str = await page.evaluate("() => navigator.clipboard.readText()")
    assert link == await share.get_by_role("textbox", name="Link").input_value()
    return link


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_viewer_plays_a_playlist_shared_by_link(dev_server: DevServer) -> None:
    log = BrowserLog()
    base = dev_server.url
    register_viewer(dev_server, VIEWER_EMAIL, VIEWER_PASSWORD)
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        first = await upload_short_clip(page, base, "Shared one", "walks")
        draft = await upload_short_clip(page, base, "Not out yet", "walks")
        second = await upload_short_clip(page, base, "Shared two", "news")
        for item_id, new in ((first, True), (draft, False), (second, False)):
            await save_to(page, base, item_id, "Weekend", new=new)
        change_status(dev_server, draft, "draft")
        link = await shared_link(page, base, "Weekend")
        playlist_id = link.rsplit("/", 1)[-1]
        assert link == f"{base}/playlists/{playlist_id}"

        theirs, viewer = await new_page(browser, log)
        await sign_in(viewer, base, VIEWER_EMAIL, VIEWER_PASSWORD)
        await viewer.goto(link)
        await viewer.get_by_role("heading", name="Weekend").wait_for()
        rows = viewer.get_by_test_id("playlist-item").locator(".card-title")
        assert await rows.all_inner_texts() == ["Shared one", "Shared two"]
        await viewer.get_by_test_id("playlist-shared").wait_for()
        assert await viewer.get_by_role("button", name="Rename").count() == 0

        await viewer.get_by_role("link", name="Play all").click()
        await viewer.wait_for_url(f"{base}/watch/{first}?list={playlist_id}")
        panel = viewer.get_by_role("region", name="Weekend")
        entries = panel.get_by_test_id("playlist-panel-item")
        await entries.nth(1).wait_for()
        texts = await entries.all_inner_texts()
        assert len(texts) == 2 and "Shared one" in texts[0] and "Shared two" in texts[1], texts
        await play_into_next(viewer, base, "Shared two", f"/watch/{second}?list={playlist_id}")
        assert "Shared two" in await panel.locator("[aria-current=true]").inner_text()

        await viewer.goto(link)
        await viewer.get_by_role("button", name="Save to my playlists").click()
        await viewer.get_by_text("Saved “Weekend” to your playlists.").wait_for()
        await viewer.goto(f"{base}/playlists")
        await viewer.get_by_role("link", name="Weekend", exact=True).wait_for()
        await theirs.close()
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
