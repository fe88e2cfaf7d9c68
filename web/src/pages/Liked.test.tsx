import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { LikedItem } from "../api/likes";
import { hadSession, likedEntry, likedPage } from "../test/fixtures";
import { expectHeldWithFocus, renderApp, setupUser } from "../test/render";
import {
  API,
  apiError,
  holdAnswer,
  http,
  likedVideos,
  ok,
  recordRequests,
  refreshGives,
  sentTo,
  server,
  sessionEndingElsewhere,
  VIEWER,
} from "../test/server";

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS - 60_000).toISOString();

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
}

/** The viewer's liked videos as the server keeps them: Remove (DELETE) takes one out. */
function likedKept(entries: LikedItem[]) {
  let kept = entries;
  server.use(
    likedVideos(() => likedPage(kept)),
    http.delete<{ id: string }>(`${API}/catalogue/:id/like`, ({ params }) => {
      kept = kept.filter((e) => e.item.id !== params.id);
      return ok({ liked: false, like_count: 0 });
    }),
  );
}

const titles = () =>
  screen.getAllByTestId("liked-entry").map((row) => within(row).getAllByRole("link").at(-1)?.textContent);

describe("Liked videos", () => {
  it("lists the viewer's liked videos, newest first, with their length and when they were liked", async () => {
    signedInViewer();
    likedKept([likedEntry("b", "Newest", daysAgo(0)), likedEntry("a", "Older", daysAgo(3))]);
    renderApp("/liked");

    expect(await screen.findByRole("heading", { level: 1, name: "Liked videos" })).toBeInTheDocument();
    await screen.findAllByTestId("liked-entry");
    expect(titles()).toEqual(["Newest", "Older"]);
    const [newest, older] = screen.getAllByTestId("liked-entry");
    expect(newest).toHaveTextContent("1:35 · liked 1 min ago");
    expect(older).toHaveTextContent("1:35 · liked 3 d ago");
    expect(within(older!).getByRole("link", { name: "Older" })).toHaveAttribute("href", "/watch/a");
    expect(within(older!).getByTestId("still")).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Liked videos" })).toBeInTheDocument();
  });

  it("is linked from the Playlists page, not crowding the header", async () => {
    signedInViewer();
    likedKept([]);
    server.use(http.get(`${API}/catalogue/me/playlists`, () => ok({ playlists: [], total: 0, page: 1, page_size: 24 })));
    const user = setupUser();
    renderApp("/playlists");

    await user.click(await screen.findByRole("link", { name: "Liked videos" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Liked videos" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).queryByRole("link", { name: "Liked videos" })).not.toBeInTheDocument();
  });

  it("says so when nothing is liked yet, with the way to Browse", async () => {
    signedInViewer();
    likedKept([]);
    renderApp("/liked");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("You have not liked any videos yet.");
    expect(within(empty).getByRole("link", { name: "Browse videos" })).toHaveAttribute("href", "/");
  });

  it("says liked videos that cannot be watched now are kept, as a playlist does", async () => {
    signedInViewer();
    server.use(likedVideos(() => likedPage([likedEntry("c", "Zürich by tram", daysAgo(1))], { unavailable_count: 1 })));
    renderApp("/liked");

    expect(await screen.findByTestId("unavailable-note")).toHaveTextContent(
      "1 video in your liked videos is not available now (unpublished or being processed): it shows here again when it is back.",
    );
    expect(titles()).toEqual(["Zürich by tram"]);
  });

  it("says every liked video is kept while none can be watched, rather than that none is liked", async () => {
    signedInViewer();
    server.use(likedVideos(() => likedPage([], { unavailable_count: 2 })));
    renderApp("/liked");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent(
      "2 videos in your liked videos are not available now (unpublished or being processed): they show here again when they are back.",
    );
    expect(empty).not.toHaveTextContent("You have not liked any videos yet.");
  });

  it("removes a video from the list by keyboard, saying so where the focus goes", async () => {
    signedInViewer();
    likedKept([likedEntry("b", "Newest", daysAgo(1)), likedEntry("a", "Older", daysAgo(2))]);
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/liked");

    const remove = await screen.findByRole("button", { name: "Remove from Liked videos: Newest" });
    expect(remove).toHaveTextContent("Remove from Liked videos");
    remove.focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(titles()).toEqual(["Older"]));
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Removed “Newest” from your Liked videos.");
    expect(screen.getByTestId("done-notice")).toHaveFocus();
    expect(sentTo(seen, "DELETE", `${API}/catalogue/b/like`)[0]?.headers.get("Authorization")).toBe("Bearer tok");
  });

  it("holds Remove, with the focus, while the video is removed, and tells a refusal", async () => {
    signedInViewer();
    const { held, release } = holdAnswer();
    server.use(
      likedVideos(() => likedPage([likedEntry("b", "Newest", daysAgo(1)), likedEntry("a", "Older", daysAgo(2))])),
      http.delete(`${API}/catalogue/b/like`, async () => {
        await held;
        return apiError(503, "unavailable", "Try later");
      }),
    );
    const user = setupUser();
    renderApp("/liked");

    const remove = await screen.findByRole("button", { name: "Remove from Liked videos: Newest" });
    await user.click(remove);
    expectHeldWithFocus(remove);
    expect(screen.getByRole("button", { name: "Remove from Liked videos: Older" })).toHaveAttribute("aria-disabled", "true");
    release();
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not remove “Newest” from your Liked videos: Try later");
    expect(titles()).toEqual(["Newest", "Older"]);
    expect(remove).not.toHaveAttribute("aria-disabled");
  });

  it("pages as History does: the page in the address, Next asking for it", async () => {
    signedInViewer();
    server.use(
      likedVideos((page) =>
        page === 1
          ? likedPage([likedEntry("b", "First page", daysAgo(1))], { total: 21 })
          : likedPage([likedEntry("a", "Second page", daysAgo(9))], { total: 21, page: 2 }),
      ),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/liked");

    await screen.findByRole("link", { name: "First page" });
    await user.click(within(screen.getByRole("navigation", { name: "Pagination" })).getByRole("button", { name: "Next →" }));
    expect(await screen.findByRole("link", { name: "Second page" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/liked?page=2");
    const asked = sentTo(seen, "GET", `${API}/catalogue/me/likes`).map((r) => r.url.searchParams.get("page"));
    expect(asked).toEqual(["1", "2"]);
    expect(sentTo(seen, "GET", `${API}/catalogue/me/likes`)[0]?.url.searchParams.get("page_size")).toBe("20");
  });

  it("on a page after the last one says so, with the way back", async () => {
    signedInViewer();
    server.use(likedVideos(() => likedPage([], { total: 3, page: 4 })));
    renderApp("/liked?page=4");

    expect(await screen.findByTestId("past-the-end")).toHaveTextContent("Nothing on page 4There is only 1 page.");
  });

  it("says a list it could not load could not be loaded, and loads it on Try again", async () => {
    signedInViewer();
    let fail = true;
    server.use(
      http.get(`${API}/catalogue/me/likes`, () =>
        fail ? apiError(503, "unavailable", "Try later") : ok(likedPage([likedEntry("a", "Back again", daysAgo(1))])),
      ),
    );
    const user = setupUser();
    renderApp("/liked");

    const alert = await screen.findByRole("alert");
    expect(screen.queryByTestId("empty-state")).not.toBeInTheDocument();
    fail = false;
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("link", { name: "Back again" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says a removal refused because the session ended elsewhere was not made, once signed in again", async () => {
    hadSession();
    const { unlessEnded, end } = sessionEndingElsewhere(() => VIEWER);
    server.use(
      likedVideos(() => likedPage([likedEntry("b", "Newest", daysAgo(1))])),
      http.delete(`${API}/catalogue/b/like`, unlessEnded(() => ok({ liked: false, like_count: 0 }))),
    );
    const user = setupUser();
    renderApp("/liked");
    await screen.findAllByTestId("liked-entry");
    end();
    await user.click(screen.getByRole("button", { name: "Remove from Liked videos: Newest" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));
    await user.type(screen.getByLabelText("Email"), VIEWER.email);
    await user.type(screen.getByLabelText("Password"), "a long enough passphrase");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/liked$/));
    expect(await screen.findByTestId("lost-change")).toHaveTextContent(
      "Your last change was not saved: removing a video from your liked videos (your session had ended).",
    );
  });
});
