"""A members-only server (``STREAMSTACK_GUEST_ACCESS=none``, invites), in Chromium, against a
real ``streamstack dev``: a signed-out visitor of Browse or of a video's page lands on the
sign-in page, which says the site is members-only and that an admin's invite lets one in;
signing in takes them back to the video they were going to. A share link still plays its
video to someone with no account. No catalogue request is refused on the way (the SPA asks
none signed out), no uncaught error, no CSP violation.
"""

from __future__ import annotations

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
    new_page,
    play_muted,
    running_dev_server,
    sign_in,
)
from system.system_video import h264_aac_mp4

TITLE = "Club night"
INVITE = "To join, ask an administrator for an invite."


@pytest.fixture
def members_only_server(tmp_path: Path) -> Iterator[DevServer]:
    with running_dev_server(
        tmp_path, STREAMSTACK_GUEST_ACCESS="none", STREAMSTACK_REGISTRATION_MODE="invite"
    ) as server:
        yield server


def share_link(server: DevServer, item_id: str) -> str:
    """A share link for ``item_id``, made by the admin through the API."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        admin = bearer_for(client, server.admin_email, server.admin_password)
        made = client.post(
            f"/api/v1/catalogue/{item_id}/shares", json={"expires_in_days": 7}, headers=admin
        )
        made.raise_for_status()
        # Nothing of the catalogue to a guest, by the API either.
        assert client.get("/api/v1/catalogue").json()["code"] == "sign_in_required"
        return f"{server.url}{made.json()['path']}"


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_guest_signs_in_to_see_anything_and_a_share_link_still_plays(
    members_only_server: DevServer,
) -> None:
    server, log = members_only_server, BrowserLog()
    base = server.url
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=4.0, width=160, height=120)
        _, item_id = await admin_uploaded(browser, log, server, TITLE, clip, "club.mp4")
        url = share_link(server, item_id)

        context, guest = await new_page(browser, log)
        await guest.goto(f"{base}/")
        await guest.wait_for_url(f"{base}/signin")
        notice = guest.get_by_test_id("members-only")
        assert INVITE in await notice.inner_text()
        await guest.goto(f"{base}/watch/{item_id}")
        await guest.wait_for_url(f"{base}/signin")
        await sign_in(guest, base, server.admin_email, server.admin_password)
        await guest.wait_for_url(f"{base}/watch/{item_id}")
        await guest.get_by_role("heading", name=TITLE).wait_for()
        await context.close()

        context, stranger = await new_page(browser, log)
        await stranger.goto(url)
        await stranger.get_by_role("heading", name=TITLE).wait_for()
        await play_muted(stranger)
        await context.close()

    guest_reads = [r for r in log.responses if "/api/v1/catalogue" in r.url and r.status == 401]
    assert not guest_reads, [r.url for r in guest_reads]
    log.assert_clean()
