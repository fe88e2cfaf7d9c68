import { screen, waitFor } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import type { RedirectState } from "../auth/RequireAuth";
import type { ViewedLike } from "../api/likes";
import { hadSession, likedItem } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import {
  API,
  apiError,
  holdAnswer,
  http,
  likesKept,
  recordRequests,
  refreshGives,
  ok,
  sentTo,
  server,
  VIEWER,
} from "../test/server";
import { LikeButton, LikeTally } from "./LikeButton";

function SignInProbe() {
  const from = (useLocation().state as RedirectState | null)?.from;
  return <p data-testid="signin">{`signin from ${from}`}</p>;
}

/** m-1's Like as its watch page shows it, with `likes`, signed in unless `signedIn` is false. */
function renderLike(likes: ViewedLike, { signedIn = true } = {}) {
  if (signedIn) {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
  }
  renderPage(
    <Routes>
      <Route path="/watch/:id" element={<LikeButton item={likedItem(likes, { id: "m-1" })} />} />
      <Route path="/signin" element={<SignInProbe />} />
    </Routes>,
    { path: "/watch/m-1?t=5", withAuth: true },
  );
  return setupUser();
}

describe("Like", () => {
  it("is a toggle named Like, its count heard with it", async () => {
    renderLike({ liked: false, like_count: 12 });
    const like = await screen.findByRole("button", { name: "Like" });
    expect(like).toHaveAttribute("aria-pressed", "false");
    expect(like).toHaveAccessibleDescription("12 likes");
    expect(like).toHaveTextContent(/^Like$/);
    expect(like.parentElement).toHaveTextContent("Like1212 likes");
  });

  it("shows a video the viewer likes as pressed", async () => {
    renderLike({ liked: true, like_count: 1 });
    const like = await screen.findByRole("button", { name: "Like" });
    expect(like).toHaveAttribute("aria-pressed", "true");
    expect(like).toHaveAccessibleDescription("1 like");
  });

  it("flips at once, keeps the focus, and takes the count from the server's answer", async () => {
    // Someone else liked it since the page loaded: the answer's count, not the page's guess, is shown.
    server.use(...likesKept({ "m-1": 13 }));
    const { held, release } = holdAnswer();
    // The first Like waits, then goes on to the kept likes (a handler answering nothing passes it on).
    server.use(http.put(`${API}/catalogue/m-1/like`, async () => void (await held), { once: true }));
    const seen = recordRequests();
    const user = renderLike({ liked: false, like_count: 12 });
    const like = await screen.findByRole("button", { name: "Like" });

    await user.click(like);
    expect(like).toHaveAttribute("aria-pressed", "true");
    expect(like).toHaveAccessibleDescription("13 likes");
    expectHeldWithFocus(like);
    release();
    await waitFor(() => expect(like).toHaveAccessibleDescription("14 likes"));
    expect(like).not.toHaveAttribute("aria-disabled");
    expect(like).toHaveFocus();
    expect(sentTo(seen, "PUT", `${API}/catalogue/m-1/like`)[0]?.headers.get("Authorization")).toBe("Bearer tok");

    await user.click(like);
    await waitFor(() => expect(like).toHaveAttribute("aria-pressed", "false"));
    await waitFor(() => expect(like).toHaveAccessibleDescription("13 likes"));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/m-1/like`)).toHaveLength(1);
    expect(like).toHaveFocus();
  });

  it("flips back when the server refuses, and says why", async () => {
    server.use(http.put(`${API}/catalogue/m-1/like`, () => apiError(404, "item_not_found", "No such item")));
    const user = renderLike({ liked: false, like_count: 3 });
    const like = await screen.findByRole("button", { name: "Like" });

    await user.click(like);
    expect(await screen.findByTestId("like-error")).toHaveTextContent(/^Could not like this video: /);
    expect(like).toHaveAttribute("aria-pressed", "false");
    expect(like).toHaveAccessibleDescription("3 likes");
    expect(like).toHaveFocus();
  });

  it("flips back an unlike the server refuses", async () => {
    server.use(http.delete(`${API}/catalogue/m-1/like`, () => apiError(503, "unavailable", "Try later")));
    const user = renderLike({ liked: true, like_count: 3 });
    const like = await screen.findByRole("button", { name: "Like" });

    await user.click(like);
    expect(await screen.findByTestId("like-error")).toHaveTextContent(
      /^Could not remove this video from your liked videos: /,
    );
    expect(like).toHaveAttribute("aria-pressed", "true");
    expect(like).toHaveAccessibleDescription("3 likes");
  });

  it("asks anyone signed out to sign in, shows the count, and brings them back", async () => {
    const seen = recordRequests();
    const user = renderLike({ like_count: 7 }, { signedIn: false });
    const link = await screen.findByRole("link", { name: "Sign in to like this video." });
    expect(link).toHaveAccessibleDescription("7 likes");
    expect(link.parentElement).toHaveTextContent("Sign in to like this video.77 likes");
    expect(screen.queryByRole("button")).not.toBeInTheDocument();

    await user.click(link);
    expect(screen.getByTestId("signin")).toHaveTextContent("signin from /watch/m-1?t=5");
    expect(seen.filter((r) => r.url.pathname.endsWith("/like"))).toEqual([]);
  });

  it("counts in words on a share link's page, with no button", () => {
    renderPage(<LikeTally item={likedItem({ like_count: 1234 })} />);
    expect(screen.getByTestId("like-tally")).toHaveTextContent("1,234 likes");
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });
});
