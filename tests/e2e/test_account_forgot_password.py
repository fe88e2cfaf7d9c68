""" "Forgot your password?" by email, in Debian's Chromium, against a real ``streamstack dev``.

Dev writes each mail to ``<data dir>/mail`` as an ``.eml`` file and prints its link in the
console. The viewer follows "Forgot your password?" from the sign-in page, asks for a link,
reads the mail, opens its link (at dev's own address), sets a new password and signs in
with it; the old one no longer works. No console error, no uncaught exception, no CSP
violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from e2e.spa_rig import (
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    register_viewer,
    sign_in,
)
from support.mail import mails_in
from support.waiting import eventually

VIEWER = "absent-minded@example.test"
NEW_PASSWORD = "copper kettle under the stairs"
LINK = re.compile(r"^(http://\S+/reset-password#code=\S+)$", re.MULTILINE)


@pytest.mark.timeout(120)
async def test_a_mailed_link_sets_a_new_password(dev_server: DevServer, tmp_path: Path) -> None:
    base = dev_server.url
    port = base.rsplit(":", 1)[1]
    mail_folder = tmp_path / "data" / "mail"
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await page.goto(f"{base}/signin")
        await page.get_by_role("link", name="Forgot your password?").click()
        await page.get_by_label("Email").fill(VIEWER)
        await page.get_by_role("button", name="Send me a link").click()
        sent = page.get_by_test_id("forgot-sent")
        await sent.wait_for()
        assert "a link to set a new password is on its way" in (await sent.text_content() or "")

        await eventually(lambda: bool(mails_in(mail_folder)), "the mail written")
        (mail,) = mails_in(mail_folder)
        assert mail["To"] == VIEWER
        assert mail["Subject"] == "Reset your StreamStack password"
        body = mail.get_body(("plain",))
        assert body is not None
        found = LINK.search(body.get_content())
        assert found is not None, body.get_content()
        link = found[1]
        assert link.startswith(f"http://localhost:{port}/reset-password#code="), link
        # The developer sees the link in the console too.
        assert link in dev_server.process.log_path.read_text(errors="replace")

        await page.goto(link)
        await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Set password").click()
        await page.get_by_test_id("reset-done").wait_for()
        await sign_in(page, base, VIEWER, NEW_PASSWORD)
        await context.close()

    with httpx.Client(base_url=base, timeout=10.0) as client:
        old = client.post("/api/v1/auth/login", json={"email": VIEWER, "password": VIEWER_PASSWORD})
        assert old.status_code == 401, old.text
    log.assert_clean()
