import { screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import type { Comment, CommentPage } from "../api/comments";
import type { UserView } from "../api/schema";
import { comment, commentPage, hadSession } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { ADMIN, API, apiError, http, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";
import { Comments } from "./Comments";

const COMMENTS = `${API}/catalogue/m-1/comments`;
const REPORTS = `${API}/catalogue/comments/c-1/reports`;
const NAMED: UserView = { ...VIEWER, display_name: "Vic" };

/** m-1's comments as the watch page shows them, to `who` (signed out without one). */
function renderComments(page: CommentPage, who: UserView | null = NAMED) {
  if (who) {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(who)));
  }
  server.use(http.get(COMMENTS, () => ok(page)));
  const moments = { href: (s: number) => `/watch/m-1?t=${s}`, onOpen: vi.fn(), duration: 65 };
  renderPage(
    <Routes>
      <Route path="/watch/:id" element={<Comments itemId="m-1" moments={moments} />} />
    </Routes>,
    { path: "/watch/m-1", withAuth: true },
  );
  return setupUser();
}

/** Bea's comment as the API will answer it, reported by the viewer or not. */
const beas = (reported: boolean): Comment => ({ ...comment(), reported });

/** Opens the report dialog on Bea's comment. */
async function openReport(user: ReturnType<typeof setupUser>) {
  await user.click(await screen.findByRole("button", { name: "Report Bea’s comment" }));
  return screen.getByRole("dialog", { name: "Report this comment?" });
}

describe("reporting a comment", () => {
  it("asks why, sends the reason, then reads Reported and thanks the viewer", async () => {
    server.use(http.post(REPORTS, () => noContent()));
    const seen = recordRequests();
    const user = renderComments(commentPage([beas(false)]));

    const dialog = await openReport(user);
    const why = within(dialog).getByRole("textbox", { name: "Why? (optional)" });
    expect(why).toHaveFocus();
    expect(why).toHaveAttribute("maxLength", "500");
    await user.type(why, "Spam, a link to a shop.");
    await user.click(within(dialog).getByRole("button", { name: "Report" }));

    const thanks = await screen.findByText("Thanks: an administrator will look at it.");
    expect(thanks).toHaveAttribute("role", "status");
    await waitFor(() => expect(thanks).toHaveFocus());
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Reported" })).toBeDisabled();
    expect(await sentTo(seen, "POST", REPORTS)[0]!.request.json()).toEqual({ reason: "Spam, a link to a shop." });
  });

  it("sends no reason when none is given, and nothing when cancelled", async () => {
    server.use(http.post(REPORTS, () => noContent()));
    const seen = recordRequests();
    const user = renderComments(commentPage([beas(false)]));

    await user.click(within(await openReport(user)).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", REPORTS)).toEqual([]);

    await user.type(within(await openReport(user)).getByRole("textbox"), "   ");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Report" }));
    await screen.findByRole("button", { name: "Reported" });
    expect(await sentTo(seen, "POST", REPORTS)[0]!.request.json()).toEqual({ reason: null });
  });

  it("shows a comment the viewer reported before as Reported", async () => {
    renderComments(commentPage([beas(true)]));
    expect(await screen.findByRole("button", { name: "Reported" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: /^Report / })).not.toBeInTheDocument();
  });

  it("is not offered on the viewer's own comments", async () => {
    renderComments(commentPage([{ ...beas(false), id: "c-mine", author_name: "Vic", mine: true }]));
    await screen.findByRole("button", { name: "Edit your comment" });
    expect(screen.queryByRole("button", { name: /Report/ })).not.toBeInTheDocument();
  });

  it("is not offered to anonymous visitors", async () => {
    renderComments(commentPage([beas(false)]), null);
    await screen.findByRole("region", { name: "1 comment" });
    expect(screen.queryByRole("button", { name: /Report/ })).not.toBeInTheDocument();
  });

  it("is offered to an admin beside Delete", async () => {
    renderComments(commentPage([beas(false)]), ADMIN);
    const comment = await screen.findByRole("listitem");
    expect(within(comment).getAllByRole("button").map((b) => b.textContent)).toEqual(["Reply", "Delete", "Report"]);
  });

  it.each([
    [429, "reports_throttled", { "Retry-After": "20" }, "You are reporting quickly; you can report again in 20 seconds."],
    [404, "comment_not_found", {}, "This comment is no longer here: it was deleted, or comments were turned off."],
    [409, "own_comment", {}, "You cannot report your own comment."],
  ])("says why a report was refused (%i %s), the dialog kept open", async (status, code, headers, message) => {
    server.use(http.post(REPORTS, () => apiError(status, code, "refused", headers)));
    const user = renderComments(commentPage([beas(false)]));
    const dialog = await openReport(user);
    await user.type(within(dialog).getByRole("textbox"), "Rude");
    await user.click(within(dialog).getByRole("button", { name: "Report" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(message);
    expect(within(dialog).getByRole("textbox")).toHaveValue("Rude");
    expect(screen.queryByText("Thanks: an administrator will look at it.")).not.toBeInTheDocument();
  });
});
