"""The API documentation works without internet (issue 16 item 12), in Debian's Chromium.

A real ``streamstack dev`` serves ``/api/docs``; the browser may reach that server only:
every request to another host is aborted and recorded. The page must render Swagger UI
with our operations, ask no other host for anything, and break neither the app's
self-only Content-Security-Policy (violations are reported from the page) nor the
console.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route

from e2e.spa_rig import chromium, running_dev_server

#: Runs in the page before its own scripts: collects each CSP violation.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"}`);
}, true);
"""


@pytest.fixture
def dev_url(tmp_path: Path) -> Iterator[str]:
    """``streamstack dev`` on a free port (no SPA: the docs are the app's own), ready; its base URL."""
    with running_dev_server(tmp_path, spa=False) as server:
        yield server.url


async def test_api_docs_render_with_other_hosts_blocked(dev_url: str) -> None:
    own = urlsplit(dev_url).netloc
    blocked: list[str] = []
    errors: list[str] = []

    async def only_our_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async with chromium() as browser:
        context = await browser.new_context()
        context.set_default_timeout(20_000)
        await context.route("**/*", only_our_server)
        await context.add_init_script(CSP_LISTENER)
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{dev_url}/api/docs")
        operations = await rendered_operations(page)
        violations = await page.evaluate("() => window.__cspViolations")
        await context.close()
    assert any("/api/v1/auth/login" in text for text in operations), operations[:5]
    assert len(operations) > 10, operations
    assert blocked == [], blocked
    assert violations == [], violations
    assert errors == [], errors


async def rendered_operations(page: Page) -> list[str]:
    """The text of each operation Swagger UI drew (method and path), once it drew them."""
    await page.locator(".opblock").first.wait_for()
    return await page.locator(".opblock-summary").all_inner_texts()
