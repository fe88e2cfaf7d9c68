import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, libraryCounts, noContent, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";

const CATALOGUE = `${API}/catalogue`;
const DRAFT_A = mediaItem({ id: "a", title: "Alpha", status: "draft" });
const DRAFT_B = mediaItem({ id: "b", title: "Bravo", status: "draft" });
const PUBLISHED = mediaItem({ id: "c", title: "Charlie" });

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  // The tag filter reads the library's tags: none, unless a test says.
  server.use(tagList());
});

/** The library lists `items` (every query); PATCH answers each with its new status. */
function library(items: CatalogueItem[]) {
  server.use(
    http.get(CATALOGUE, () => ok(mediaPage(items))),
    http.patch(`${CATALOGUE}/:id`, async ({ params, request }) => {
      const item = items.find((it) => it.id === params.id);
      const body = (await request.json()) as Partial<CatalogueItem>;
      // As the server does: publishing or unpublishing by hand clears a schedule.
      return ok({ ...item, ...(body.status ? { publish_at: null } : {}), ...body });
    }),
  );
}

const box = (title: string) => screen.getByRole("checkbox", { name: `Select ${title}` });
const selectAll = () => screen.getByRole("checkbox", { name: "Select all on this page" });
const bar = () => screen.getByRole("group", { name: "Selected videos" });

describe("the library's bulk actions", () => {
  it("publishes the selected drafts in turn, skipping what is published already", async () => {
    const user = setupUser();
    library([DRAFT_A, DRAFT_B, PUBLISHED]);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    expect(selectAll()).toHaveProperty("indeterminate", true);
    await user.click(selectAll());
    expect(selectAll()).toBeChecked();
    expect(bar()).toHaveTextContent("3 selected");

    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Published 2 videos.");
    const patched = seen.filter((r) => r.method === "PATCH").map((r) => r.url.pathname);
    expect(patched).toEqual([`${CATALOGUE}/a`, `${CATALOGUE}/b`]);
    expect(await sentTo(seen, "PATCH", `${CATALOGUE}/a`)[0]?.request.json()).toEqual({ status: "published" });
    expect(screen.getByRole("button", { name: "Unpublish Alpha" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Unpublish Bravo" })).toBeInTheDocument();
    // All went through: nothing stays selected.
    expect(box("Alpha")).not.toBeChecked();
    expect(screen.queryByText(/selected$/)).not.toBeInTheDocument();
    // The page's own selection is not asked about; what it did can be undone.
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Undo: Published 2 videos." })).toBeInTheDocument();
  });

  it("puts back each video a bulk publish changed, and only those, with Undo", async () => {
    const user = setupUser();
    library([DRAFT_A, DRAFT_B, PUBLISHED]);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));
    const undo = await screen.findByRole("button", { name: "Undo: Published 2 videos." });
    const { held, release } = holdAnswer();
    server.use(
      http.patch(`${CATALOGUE}/b`, async () => {
        await held;
        return ok(DRAFT_B);
      }),
    );
    await user.click(undo);

    expect(await screen.findByText("Undoing 2 of 2…")).toBeInTheDocument();
    // Held in its place while it runs, keeping the focus.
    expectHeldWithFocus(screen.getByRole("button", { name: "Undo" }));
    release();
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Undone: 2 videos are drafts again.");
    const sent = await Promise.all(
      sentTo(seen, "PATCH", `${CATALOGUE}/a`).map(async (r) => (await r.request.json()) as object),
    );
    expect(sent).toEqual([{ status: "published" }, { status: "draft" }]);
    expect(sentTo(seen, "PATCH", `${CATALOGUE}/c`)).toHaveLength(0); // published before: left alone
    expect(screen.getByRole("button", { name: "Publish Alpha" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Publish Bravo" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Unpublish Charlie" })).toBeInTheDocument();
    // An undo is not undone in turn.
    expect(screen.queryByRole("button", { name: /^Undo/ })).not.toBeInTheDocument();
  });

  it("unpublishes a scheduled draft by cancelling its schedule, and Undo schedules it again", async () => {
    const user = setupUser();
    const publishAt = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = mediaItem({ id: "d", title: "Delta", status: "draft", publish_at: publishAt });
    library([scheduled, DRAFT_A]);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);
    expect(await screen.findByText(/^Scheduled for/)).toBeInTheDocument();

    await user.click(box("Delta"));
    // It would go public at its time: there is something to unpublish.
    const unpublish = within(bar()).getByRole("button", { name: "Unpublish selected" });
    expect(unpublish).toBeEnabled();
    await user.click(unpublish);

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Unpublished 1 video (1 scheduled: schedule cancelled).");
    expect(screen.queryByText(/^Scheduled for/)).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /^Undo: Unpublished 1 video/ }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Undone: 1 video is scheduled again.");
    const sent = await Promise.all(
      sentTo(seen, "PATCH", `${CATALOGUE}/d`).map(async (r) => (await r.request.json()) as object),
    );
    expect(sent).toEqual([{ status: "draft" }, { publish_at: publishAt }]);
    expect(sentTo(seen, "PATCH", `${CATALOGUE}/a`)).toHaveLength(0);
    expect(screen.getByText(/^Scheduled for/)).toBeInTheDocument();
  });

  it("asks the browser to warn before the tab is closed while a bulk action runs", async () => {
    const user = setupUser();
    const { held, release } = holdAnswer();
    library([DRAFT_A]);
    server.use(
      http.patch(`${CATALOGUE}/a`, async () => {
        await held;
        return ok({ ...DRAFT_A, status: "published" });
      }),
    );
    renderPage(<AdminLibraryPage />);
    const leaving = () => {
      const event = new Event("beforeunload", { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    expect(leaving()).toBe(false);
    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));
    await screen.findByText("Publishing 1 of 1…");
    expect(leaving()).toBe(true);
    release();
    await screen.findByTestId("done-notice");
    // The warning goes in an effect, which React runs after the notice is on the page.
    await waitFor(() => expect(leaving()).toBe(false));
  });

  it("tells how far it is while it runs, and only the verbs that change something are offered", async () => {
    const user = setupUser();
    const { held, release } = holdAnswer();
    library([PUBLISHED, DRAFT_A]);
    server.use(
      http.patch(`${CATALOGUE}/c`, async () => {
        await held;
        return ok({ ...PUBLISHED, status: "draft" });
      }),
    );
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select Charlie" }));
    // The count is said as it changes (it was plain text).
    expect(screen.getByTestId("selection-said")).toHaveAttribute("role", "status");
    expect(screen.getByTestId("selection-said")).toHaveTextContent("1 selected");
    expect(within(bar()).getByRole("button", { name: "Publish selected" })).toBeDisabled();
    await user.click(within(bar()).getByRole("button", { name: "Unpublish selected" }));

    expect(await screen.findByText("Unpublishing 1 of 1…")).toBeInTheDocument();
    // Held while it runs, the pressed one keeping the focus (disabled, it lost it).
    expectHeldWithFocus(within(bar()).getByRole("button", { name: "Unpublish selected" }));
    expect(within(bar()).getByRole("button", { name: "Delete selected…" })).toHaveAttribute("aria-disabled", "true");
    release();
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Unpublished 1 video.");
  });

  it.each([
    [[0, 0], "Unpublished 2 videos."],
    [[0, 1], "Unpublished 2 videos. One share link of theirs stops working until you publish them again."],
    [[2, 3], "Unpublished 2 videos. Their 5 share links stop working until you publish them again."],
  ])("unpublishing videos with %j live share links says how many stop working (nothing of none), in one sentence", async (paused, said) => {
    const user = setupUser();
    const published = [PUBLISHED, mediaItem({ id: "d", title: "Delta" })];
    server.use(
      http.get(CATALOGUE, () => ok(mediaPage(published))),
      http.patch(`${CATALOGUE}/:id`, ({ params }) => {
        const at = published.findIndex((it) => it.id === params.id);
        return ok({ ...published[at], status: "draft", paused_share_links: paused[at] });
      }),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Unpublish selected" }));

    await waitFor(() => expect(screen.getByTestId("done-notice").textContent).toBe(said));
    expect(seen.filter((r) => r.url.pathname.includes("/shares"))).toEqual([]);
  });

  it("says the share links one video's unpublishing paused: its own", async () => {
    const user = setupUser();
    library([PUBLISHED]);
    server.use(http.patch(`${CATALOGUE}/c`, () => ok({ ...PUBLISHED, status: "draft", paused_share_links: 2 })));
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select Charlie" }));
    await user.click(within(bar()).getByRole("button", { name: "Unpublish selected" }));

    const said = "Unpublished 1 video. Its 2 share links stop working until you publish it again.";
    await waitFor(() => expect(screen.getByTestId("done-notice").textContent).toBe(said));
  });

  it("keeps what failed selected and says why", async () => {
    const user = setupUser();
    library([DRAFT_A, DRAFT_B]);
    server.use(http.patch(`${CATALOGUE}/b`, () => apiError(409, "not_playable", "it has no playable file")));
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not publish 1 video (still selected):");
    expect(alert).toHaveTextContent("“Bravo”: it has no playable file");
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Published 1 video.");
    expect(box("Bravo")).toBeChecked();
    expect(box("Alpha")).not.toBeChecked();
    expect(bar()).toHaveTextContent("1 selected");
  });

  it("deletes the selected only after asking, then lists the page again", async () => {
    const user = setupUser();
    server.use(
      http.get(CATALOGUE, () => ok(mediaPage([DRAFT_A, PUBLISHED])), { once: true }),
      http.get(CATALOGUE, () => ok(mediaPage([]))),
      http.delete(`${CATALOGUE}/:id`, () => noContent()),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Delete selected…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete 2 videos?" });
    expect(within(dialog).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Alpha", "Charlie"]);
    // The dialog has the focus (on Cancel), so Escape answers it.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(seen.filter((r) => r.method === "DELETE")).toHaveLength(0);

    await user.click(within(bar()).getByRole("button", { name: "Delete selected…" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete 2 videos" }));

    // The list is empty now; what happened is still told.
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Deleted 2 videos.");
    expect(screen.queryByRole("button", { name: /^Undo/ })).not.toBeInTheDocument();
    expect(seen.filter((r) => r.method === "DELETE").map((r) => r.url.pathname)).toEqual([
      `${CATALOGUE}/a`,
      `${CATALOGUE}/c`,
    ]);
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });

  it("keeps a video it could not delete selected once the page is listed again", async () => {
    const user = setupUser();
    server.use(
      http.get(CATALOGUE, () => ok(mediaPage([DRAFT_A, PUBLISHED])), { once: true }),
      http.get(CATALOGUE, () => ok(mediaPage([PUBLISHED]))),
      http.delete(`${CATALOGUE}/a`, () => noContent()),
      http.delete(`${CATALOGUE}/c`, () => apiError(503, "storage_unavailable", "storage is unavailable")),
    );
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Delete selected…" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete 2 videos" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("“Charlie”: storage is unavailable");
    await waitFor(() => expect(screen.getAllByTestId("library-item")).toHaveLength(1));
    expect(box("Charlie")).toBeChecked();
    expect(bar()).toHaveTextContent("1 selected");
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Deleted 1 video.");
  });

  it("transcodes again, asked first, only the selected videos that may be", async () => {
    const user = setupUser();
    const failed = mediaItem({ id: "f", title: "Failed one", processing_state: "failed", playable: false });
    const ready = mediaItem({ id: "r", title: "Ready one", processing_state: "ready", has_hls: true });
    const queued = mediaItem({ id: "q", title: "Queued one", processing_state: "queued" });
    server.use(
      http.get(CATALOGUE, () => ok(mediaPage([failed, ready, queued]))),
      tagList(), // before the item's route, which would answer /tags as an item
      http.get(`${CATALOGUE}/counts`, () => ok(libraryCounts())), // and /counts
      http.get(`${CATALOGUE}/:id`, ({ params }) => ok(mediaItem({ id: String(params.id), processing_state: "queued" }))),
      http.post(`${API}/ingest/items/:id/transcode`, ({ params }) =>
        ok({ ...(params.id === "f" ? failed : ready), processing_state: "queued" }),
      ),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select Queued one" }));
    // Its job is on its way: nothing to transcode.
    expect(within(bar()).getByRole("button", { name: "Transcode again selected…" })).toBeDisabled();
    await user.click(selectAll());
    await user.click(within(bar()).getByRole("button", { name: "Transcode again selected…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Transcode again 2 videos?" });
    expect(within(dialog).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Failed one", "Ready one"]);
    const confirm = within(dialog).getByRole("button", { name: "Transcode again" });
    expect(confirm).toHaveClass("primary");
    await user.click(confirm);

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Queued 2 videos.");
    const posted = seen.filter((r) => r.method === "POST").map((r) => r.url.pathname);
    expect(posted).toEqual([`${API}/ingest/items/f/transcode`, `${API}/ingest/items/r/transcode`]);
    expect(screen.getAllByTestId("library-processing").map((p) => p.textContent)).toEqual([
      "Queued for processing",
      "Queued for processing",
      "Queued for processing",
    ]);
  });

  it("selects every matching video, on the other pages too, and acts on each", async () => {
    const user = setupUser();
    const offPage = mediaItem({ id: "z", title: "Zulu", status: "draft" });
    server.use(
      http.get(CATALOGUE, ({ request }) => {
        const asked = new URL(request.url).searchParams;
        expect(asked.get("q")).toBe("bulk");
        // The page shows two of three; the whole list is read at the largest page size.
        if (asked.get("page_size") === "100") return ok(mediaPage([DRAFT_A, PUBLISHED, offPage]));
        return ok(mediaPage([DRAFT_A, PUBLISHED], { total: 3 }));
      }),
      http.patch(`${CATALOGUE}/:id`, ({ params }) => {
        const item = [DRAFT_A, offPage].find((it) => it.id === params.id);
        return ok({ ...item, status: "published" });
      }),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?q=bulk" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    expect(bar()).toHaveTextContent("2 selected");
    await user.click(within(bar()).getByRole("button", { name: "Select all 3 matching" }));
    expect(bar()).toHaveTextContent("All 3 matching selected");
    // Past the page: asked first, how many said (and none sent until then).
    await user.click(within(bar()).getByRole("button", { name: "Publish selected…" }));
    const asked = await screen.findByRole("alertdialog", { name: "Publish 2 videos?" });
    expect(within(asked).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Alpha", "Zulu"]);
    expect(seen.filter((r) => r.method === "PATCH")).toHaveLength(0);
    await user.click(within(asked).getByRole("button", { name: "Publish" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Published 2 videos.");
    const patched = seen.filter((r) => r.method === "PATCH").map((r) => r.url.pathname);
    expect(patched).toEqual([`${CATALOGUE}/a`, `${CATALOGUE}/z`]);
    // Unticking one leaves the page's selection.
    await user.click(selectAll());
    await user.click(within(bar()).getByRole("button", { name: "Select all 3 matching" }));
    await user.click(box("Alpha"));
    expect(bar()).toHaveTextContent("1 selected");
  });

  it("says so when none of every matching video would change", async () => {
    const user = setupUser();
    server.use(
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page_size") === "100"
          ? ok(mediaPage([PUBLISHED, { ...PUBLISHED, id: "d", title: "Delta" }]))
          : ok(mediaPage([PUBLISHED], { total: 2 })),
      ),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Select all 2 matching" }));
    await user.click(within(bar()).getByRole("button", { name: "Publish selected…" }));

    expect(await screen.findByText("None of them can be published.")).toBeInTheDocument();
    expect(seen.filter((r) => r.method === "PATCH")).toHaveLength(0);
  });

  it("lists the page again after unpublishing every published video on it", async () => {
    const user = setupUser();
    const published = [PUBLISHED, mediaItem({ id: "d", title: "Delta" })];
    server.use(
      http.get(CATALOGUE, () => ok(mediaPage(published, { total: 30 })), { once: true }),
      http.get(CATALOGUE, () => ok(mediaPage([], { total: 0 }))),
      http.patch(`${CATALOGUE}/:id`, async ({ params, request }) => {
        const item = published.find((it) => it.id === params.id);
        return ok({ ...item, ...((await request.json()) as object) });
      }),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library?status=published" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Unpublish selected" }));

    // Not "Nothing on page 1: there are only 2 pages" from the count read before.
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Unpublished 2 videos.");
    await waitFor(() => expect(screen.queryByRole("checkbox", { name: "Select Delta" })).not.toBeInTheDocument());
    expect(await screen.findByText("No videos found")).toBeInTheDocument();
    expect(screen.queryByTestId("past-the-end")).not.toBeInTheDocument();
  });

  it("does not list the page again for a video that left an earlier filter's page", async () => {
    const user = setupUser();
    library([PUBLISHED, DRAFT_A]);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?status=published" });
    // Charlie leaves the Published page; then the filter changes and the page is read anew.
    await user.click(await screen.findByRole("button", { name: "Unpublish Charlie" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Unpublish Charlie" })).not.toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Status"), "all");
    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    const listed = () => seen.filter((r) => r.method === "GET" && r.url.pathname === CATALOGUE).length;
    const before = listed();

    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));

    // The bulk action's notice in place of the Unpublish's: one notice, the latest.
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveTextContent("Published 1 video."));
    // Nothing left this page: it stays as read (no flash of the list being read again).
    expect(listed()).toBe(before);
  });

  it("keeps every matching video selected on the other pages, until the search changes", async () => {
    const user = setupUser();
    const second = [mediaItem({ id: "y", title: "Yankee" }), mediaItem({ id: "z", title: "Zulu" })];
    server.use(
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page") === "2"
          ? ok(mediaPage(second, { total: 26, page: 2 }))
          : ok(mediaPage([DRAFT_A, DRAFT_B], { total: 26 })),
      ),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library?q=bulk" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Select all 26 matching" }));
    await user.click(within(screen.getByRole("navigation", { name: "Pagination" })).getByRole("button", { name: "Next →" }));

    expect(await screen.findByRole("checkbox", { name: "Select Zulu" })).toBeChecked();
    expect(box("Yankee")).toBeChecked();
    expect(bar()).toHaveTextContent("All 26 matching selected");
    await user.clear(screen.getByRole("searchbox"));
    await user.type(screen.getByRole("searchbox"), "other{Enter}");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("q=other"));
    expect(bar()).not.toHaveTextContent("selected");
  });

  it("keeps the videos ticked on each page selected, counts them all, and acts on them all", async () => {
    const user = setupUser();
    const second = [mediaItem({ id: "y", title: "Yankee", status: "draft" }), mediaItem({ id: "z", title: "Zulu" })];
    server.use(
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page") === "2"
          ? ok(mediaPage(second, { total: 26, page: 2 }))
          : ok(mediaPage([DRAFT_A, DRAFT_B], { total: 26 })),
      ),
      http.patch(`${CATALOGUE}/:id`, ({ params }) => {
        const item = [DRAFT_A, DRAFT_B, ...second].find((it) => it.id === params.id);
        return ok({ ...item, status: "published" });
      }),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?q=bulk" });
    const pages = () => screen.getByRole("navigation", { name: "Pagination" });

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    await user.click(within(pages()).getByRole("button", { name: "Next →" }));
    await user.click(await screen.findByRole("checkbox", { name: "Select Yankee" }));
    expect(bar()).toHaveTextContent("2 selected, 1 on other pages");
    expect(screen.getByTestId("selection-said")).toHaveTextContent("2 selected, 1 on other pages");
    // Another order shows the same videos: the selection stays.
    await user.selectOptions(screen.getByLabelText("Sort"), "title");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("sort=title"));
    expect(await screen.findByRole("checkbox", { name: "Select Alpha" })).toBeChecked();
    expect(bar()).toHaveTextContent("2 selected, 1 on other pages");

    await user.click(within(bar()).getByRole("button", { name: "Publish selected" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Published 2 videos.");
    const patched = seen.filter((r) => r.method === "PATCH").map((r) => r.url.pathname);
    expect(patched).toEqual([`${CATALOGUE}/y`, `${CATALOGUE}/a`]);
    expect(screen.queryByTestId("selection-cleared")).not.toBeInTheDocument();
  });

  it("forgets a selected video once it is deleted on its own", async () => {
    const user = setupUser();
    let deleted = false;
    server.use(
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page") === "2"
          ? ok(mediaPage(deleted ? [] : [PUBLISHED], { total: deleted ? 24 : 25, page: 2 }))
          : ok(mediaPage([DRAFT_A, DRAFT_B], { total: deleted ? 24 : 25 })),
      ),
      http.delete(`${CATALOGUE}/c`, () => {
        deleted = true;
        return noContent();
      }),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    await user.click(within(screen.getByRole("navigation", { name: "Pagination" })).getByRole("button", { name: "Next →" }));
    await user.click(await screen.findByRole("checkbox", { name: "Select Charlie" }));
    expect(bar()).toHaveTextContent("2 selected, 1 on other pages");
    await user.click(screen.getByRole("button", { name: "Delete Charlie" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await user.click(await within(await screen.findByTestId("past-the-end")).findByRole("button", { name: "Go to page 1" }));
    expect(await screen.findByRole("checkbox", { name: "Select Alpha" })).toBeChecked();
    expect(screen.getByTestId("selection-said")).toHaveTextContent(/^1 selected$/);
  });

  it("lets go of a selection on other pages when the filters change, and says so", async () => {
    const user = setupUser();
    server.use(
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page") === "2"
          ? ok(mediaPage([PUBLISHED], { total: 26, page: 2 }))
          : ok(mediaPage([DRAFT_A, DRAFT_B], { total: 26 })),
      ),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    await user.click(within(screen.getByRole("navigation", { name: "Pagination" })).getByRole("button", { name: "Next →" }));
    expect(await screen.findByRole("checkbox", { name: "Select Charlie" })).not.toBeChecked();
    expect(bar()).toHaveTextContent("1 selected, 1 on other pages");
    await user.click(within(bar()).getByRole("button", { name: "Clear selection" }));
    expect(bar()).not.toHaveTextContent("selected");
    await user.click(box("Charlie"));
    await user.selectOptions(screen.getByLabelText("Status"), "published");

    expect(await screen.findByTestId("selection-cleared")).toHaveTextContent(
      "The filters changed: nothing is selected now.",
    );
    expect(bar()).not.toHaveTextContent("selected");
    // Gone with the next selection.
    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    expect(screen.queryByTestId("selection-cleared")).not.toBeInTheDocument();
  });

  it("selects nothing on another filter", async () => {
    const user = setupUser();
    library([DRAFT_A, PUBLISHED]);
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    expect(bar()).toHaveTextContent("1 selected");
    await user.selectOptions(screen.getByLabelText("Status"), "draft");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("status=draft"));
    expect(await screen.findByRole("checkbox", { name: "Select Alpha" })).not.toBeChecked();
    expect(bar()).not.toHaveTextContent("selected");
  });

  it("names every video a deletion of a search's matches takes, before it is asked for, and counts them on its button", async () => {
    const user = setupUser();
    const matching = Array.from({ length: 28 }, (_, i) =>
      mediaItem({ id: `m${i}`, title: `${i < 12 ? "Under-12" : "Under-14"} match ${i + 1}`, status: "draft" }),
    );
    server.use(
      http.get(CATALOGUE, ({ request }) => {
        const asked = new URL(request.url).searchParams;
        if (asked.get("page_size") === "100") return ok(mediaPage(matching));
        return ok(mediaPage(matching.slice(0, 2), { total: 28 }));
      }),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?q=Under-12" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Select all 28 matching" }));
    await user.click(within(bar()).getByRole("button", { name: "Delete selected…" }));

    const dialog = await screen.findByRole("alertdialog", { name: "Delete 28 videos?" });
    const listed = within(within(dialog).getByRole("list", { name: "Selected videos" })).getAllByRole("listitem");
    // Every one, in the order shown, the last of them too: none is only counted.
    expect(listed.map((li) => li.textContent)).toEqual(matching.map((it) => it.title));
    expect(dialog).not.toHaveTextContent("more.");
    expect(dialog).toHaveTextContent("These are the videos matching “Under-12”: check the list before you go on.");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(seen.filter((r) => r.method === "DELETE")).toHaveLength(0);

    // What can be undone still names ten and counts the rest, its button the verb alone.
    await user.click(within(bar()).getByRole("button", { name: "Publish selected…" }));
    const publish = await screen.findByRole("alertdialog", { name: "Publish 28 videos?" });
    expect(within(publish).getAllByRole("listitem")).toHaveLength(10);
    expect(publish).toHaveTextContent("…and 18 more.");
    expect(publish).not.toHaveTextContent("matching “Under-12”");
    expect(within(publish).getByRole("button", { name: "Publish" })).toBeInTheDocument();
  });
});
