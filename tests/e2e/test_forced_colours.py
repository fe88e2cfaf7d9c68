"""Forced colours (Windows' contrast themes), in Chromium's emulation of them.

An accessibility walk found no focus to be seen there on links, buttons or video cards (walk41
F1, WCAG 2.4.7): the page's focus ring is a box shadow, which forced colours drop, and its
outline was none. The current page's link in the navigation, marked by a fill only, looked
like every other link (walk41 F11). Each now has a mark forced colours keep: an outline, an
underline.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, chromium, new_page, sign_in, upload_short_clip

#: The focused element's name (its label or text) and its computed outline style and width.
FOCUSED_OUTLINE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return [e.getAttribute("aria-label") || e.textContent.trim(), s.outlineStyle, s.outlineWidth];
}"""


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_focus_and_current_page_show_in_forced_colours(dev_server: DevServer) -> None:
    """Tab through Browse: the nav link, Sign out and the video card each draw an outline;
    the current page's link is underlined."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await new_page(browser, log, forced_colors="active")
        await sign_in(page, dev_server.url, dev_server.admin_email, dev_server.admin_password)
        await upload_short_clip(page, dev_server.url, "Contrast theme", "walk")
        await page.goto(dev_server.url)
        await page.get_by_role("link", name="Contrast theme, 0:02").wait_for()

        current = page.get_by_role("navigation").locator("[aria-current=page]")
        assert await current.inner_text() == "Browse"
        assert await current.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"

        wanted = {"Library", "Sign out", "Contrast theme, 0:02"}
        seen: dict[str, list[str]] = {}
        for _ in range(40):
            await page.keyboard.press("Tab")
            name, style, width = await page.evaluate(FOCUSED_OUTLINE)
            if name in wanted:
                seen[name] = [style, width]
            if seen.keys() == wanted:
                break
        assert seen == {name: ["solid", "2px"] for name in wanted}, seen
    log.assert_clean()
