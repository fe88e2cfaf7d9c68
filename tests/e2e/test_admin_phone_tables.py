"""On a phone the admin's tables stack into cards, every part of a cell beside its label.

A stacked cell is a grid of two columns, its label and its content; a cell of several parts
(an email and its Disabled badge, an unfinished upload's title and file name, its bar and its
figures) put the second part under the label, in the label's narrow column. Found on the
admin walk (F14), in Chromium at 390 x 844.
"""

from __future__ import annotations

import httpx
import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, bearer_for, chromium, register_viewer


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_a_disabled_users_badge_is_beside_the_label(dev_server: DevServer) -> None:
    """The Disabled badge starts where the email does, not under the Email label."""
    register_viewer(dev_server, "stacked@example.com", "a long enough passphrase")
    with httpx.Client(base_url=dev_server.url, timeout=10.0) as client:
        headers = bearer_for(client, dev_server.admin_email, dev_server.admin_password)
        found = client.get("/api/v1/auth/users", params={"q": "stacked"}, headers=headers)
        user_id = found.json()["items"][0]["id"]
        client.post(f"/api/v1/auth/users/{user_id}/disable", headers=headers).raise_for_status()
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/admin/users")
        await page.set_viewport_size({"width": 390, "height": 844})
        row = page.get_by_role("row").filter(has_text="stacked@example.com")
        cell = row.get_by_role("cell").first
        badge = cell.get_by_text("Disabled", exact=True)
        await badge.wait_for()
        cell_box, badge_box = await cell.bounding_box(), await badge.bounding_box()
        assert cell_box is not None and badge_box is not None
        # The label column is 6rem (96 px) wide; the content starts after it and a gap.
        assert badge_box["x"] >= cell_box["x"] + 96, (cell_box, badge_box)
    log.assert_clean()
