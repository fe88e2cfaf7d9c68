import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { WatchedItem, WatchedPage } from "../api/schema";
import { hadSession, mediaItem, mediaPage } from "../test/fixtures";
import { expectHeldWithFocus, renderApp, setupUser } from "../test/render";
import {
  API,
  holdAnswer,
  http,
  noContent,
  ok,
  recordRequests,
  refreshGives,
  sentTo,
  server,
  sessionEndingElsewhere,
  VIEWER,
} from "../test/server";

function watched(id: string, title: string, position: number, completed = false): WatchedItem {
  return {
    item: mediaItem({ id, title, duration_seconds: 100 }),
    progress: {
      media_id: id,
      position_seconds: position,
      duration_seconds: 100,
      completed,
      updated_at: "2026-02-03T10:00:00Z",
    },
  };
}

function page(items: WatchedItem[]): WatchedPage {
  return { items, total: items.length, page: 1, page_size: 20 };
}

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
}

describe("HistoryPage", () => {
  it("keeps the entries shown, busy, while the next page loads (as Liked does: the same list)", async () => {
    signedInViewer();
    const second = holdAnswer();
    const first = Array.from({ length: 20 }, (_, i) => watched(`w${i}`, `Walk ${i}`, 10));
    server.use(
      http.get(`${API}/catalogue/me/history`, async ({ request }) => {
        if (new URL(request.url).searchParams.get("page") !== "2") return ok({ ...page(first), total: 21 });
        await second.held;
        return ok({ ...page([watched("z", "Last walk", 10)]), total: 21, page: 2 });
      }),
    );
    renderApp("/history");
    const user = setupUser();
    const list = await screen.findByRole("list", { name: "Watched videos" });

    await user.click(screen.getByRole("button", { name: "Next →" }));
    expect(await screen.findByText("Loading…")).toHaveAttribute("role", "status");
    expect(within(list).getAllByTestId("history-entry")).toHaveLength(20);
    expect(list.closest(".kept-rows")).toHaveAttribute("aria-busy", "true");

    second.release();
    await waitFor(() => expect(screen.getAllByTestId("history-entry").map((e) => e.textContent)).toEqual([expect.stringContaining("Last walk")]));
    expect(screen.getByRole("list", { name: "Watched videos" }).closest(".kept-rows")).toHaveAttribute("aria-busy", "false");
    expect(screen.queryByText("Loading…")).not.toBeInTheDocument();
  });

  it("on a page after the last one says so, where it showed nothing at all", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/catalogue/me/history`, () => ok({ ...page([]), total: 3, page: 4 })),
    );
    renderApp("/history?page=4");

    expect(await screen.findByTestId("past-the-end")).toHaveTextContent("Nothing on page 4There is only 1 page.");
    expect(screen.getByRole("button", { name: "Go to page 1" })).toBeInTheDocument();
  });

  it("says entries that cannot be watched now are kept, as a playlist does", async () => {
    signedInViewer();
    server.use(http.get(`${API}/catalogue/me/history`, () => ok({ ...page([watched("c", "Zürich by tram", 30)]), unavailable_count: 1 })));
    renderApp("/history");

    expect(await screen.findByTestId("unavailable-note")).toHaveTextContent(
      "1 video in your history is not available now (unpublished or being processed): it shows here again when it is back.",
    );
    expect(screen.getAllByTestId("history-entry")).toHaveLength(1);
  });

  it("says every entry is kept while none can be watched, rather than that nothing was watched", async () => {
    signedInViewer();
    server.use(http.get(`${API}/catalogue/me/history`, () => ok({ ...page([]), unavailable_count: 3 })));
    renderApp("/history");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent(
      "3 videos in your history are not available now (unpublished or being processed): they show here again when they are back.",
    );
    expect(empty).not.toHaveTextContent("Nothing watched yet");
  });

  it("offers Clear history while every entry is one that cannot be watched now, and clears them", async () => {
    signedInViewer();
    let hidden = 3;
    server.use(
      http.get(`${API}/catalogue/me/history`, () => ok({ ...page([]), unavailable_count: hidden })),
      http.delete(`${API}/catalogue/me/history`, () => {
        hidden = 0;
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/history");

    await user.click(await screen.findByRole("button", { name: "Clear history" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Clear history" }));
    // The note stays until the list is read again after the clear.
    await waitFor(() => expect(screen.getByTestId("empty-state")).toHaveTextContent("Nothing watched yet"));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/me/history`)).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Clear history" })).toBeNull();
  });

  it("lists what the viewer watched, newest first, and removes one entry", async () => {
    signedInViewer();
    let entries = [watched("b", "Newest", 30), watched("a", "Older", 100, true)];
    server.use(
      http.get(`${API}/catalogue/me/history`, () => ok(page(entries))),
      http.delete(`${API}/catalogue/me/history/b`, () => {
        entries = entries.filter((e) => e.item.id !== "b");
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/history");

    const rows = await screen.findAllByTestId("history-entry");
    expect(rows.map((r) => within(r).getAllByRole("link").at(-1)?.textContent)).toEqual(["Newest", "Older"]);
    expect(rows[0]).toHaveTextContent("Stopped at 0:30 (30 %)");
    expect(rows[1]).toHaveTextContent("Watched");
    expect(within(rows[0]!).getByTestId("watch-progress").firstElementChild).toHaveStyle({ width: "30%" });
    expect(screen.getByRole("link", { name: "History" })).toHaveAttribute("href", "/history");

    await user.click(screen.getByRole("button", { name: "Remove Newest from history" }));
    await waitFor(() => expect(screen.getAllByTestId("history-entry")).toHaveLength(1));
    // Its row went with the pressed Remove: the focus is on what happened, not on the page's body.
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Removed “Newest” from your history.");
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
    expect(sentTo(seen, "DELETE", `${API}/catalogue/me/history/b`)[0]?.headers.get("Authorization")).toBe(
      "Bearer tok",
    );
  });

  it("holds Remove, with the focus, while the entry is removed", async () => {
    signedInViewer();
    const { held, release } = holdAnswer();
    server.use(
      http.get(`${API}/catalogue/me/history`, () => ok(page([watched("b", "Newest", 30), watched("a", "Older", 50)]))),
      http.delete(`${API}/catalogue/me/history/b`, async () => {
        await held;
        return noContent();
      }),
    );
    const user = setupUser();
    renderApp("/history");

    const remove = await screen.findByRole("button", { name: "Remove Newest from history" });
    remove.focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expectHeldWithFocus(remove));
    expect(screen.getByRole("button", { name: "Remove Older from history" })).toHaveAttribute("aria-disabled", "true");
    expect(screen.getByRole("button", { name: "Clear history" })).toHaveAttribute("aria-disabled", "true");
    release();
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
  });

  it("clears the whole history after a confirmation", async () => {
    signedInViewer();
    let entries = [watched("b", "Newest", 30)];
    server.use(
      http.get(`${API}/catalogue/me/history`, () => ok(page(entries))),
      http.delete(`${API}/catalogue/me/history`, () => {
        entries = [];
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/history");

    await user.click(await screen.findByRole("button", { name: "Clear history" }));
    const dialog = screen.getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Clear history" }));
    // The note stays until the list is read again after the clear.
    await waitFor(() => expect(screen.getByTestId("empty-state")).toHaveTextContent("Nothing watched yet"));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/me/history`)).toHaveLength(1);
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Your history is cleared.");
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
  });
});

describe("Browse for a signed-in viewer", () => {
  it("shows a Continue watching row and progress bars on watched cards", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/catalogue`, () =>
        ok(mediaPage([mediaItem({ id: "a", title: "Half seen", duration_seconds: 100 }), mediaItem({ id: "z", title: "Unseen" })])),
      ),
      http.get(`${API}/catalogue/me/continue-watching`, () => ok(page([watched("a", "Half seen", 50)]))),
      http.get(`${API}/catalogue/me/history`, () => ok(page([watched("a", "Half seen", 50)]))),
    );
    renderApp("/");

    const row = await screen.findByRole("list", { name: "Continue watching" });
    expect(within(row).getByRole("link", { name: /Half seen/ })).toHaveAttribute("href", "/watch/a");
    const grid = screen.getByRole("list", { name: "Videos" });
    await waitFor(() => expect(within(grid).getAllByTestId("watch-progress")).toHaveLength(1));
    const [seenCard, unseenCard] = within(grid).getAllByTestId("media-card");
    expect(within(seenCard!).getByTestId("watch-progress").firstElementChild).toHaveStyle({ width: "50%" });
    expect(within(unseenCard!).queryByTestId("watch-progress")).toBeNull();
    // The bar is said as well as seen (a screen reader reads the link's name).
    expect(within(row).getByRole("link", { name: "Half seen, 1:40, watched 50 %" })).toBeInTheDocument();
    expect(within(seenCard!).getByRole("link", { name: "Half seen, 1:40, watched 50 %" })).toBeInTheDocument();
    expect(within(unseenCard!).getByRole("link", { name: /^Unseen/ })).not.toHaveAccessibleName(/watched/);
    // The catalogue's count heads its own grid, after the row (not above the row, as if it counted it).
    const count = screen.getByText("2 videos");
    expect(row.compareDocumentPosition(count) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(count.compareDocumentPosition(grid) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("asks nothing about watching when nobody is signed in", async () => {
    server.use(http.get(`${API}/catalogue`, () => ok(mediaPage([mediaItem({ id: "a" })]))));
    const seen = recordRequests();
    renderApp("/");
    await screen.findAllByTestId("media-card");
    expect(seen.filter((r) => r.url.pathname.startsWith(`${API}/catalogue/me/`))).toEqual([]);
    expect(screen.queryByRole("list", { name: "Continue watching" })).toBeNull();
  });

});

describe("a history entry removed after the session was revoked elsewhere", () => {
  it("says a removal refused because the session ended elsewhere was not made, once signed in again", async () => {
    hadSession();
    const { unlessEnded, end } = sessionEndingElsewhere(() => VIEWER);
    server.use(
      http.get(`${API}/catalogue/me/history`, unlessEnded(() => ok(page([watched("b", "Newest", 30)])))),
      http.delete(`${API}/catalogue/me/history/b`, unlessEnded(() => noContent())),
    );
    const user = setupUser();
    renderApp("/history");
    await screen.findAllByTestId("history-entry");
    end();
    await user.click(screen.getByRole("button", { name: "Remove Newest from history" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));
    await user.type(screen.getByLabelText("Email"), VIEWER.email);
    await user.type(screen.getByLabelText("Password"), "a long enough passphrase");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/history$/));
    expect(await screen.findByTestId("lost-change")).toHaveTextContent(
      "Your last change was not saved: removing a video from your history (your session had ended).",
    );
  });
});
