import { act, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import type { RedirectState } from "../auth/RequireAuth";
import type { Comment, CommentPage } from "../api/comments";
import type { UserView } from "../api/schema";
import { formatDate } from "../lib/format";
import { comment, commentPage, hadSession } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import { ADMIN, API, apiError, http, HttpResponse, noContent, ok, recordRequests, refreshGives, repliesServed, sentTo, server, VIEWER } from "../test/server";
import { Comments } from "./Comments";

const COMMENTS = `${API}/catalogue/m-1/comments`;
const NAMED: UserView = { ...VIEWER, display_name: "Vic" };
const MINE = comment({ id: "c-mine", body: "My first thought.", author_name: "Vic", mine: true });

/** Where the sign-in link leads: the page it returns to. */
function SignInProbe() {
  const from = (useLocation().state as RedirectState | null)?.from;
  return <p data-testid="signin">{`signin from ${from}`}</p>;
}

/** m-1's comments as the watch page shows them, for `who` (signed out without one), opened at `linkedId` if given. */
function renderComments(who: UserView | null = null, linkedId?: string) {
  if (who) {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(who)));
  }
  const moments = { href: (s: number) => `/watch/m-1?t=${s}`, onOpen: vi.fn(), duration: 65 };
  renderPage(
    <Routes>
      <Route path="/watch/:id" element={<Comments itemId="m-1" moments={moments} linkedId={linkedId} />} />
      <Route path="/signin" element={<SignInProbe />} />
    </Routes>,
    { path: linkedId ? `/watch/m-1?t=5&comment=${linkedId}` : "/watch/m-1?t=5", withAuth: true },
  );
  return { user: setupUser(), moments };
}

/** The form's name field refused for want of a name: focused, invalid, its error its description; no other alert. */
async function expectNameRefused(form: HTMLElement) {
  const name = await within(form).findByRole("textbox", { name: "Name shown with your comments" });
  await waitFor(() => expect(name).toHaveFocus());
  expect(name).toHaveAttribute("aria-invalid", "true");
  expect(name).toHaveAccessibleDescription("Enter the name shown with your comments.");
  expect(within(form).queryByText("Enter the name shown with your comments.", { selector: "[role=alert]" })).not.toBeInTheDocument();
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
    // Refused at the field, as the other forms refuse: it takes the focus, marked and described.
    await expectNameRefused(screen.getByRole("form", { name: "Add a comment" }));
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
    await expectNameRefused(screen.getByRole("form", { name: "Add a comment" }));
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

  it("shows what a reload would when a reply finds comments turned off: no comments, said where the focus goes", async () => {
    serveComments(commentPage([comment({ reply_count: 0 })], { total: 1 }));
    server.use(http.post(COMMENTS, () => apiError(409, "comments_off", "comments are off for this item")));
    const { user } = renderComments(NAMED);
    await user.click(await screen.findByRole("button", { name: "Reply to Bea’s comment" }));
    await user.type(screen.getByRole("textbox", { name: "Add a reply" }), "Agreed");
    await user.click(within(screen.getByRole("form", { name: "Add a reply" })).getByRole("button", { name: "Post" }));

    const notice = await screen.findByTestId("done-notice");
    expect(notice).toHaveTextContent("Comments are turned off for this video. What you wrote was not posted.");
    await waitFor(() => expect(notice).toHaveFocus());
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    expect(document.querySelectorAll("li.comment")).toHaveLength(0);
    expect(screen.getByRole("heading", { level: 2, name: "Comments" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Reply to/ })).not.toBeInTheDocument();
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

  it("tells a name refused as an admin's at the name's field, nothing posted", async () => {
    serveComments(commentPage([]));
    server.use(http.patch(`${API}/auth/me`, () => apiError(409, "display_name_reserved", "this name could be taken for an admin's; choose another")));
    const { user } = renderComments(VIEWER);
    const seen = recordRequests();
    await user.type(await screen.findByRole("textbox", { name: "Add a comment" }), "Hello");
    await user.type(await screen.findByRole("textbox", { name: "Name shown with your comments" }), "\u0410dmin");
    await user.click(screen.getByRole("button", { name: "Post" }));

    const name = screen.getByRole("textbox", { name: "Name shown with your comments" });
    await waitFor(() => expect(name).toHaveAccessibleDescription("This name could be taken for an admin's; choose another"));
    expect(name).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(name).toHaveFocus());
    expect(sentTo(seen, "POST", COMMENTS)).toEqual([]);
    expect(screen.getByRole("textbox", { name: "Add a comment" })).toHaveValue("Hello");
  });

  it("marks an admin's comment with an Admin badge read with the name, and a viewer's of the same name not", async () => {
    serveComments(
      commentPage([
        comment({ id: "c-admin", body: "Welcome, all.", author_name: "Admin", by_admin: true }),
        comment({ id: "c-viewer", body: "Confirm your password here.", author_name: "Admin" }),
      ]),
    );
    renderComments();
    const admins = (await screen.findByText("Welcome, all.")).closest("li")!;
    const viewers = screen.getByText("Confirm your password here.").closest("li")!;
    expect(admins.querySelector(".comment-author")).toHaveTextContent("Admin, Admin");
    expect(within(admins).getByText("Admin", { selector: ".badge" })).toBeVisible();
    expect(viewers.querySelector(".comment-author")).toHaveTextContent(/^Admin$/);
    expect(viewers.querySelector(".badge")).toBeNull();
  });
});

const QUESTION = comment({ id: "c-q", body: "At 3:12, what is that?", reply_count: 2 });
const ANSWER_1 = comment({ id: "r-1", parent_id: "c-q", body: "A heron.", author_name: "Ann", by_admin: true, created_at: "2026-02-02T11:00:00Z" });
const ANSWER_2 = comment({ id: "r-2", parent_id: "c-q", body: "A grey heron, yes.", author_name: "Cal", created_at: "2026-02-02T12:00:00Z" });
const REPLIES = `${API}/catalogue/comments/c-q/replies`;

/** The question and its two replies (one page), with `others` after it; 3 comments with the replies. */
function serveQuestion(others: Comment[] = []) {
  serveComments(commentPage([QUESTION, ...others], { total: 3 + others.length }));
  server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1, ANSWER_2]) } }));
}

/** Answers a post with the reply it made, Vic's, the newest. */
const postedReply = () =>
  http.post(COMMENTS, async ({ request }) => {
    const sent = (await request.json()) as { body: string; reply_to: string };
    return created(comment({ id: "r-new", parent_id: sent.reply_to, body: sent.body, author_name: "Vic", mine: true, created_at: "2026-02-03T10:00:00Z" }));
  });

/** The comment's item (its replies' items inside it). */
const entryOf = (text: string) => screen.getByText(text).closest("li")!;
const repliesIn = (entry: HTMLElement) => [...entry.querySelectorAll(":scope ul li.comment .comment-body")].map((p) => p.textContent);

describe("replies to comments", () => {
  it("folds a comment's replies under '2 replies', then shows them oldest first in a list nested in its item, and hides them", async () => {
    serveQuestion();
    const seen = recordRequests();
    const { user } = renderComments();
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    const toggle = within(question).getByRole("button", { name: "2 replies to Bea’s comment" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(sentTo(seen, "GET", REPLIES)).toEqual([]);

    await user.click(toggle);

    const list = await within(question).findByRole("list", { name: "Replies to Bea’s comment" });
    expect(toggle).toHaveAttribute("aria-controls", list.id);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(toggle).toHaveAccessibleName("Hide 2 replies to Bea’s comment");
    await waitFor(() => expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes."]));
    expect(within(list).getAllByRole("listitem")[0]).toHaveTextContent("Ann");
    // An admin's reply carries the badge, as an admin's comment does.
    expect(within(list).getAllByRole("listitem").map((li) => li.querySelector(".comment-author")?.textContent)).toEqual(["Ann, Admin", "Cal"]);

    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(toggle).toHaveAccessibleName("2 replies to Bea’s comment");
    expect(within(question).queryByRole("list")).not.toBeInTheDocument();
    // Opened again, the replies read are shown as they were.
    await user.click(toggle);
    expect(within(question).getByRole("list")).toBeVisible();
    expect(sentTo(seen, "GET", REPLIES)).toHaveLength(1);
  });

  it("shows more replies by the cursor, the focus on the first one it brought", async () => {
    serveComments(commentPage([QUESTION], { total: 3 }));
    server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1], { next: "cur-r" }), "cur-r": commentPage([ANSWER_2]) } }));
    const seen = recordRequests();
    const { user } = renderComments();
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));
    await user.click(await within(question).findByRole("button", { name: "Show more replies" }));

    await waitFor(() => expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes."]));
    await waitFor(() => expect(entryOf(ANSWER_2.body)).toHaveFocus());
    expect(within(question).queryByRole("button", { name: "Show more replies" })).not.toBeInTheDocument();
    expect(sentTo(seen, "GET", REPLIES).map((r) => r.url.searchParams.get("cursor"))).toEqual([null, "cur-r"]);
  });

  it("opens 'Add a reply' under the comment with Reply, posts it with reply_to at the end of the opened thread, counted, with the focus", async () => {
    serveQuestion();
    server.use(postedReply());
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);

    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));

    const form = within(question).getByRole("form", { name: "Add a reply" });
    const field = within(form).getByRole("textbox", { name: "Add a reply" });
    await waitFor(() => expect(field).toHaveFocus());
    // The page's own form keeps its name, alone: the reply's is another.
    expect(screen.getAllByRole("form", { name: "Add a comment" })).toHaveLength(1);
    await user.type(field, "Thanks, both!");
    await user.click(within(form).getByRole("button", { name: "Post" }));

    await screen.findByRole("region", { name: "4 comments" });
    await waitFor(() => expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes.", "Thanks, both!"]));
    expect(within(question).getByRole("button", { name: /^Hide \d+ repl/ })).toHaveAttribute("aria-expanded", "true");
    expect(within(question).queryByRole("form", { name: "Add a reply" })).not.toBeInTheDocument();
    await waitFor(() => expect(entryOf("Thanks, both!")).toHaveFocus());
    expect(screen.getByText("Your reply is posted.")).toHaveAttribute("role", "status");
    expect(await sentTo(seen, "POST", COMMENTS)[0]!.request.json()).toEqual({ body: "Thanks, both!", reply_to: "c-q" });

    // Folded again, the count has the new reply.
    await user.click(within(question).getByRole("button", { name: /^Hide \d+ repl/ }));
    expect(within(question).getByRole("button", { name: /^3 replies to / })).toBeInTheDocument();
  });

  it("posts a comment's first reply without reading its replies, asking first for the name shown as a comment's form does", async () => {
    serveComments(commentPage([comment({ id: "c-q", body: QUESTION.body })]));
    server.use(http.patch(`${API}/auth/me`, () => ok(NAMED)), postedReply());
    const seen = recordRequests();
    const { user } = renderComments(VIEWER);
    await screen.findByRole("region", { name: "1 comment" });
    const question = entryOf(QUESTION.body);
    expect(within(question).queryByRole("button", { name: /repl/ })).not.toBeInTheDocument();

    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));
    await user.type(within(question).getByRole("textbox", { name: "Add a reply" }), "Me too");
    await user.click(within(question).getByRole("button", { name: "Post" }));
    await expectNameRefused(within(question).getByRole("form", { name: "Add a reply" }));
    // Typing the name takes the refusal away.
    const name = within(question).getByRole("textbox", { name: "Name shown with your comments" });
    await user.type(name, "Vic");
    expect(name).not.toHaveAttribute("aria-invalid");
    await user.click(within(question).getByRole("button", { name: "Post" }));

    await screen.findByRole("region", { name: "2 comments" });
    await waitFor(() => expect(repliesIn(question)).toEqual(["Me too"]));
    expect(within(question).getByRole("button", { name: /^Hide \d+ repl/ })).toHaveAttribute("aria-expanded", "true");
    expect(sentTo(seen, "GET", REPLIES)).toEqual([]);
  });

  it("asks an account without a display name for it in one field on the page: the reply form open, or the form written in", async () => {
    serveComments(commentPage([comment({ id: "c-q", body: QUESTION.body })]));
    const { user } = renderComments(VIEWER);
    await screen.findByRole("region", { name: "1 comment" });
    const question = entryOf(QUESTION.body);
    const pageForm = () => screen.getByRole("form", { name: "Add a comment" });
    const nameFields = () => screen.getAllByRole("textbox", { name: "Name shown with your comments" });
    expect(within(pageForm()).getByRole("textbox", { name: "Name shown with your comments" })).toBeInTheDocument();

    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));
    expect(nameFields()).toHaveLength(1);
    const replyForm = within(question).getByRole("form", { name: "Add a reply" });
    await user.type(within(replyForm).getByRole("textbox", { name: "Name shown with your comments" }), "Vic");

    // Writing in the page's form takes the field there, the name kept.
    await user.type(within(pageForm()).getByRole("textbox", { name: "Add a comment" }), "Hi");
    expect(nameFields()).toHaveLength(1);
    expect(within(pageForm()).getByRole("textbox", { name: "Name shown with your comments" })).toHaveValue("Vic");

    // A reply form opened asks in it again; closed, the page’s form asks.
    await user.click(within(replyForm).getByRole("button", { name: "Cancel" }));
    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));
    expect(nameFields()).toHaveLength(1);
    expect(within(question).getByRole("textbox", { name: "Name shown with your comments" })).toHaveValue("Vic");
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    expect(within(pageForm()).getByRole("textbox", { name: "Name shown with your comments" })).toHaveValue("Vic");
  });

  it("posts a reply to a reply in the top-level comment's thread", async () => {
    serveQuestion();
    server.use(postedReply());
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));
    await within(question).findByText(ANSWER_1.body);

    await user.click(within(entryOf(ANSWER_1.body)).getByRole("button", { name: "Reply to Ann’s comment" }));
    const field = within(question).getByRole("textbox", { name: "Add a reply" });
    await waitFor(() => expect(field).toHaveFocus());
    await user.type(field, "where?");
    await user.click(within(question).getByRole("button", { name: "Post" }));

    await waitFor(() => expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes.", "@Ann where?"]));
    expect(await sentTo(seen, "POST", COMMENTS)[0]!.request.json()).toEqual({ body: "@Ann where?", reply_to: "c-q" });
  });

  it("opens the reply form right under the comment whose Reply was pressed, one per thread, moving with its text and the focus", async () => {
    serveQuestion();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));
    await within(question).findByText(ANSWER_2.body);

    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));
    // Under the comment, before its replies: not below them, screens away on a phone.
    const form = within(question).getByRole("form", { name: "Add a reply" });
    const replies = within(question).getByRole("list", { name: "Replies to Bea’s comment" });
    expect(form.compareDocumentPosition(replies) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(form.compareDocumentPosition(within(question).getByRole("button", { name: /^Hide \d+ repl/ })) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    await waitFor(() => expect(within(form).getByRole("textbox", { name: "Add a reply" })).toHaveFocus());
    await user.type(within(form).getByRole("textbox"), "Kept");
    const replyToAnn = within(entryOf(ANSWER_1.body)).getByRole("button", { name: "Reply to Ann’s comment" });

    await user.click(replyToAnn);
    expect(within(question).getAllByRole("form", { name: "Add a reply" })).toHaveLength(1);
    const moved = within(entryOf(ANSWER_1.body)).getByRole("textbox", { name: "Add a reply" });
    await waitFor(() => expect(moved).toHaveFocus());
    expect(moved).toHaveValue("Kept");
    expect(within(entryOf(ANSWER_2.body)).queryByRole("form")).not.toBeInTheDocument();
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(replyToAnn).toHaveFocus());
  });

  it("moves a reply form under the comment when its replies are folded, in sight, its text kept", async () => {
    serveQuestion();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));
    await within(question).findByText(ANSWER_1.body);
    await user.click(within(entryOf(ANSWER_1.body)).getByRole("button", { name: "Reply to Ann’s comment" }));

    await user.click(within(question).getByRole("button", { name: /^Hide \d+ repl/ }));

    const box = within(question).getByRole("textbox", { name: "Add a reply" });
    expect(box).toBeVisible();
    expect(box).toHaveValue("@Ann ");
    expect(within(question).getByRole("button", { name: /^2 replies to / })).toHaveFocus();
  });

  it("starts a reply to a reply with '@' and its author's name, the caret after it, unless the box holds text already", async () => {
    const mine = comment({ id: "r-3", parent_id: "c-q", body: "Mine.", author_name: "Vic", mine: true, created_at: "2026-02-02T13:00:00Z" });
    const nameless = comment({ id: "r-4", parent_id: "c-q", body: "Nameless.", author_name: null, created_at: "2026-02-02T14:00:00Z" });
    serveComments(commentPage([QUESTION], { total: 5 }));
    server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1, ANSWER_2, mine, nameless]) } }));
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "5 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));
    await within(question).findByText(ANSWER_2.body);
    const box = () => within(question).getByRole("textbox", { name: "Add a reply" });

    await user.click(within(question).getByRole("button", { name: "Reply to Bea’s comment" }));
    expect(box()).toHaveValue("");
    await user.click(within(entryOf(mine.body)).getByRole("button", { name: "Reply to your comment" }));
    expect(box()).toHaveValue("");
    await user.click(within(entryOf(nameless.body)).getByRole("button", { name: "Reply to A viewer’s comment" }));
    expect(box()).toHaveValue("");

    await user.click(within(entryOf(ANSWER_1.body)).getByRole("button", { name: "Reply to Ann’s comment" }));
    await waitFor(() => expect(box()).toHaveFocus());
    expect(box()).toHaveValue("@Ann ");
    expect((box() as HTMLTextAreaElement).selectionStart).toBe(5);
    await user.type(box(), "where?");
    expect(box()).toHaveValue("@Ann where?");
    // Text already there is not replaced.
    await user.click(within(entryOf(ANSWER_2.body)).getByRole("button", { name: "Reply to Cal’s comment" }));
    expect(box()).toHaveValue("@Ann where?");
  });

  it("closes an empty reply form with Cancel or Escape at once, the focus back on the Reply pressed, nothing sent", async () => {
    serveQuestion();
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    const reply = within(question).getByRole("button", { name: "Reply to Bea’s comment" });

    await user.click(reply);
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    expect(within(question).queryByRole("form", { name: "Add a reply" })).not.toBeInTheDocument();
    expect(reply).toHaveFocus();

    await user.click(reply);
    await waitFor(() => expect(within(question).getByRole("textbox", { name: "Add a reply" })).toHaveFocus());
    await user.keyboard("{Escape}");
    expect(within(question).queryByRole("form", { name: "Add a reply" })).not.toBeInTheDocument();
    await waitFor(() => expect(reply).toHaveFocus());
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(seen.filter((r) => r.method === "POST" && r.url.pathname === COMMENTS)).toEqual([]);
  });

  it("asks before Escape or Cancel discards a typed reply: Keep writing goes back to the box, Discard closes it", async () => {
    serveQuestion();
    const seen = recordRequests();
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    const reply = within(question).getByRole("button", { name: "Reply to Bea’s comment" });
    await user.click(reply);
    const box = within(question).getByRole("textbox", { name: "Add a reply" });
    await user.type(box, "Hm");

    await user.keyboard("{Escape}");
    const dialog = screen.getByRole("alertdialog", { name: "Discard your reply?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep writing" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    await waitFor(() => expect(box).toHaveFocus());
    expect(box).toHaveValue("Hm");

    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    // Escape in the dialog keeps writing too, the focus in the box, not on the Cancel pressed.
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    await waitFor(() => expect(box).toHaveFocus());

    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Discard" }));
    expect(within(question).queryByRole("form", { name: "Add a reply" })).not.toBeInTheDocument();
    await waitFor(() => expect(reply).toHaveFocus());
    // Opened again, the box is empty.
    await user.click(reply);
    expect(within(question).getByRole("textbox", { name: "Add a reply" })).toHaveValue("");
    expect(seen.filter((r) => r.method === "POST" && r.url.pathname === COMMENTS)).toEqual([]);
  });

  it("deletes a reply: the thread's count and the heading's drop by one", async () => {
    const mine = { ...ANSWER_2, mine: true, author_name: "Vic" };
    serveComments(commentPage([QUESTION], { total: 3 }));
    server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1, mine]) } }), http.delete(`${API}/catalogue/comments/r-2`, () => noContent()));
    const { user } = renderComments(NAMED);
    await screen.findByRole("region", { name: "3 comments" });
    const question = entryOf(QUESTION.body);
    await user.click(within(question).getByRole("button", { name: /^2 replies to / }));

    await user.click(await within(question).findByRole("button", { name: "Delete your comment" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await screen.findByRole("region", { name: "2 comments" });
    expect(repliesIn(question)).toEqual(["A heron."]);
    expect(screen.getByTestId("done-notice")).toHaveTextContent("The reply is deleted.");
    await user.click(within(question).getByRole("button", { name: /^Hide \d+ repl/ }));
    expect(within(question).getByRole("button", { name: /^1 reply to / })).toBeInTheDocument();
  });

  it("deletes a comment others answered: a note stays in its place over the replies, and the heading drops by one", async () => {
    serveQuestion([comment({ id: "c-2", body: "Second" })]);
    server.use(http.delete(`${API}/catalogue/comments/c-q`, () => noContent()));
    const { user } = renderComments(ADMIN);
    await screen.findByRole("region", { name: "4 comments" });
    await user.click(within(entryOf(QUESTION.body)).getByRole("button", { name: /^2 replies to / }));
    await screen.findByText(ANSWER_1.body);

    await user.click(within(entryOf(QUESTION.body)).getByRole("button", { name: "Delete Bea’s comment" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this comment?" });
    expect(dialog).toHaveTextContent("Bea’s comment will be removed for everyone; its 2 replies stay.");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));

    const section = await screen.findByRole("region", { name: "3 comments" });
    const note = within(section).getByText("Comment deleted.").closest("li")!;
    expect(note).not.toHaveTextContent(QUESTION.body);
    expect(note).not.toHaveTextContent("Bea");
    expect(note.querySelector(":scope > .button-row")).toBeNull(); // nothing to reply to, edit, delete or report
    expect(repliesIn(note)).toEqual([ANSWER_1.body, ANSWER_2.body]);
    // Said as the note says it: a deleted comment.
    expect(within(note).getByRole("button", { name: "Hide 2 replies to a deleted comment" })).toBeInTheDocument();
    expect(within(note).getByRole("list", { name: "Replies to a deleted comment" })).toBeInTheDocument();
  });

  it("shows a comment of a deleted account as a note over the replies others wrote, with no name or Reply", async () => {
    const gone = { ...QUESTION, body: "", author_name: null, removed: "account_deleted" as const };
    serveComments(commentPage([gone], { total: 2 }));
    server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1, ANSWER_2]) } }));
    const { user } = renderComments(NAMED);
    const section = await screen.findByRole("region", { name: "2 comments" });

    const note = within(section).getByText("Comment removed: the account was deleted.").closest("li")!;
    expect(within(note).queryByText("A viewer")).not.toBeInTheDocument();
    expect(within(note).getAllByRole("button").map((b) => b.textContent)).toEqual(["2 replies"]);
    await user.click(within(note).getByRole("button", { name: "2 replies to a removed comment" }));
    expect(await within(note).findByRole("list", { name: "Replies to a removed comment" })).toBeInTheDocument();
    expect(repliesIn(note)).toEqual([ANSWER_1.body, ANSWER_2.body]);
    expect(within(note).getAllByRole("button", { name: /^Reply to/ })).toHaveLength(2); // the thread goes on
  });

  it("takes a removed comment's note away with its last reply", async () => {
    const gone = { ...QUESTION, body: "", author_name: null, removed: "deleted" as const, reply_count: 1 };
    serveComments(commentPage([gone, comment({ id: "c-2", body: "Second" })], { total: 2 }));
    const mine = { ...ANSWER_1, mine: true, author_name: "Vic", by_admin: false };
    server.use(repliesServed({ "c-q": { "": commentPage([mine]) } }), http.delete(`${API}/catalogue/comments/r-1`, () => noContent()));
    const { user } = renderComments(NAMED);
    const section = await screen.findByRole("region", { name: "2 comments" });
    await user.click(within(section).getByRole("button", { name: "1 reply to a deleted comment" }));

    await user.click(await within(section).findByRole("button", { name: "Delete your comment" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await screen.findByRole("region", { name: "1 comment" });
    expect([...section.querySelectorAll("li.comment")].map((li) => li.textContent)).toEqual([expect.stringContaining("Second")]);
  });

  it("offers no Reply to anonymous viewers, who still read the replies", async () => {
    serveQuestion();
    renderComments();
    await screen.findByRole("region", { name: "3 comments" });
    expect(within(entryOf(QUESTION.body)).getByRole("button", { name: /^2 replies to / })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Reply/ })).not.toBeInTheDocument();
  });

  it("offers no Reply while comments are off", async () => {
    serveComments(commentPage([QUESTION], { total: 3, enabled: false }));
    renderComments(NAMED);
    await screen.findByText("Comments are turned off for this video.");
    expect(screen.queryByRole("button", { name: /^Reply/ })).not.toBeInTheDocument();
  });
});

/** The comment a link names, as `GET /{item}/comments/{id}` answers it (a reply: with its thread's comment). */
const linkedServed = (linked: Comment, parent: Comment | null = null) =>
  http.get(`${COMMENTS}/:commentId`, ({ params }) => (params.commentId === linked.id ? ok({ comment: linked, parent }) : apiError(404, "comment_not_found", "no such comment")));

/** The texts of the section's top-level comments, in order. */
const topLevel = (section: HTMLElement) => [...section.querySelectorAll(":scope > ul > li.comment > .comment-body")].map((p) => p.textContent);

describe("a link to one comment (?comment=)", () => {
  it("shows a top-level comment first, marked and focused, its replies folded, and not again on a later page", async () => {
    const newer = comment({ id: "c-new", body: "Newest" });
    server.use(
      http.get(COMMENTS, ({ request }) =>
        new URL(request.url).searchParams.get("cursor") === "cur-2" ? ok(commentPage([QUESTION], { total: 4 })) : ok(commentPage([newer], { total: 4, next: "cur-2" })),
      ),
      linkedServed(QUESTION),
    );
    const { user } = renderComments(null, QUESTION.id);

    const section = await screen.findByRole("region", { name: "4 comments" });
    expect(topLevel(section)).toEqual([QUESTION.body, "Newest"]);
    const linked = entryOf(QUESTION.body);
    expect(linked).toHaveClass("linked");
    expect(within(linked).getByText("Linked comment")).toBeVisible();
    await waitFor(() => expect(linked).toHaveFocus());
    expect(within(linked).getByRole("button", { name: /^2 replies to / })).toHaveAttribute("aria-expanded", "false");
    expect(entryOf("Newest")).not.toHaveClass("linked");

    await user.click(within(section).getByRole("button", { name: "Show more comments" }));
    await waitFor(() => expect(within(section).queryByRole("button", { name: "Show more comments" })).not.toBeInTheDocument());
    expect(topLevel(section)).toEqual([QUESTION.body, "Newest"]);
    expect(screen.getAllByText("Linked comment")).toHaveLength(1);
  });

  it("opens a reply's thread at it, past the replies' first page, marked and focused", async () => {
    serveComments(commentPage([comment({ id: "c-2", body: "Second" }), QUESTION], { total: 4 }));
    server.use(repliesServed({ "c-q": { "": commentPage([ANSWER_1], { next: "cur-r" }), "cur-r": commentPage([ANSWER_2]) } }), linkedServed(ANSWER_2, QUESTION));
    const { user } = renderComments(null, ANSWER_2.id);

    const section = await screen.findByRole("region", { name: "4 comments" });
    expect(topLevel(section)).toEqual([QUESTION.body, "Second"]);
    const question = entryOf(QUESTION.body);
    expect(question).not.toHaveClass("linked");
    expect(within(question).getByRole("button", { name: /^Hide \d+ repl/ })).toHaveAttribute("aria-expanded", "true");
    expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes."]);
    const reply = entryOf(ANSWER_2.body);
    expect(within(reply).getByText("Linked comment")).toBeVisible();
    await waitFor(() => expect(reply).toHaveFocus());

    // The thread's next page brings the linked reply again: it shows once.
    await user.click(within(question).getByRole("button", { name: "Show more replies" }));
    await waitFor(() => expect(within(question).queryByRole("button", { name: "Show more replies" })).not.toBeInTheDocument());
    expect(repliesIn(question)).toEqual(["A heron.", "A grey heron, yes."]);
  });

  it("says a comment gone is no longer there, and shows the comments as without the link", async () => {
    serveComments(commentPage([QUESTION], { total: 3 }));
    server.use(linkedServed(ANSWER_1));
    renderComments(null, "c-deleted");

    const section = await screen.findByRole("region", { name: "3 comments" });
    expect(within(section).getByText("That comment is no longer there.")).toBeVisible();
    expect(topLevel(section)).toEqual([QUESTION.body]);
    expect(screen.queryByText("Linked comment")).not.toBeInTheDocument();
  });

  it("leaves the focus where the visitor put it while the comments loaded", async () => {
    serveComments(commentPage([QUESTION], { total: 3 }));
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    server.use(
      http.get(`${COMMENTS}/:commentId`, async () => {
        await held;
        return ok({ comment: QUESTION, parent: null });
      }),
    );
    renderPage(
      <>
        <button type="button">Play</button>
        <Comments itemId="m-1" moments={{ href: (s: number) => `/watch/m-1?t=${s}`, onOpen: vi.fn(), duration: 65 }} linkedId={QUESTION.id} />
      </>,
      { path: `/watch/m-1?comment=${QUESTION.id}`, withAuth: true },
    );
    const user = setupUser();
    await user.click(screen.getByRole("button", { name: "Play" }));
    answer();

    const linked = await screen.findByText("Linked comment");
    expect(linked.closest("li")).not.toHaveFocus();
    expect(screen.getByRole("button", { name: "Play" })).toHaveFocus();
  });
});
