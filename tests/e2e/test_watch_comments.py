"""Comments under a video, in Chromium, against a real ``streamstack dev``.

The admin uploads a 6-second clip. A viewer with no display name opens it: the comment form
asks for the name shown with comments before the first post, saves it and posts; the
comment is at the top with that name, and its timestamp ("at 0:03") is a link that seeks
the player there. After a reload it is still there (stored, not only drawn). The viewer
edits it ("(edited)"). A second viewer reports it ("Why? (optional)": spam) and replies to
it (naming themselves first); the first viewer, reloading, finds "2 comments" and the reply
folded under "1 reply" (named "1 reply to Ada L.'s comment"). The link the reply mail
carries (``?comment=<the reply>``, here with a ``?t=``) opens the page with the reply's thread open, the reply marked "Linked comment",
focused and in view. The admin, in another browser context, finds the comment on the
Comments page among the reported ones, with the reason, and deletes it there; the viewer's
page, reloaded, has no comments again (the reply went with it). The
console stays clean: no request is refused, and nothing breaks the app's CSP.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    upload,
    watch_page_ready,
)
from system.system_video import h264_aac_mp4

VIEWER_EMAIL = "commenter@example.com"
VIEWER_PASSWORD = "a commenter's long passphrase"
REPORTER_EMAIL = "reporter@example.com"
TITLE = "Six seconds of gradient"
#: Keeps where the player's next seek goes, in ``window.seekedTo``.
SEEKS_RECORDED = (
    f"() => {{ const v = {PLAYER}; v.addEventListener('seeking',"
    " () => { window.seekedTo = v.currentTime; }, {once: true}); }"
)


async def no_comments(page: Page) -> None:
    """The page's Comments section, loaded, holds none."""
    await page.get_by_role("heading", name="Comments", exact=True).wait_for()
    await page.get_by_role("form", name="Add a comment").wait_for()
    assert await page.locator("li.comment").count() == 0


async def first_comment_as_a_new_name(page: Page) -> None:
    """Post a comment from an account without a display name: the form asks for one."""
    form = page.get_by_role("form", name="Add a comment")
    await form.get_by_label("Add a comment").fill("Look at 0:03, the colours turn")
    await form.get_by_role("button", name="Post").click()
    name = form.get_by_label("Name shown with your comments")
    await name.wait_for()
    await name.fill("Ada L.")
    await form.get_by_role("button", name="Post").click()
    await page.get_by_text("Your comment is posted.").wait_for()


async def report_first_comment(page: Page, base: str, item_id: str) -> None:
    """Report the first comment under the video, giving a reason."""
    await watch_page_ready(page, base, item_id)
    await page.get_by_role("button", name="Report Ada L.\u2019s comment").click()
    dialog = page.get_by_role("dialog", name="Report this comment?")
    await dialog.get_by_label("Why? (optional)").fill("spam")
    await dialog.get_by_role("button", name="Report").click()
    await page.get_by_text("Thanks: an administrator will look at it.").wait_for()
    assert await page.get_by_role("button", name="Reported").is_disabled()


async def reply_as_a_new_name(page: Page) -> None:
    """Reply to the first comment from an account without a display name (the name step)."""
    await page.get_by_role("button", name="Reply to Ada L.\u2019s comment").click()
    form = page.get_by_role("form", name="Add a reply")
    await form.get_by_label("Add a reply").fill("The blue at the end, yes")
    await form.get_by_role("button", name="Post").click()
    name = form.get_by_label("Name shown with your comments")
    await name.wait_for()
    await name.fill("Bea")
    await form.get_by_role("button", name="Post").click()
    await page.get_by_text("Your reply is posted.").wait_for()


async def replies_shown(page: Page) -> None:
    """The first comment's replies, unfolded: Bea's, nested under Ada L.'s comment."""
    await page.get_by_role("heading", name="2 comments").wait_for()
    await page.get_by_role("button", name="1 reply to Ada L.\u2019s comment", exact=True).click()
    replies = page.get_by_role("list", name="Replies to Ada L.\u2019s comment")
    reply = replies.locator("li.comment")
    await reply.get_by_text("The blue at the end, yes").wait_for()
    assert await reply.locator(".comment-author").inner_text() == "Bea"


async def reply_stays_under_a_note(page: Page) -> None:
    """The deleted comment is a note with neither its words nor its author; Bea's reply
    stays under it, and is the one comment counted."""
    await page.get_by_role("heading", name="1 comment").wait_for()
    note = page.locator("li.comment", has_text="Comment deleted.")
    await note.get_by_role("button", name="1 reply to a deleted comment", exact=True).click()
    replies = page.get_by_role("list", name="Replies to a deleted comment")
    await replies.get_by_text("The blue at the end, yes").wait_for()
    assert "Ada L." not in await note.inner_text()
    assert "the colours turn" not in await note.inner_text()


#: The comment a link opened: marked, focused, and wholly in the window.
LINKED_IN_VIEW = """() => {
  const linked = document.querySelector('li.comment.linked');
  if (!linked || document.activeElement !== linked) return false;
  const box = linked.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


async def open_the_mailed_link(page: Page, base: str, item_id: str) -> None:
    """Open the watch page as the reply mail links it, at the first comment's reply."""
    listed = await page.request.get(f"{base}/api/v1/catalogue/{item_id}/comments")
    thread = (await listed.json())["comments"][0]["id"]
    replies = await page.request.get(f"{base}/api/v1/catalogue/comments/{thread}/replies")
    reply_id = (await replies.json())["comments"][0]["id"]
    await page.goto(f"{base}/watch/{item_id}?t=2&comment={reply_id}")
    await page.wait_for_function(LINKED_IN_VIEW)
    linked = page.locator("li.comment.linked")
    assert await linked.locator(".comment-body").inner_text() == "The blue at the end, yes"
    await linked.get_by_text("Linked comment").wait_for()
    hide = page.get_by_role("button", name="Hide 1 reply to Ada L.\u2019s comment", exact=True)
    assert await hide.get_attribute("aria-expanded") == "true"
    assert page.url == f"{base}/watch/{item_id}?t=2&comment={reply_id}"


REPORTED_ONLY_SHOWN = """() => {
  const rows = document.querySelectorAll('[data-testid="moderated-comment"]');
  return rows.length === 1 && rows[0].textContent.includes('spam');
}"""


async def delete_reported(page: Page, base: str) -> None:
    """On the admins' Comments page, reported only: the one reported, with its reason; delete it."""
    await page.goto(f"{base}/admin/comments")
    await page.get_by_role("heading", name="Comments", exact=True).wait_for()
    await page.get_by_label("Reported only").check()
    await page.wait_for_url(f"{base}/admin/comments?reported=1")
    # The router commits the new address in a transition: the whole list (the comment and its
    # reply) stays shown until then, so the reported one alone is what says the filter is on.
    await page.wait_for_function(REPORTED_ONLY_SHOWN)
    row = page.get_by_test_id("moderated-comment")
    assert await row.get_by_role("list", name="Reasons given").inner_text() == "spam"
    await row.get_by_role("button", name=f"Delete Ada L.\u2019s comment on {TITLE}").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await page.get_by_text("No reported comments.").wait_for()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_viewer_comments_and_an_admin_deletes_it(dev_server: DevServer) -> None:
    log = BrowserLog()
    base = dev_server.url
    register_viewer(dev_server, VIEWER_EMAIL, VIEWER_PASSWORD)
    register_viewer(dev_server, REPORTER_EMAIL, VIEWER_PASSWORD)
    async with chromium() as browser:
        admin_context, admin = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=6.0, width=160, height=120)
        item_id = await upload(admin, base, TITLE, clip, "gradient.mp4")

        viewer_context, viewer = await new_page(browser, log)
        await sign_in(viewer, base, VIEWER_EMAIL, VIEWER_PASSWORD)
        await watch_page_ready(viewer, base, item_id)
        await no_comments(viewer)
        await first_comment_as_a_new_name(viewer)
        entry = viewer.locator("li.comment").first
        assert await entry.locator(".comment-author").inner_text() == "Ada L."
        await viewer.get_by_role("heading", name="1 comment").wait_for()

        # The timestamp seeks the page's own player (the listener, on that very element, proves
        # no reload; it records where the seek went, as playing on from there moves currentTime
        # past any window a poll under load could be sure to catch).
        await viewer.evaluate(SEEKS_RECORDED)
        await entry.get_by_role("link", name="0:03").click()
        await viewer.wait_for_function("() => window.seekedTo !== undefined")
        assert abs(await viewer.evaluate("() => window.seekedTo") - 3) < 0.1
        await viewer.wait_for_url(f"{base}/watch/{item_id}?t=3")

        # Stored: still there after a reload; then edited.
        await watch_page_ready(viewer, base, item_id)
        entry = viewer.locator("li.comment").first
        await entry.get_by_text("Look at 0:03, the colours turn").wait_for()
        await entry.get_by_role("button", name="Edit your comment").click()
        edit = viewer.get_by_role("form", name="Edit your comment")
        await edit.get_by_label("Your comment").fill("Look at 0:03: the colours turn blue")
        await edit.get_by_role("button", name="Save").click()
        await entry.get_by_text("Look at 0:03: the colours turn blue").wait_for()
        await entry.locator(".comment-meta", has_text="(edited)").wait_for()

        # Another viewer reports it; the admin finds it among the reported and deletes it.
        reporter_context, reporter = await new_page(browser, log)
        await sign_in(reporter, base, REPORTER_EMAIL, VIEWER_PASSWORD)
        await report_first_comment(reporter, base, item_id)
        await reply_as_a_new_name(reporter)
        await watch_page_ready(viewer, base, item_id)
        await replies_shown(viewer)
        await open_the_mailed_link(viewer, base, item_id)
        await delete_reported(admin, base)

        await watch_page_ready(viewer, base, item_id)
        await reply_stays_under_a_note(viewer)
        for context in (viewer_context, reporter_context, admin_context):
            await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
