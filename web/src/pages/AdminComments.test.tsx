import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ModeratedComment, ModeratedCommentPage } from "../api/moderation";
import { comment, hadSession, mediaPage } from "../test/fixtures";
import { renderApp, renderRememberingApp, setupUser } from "../test/render";
import { ADMIN, API, apiError, holdAnswer, http, libraryCounts, noContent, nothingWatched, ok, recordRequests, refreshGives, sentTo, server } from "../test/server";

const LIST = `${API}/catalogue/comments`;

/** A comment as the admins' page lists it: Bea's on "Sunset", reported or not by `overrides`. */
function moderated(overrides: Partial<ModeratedComment> = {}): ModeratedComment {
  return { ...comment(), author_id: "u-bea", reported: false, item_title: "Sunset", reports: 0, reasons: [], last_reported_at: null, ...overrides };
}

const REPORTED = moderated({
  id: "c-2",
  body: "Buy cheap watches at https://spam.example",
  author_name: "Sam",
  reports: 2,
  reasons: ["Spam", "An advert"],
  last_reported_at: "2026-02-03T10:00:00Z",
});
const QUIET = moderated({ id: "c-1", body: "Lovely light\nat the end." });

/** Signed in as ADMIN at `path`, the list answered by `pages` (the `reported` filter and the cursor name the page). */
function adminAt(path: string, pages: (reported: string | null, cursor: string | null) => ModeratedCommentPage) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(ADMIN)),
    http.get(LIST, ({ request }) => {
      const query = new URL(request.url).searchParams;
      return ok(pages(query.get("reported"), query.get("cursor")));
    }),
  );
  const seen = recordRequests();
  renderApp(path);
  return { user: setupUser(), seen };
}

const page = (comments: ModeratedComment[], next: string | null = null): ModeratedCommentPage => ({ comments, next, author: null });
const rows = () => screen.getAllByTestId("moderated-comment");

describe("the admins' comments page", () => {
  it("lists every video's comments with the video, author, text and reports, each cell labelled for phones", async () => {
    adminAt("/admin/comments", () => page([REPORTED, QUIET]));
    expect(await screen.findByRole("heading", { level: 1, name: "Comments" })).toBeInTheDocument();
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(screen.getByRole("table", { name: "Comments" })).toBeInTheDocument();
    const [reported, quiet] = rows();

    expect(within(reported!).getByRole("link", { name: "Sunset" })).toHaveAttribute("href", "/watch/m-1");
    expect(within(reported!).getByRole("link", { name: "https://spam.example" })).toBeInTheDocument();
    expect(reported).toHaveTextContent("Sam");
    expect(reported).toHaveTextContent("2 reports");
    expect(within(within(reported!).getByRole("list", { name: "Reasons given" })).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Spam", "An advert"]);
    expect(within(reported!).getByRole("button", { name: "Dismiss the reports on Sam’s comment on Sunset" })).toBeInTheDocument();

    expect(quiet!.querySelector(".moderated-comment-body")!.textContent).toBe("Lovely light\nat the end.");
    expect(quiet).toHaveTextContent("None");
    expect(within(quiet!).queryByRole("button", { name: /Dismiss/ })).not.toBeInTheDocument();
    expect([...quiet!.querySelectorAll("td")].map((td) => td.dataset.label)).toEqual(["Video", "Author", "Posted", "Comment", "Reports", "Actions"]);
  });

  it("links each comment, a reply too, to its video opened at it", async () => {
    adminAt("/admin/comments", () => page([REPORTED, moderated({ id: "r-1", parent_id: "c-1", body: "A heron." })]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [reported, reply] = rows();
    expect(within(reported!).getByRole("link", { name: "View Sam’s comment on Sunset in context" })).toHaveAttribute("href", `/watch/m-1?comment=${REPORTED.id}`);
    expect(within(reply!).getByRole("link", { name: /in context$/ })).toHaveAttribute("href", "/watch/m-1?comment=r-1");
    expect(within(reply!).getByRole("link", { name: /in context$/ })).toHaveTextContent("View in context");
  });

  it("marks a reply in its row", async () => {
    adminAt("/admin/comments", () => page([moderated({ id: "r-1", parent_id: "c-1", body: "A heron." }), QUIET]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [reply, quiet] = rows();
    expect(within(reply!).getByRole("cell", { name: /Reply to a comment/ })).toHaveTextContent("Reply to a commentA heron.");
    expect(quiet).not.toHaveTextContent("Reply to a comment");
  });

  it("shows only the reported ones with Reported only, kept in the address", async () => {
    const { user, seen } = adminAt("/admin/comments", (reported) => (reported === "true" ? page([REPORTED]) : page([REPORTED, QUIET])));
    await waitFor(() => expect(rows()).toHaveLength(2));
    // How many are listed is told in a polite live region that is there before the box changes it.
    const told = screen.getByText("2 comments").closest("[aria-live]");
    expect(told).toHaveAttribute("aria-live", "polite");

    await user.click(screen.getByRole("checkbox", { name: "Reported only" }));

    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(told).toHaveTextContent("1 reported comment");
    expect(screen.getByTestId("location")).toHaveTextContent("/admin/comments?reported=1");
    expect(sentTo(seen, "GET", LIST).map((r) => r.url.searchParams.get("reported"))).toEqual([null, "true"]);
  });

  it("keeps the comments shown, busy, and Show more held in its place, while the reported ones load", async () => {
    const reportedOnes = holdAnswer();
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(LIST, async ({ request }) => {
        if (new URL(request.url).searchParams.get("reported") !== "true") return ok(page([REPORTED, QUIET], "cur-2"));
        await reportedOnes.held;
        return ok(page([REPORTED]));
      }),
    );
    renderApp("/admin/comments");
    const user = setupUser();
    await waitFor(() => expect(rows()).toHaveLength(2));

    await user.click(screen.getByRole("checkbox", { name: "Reported only" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Loading…");
    expect(rows()).toHaveLength(2);
    expect(rows()[0]!.closest("[aria-busy]")).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("button", { name: "Show more" })).toHaveAttribute("aria-disabled", "true");

    reportedOnes.release();
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]!.closest("[aria-busy]")).toHaveAttribute("aria-busy", "false");
    // The reported ones fill one page: no more to show.
    expect(screen.queryByRole("button", { name: "Show more" })).not.toBeInTheDocument();
  });

  it("opens with Reported only ticked from the address", async () => {
    adminAt("/admin/comments?reported=1", (reported) => (reported === "true" ? page([REPORTED]) : page([REPORTED, QUIET])));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByRole("checkbox", { name: "Reported only" })).toBeChecked();
  });

  it.each([
    ["/admin/comments", "No comments yet.", "No comments"],
    ["/admin/comments?reported=1", "No reported comments.", "No reported comments"],
  ])("says when there are none (%s), and tells it", async (path, empty, told) => {
    adminAt(path, () => page([]));
    expect(await screen.findByText(empty)).toBeInTheDocument();
    expect(screen.getByText(told).closest("[aria-live]")).toHaveAttribute("aria-live", "polite");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });

  it("shows more by the cursor, focusing the first comment it brought", async () => {
    const { user, seen } = adminAt("/admin/comments", (_, cursor) => (cursor === "cur-2" ? page([QUIET]) : page([REPORTED], "cur-2")));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByText("1 comment shown; Show more lists the rest")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Show more" }));

    await waitFor(() => expect(rows()).toHaveLength(2));
    await waitFor(() => expect(rows()[1]).toHaveFocus()); // an effect focuses it after the render
    expect(screen.queryByRole("button", { name: "Show more" })).not.toBeInTheDocument();
    expect(sentTo(seen, "GET", LIST).map((r) => r.url.searchParams.get("cursor"))).toEqual([null, "cur-2"]);
  });

  it("starts again from the top when the cursor is no longer taken", async () => {
    let asked = 0;
    adminAt("/admin/comments", () => (asked++ === 0 ? page([REPORTED], "stale") : page([REPORTED, QUIET])));
    server.use(http.get(LIST, ({ request }) => (new URL(request.url).searchParams.get("cursor") === "stale" ? apiError(400, "invalid_cursor", "invalid cursor") : undefined)));
    const user = setupUser();
    await waitFor(() => expect(rows()).toHaveLength(1));

    await user.click(screen.getByRole("button", { name: "Show more" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The list changed meanwhile: it is shown again from the start.");
    await waitFor(() => expect(rows()).toHaveLength(2));
  });

  it("deletes a comment once confirmed", async () => {
    server.use(http.delete(`${API}/catalogue/comments/c-2`, () => noContent()));
    const { user, seen } = adminAt("/admin/comments", () => page([REPORTED, QUIET]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const remove = () => user.click(within(rows()[0]!).getByRole("button", { name: "Delete Sam’s comment on Sunset" }));

    await remove();
    await user.click(within(screen.getByRole("alertdialog", { name: "Delete this comment?" })).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-2`)).toEqual([]);

    await remove();
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.queryByText("Sam")).not.toBeInTheDocument();
    expect(screen.getByTestId("done-notice")).toHaveTextContent("The comment is deleted.");
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-2`)).toHaveLength(1);
  });

  it("keeps a deleted comment's replies", async () => {
    server.use(http.delete(`${API}/catalogue/comments/c-1`, () => noContent()));
    const reply = moderated({ id: "r-1", parent_id: "c-1", body: "A heron.", author_name: "Ann" });
    const { user } = adminAt("/admin/comments", () => page([reply, REPORTED, { ...QUIET, reply_count: 1 }]));
    await waitFor(() => expect(rows()).toHaveLength(3));

    await user.click(screen.getByRole("button", { name: "Delete Bea’s comment on Sunset" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog).toHaveTextContent("Bea’s comment on Sunset will be removed for everyone; its reply stays.");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));

    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[0]).toHaveTextContent("A heron.");
    expect(rows()[1]).toHaveTextContent("Sam");
  });

  it("dismisses a comment's reports: it stays, without them, or leaves the reported ones", async () => {
    server.use(http.delete(`${API}/catalogue/comments/c-2/reports`, () => noContent()));
    const { user, seen } = adminAt("/admin/comments", () => page([REPORTED, QUIET]));
    await waitFor(() => expect(rows()).toHaveLength(2));

    await user.click(screen.getByRole("button", { name: "Dismiss the reports on Sam’s comment on Sunset" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("The reports are dismissed; the comment stays.");
    expect(rows()).toHaveLength(2);
    expect(rows()[0]).toHaveTextContent("None");
    expect(within(rows()[0]!).queryByRole("button", { name: /Dismiss/ })).not.toBeInTheDocument();
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-2/reports`)).toHaveLength(1);
  });

  it("takes a dismissed comment out of the reported ones", async () => {
    server.use(http.delete(`${API}/catalogue/comments/c-2/reports`, () => noContent()));
    const { user } = adminAt("/admin/comments?reported=1", () => page([REPORTED]));
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(screen.getByRole("button", { name: "Dismiss the reports on Sam’s comment on Sunset" }));
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("The reports are dismissed; the comment stays.");
    expect(screen.queryByTestId("moderated-comment")).not.toBeInTheDocument();
  });

  it("takes out a comment deleted meanwhile when its reports are dismissed", async () => {
    server.use(http.delete(`${API}/catalogue/comments/c-2/reports`, () => apiError(404, "comment_not_found", "no such comment")));
    const { user } = adminAt("/admin/comments", () => page([REPORTED, QUIET]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(screen.getByRole("button", { name: "Dismiss the reports on Sam’s comment on Sunset" }));
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("The comment was deleted meanwhile.");
    expect(rows()).toHaveLength(1);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

const SAM = { id: "u-sam", name: "Sam", comments: 3 };
const SPAM = [REPORTED, moderated({ id: "c-3", body: "More watches", author_name: "Sam", author_id: "u-sam" }), moderated({ id: "c-4", body: "Watches again", author_name: "Sam", author_id: "u-sam", reports: 1 })].map((c) => ({ ...c, author_id: "u-sam" }));

/** Signed in as ADMIN at `path`: `?author=u-sam` lists Sam's (SAM counts them), anything else every comment. */
function adminWithSpam(path: string, spam = SPAM) {
  return adminAt(path, () => page(spam, null));
}

describe("the admins' comments page, by one member", () => {
  it("lists one member's comments from the address, with a chip that clears it, combined with Reported only", async () => {
    hadSession();
    const { user, seen } = adminAt("/admin/comments?author=u-sam", () => page([]));
    server.use(
      http.get(LIST, ({ request }) => {
        const query = new URL(request.url).searchParams;
        if (query.get("author") !== "u-sam") return ok(page(query.get("reported") === "true" ? [REPORTED] : [REPORTED, QUIET]));
        return ok({ ...page(query.get("reported") === "true" ? [SPAM[0]!, SPAM[2]!] : SPAM), author: SAM });
      }),
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.getByText(/Comments by/)).toHaveTextContent("Comments by Sam");
    const told = screen.getByText("3 comments by Sam").closest("[aria-live]");

    await user.click(screen.getByRole("checkbox", { name: "Reported only" }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(told).toHaveTextContent("2 reported comments by Sam");
    expect(screen.getByTestId("location")).toHaveTextContent("/admin/comments?author=u-sam&reported=1");

    await user.click(screen.getByRole("button", { name: "Show everyone’s comments" }));
    await waitFor(() => expect(rows()).toHaveLength(1)); // every reported comment: REPORTED alone
    expect(screen.queryByText(/Comments by/)).not.toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/admin/comments?reported=1");
    const asked = sentTo(seen, "GET", LIST).map((r) => [r.url.searchParams.get("author"), r.url.searchParams.get("reported")]);
    expect(asked).toEqual([["u-sam", null], ["u-sam", "true"], [null, "true"]]);
  });

  it("offers each row's author: Show comments by <name> filters by them", async () => {
    const { user } = adminAt("/admin/comments", () => page([REPORTED, QUIET]));
    await waitFor(() => expect(rows()).toHaveLength(2));
    server.use(http.get(LIST, ({ request }) => (new URL(request.url).searchParams.get("author") === "u-bea" ? ok({ ...page([QUIET]), author: { id: "u-bea", name: "Bea", comments: 1 } }) : undefined)));

    await user.click(within(rows()[1]!).getByRole("link", { name: "Show comments by Bea" }));

    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId("location")).toHaveTextContent("/admin/comments?author=u-bea");
    expect(screen.getByText(/Comments by/)).toHaveTextContent("Comments by Bea");
  });
});

describe("the admins' comments page, acting on many", () => {
  it("deletes the selected comments once confirmed, telling how far it is and which failed and why", async () => {
    const { held, release } = holdAnswer();
    server.use(
      http.delete(`${API}/catalogue/comments/c-2`, async () => {
        await held;
        return noContent();
      }),
      http.delete(`${API}/catalogue/comments/c-3`, () => apiError(503, "unavailable", "The server is busy")),
      http.delete(`${API}/catalogue/comments/c-4`, () => noContent()),
    );
    const { user, seen } = adminWithSpam("/admin/comments");
    await waitFor(() => expect(rows()).toHaveLength(3));

    await user.click(screen.getByRole("checkbox", { name: "Select all on this page" }));
    expect(screen.getByRole("button", { name: "Dismiss reports (2)…" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Delete (3)…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete: 3 comments?" });
    expect(within(dialog).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Sam’s comment on Sunset: “Buy cheap watches at https://spam.example”",
      "Sam’s comment on Sunset: “More watches”",
      "Sam’s comment on Sunset: “Watches again”",
    ]);
    await user.click(within(dialog).getByRole("button", { name: "Delete (3)" }));

    expect(await screen.findByText("Deleting 1 of 3…")).toBeInTheDocument();
    release();
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Deleted 2 comments.");
    const failed = screen.getByRole("alert");
    expect(failed).toHaveTextContent("Could not delete 1 comment (still selected):");
    expect(failed).toHaveTextContent("“Sam’s comment on Sunset”: The server is busy");
    expect(rows()).toHaveLength(1);
    expect(within(rows()[0]!).getByRole("checkbox", { name: "Select Sam’s comment on Sunset" })).toBeChecked();
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-4`)).toHaveLength(1);
  });

  it("dismisses the reports of the selected comments that have some", async () => {
    server.use(http.delete(`${API}/catalogue/comments/:id/reports`, () => noContent()));
    const { user, seen } = adminWithSpam("/admin/comments");
    await waitFor(() => expect(rows()).toHaveLength(3));

    await user.click(screen.getByRole("checkbox", { name: "Select all on this page" }));
    await user.click(screen.getByRole("button", { name: "Dismiss reports (2)…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Dismiss reports: 2 comments?" });
    expect(within(dialog).getAllByRole("listitem")).toHaveLength(2);
    await user.click(within(dialog).getByRole("button", { name: "Dismiss reports (2)" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Dismissed the reports on 2 comments; the comments stay.");
    expect(rows().map((r) => within(r).getByRole("cell", { name: /None|report/ }).textContent)).toEqual(["None", "None", "None"]);
    const dismissed = seen.filter((r) => r.method === "DELETE").map((r) => r.url.pathname);
    expect(dismissed).toEqual([`${API}/catalogue/comments/c-2/reports`, `${API}/catalogue/comments/c-4/reports`]);
    expect(screen.queryByRole("button", { name: /Dismiss reports \(/ })).not.toBeInTheDocument();
  });

  it("deletes every comment of the member filtered by, every page, and the nav's count follows", async () => {
    hadSession();
    let left = SPAM;
    let reported = 19;
    const { user, seen } = adminAt("/admin/comments?author=u-sam", () => page([]));
    server.use(
      http.get(`${API}/catalogue/counts`, () => ok(libraryCounts({ reported_comments: reported }))),
      http.get(LIST, () => ok({ ...page(left, left.length ? "cur-2" : null), author: { ...SAM, comments: left.length ? 40 : 0 } })),
      http.delete(LIST, () => {
        [left, reported] = [[], 17];
        return ok({ deleted: 42 });
      }),
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    await screen.findByRole("link", { name: "Comments, 19 reported" });

    await user.click(screen.getByRole("button", { name: "Delete all 40 comments by Sam…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete all 40 comments by Sam?" });
    expect(dialog).toHaveTextContent("Every comment Sam wrote, on every video, will be removed for everyone; replies others wrote to them stay.");
    await user.click(within(dialog).getByRole("button", { name: "Delete all 40 comments" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Deleted 42 comments by Sam; others’ replies to them stay.");
    expect(await screen.findByText("No comments yet.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete all/ })).not.toBeInTheDocument();
    expect(sentTo(seen, "DELETE", LIST).map((r) => r.url.searchParams.get("author"))).toEqual(["u-sam"]);
    expect(await screen.findByRole("link", { name: "Comments, 17 reported" }, { timeout: 3000 })).toBeInTheDocument();
  });
});

describe("the admins' comments page, left and come back to", () => {
  it("shows the rows Show more had read, scrolled where it was, on Back", async () => {
    // 45 comments, 20 a page; a cursor is where its page starts.
    const all = Array.from({ length: 45 }, (_, i) => moderated({ id: `c-${i}`, body: `Comment ${i}` }));
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(`${API}/catalogue`, () => ok(mediaPage([]))),
      ...nothingWatched(),
      http.get(LIST, ({ request }) => {
        const start = Number(new URL(request.url).searchParams.get("cursor") ?? 0);
        return ok(page(all.slice(start, start + 20), start + 20 < all.length ? String(start + 20) : null));
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    const scrolled = vi.spyOn(window, "scrollTo");
    const router = renderRememberingApp("/admin/comments");
    await waitFor(() => expect(rows()).toHaveLength(20));
    await user.click(screen.getByRole("button", { name: "Show more" }));
    await waitFor(() => expect(rows()).toHaveLength(40));
    await user.click(screen.getByRole("button", { name: "Show more" }));
    await waitFor(() => expect(rows()).toHaveLength(45));

    // Scrolled down, away to another page, and Back.
    Object.defineProperty(window, "scrollY", { value: 2400, configurable: true });
    await act(() => router.navigate("/"));
    expect(screen.queryByTestId("moderated-comment")).not.toBeInTheDocument();
    seen.length = 0;
    await act(() => router.navigate(-1));
    await waitFor(() => expect(rows()).toHaveLength(45));
    expect(rows().map((row) => row.querySelector(".moderated-comment-body")!.textContent)).toEqual(all.map((c) => c.body));
    expect(scrolled).toHaveBeenLastCalledWith(0, 2400);
    // The pages were read again (a comment deleted meanwhile is gone), all at once.
    const cursors = sentTo(seen, "GET", LIST).map((r) => r.url.searchParams.get("cursor"));
    expect(cursors).toEqual([null, "20", "40"]);
    Object.defineProperty(window, "scrollY", { value: 0, configurable: true });
    scrolled.mockRestore();
  });
});

describe("the admin navigation", () => {
  it("leads to Comments beside Library, Upload and Users", async () => {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(ADMIN)), http.get(`${API}/catalogue`, () => ok(mediaPage([]))), ...nothingWatched());
    server.use(http.get(LIST, () => ok(page([]))));
    const user = setupUser();
    renderApp("/");
    const nav = screen.getByRole("navigation", { name: "Main" });
    await user.click(await within(nav).findByRole("link", { name: "Comments" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Comments" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/admin/comments");
    const links = within(nav).getAllByRole("link").map((a) => a.textContent);
    expect(links.slice(links.indexOf("Upload"), links.indexOf("Comments") + 1)).toEqual(["Upload", "Library", "Users", "Comments"]);
  });
});
