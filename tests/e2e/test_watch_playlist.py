"""A playlist, in Chromium: saved from the watch page, played in order.

A real ``streamstack dev``; the admin uploads three short clips. Two are saved to a new
playlist from their watch pages' Save dialog (the first through "New playlist", the second
by ticking it). The playlist page lists them in order; Play all starts the first with the
playlist beside the player; at its end the end screen offers the playlist's second item,
not the related one (which shares the first's tag), and goes to it, still in the playlist,
which now marks the second. The console stays clean.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, play_into_next, upload_short_clip


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
