import { act, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import type { RedirectState } from "../auth/RequireAuth";
import type { Comment, CommentPage } from "../api/comments";
import type { UserView } from "../api/schema";
import { formatDate } from "../lib/format";
import { comment, commentPage, hadSession } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import { ADMIN, API, apiError, http, HttpResponse, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";
import { Comments } from "./Comments";

const COMMENTS = `${API}/catalogue/m-1/comments`;
const NAMED: UserView = { ...VIEWER, display_name: "Vic" };
const MINE = comment({ id: "c-mine", body: "My first thought.", author_name: "Vic", mine: true });

/** Where the sign-in link leads: the page it returns to. */
function SignInProbe() {
  const from = (useLocation().state as RedirectState | null)?.from;
  return <p data-testid="signin">{`signin from ${from}`}</p>;
}

/** m-1's comments as the watch page shows them, for `who` (signed out without one). */
function renderComments(who: UserView | null = null) {
  if (who) {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(who)));
  }
  const moments = { href: (s: number) => `/watch/m-1?t=${s}`, onOpen: vi.fn(), duration: 65 };
  renderPage(
    <Routes>
      <Route path="/watch/:id" element={<Comments itemId="m-1" moments={moments} />} />
      <Route path="/signin" element={<SignInProbe />} />
    </Routes>,
    { path: "/watch/m-1?t=5", withAuth: true },
  );
  return { user: setupUser(), moments };
}

const serveComments = (page: CommentPage) => server.use(http.get(COMMENTS, () => ok(page)));

/** 201 with the comment made, as the API answers a post. */
const created = (made: Comment) => HttpResponse.json(made, { status: 201 });

describe("a video's comments", () => {
  it("lists them newest first under a heading with their count, and shows more by the cursor", async () => {
    const first = commentPage(
      [
        comment({ id: "c-3", body: "Line one\nline two", author_name: null, edited_at: "2026-02-02T11:00:00Z" }),
        comment({ id: "c-2", body: "Second" }),
      ],
      { total: 3, next: "cur-2" },
    );
    server.use(
      http.get(COMMENTS, ({ request }) =>
        new URL(request.url).searchParams.get("cursor") === "cur-2" ? ok(commentPage([comment({ id: "c-1", body: "Oldest" })], { total: 3 })) : ok(first),
      ),
    );
    const seen = recordRequests();
    const { user } = renderComments();

    const section = await screen.findByRole("region", { name: "3 comments" });
    const items = within(section).getAllByRole("listitem");
    expect(items.map((li) => li.querySelector(".comment-body")!.textContent)).toEqual(["Line one\nline two", "Second"]);
    // Each comment runs in its own script's direction (Arabic, Hebrew: right to left).
    expect(items.map((li) => li.querySelector(".comment-body")!.getAttribute("dir"))).toEqual(["auto", "auto"]);
    expect(items[0]).toHaveTextContent("A viewer");
    expect(items[0]).toHaveTextContent("(edited)");
    expect(items[1]).not.toHaveTextContent("(edited)");
    expect(items[1]!.querySelector("time")).toHaveAttribute("title", formatDate("2026-02-02T10:00:00Z"));

    await user.click(within(section).getByRole("button", { name: "Show more comments" }));

    await waitFor(() => expect(within(section).getAllByRole("listitem")).toHaveLength(3));
    expect(within(section).getAllByRole("listitem")[2]).toHaveTextContent("Oldest");
    // Show more went with the last page: the focus is on the first comment it brought.
    await waitFor(() => expect(within(section).getAllByRole("listitem")[2]).toHaveFocus());
    expect(within(section).queryByRole("button", { name: "Show more comments" })).not.toBeInTheDocument();
    expect(sentTo(seen, "GET", COMMENTS).map((r) => r.url.searchParams.get("cursor"))).toEqual([null, "cur-2"]);
  });

  it("posts a comment, which goes first, and counts it", async () => {
    serveComments(commentPage([comment()]));
    server.use(http.post(COMMENTS, async ({ request }) => created(comment({ id: "c-new", mine: true, author_name: "Vic", body: ((await request.json()) as { body: string }).body }))));
    const seen = recordRequests();
    const { user } = renderComments(NAMED);

    const field = await screen.findByRole("textbox", { name: "Add a comment" });
    const post = screen.getByRole("button", { name: "Post" });
    expect(post).toHaveAttribute("aria-disabled", "true");
    expect(screen.queryByLabelText("Name shown with your comments")).not.toBeInTheDocument();

    await user.type(field, "At 0:42 the light turns.");
    await user.click(post);

    const section = await screen.findByRole("region", { name: "2 comments" });
    expect(within(section).getAllByRole("listitem")[0]).toHaveTextContent("At 0:42 the light turns.");
    expect(field).toHaveValue("");
    expect(within(section).getByText("Your comment is posted.")).toHaveAttribute("role", "status");
    expect(await sentTo(seen, "POST", COMMENTS)[0]!.request.json()).toEqual({ body: "At 0:42 the light turns." });
  });

  it("counts the characters near the limit", async () => {
    serveComments(commentPage([]));
    const { user } = renderComments(NAMED);
    const field = await screen.findByRole("textbox", { name: "Add a comment" });
    await user.click(field);
    await user.paste("x".repeat(1700));
    expect(field).toHaveAccessibleDescription("1,700 of 2,000 characters");
    expect(field).toHaveAttribute("maxLength", "2000");
  });

  it("asks an account without a display name for one, saves it, then posts", async () => {
    serveComments(commentPage([]));
    server.use(
      http.patch(`${API}/auth/me`, () => ok(NAMED)),
      http.post(COMMENTS, () => created(comment({ id: "c-new", mine: true, author_name: "Vic", body: "Hello" }))),
    );
    const { user } = renderComments(VIEWER);
    const field = await screen.findByRole("textbox", { name: "Add a comment" });
    const seen = recordRequests();

    await user.type(field, "Hello");
    await user.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Enter the name shown with your comments.");
    expect(sentTo(seen, "POST", COMMENTS)).toEqual([]);

    await user.type(screen.getByRole("textbox", { name: "Name shown with your comments" }), " Vic ");
    await user.click(screen.getByRole("button", { name: "Post" }));

    await screen.findByRole("region", { name: "1 comment" });
    expect(await sentTo(seen, "PATCH", `${API}/auth/me`)[0]!.request.json()).toEqual({ display_name: "Vic" });
    const order = seen.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.url.pathname}`);
    expect(order).toEqual(["PATCH /api/v1/auth/me", "POST /api/v1/auth/refresh", `POST ${COMMENTS}`]);
    expect(screen.queryByLabelText("Name shown with your comments")).not.toBeInTheDocument();
  });

  it("asks for a name when the server says the account needs one", async () => {
    serveComments(commentPage([]));
    server.use(http.post(COMMENTS, () => apiError(409, "display_name_required", "set a display name to comment")));
    const { user } = renderComments(NAMED);
    await user.type(await screen.findByRole("textbox", { name: "Add a comment" }), "Hello");
    await user.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Enter the name shown with your comments.");
    expect(screen.getByRole("textbox", { name: "Name shown with your comments" })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Add a comment" })).toHaveValue("Hello");
  });

  it("counts down the wait when the viewer comments too quickly, keeping the text, then lets them post", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serveComments(commentPage([]));
    server.use(http.post(COMMENTS, () => apiError(429, "comments_throttled", "too many comments", { "Retry-After": "20" })));
    const { user } = renderComments(NAMED);
    await user.type(await screen.findByRole("textbox", { name: "Add a comment" }), "Again");
    await user.click(screen.getByRole("button", { name: "Post" }));

    const shown = await screen.findByTestId("comments-throttled");
    expect(shown).toHaveTextContent("You are commenting quickly; you can post again in 20 seconds.");
    expect(screen.getByRole("alert")).toHaveTextContent("in 20 seconds.");  // said once, not every second
    expect(screen.getByRole("button", { name: "Post" })).toHaveAttribute("aria-disabled", "true");
    expect(screen.getByRole("textbox", { name: "Add a comment" })).toHaveValue("Again");

    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(screen.getByTestId("comments-throttled")).toHaveTextContent("you can post again in 15 seconds.");
    await act(() => vi.advanceTimersByTimeAsync(16_000));
    expect(screen.queryByTestId("comments-throttled")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Post" })).not.toHaveAttribute("aria-disabled", "true");
    vi.useRealTimers();
  });

  it("says comments are off in place of the form", async () => {
    serveComments(commentPage([], { enabled: false }));
    renderComments(NAMED);
    expect(await screen.findByText("Comments are turned off for this video.")).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("replaces the form by the sentence when a post finds comments turned off", async () => {
    serveComments(commentPage([]));
    server.use(http.post(COMMENTS, () => apiError(409, "comments_off", "comments are off for this item")));
    const { user } = renderComments(NAMED);
    await user.type(await screen.findByRole("textbox", { name: "Add a comment" }), "Hello");
    await user.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByText("Comments are turned off for this video.")).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("edits the viewer's own comment in place", async () => {
    serveComments(commentPage([MINE, comment()]));
    server.use(
      http.patch(`${API}/catalogue/comments/c-mine`, async ({ request }) =>
        ok({ ...MINE, body: ((await request.json()) as { body: string }).body, edited_at: "2026-02-03T10:00:00Z" }),
      ),
    );
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    const section = await screen.findByRole("region", { name: "2 comments" });
    // Only one's own comment has Edit and Delete.
    expect(within(section).getAllByRole("button", { name: /^(Edit|Delete)/ }).map((b) => b.getAttribute("aria-label"))).toEqual([
      "Edit your comment",
      "Delete your comment",
    ]);

    await user.click(within(section).getByRole("button", { name: "Edit your comment" }));
    const field = within(section).getByRole("textbox", { name: "Your comment" });
    expect(field).toHaveFocus();
    await user.clear(field);
    await user.type(field, "My second thought.");
    await user.click(within(section).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(within(section).queryByRole("textbox", { name: "Your comment" })).not.toBeInTheDocument());
    const [mine] = within(section).getAllByRole("listitem");
    expect(mine).toHaveTextContent("My second thought.");
    expect(mine).toHaveTextContent("(edited)");
    await waitFor(() => expect(within(section).getByRole("button", { name: "Edit your comment" })).toHaveFocus());
    expect(await sentTo(seen, "PATCH", `${API}/catalogue/comments/c-mine`)[0]!.request.json()).toEqual({ body: "My second thought." });
  });

  it("folds a long comment to its first lines until Read more, and a short one not at all", async () => {
    const long = "A long thought. ".repeat(50);
    serveComments(commentPage([comment({ id: "c-long", body: long }), comment({ id: "c-short", body: "Short." })]));
    const { user } = renderComments();
    const section = await screen.findByRole("region", { name: "2 comments" });
    const [first, second] = within(section).getAllByRole("listitem");
    expect(first!.querySelector(".comment-body")).toHaveClass("folded");
    expect(first!.querySelector(".comment-body")).toHaveTextContent(long.trim());  // all there for a screen reader
    expect(within(second!).queryByRole("button", { name: "Read more" })).toBeNull();
    expect(second!.querySelector(".comment-body")).not.toHaveClass("folded");

    const more = within(first!).getByRole("button", { name: "Read more" });
    expect(more).toHaveAttribute("aria-expanded", "false");
    await user.click(more);
    expect(first!.querySelector(".comment-body")).not.toHaveClass("folded");
    expect(within(first!).getByRole("button", { name: "Show less" })).toHaveAttribute("aria-expanded", "true");
  });

  it("leaves an edit with Escape, as Cancel does: nothing is sent, the text is as it was", async () => {
    serveComments(commentPage([MINE, comment()]));
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    const section = await screen.findByRole("region", { name: "2 comments" });
    await user.click(within(section).getByRole("button", { name: "Edit your comment" }));
    await user.type(within(section).getByRole("textbox", { name: "Your comment" }), " and more");

    await user.keyboard("{Escape}");

    expect(within(section).queryByRole("textbox", { name: "Your comment" })).not.toBeInTheDocument();
    expect(within(section).getAllByRole("listitem")[0]).toHaveTextContent(MINE.body);
    expect(within(section).getAllByRole("listitem")[0]).not.toHaveTextContent("and more");
    await waitFor(() => expect(within(section).getByRole("button", { name: "Edit your comment" })).toHaveFocus());
    expect(sentTo(seen, "PATCH", `${API}/catalogue/comments/c-mine`)).toEqual([]);
  });

  it("deletes the viewer's own comment once confirmed", async () => {
    serveComments(commentPage([MINE, comment()]));
    server.use(http.delete(`${API}/catalogue/comments/c-mine`, () => noContent()));
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    const section = await screen.findByRole("region", { name: "2 comments" });

    await user.click(within(section).getByRole("button", { name: "Delete your comment" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this comment?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-mine`)).toEqual([]);

    await user.click(within(section).getByRole("button", { name: "Delete your comment" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await screen.findByRole("region", { name: "1 comment" });
    expect(screen.queryByText("My first thought.")).not.toBeInTheDocument();
    // The button pressed went with the comment: the news has the focus.
    expect(screen.getByTestId("done-notice")).toHaveTextContent("The comment is deleted.");
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
    expect(sentTo(seen, "DELETE", `${API}/catalogue/comments/c-mine`)).toHaveLength(1);
  });

  it("lets an admin delete another viewer's comment, not edit it", async () => {
    serveComments(commentPage([comment()]));
    server.use(http.delete(`${API}/catalogue/comments/c-1`, () => noContent()));
    const { user } = renderComments(ADMIN);
    const section = await screen.findByRole("region", { name: "1 comment" });
    expect(within(section).queryByRole("button", { name: "Edit your comment" })).not.toBeInTheDocument();

    await user.click(within(section).getByRole("button", { name: "Delete Bea’s comment" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await screen.findByRole("region", { name: "Comments" });
    expect(screen.queryByText("Lovely light at the end.")).not.toBeInTheDocument();
  });

  it("asks anonymous viewers to sign in, and brings them back", async () => {
    serveComments(commentPage([comment()]));
    const { user } = renderComments();
    await screen.findByRole("region", { name: "1 comment" });
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole("link", { name: "Sign in to comment." }));
    expect(screen.getByTestId("signin")).toHaveTextContent("signin from /watch/m-1?t=5");
  });

  it("holds Post while it posts", async () => {
    serveComments(commentPage([]));
    server.use(http.post(COMMENTS, () => new Promise<never>(() => undefined)));
    const { user } = renderComments(NAMED);
    await user.type(await screen.findByRole("textbox", { name: "Add a comment" }), "Hello");
    const post = screen.getByRole("button", { name: "Post" });
    await user.click(post);
    expectHeldWithFocus(await screen.findByRole("button", { name: "Posting…" }));
  });
});
