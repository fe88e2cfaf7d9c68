"""The end-to-end tests' rig: a real ``streamstack dev``, Debian's Chromium, the shared steps.

The ``dev_server`` fixture built on it is in ``conftest.py``; the tests import the rest
from here (``from e2e.spa_rig import ...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import httpx
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    Page,
    Playwright,
    async_playwright,
)
from playwright.async_api import Response as PageResponse

from harness.servers import free_port
from harness.tools import require_tool, skip_or_fail
from system.system_rig import ROOT, ChildProcess, clean_environment, streamstack_command
from system.system_video import h264_aac_mp4

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Each browser step waits at most this long (ms): the whole journey takes a few seconds.
STEP_TIMEOUT_MS = 20_000
#: The journeys' password for the accounts they register (one the strength check accepts).
VIEWER_PASSWORD = "correct horse battery staple"
REFRESH_PATH = "/api/v1/auth/refresh"
STREAM_PATH = "/api/v1/stream/"
#: A stream token's URL (the original), not the public thumbnails under the same path.
STREAM_BASE = re.compile(r"/api/v1/stream/(?!thumbnails/)[^/?#]+")
#: How Chromium's console reports a request that got a 4xx or 5xx answer.
FAILED_LOAD = "Failed to load resource: the server responded with a status of"
#: Runs in every page before its own scripts: hands each CSP violation to Python.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const report = `${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"}` +
    ` in ${e.documentURI} at ${e.sourceFile || "?"}:${e.lineNumber}`;
  window.__cspViolations.push(report);
  window.reportCspViolation(report);
}, true);
"""


def refused(console_error: str, path: str, status: int) -> bool:
    """Whether ``console_error`` is Chromium's line for a ``status`` answer to ``path``."""
    return (
        console_error.startswith(f"{FAILED_LOAD} {status} ")
        and urlsplit(console_error.rsplit(" (", 1)[-1].rstrip(")")).path == path
    )


@dataclass
class BrowserLog:
    """What the pages of one journey logged: console errors, uncaught errors, responses, CSP."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    responses: list[PageResponse] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    async def watch_context(self, context: BrowserContext) -> None:
        """Report every CSP violation in ``context``'s pages to :attr:`csp_violations`."""
        await context.expose_function("reportCspViolation", self._on_csp_violation)
        await context.add_init_script(CSP_LISTENER)

    def watch(self, page: Page) -> Page:
        """Record ``page``'s console errors, uncaught exceptions and responses."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", lambda response: self.responses.append(response))
        return page

    def _on_csp_violation(self, report: str) -> None:
        self.csp_violations.append(report)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"console: {message.text}")
        self.console_errors.append(f"{message.text} ({url})")

    def media_responses(self) -> list[PageResponse]:
        """Responses to the ``<video>``'s requests for stream URLs, in arrival order."""
        return [
            r for r in self.responses if STREAM_PATH in r.url and r.request.resource_type == "media"
        ]

    def stream_base(self) -> str:
        """``/api/v1/stream/<token>`` (the original) of the first stream request the page made."""
        for response in self.responses:
            found = STREAM_BASE.search(response.url)
            if found:
                return found.group(0)
        raise AssertionError("the page made no request under a stream token")

    def unexpected_console_errors(self, *refusals: tuple[str, int]) -> list[str]:
        """Console errors, except the line Chromium logs for each answer in ``refusals``.

        Chromium logs "Failed to load resource: … status of 401" for every 4xx a page's
        request gets, even one the page expects and handles (a revoked session's 401, a
        refused sign-in). A journey names those as ``(path, status)``; any other error counts.
        """
        return [e for e in self.console_errors if not any(refused(e, *r) for r in refusals)]

    def assert_clean(self, *refusals: tuple[str, int]) -> None:
        """No uncaught error, no CSP violation, and no console error besides ``refusals``,
        each of which the server really answered (so the list cannot go stale unnoticed)."""
        assert self.page_errors == [], self.page_errors
        assert self.csp_violations == [], self.csp_violations
        unexpected = self.unexpected_console_errors(*refusals)
        assert unexpected == [], unexpected
        answered = {(urlsplit(r.url).path, r.status) for r in self.responses}
        assert set(refusals) <= answered, set(refusals) - answered

    def retried_after_401(self) -> tuple[tuple[str, int], ...]:
        """``(path, 401)`` of each request answered 401 and then, asked again, answered.

        The SPA renews its access token before it expires, but on a loaded machine a short
        test token can expire in flight: the server answers 401, the SPA refreshes and asks
        again (api/client.ts). That is the product working; Chromium still logs the 401.
        """
        retried = []
        for at, response in enumerate(self.responses):
            path = urlsplit(response.url).path
            if response.status == 401 and any(
                urlsplit(later.url).path == path and later.status < 400
                for later in self.responses[at + 1 :]
            ):
                retried.append((path, 401))
        return tuple(dict.fromkeys(retried))

    def failed_refreshes(self) -> list[int]:
        """Statuses of refresh requests the server refused (an anonymous load sends none)."""
        return [
            r.status for r in self.responses if r.url.endswith(REFRESH_PATH) and r.status >= 400
        ]


def built_web_dist() -> Path:
    """``web/dist`` (or STREAMSTACK_WEB_DIST_DIR), building the SPA when it is missing or
    older than its sources: a direct pytest run after editing ``web/src`` used to test the
    last build's SPA. A configured folder is taken as it is (the nox session builds it)."""
    configured = os.environ.get("STREAMSTACK_WEB_DIST_DIR")
    if configured:
        return Path(configured)
    dist = ROOT / "web" / "dist"
    if is_current(dist):
        return dist
    web = ROOT / "web"
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("npm is not installed: the SPA must be built for the end-to-end test")
    assert npm is not None
    # One build at a time: pytest-xdist workers both reach here when web/dist is missing.
    lock_path = Path(tempfile.gettempdir()) / f"streamstack-web-build-{os.getuid()}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_current(dist):
            return dist  # another worker built it meanwhile
        if not (web / "node_modules").is_dir():
            npm_ci = [npm, "ci", "--no-audit", "--no-fund"]
            subprocess.run(npm_ci, cwd=web, check=True, timeout=600)
        subprocess.run([npm, "run", "build"], cwd=web, check=True, timeout=600)
    assert is_current(dist), f"npm run build did not produce a current {dist}/index.html"
    return dist


#: What the SPA's build is made from, beside ``web/src``.
WEB_BUILD_INPUTS = ("index.html", "package-lock.json", "vite.config.ts", "public")


def is_current(dist: Path) -> bool:
    """Whether ``dist`` holds a build newer than every source file it is built from."""
    built = dist / "index.html"
    if not built.is_file():
        return False
    web = ROOT / "web"
    roots = [web / "src", *(web / name for name in WEB_BUILD_INPUTS)]
    sources = [f for root in roots if root.exists() for f in (root, *root.rglob("*"))]
    built_at = built.stat().st_mtime
    return all(f.stat().st_mtime <= built_at for f in sources if f.is_file())


@dataclass
class DevServer:
    """A running ``streamstack dev`` and the admin password its first start printed."""

    process: ChildProcess
    url: str
    admin_email: str
    admin_password: str


def bearer_for(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    """Sign in through the API: the ``Authorization`` header of the new session."""
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def change_status(server: DevServer, item_id: str, status: str) -> None:
    """The admin publishes (``published``) or unpublishes (``draft``) the item through the
    API, as the library's buttons do."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        headers = bearer_for(client, server.admin_email, server.admin_password)
        answer = client.patch(
            f"/api/v1/catalogue/{item_id}", json={"status": status}, headers=headers
        )
        answer.raise_for_status()


def register_viewer(server: DevServer, email: str, password: str) -> None:
    """A viewer account, made through the registration API (the server's registration is open)."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        answer = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        answer.raise_for_status()


def admin_password_from(log: Path, process: ChildProcess) -> str:
    """The password in the once-only admin banner ``streamstack dev`` printed to ``log``."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        found = re.search(r"^\s*password:\s*(\S+)\s*$", log.read_text(errors="replace"), re.M)
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise process.failure("printed no admin password banner")


@contextmanager
def running_dev_server(tmp_path: Path, *, spa: bool = True, **env: str) -> Iterator[DevServer]:
    """``streamstack dev --port <free> --data-dir <tmp>``, ready; with ``spa`` it serves the
    built SPA. ``env`` adds settings (``STREAMSTACK_…``) to its clean environment; anyone
    may register unless it says otherwise (the journeys register viewers as a means)."""
    env = {"STREAMSTACK_REGISTRATION_MODE": "open", **env}
    if spa:
        env = {"STREAMSTACK_WEB_DIST_DIR": str(built_web_dist()), **env}
    port = free_port()
    argv = streamstack_command("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    process = ChildProcess("streamstack-dev", argv, clean_environment(**env), tmp_path / "dev.log")
    process.start()
    try:
        url = f"http://127.0.0.1:{port}"
        process.wait_until(f"{url}/ready")
        password = admin_password_from(process.log_path, process)
        yield DevServer(process, url, "admin@localhost", password)
    finally:
        process.kill()


async def new_page(
    browser: Browser, log: BrowserLog, **options: Any
) -> tuple[BrowserContext, Page]:
    """A fresh browser context (its own cookies: one per user) and a recorded page in it."""
    context = await browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    await log.watch_context(context)
    page = log.watch(await context.new_page())
    return context, page


@dataclass
class _SharedChromium:
    """A worker's one Playwright driver and Chromium, bound to the event loop that started
    them (the tests' session loop)."""

    loop: asyncio.AbstractEventLoop
    playwright: Playwright
    browser: Browser


#: The worker's browser, launched by the first test that asks: a driver and a browser per
#: test cost ~0.9 s of CPU each time, for ~80 tests on a 2-core machine.
_shared: _SharedChromium | None = None


async def _shared_browser() -> Browser:
    """The worker's Chromium, (re)launched when there is none, it died, or the caller runs
    in another event loop."""
    global _shared
    loop = asyncio.get_running_loop()
    if _shared is not None and _shared.loop is loop and _shared.browser.is_connected():
        return _shared.browser
    await close_shared_chromium()
    executable = require_tool("chromium", "the end-to-end test drives Debian's Chromium")
    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    _shared = _SharedChromium(loop, playwright, browser)
    return browser


async def close_shared_chromium() -> None:
    """Close the worker's browser and driver, if any (at the end of the session)."""
    global _shared
    shared, _shared = _shared, None
    if shared is None or shared.loop is not asyncio.get_running_loop():
        return  # none, or its loop is gone (its driver ends with the process)
    with contextlib.suppress(Exception):
        await shared.browser.close()
    with contextlib.suppress(Exception):
        await shared.playwright.stop()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless. The worker's tests share one browser, each in browser
    contexts of its own (own cookies, storage and cache: ``new_page``), all closed when the
    block ends however it ends."""
    browser = await _shared_browser()
    try:
        yield browser
    finally:
        for context in list(browser.contexts):
            with contextlib.suppress(Exception):
                await context.close()


async def sign_in(page: Page, base: str, email: str, password: str) -> None:
    """Sign in through the form and wait for the signed-in header."""
    if not page.url.endswith("/signin"):
        await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_role("button", name="Sign out").wait_for()


async def admin_on(
    browser: Browser, log: BrowserLog, server: DevServer, path: str
) -> tuple[BrowserContext, Page]:
    """A new context where the admin is signed in, showing ``path`` (``/admin/users`` …)."""
    context, page = await new_page(browser, log)
    await sign_in(page, server.url, server.admin_email, server.admin_password)
    await page.goto(f"{server.url}{path}")
    return context, page


async def sign_out(page: Page, base: str) -> None:
    """Press "Sign out" and wait for the sign-in page it leads to."""
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{base}/signin")


#: The watch page's ``<video>``, in page scripts.
PLAYER = "document.querySelector('[data-testid=player]')"


async def play_muted(page: Page | Frame, past: float = 0.5, *, loaded: bool = True) -> None:
    """Play the watch page's video muted (headless autoplay policy) until it passes ``past`` s
    (``page`` may be a frame: an embedded player, which loads nothing before play: ``loaded``
    False)."""
    await page.get_by_test_id("player").wait_for()
    if loaded:
        await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")
    await page.evaluate(f"async () => {{ const v = {PLAYER}; v.muted = true; await v.play(); }}")
    await page.wait_for_function(f"() => {PLAYER}.currentTime > {past} && !{PLAYER}.error")


async def seek_paused(page: Page, to: float) -> None:
    """Pause the watch page's video and seek it to ``to`` s, returning once it has seeked."""
    await page.evaluate(
        f"() => new Promise(done => {{ const v = {PLAYER}; v.pause();"
        f" v.addEventListener('seeked', done, {{once: true}}); v.currentTime = {to}; }})"
    )


async def play_past(page: Page, past: float) -> None:
    """Resume the watch page's video until it passes ``past`` s (or ends)."""
    await page.evaluate(f"async () => {{ await {PLAYER}.play(); }}")
    await page.wait_for_function(f"() => {PLAYER}.currentTime > {past} || {PLAYER}.ended")


async def watch_plays(server: DevServer, item_id: str) -> BrowserLog:
    """The admin signs in, opens Watch for ``item_id`` and plays it; what the page logged."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, server, f"/watch/{item_id}")
        await play_muted(page)
    return log


#: How long the in-process worker may take for a 3 s clip on a busy 2-core machine.
LADDER_TIMEOUT_S = 150.0
#: A media segment of one rung, under any stream token.
SEGMENT = re.compile(r"/api/v1/stream/[^/]+/hls/(\d+p)/seg_\d+\.m4s$")


def wait_until_ready(server: DevServer, item_id: str) -> dict[str, Any]:
    """The item once its processing state is ``ready`` (a failure ends the test at once)."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        headers = bearer_for(client, server.admin_email, server.admin_password)
        deadline = time.monotonic() + LADDER_TIMEOUT_S
        item: dict[str, Any] = {}
        while time.monotonic() < deadline:
            item = client.get(f"/api/v1/catalogue/{item_id}", headers=headers).json()
            assert item["processing_state"] != "failed", item
            if item["processing_state"] == "ready":
                return item
            time.sleep(0.25)
    raise AssertionError(f"the ladder was not ready after {LADDER_TIMEOUT_S} s: {item}")


async def upload(
    page: Page,
    base: str,
    title: str,
    clip: bytes,
    name: str = "aurora.webm",
    tags: str = "",
    description: str = "",
) -> str:
    """Upload ``clip`` (with comma-separated ``tags`` and a ``description``) through the
    admin's upload page; the new item's id."""
    await page.goto(f"{base}/admin/upload")
    await page.get_by_label("Video or sound file").set_input_files(
        {"name": name, "mimeType": f"video/{name.rsplit('.', 1)[-1]}", "buffer": clip}
    )
    await page.get_by_label("Title").fill(title)
    if tags:
        await page.get_by_label("Tags").fill(tags)
    if description:
        await page.get_by_label("Description").fill(description)
    await page.get_by_role("button", name="Upload", exact=True).click()
    result = page.get_by_test_id("upload-result-link")
    await result.wait_for(timeout=60_000)
    href = await result.get_attribute("href")
    assert href is not None and href.startswith("/watch/"), href
    return href.removeprefix("/watch/")


async def upload_short_clip(page: Page, base: str, title: str, tags: str) -> str:
    """Upload a 2 s H.264/AAC clip titled ``title`` with ``tags``; the new item's id."""
    clip = h264_aac_mp4(seconds=2.0, width=160, height=120)
    return await upload(page, base, title, clip, name=f"{title}.mp4", tags=tags)


async def play_into_next(page: Page, base: str, title: str, path: str) -> None:
    """Play the watch page's item to its end: the end screen offers ``title``, its
    countdown goes to ``path``, and that page's player starts by itself (it was asked for)."""
    await play_muted(page, past=0.2)
    end_screen = page.get_by_test_id("up-next")
    await end_screen.wait_for(timeout=20_000)
    assert title in await end_screen.inner_text()
    await page.wait_for_url(f"{base}{path}", timeout=20_000)
    await page.get_by_role("heading", name=title).wait_for()
    await page.wait_for_function(f"() => {PLAYER} && !{PLAYER}.paused && {PLAYER}.currentTime > 0")


async def watch_page_ready(page: Page, base: str, item_id: str) -> None:
    """Open Watch for ``item_id`` and wait until its video knows its duration and size."""
    await page.goto(f"{base}/watch/{item_id}")
    await page.get_by_test_id("player").wait_for()
    await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")


async def admin_uploaded(
    browser: Browser, log: BrowserLog, server: DevServer, title: str, clip: bytes, name: str
) -> tuple[Page, str]:
    """A new context where the admin signed in and uploaded ``clip``: its page and the item's id."""
    _, page = await new_page(browser, log)
    await sign_in(page, server.url, server.admin_email, server.admin_password)
    return page, await upload(page, server.url, title, clip, name=name)


def segment_heights(log: BrowserLog) -> set[str]:
    """The rungs (``240p`` …) whose media segments the page fetched with success."""
    heights: set[str] = set()
    for response in log.responses:
        match = SEGMENT.search(response.url)
        if match and response.status in (200, 206):
            heights.add(match.group(1))
    return heights


async def pick_quality(page: Page, log: BrowserLog, label: str) -> None:
    """Choose ``label`` in the quality menu while the video plays from its start; wait until
    its pictures show, from where the video is, before it ends.

    The choice must show at once: Chromium kept showing the pictures of the old quality until
    the next segment after hls.js dropped the buffer (a whole 3-second clip of one segment).
    """
    await page.evaluate(
        "() => { const v = document.querySelector('[data-testid=player]');"
        " v.currentTime = 0; return v.play(); }"
    )
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=player]').currentTime > 0.2"
    )
    await page.get_by_label("Quality").select_option(label=label)
    height = int(label.removesuffix("p"))
    await page.wait_for_function(
        "h => { const v = document.querySelector('[data-testid=player]');"
        " return v.videoHeight === h && !v.ended; }",
        arg=height,
    )
    assert label in segment_heights(log), segment_heights(log)


def mean_blue_difference(jpeg: bytes) -> float:
    """A JPEG's average blue difference (Cb, full range as JPEG stores it): the test clip's
    frame ``i`` has a flat studio-range Cb of ``9 i mod 256``."""
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0))
        plane = frame.planes[1]
        width, height = plane.width, plane.height
        rows = [bytes(plane)[row * plane.line_size :][:width] for row in range(height)]
        return sum(sum(row) for row in rows) / (width * height)
