import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { InviteView, UserView } from "../api/schema";
import { hadSession, inviteView } from "../test/fixtures";
import { BackButton, renderApp, renderPage, setupUser } from "../test/render";
import { AdminUsersPage } from "./AdminUsers";
import { ADMIN, API, apiError, holdAnswer, http, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";

const USERS = `${API}/auth/users`;

/**
 * The table row of the user with this email. Queries run inside it: on a page of
 * 50 rows a label or role query over the whole document costs jsdom up to a
 * second (each labelable element walks the whole tree to find its labels), and
 * several of them outran the test timeout on a loaded machine.
 */
function rowOf(email: string): HTMLElement {
  return screen.getByText(email, { selector: "td" }).closest("tr")!;
}

function people(count: number): UserView[] {
  return Array.from({ length: count }, (_, i) => ({ ...VIEWER, id: `u-${i}`, email: `user${i}@example.com` }));
}

/** What an invite bob used says, but for who used it. */
const USED_BY_BOB = { status: "used" as const, used_at: "2026-03-02T10:00:00Z", used_by: "u-bob", note: "for Bob" };

/**
 * Signed in as ADMIN on an invite-only server whose users are ADMIN and bob (`bob()`, as he
 * is at each request) and whose one invite bob used (`invite()`, as it is listed now).
 */
function adminBesideBob(bob: () => UserView, invite: () => InviteView) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(ADMIN)),
    http.get(USERS, () => ok({ items: [ADMIN, bob()], total: 2, limit: 50, offset: 0 })),
    http.get(`${API}/auth/config`, () => ok({ registration_mode: "invite" })),
    http.get(`${API}/auth/invites`, () => ok({ items: [invite()] })),
  );
}

/** Signed in as ADMIN on an open server whose users are ADMIN and `others`, with no invites. */
function adminAmong(...others: UserView[]) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(ADMIN)),
    http.get(USERS, () => ok({ items: [ADMIN, ...others], total: others.length + 1, limit: 50, offset: 0 })),
    http.get(`${API}/auth/invites`, () => ok({ items: [] })),
    http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
  );
}

/** The admins' comment list filtered by an author, counting `count` comments of theirs. */
function commentsWritten(count: number) {
  return http.get(`${API}/catalogue/comments`, ({ request }) => {
    const author = new URL(request.url).searchParams.get("author");
    return ok({ comments: [], next: null, author: { id: author, name: null, comments: count } });
  });
}

/** Whether `text` shows in the page at any moment from now until the returned check is called. */
function everShown(text: string): () => boolean {
  let seen = false;
  const observer = new MutationObserver(() => {
    seen ||= document.body.textContent?.includes(text) ?? false;
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    return seen;
  };
}

describe("AdminUsersPage", () => {
  it("keeps its search, filters and page in the address, and Back undoes them one at a time", async () => {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, ({ request }) => {
        const offset = Number(new URL(request.url).searchParams.get("offset"));
        return ok({ items: people(60).slice(offset, offset + 50), total: 60, limit: 50, offset });
      }),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
    );
    const seen = recordRequests();
    const user = setupUser();
    // A reload, or a link kept: the list it names, not the first page of everyone.
    renderPage(
      <>
        <AdminUsersPage />
        <BackButton />
      </>,
      { path: "/admin/users?q=Carlos+Member&role=viewer&disabled=true&page=2", withAuth: true },
    );
    expect(await screen.findByText("user50@example.com")).toBeInTheDocument();
    expect(screen.getByRole("searchbox")).toHaveValue("Carlos Member");
    expect(screen.getByLabelText("Role")).toHaveValue("viewer");
    expect(screen.getByLabelText("Account")).toHaveValue("true");
    const asked = () => sentTo(seen, "GET", USERS).map((r) => Object.fromEntries(r.url.searchParams));
    expect(asked()).toEqual([{ q: "Carlos Member", role: "viewer", disabled: "true", limit: "50", offset: "50" }]);

    // A new search starts at page 1 as a new entry; so does a filter and a page turned.
    await user.clear(screen.getByRole("searchbox"));
    await user.type(screen.getByRole("searchbox"), " anna {Enter}");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/admin/users?q=anna&role=viewer&disabled=true"));
    await user.selectOptions(screen.getByLabelText("Account"), "");
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/users\?q=anna&role=viewer$/);
    await user.click(await screen.findByRole("button", { name: "Next →" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/admin/users?q=anna&role=viewer&page=2"));
    expect(asked().at(-1)).toEqual({ q: "anna", role: "viewer", limit: "50", offset: "50" });

    // Back from page 2 is page 1 of the same list, then the filter, then the search, undone.
    await user.click(screen.getByRole("button", { name: "Back" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/users\?q=anna&role=viewer$/));
    await user.click(screen.getByRole("button", { name: "Back" }));
    await waitFor(() => expect(screen.getByLabelText("Account")).toHaveValue("true"));
    await user.click(screen.getByRole("button", { name: "Back" }));
    await waitFor(() => expect(screen.getByRole("searchbox")).toHaveValue("Carlos Member"));
    expect(screen.getByTestId("location")).toHaveTextContent("page=2");
  });

  it("ignores filter values it does not offer", async () => {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, () => ok({ items: [ADMIN], total: 1, limit: 50, offset: 0 })),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
    );
    const seen = recordRequests();
    renderPage(<AdminUsersPage />, { path: "/admin/users?role=owner&disabled=maybe&page=-3", withAuth: true });
    await screen.findByRole("table");
    expect(screen.getByLabelText("Role")).toHaveValue("");
    const sent = sentTo(seen, "GET", USERS).map((r) => Object.fromEntries(r.url.searchParams));
    expect(sent).toEqual([{ limit: "50", offset: "0" }]);
  });

  it("pages with limit and offset, labels each cell for the phone layout, and changes roles", async () => {
    hadSession();
    const everyone = [ADMIN, ...people(59)];
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, ({ request }) => {
        const url = new URL(request.url);
        const limit = Number(url.searchParams.get("limit"));
        const offset = Number(url.searchParams.get("offset"));
        return ok({ items: everyone.slice(offset, offset + limit), total: everyone.length, limit, offset });
      }),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
      http.patch(`${API}/auth/users/u-1`, () => ok({ ...VIEWER, id: "u-1", email: "user1@example.com", role: "admin" })),
      http.get(`${API}/catalogue/shares`, () => ok({ count: 2, links: [] })),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    // Named, in a screen reader's list of tables.
    const table = await screen.findByRole("table", { name: "Users" });
    expect(table).toHaveClass("stack-on-phone");
    expect(await screen.findByTestId("registration-mode")).toHaveTextContent("no invite code is asked for");
    const firstRow = rowOf("admin@example.com");
    expect(within(firstRow).getAllByRole("cell").map((c) => c.dataset.label)).toEqual(["Email", "Name", "Joined", "Role", "Actions"]);
    // Admins cannot demote themselves here, and their row says whose it is.
    expect(within(firstRow).getByLabelText("Role of admin@example.com")).toBeDisabled();
    expect(within(firstRow).getAllByRole("cell")[0]).toHaveTextContent("admin@example.com (you)");
    expect(within(rowOf("user1@example.com")).getAllByRole("cell")[0]).not.toHaveTextContent("(you)");

    // Choosing a role asks first; until it is given the select shows the one the user has.
    const role = within(rowOf("user1@example.com")).getByLabelText("Role of user1@example.com");
    await user.selectOptions(role, "admin");
    let dialog = screen.getByRole("alertdialog", { name: "Make this user an admin?" });
    expect(role).toHaveValue("viewer");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(role).toHaveValue("viewer");
    expect(sentTo(seen, "PATCH", `${API}/auth/users/u-1`)).toHaveLength(0);
    // The same <select> stays in the DOM when the PATCH's answer replaces its row.
    await user.selectOptions(role, "admin");
    dialog = screen.getByRole("alertdialog", { name: "Make this user an admin?" });
    expect(dialog).toHaveTextContent("user1@example.com will be able to upload, edit and delete videos");
    expect(dialog).not.toHaveTextContent("invite codes");
    await user.click(within(dialog).getByRole("button", { name: "Make admin" }));
    await waitFor(() => expect(role).toHaveValue("admin"));
    expect(await sentTo(seen, "PATCH", `${API}/auth/users/u-1`)[0]?.request.json()).toEqual({ role: "admin" });
    // Making an admin a viewer says what else goes: the codes they handed out, their share links.
    await user.selectOptions(role, "viewer");
    dialog = screen.getByRole("alertdialog", { name: "Make this admin a viewer?" });
    expect(dialog).toHaveTextContent("The invite codes and password-reset links they made that no one has used stop working");
    expect(await within(dialog).findByText(/The 2 share links they made stop working for good/)).toHaveTextContent(
      "(make new ones for videos that should stay shared)",
    );
    expect(sentTo(seen, "GET", `${API}/catalogue/shares`)[0]?.url.searchParams.get("made_by")).toBe("u-1");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    const pagination = screen.getByRole("navigation", { name: "Pagination" });
    const next = within(pagination).getByRole("button", { name: "Next →" });
    next.focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByText("user50@example.com")).toBeInTheDocument();
    // The list is drawn anew: its Next, held on the last page (not disabled), has the focus.
    const held = within(screen.getByRole("navigation", { name: "Pagination" })).getByRole("button", { name: "Next →" });
    expect(held).toHaveAttribute("aria-disabled", "true");
    expect(held).toHaveFocus();
    await user.keyboard("{Enter}");
    const pages = sentTo(seen, "GET", USERS).map((r) => Object.fromEntries(r.url.searchParams));
    expect(pages).toEqual([
      { limit: "50", offset: "0" },
      { limit: "50", offset: "50" },
    ]);
    expect(screen.getByText("Page 2 of 2")).toBeInTheDocument();
  });

  it("creates an invite, shows its code once with a link, lists and revokes invites", async () => {
    hadSession();
    const invite = inviteView({ expires_at: "2026-03-02T10:00:00Z" });
    let listed: InviteView[] = [];
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, () => ok({ items: [ADMIN], total: 1, limit: 50, offset: 0 })),
      http.get(`${API}/auth/invites`, () => ok({ items: listed })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "invite" })),
      http.post(`${API}/auth/invites`, () => {
        listed = [{ ...invite, status: "active" }];
        const { created_at, expires_at } = invite;
        const code = "SECRET-CODE-1";
        return ok({ id: "i-1", code, created_at, expires_at, note: null, link_path: `/register#invite=${code}` });
      }),
      http.delete(`${API}/auth/invites/i-1`, () => {
        listed = [{ ...invite, status: "revoked", revoked_at: "2026-03-01T11:00:00Z" }];
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    expect(await screen.findByText("No invites yet.")).toBeInTheDocument();
    // The server's mode says whether the codes are needed at all.
    expect(await screen.findByTestId("registration-mode")).toHaveTextContent("Registration is by invitation");
    await user.selectOptions(screen.getByLabelText("Valid for"), "24");
    await user.click(screen.getByRole("button", { name: "Create invite" }));

    const created = await screen.findByTestId("invite-created");
    expect(created).toHaveTextContent("SECRET-CODE-1");
    expect(created).toHaveTextContent(`${window.location.origin}/register#invite=SECRET-CODE-1`);
    expect(await sentTo(seen, "POST", `${API}/auth/invites`)[0]?.request.json()).toEqual({ expires_in_hours: 24 });
    const invites = await screen.findByRole("list", { name: "Invites" });
    expect(within(invites).getByTestId("invite")).toHaveTextContent("Active");

    await user.click(within(invites).getByRole("button", { name: /Revoke the invite/ }));
    // Revoked, it goes to the folded list of invites no longer usable.
    await waitFor(() => expect(within(screen.getByTestId("invites-over")).getByTestId("invite")).toHaveTextContent("Revoked"));
    expect(screen.getByText("No active invites.")).toBeInTheDocument();
    expect(screen.queryByTestId("invite-created")).not.toBeInTheDocument();
    expect(sentTo(seen, "DELETE", `${API}/auth/invites/i-1`)).toHaveLength(1);
    // Its Revoke went with the change: the focus is on what happened, not on the page's body.
    expect(screen.getByTestId("done-notice")).toHaveTextContent(/^Revoked the invite created .+: its code no longer works\.$/);
    expect(screen.getByTestId("done-notice")).toHaveFocus();
  });

  it("reads the invites again once an account changed: a deleted one no longer named as who used one", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com" };
    let bobExists = true;
    adminBesideBob(
      () => bob,
      () =>
        bobExists
          ? inviteView({ ...USED_BY_BOB, used_by_account: { email: bob.email, display_name: null } })
          : inviteView({ ...USED_BY_BOB, used_by: null, used_by_deleted: true }),
    );
    server.use(
      http.delete(`${API}/auth/users/u-bob`, () => {
        bobExists = false;
        return noContent();
      }),
    );
    const user = setupUser();
    renderApp("/admin/users");
    const invite = async () => within(await screen.findByTestId("invites-over")).getByTestId("invite");
    expect(await invite()).toHaveTextContent("Used by bob@example.com");

    await user.click(await screen.findByRole("button", { name: "Delete bob@example.com" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));

    await waitFor(async () => expect(await invite()).toHaveTextContent("by an account since deleted"));
  });

  it("disables and enables a user, issues a reset link shown once, deletes after confirmation", async () => {
    hadSession();
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com" };
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, () => ok({ items: [ADMIN, bob], total: 2, limit: 50, offset: 0 })),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
      http.post(`${API}/auth/users/u-bob/disable`, () => ok({ ...bob, disabled: true })),
      http.post(`${API}/auth/users/u-bob/enable`, () => ok({ ...bob, disabled: false })),
      http.post(`${API}/auth/users/u-bob/password-reset`, () =>
        ok({
          user_id: "u-bob",
          code: "RESET-1",
          link_path: "/reset-password#code=RESET-1",
          expires_at: "2026-03-01T11:00:00Z",
        }),
      ),
      http.delete(`${API}/auth/users/u-bob`, () => noContent()),
      commentsWritten(3),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    // Disabling asks first (it signs bob out everywhere); Cancel sends nothing.
    await user.click(await screen.findByRole("button", { name: "Disable bob@example.com" }));
    const asked = screen.getByRole("alertdialog", { name: "Disable this account?" });
    expect(asked).toHaveTextContent("bob@example.com is signed out everywhere");
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", `${API}/auth/users/u-bob/disable`)).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Disable bob@example.com" }));
    const confirm = screen.getByRole("alertdialog", { name: "Disable this account?" });
    await user.click(within(confirm).getByRole("button", { name: "Disable" }));
    const bobRow = () => screen.getByText("bob@example.com").closest("tr")!;
    await waitFor(() => expect(bobRow()).toHaveTextContent("Disabled"));
    expect(sentTo(seen, "POST", `${API}/auth/users/u-bob/disable`)).toHaveLength(1);
    // A reset link for a disabled account says the password works once it is enabled.
    await user.click(screen.getByRole("button", { name: "Password-reset link for bob@example.com" }));
    expect(await screen.findByTestId("reset-link")).toHaveTextContent("The account is disabled");
    await user.click(screen.getByRole("button", { name: "Enable bob@example.com" }));
    await waitFor(() => expect(bobRow()).not.toHaveTextContent("Disabled"));
    // Enabling asks nothing: it gives back, it takes nothing away.
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    // No actions on one's own account.
    expect(screen.queryByRole("button", { name: "Delete admin@example.com" })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Password-reset link for bob@example.com" }));
    const resetLink = await screen.findByTestId("reset-link");
    expect(resetLink).toHaveTextContent(`${window.location.origin}/reset-password#code=RESET-1`);
    await waitFor(() => expect(resetLink).not.toHaveTextContent("The account is disabled"));
    // One button puts it on the clipboard, and says so.
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    await user.click(within(resetLink).getByRole("button", { name: "Copy password-reset link" }));
    expect(writeText).toHaveBeenCalledWith(`${window.location.origin}/reset-password#code=RESET-1`);
    expect(await within(resetLink).findByText("Copied.")).toBeInTheDocument();
    vi.unstubAllGlobals();

    await user.click(screen.getByRole("button", { name: "Delete bob@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this account?" });
    expect(await within(dialog).findByText(/Their 3 comments are deleted/)).toHaveTextContent(
      "Their 3 comments are deleted; where other members replied, the replies stay, under “Comment removed”. This cannot be undone.",
    );
    expect(sentTo(seen, "DELETE", `${API}/auth/users/u-bob`)).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("bob@example.com", { selector: "td" })).not.toBeInTheDocument());
    expect(sentTo(seen, "DELETE", `${API}/auth/users/u-bob`)).toHaveLength(1);
    // The deleted account's reset link is no longer on show, as if it still worked.
    expect(screen.queryByTestId("reset-link")).not.toBeInTheDocument();
    // The row is gone: the focus is on what happened, not on the page's body.
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Deleted bob@example.com.");
    // The notice takes the focus in an effect, after the dialog has closed: wait for it.
    await waitFor(() => expect(screen.getByTestId("done-notice")).toHaveFocus());
  });

  it("asking to delete, says how many comments go and offers to disable instead, which keeps them", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com" };
    adminAmong(bob);
    server.use(commentsWritten(1), http.post(`${USERS}/u-bob/disable`, () => ok({ ...bob, disabled: true })));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    await user.click(await screen.findByRole("button", { name: "Delete bob@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this account?" });
    expect(await within(dialog).findByText(/Their 1 comment is deleted/)).toHaveTextContent(
      "Their 1 comment is deleted; where other members replied, the replies stay, under “Comment removed”.",
    );
    expect(sentTo(seen, "GET", `${API}/catalogue/comments`)[0]?.url.searchParams.get("author")).toBe("u-bob");
    expect(dialog).toHaveTextContent("Disable keeps their comments and lets you undo this.");
    await user.click(within(dialog).getByRole("button", { name: "Disable instead" }));

    const disabling = await screen.findByRole("alertdialog", { name: "Disable this account?" });
    expect(screen.queryByRole("alertdialog", { name: "Delete this account?" })).not.toBeInTheDocument();
    await user.click(within(disabling).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(rowOf("bob@example.com")).toHaveTextContent("Disabled"));
    expect(sentTo(seen, "POST", `${USERS}/u-bob/disable`)).toHaveLength(1);
    expect(sentTo(seen, "DELETE", `${USERS}/u-bob`)).toHaveLength(0);
  });

  it("asking to delete one who wrote none says so, and a disabled account is offered no disabling", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com", disabled: true };
    adminAmong(bob);
    server.use(commentsWritten(0));
    const user = setupUser();
    renderApp("/admin/users");

    await user.click(await screen.findByRole("button", { name: "Delete bob@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this account?" });
    expect(await within(dialog).findByText(/They have written no comments\./)).toBeInTheDocument();
    expect(within(dialog).queryByRole("button", { name: "Disable instead" })).not.toBeInTheDocument();
  });

  it("asking to delete when the count cannot be read, says what happens to comments all the same", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com" };
    adminAmong(bob);
    server.use(http.get(`${API}/catalogue/comments`, () => apiError(503, "service_unavailable", "away")));
    const user = setupUser();
    renderApp("/admin/users");

    await user.click(await screen.findByRole("button", { name: "Delete bob@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this account?" });
    expect(await within(dialog).findByText(/Their comments are deleted/)).toHaveTextContent(
      "Their comments are deleted; replies other members wrote to them stay, under “Comment removed”.",
    );
    expect(within(dialog).getByRole("button", { name: "Delete" })).toBeEnabled();
  });

  it("says which share links an admin's demotion, disabling or deletion stops: one, none, or an unknown count", async () => {
    const ada: UserView = { ...ADMIN, id: "u-ada", email: "ada@example.com" };
    adminBesideBob(
      () => ada,
      () => inviteView(),
    );
    const counted = holdAnswer();
    let answer = () => ok({ count: 1, links: [] });
    server.use(
      http.get(`${API}/catalogue/shares`, async () => {
        await counted.held;
        return answer();
      }),
    );
    const user = setupUser();
    renderApp("/admin/users");
    const asked = async (open: () => Promise<void>, name: string) => {
      await open();
      return screen.getByRole("alertdialog", { name });
    };
    const demote = async () => user.selectOptions(await screen.findByLabelText("Role of ada@example.com"), "viewer");
    const disable = async () => user.click(await screen.findByRole("button", { name: "Disable ada@example.com" }));
    const remove = async () => user.click(await screen.findByRole("button", { name: "Delete ada@example.com" }));

    // The count is read as the dialog opens; meanwhile it says so, and Confirm is not held back.
    let dialog = await asked(demote, "Make this admin a viewer?");
    expect(dialog).toHaveTextContent("Counting the share links they made…");
    expect(within(dialog).getByRole("button", { name: "Make viewer" })).toBeEnabled();
    counted.release();
    expect(await within(dialog).findByText(/The share link they made stops working for good/)).toHaveTextContent(
      "(make a new one if its video should stay shared)",
    );
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    answer = () => ok({ count: 3, links: [] });
    dialog = await asked(disable, "Disable this account?");
    expect(await within(dialog).findByText(/The 3 share links they made stop working for good/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    // None: nothing said of links.
    answer = () => ok({ count: 0, links: [] });
    dialog = await asked(remove, "Delete this account?");
    await waitFor(() => expect(dialog).not.toHaveTextContent("Counting"));
    expect(dialog).toHaveTextContent("The invite codes and password-reset links they made");
    expect(dialog).not.toHaveTextContent("share link");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    // A failed count blocks nothing: the links are still named, without a number.
    answer = () => apiError(503, "unavailable", "the catalogue is not answering");
    dialog = await asked(demote, "Make this admin a viewer?");
    expect(await within(dialog).findByText(/Their share links stop working too\./)).toBeInTheDocument();
    expect(dialog).not.toHaveTextContent("for good");
    expect(within(dialog).getByRole("button", { name: "Make viewer" })).toBeEnabled();
  });

  it("changes a user's email in a dialog that tells a taken one, and the invite it used names the new email", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@exmaple.com" };
    let current = bob;
    adminBesideBob(
      () => current,
      () => inviteView({ ...USED_BY_BOB, used_by_account: { email: current.email, display_name: null } }),
    );
    server.use(
      http.patch(`${USERS}/u-bob`, async ({ request }) => {
        const { email } = (await request.json()) as { email: string };
        if (email === ADMIN.email) return apiError(409, "email_taken", "an account with this email already exists");
        current = { ...bob, email: email.toLowerCase() };
        return ok(current);
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");
    const invite = async () => within(await screen.findByTestId("invites-over")).getByTestId("invite");
    expect(await invite()).toHaveTextContent("Used by bob@exmaple.com");

    // Cancel sends nothing.
    await user.click(await screen.findByRole("button", { name: "Change the email of bob@exmaple.com" }));
    let dialog = screen.getByRole("dialog", { name: "Change the email of bob@exmaple.com" });
    const field = within(dialog).getByLabelText("New email");
    await waitFor(() => expect(field).toHaveFocus());
    expect(field).toHaveValue("bob@exmaple.com");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();

    // Another account's email is told in the dialog, at the field, to type another.
    await user.click(screen.getByRole("button", { name: "Change the email of bob@exmaple.com" }));
    dialog = screen.getByRole("dialog", { name: "Change the email of bob@exmaple.com" });
    await user.clear(within(dialog).getByLabelText("New email"));
    await user.type(within(dialog).getByLabelText("New email"), ADMIN.email);
    await user.click(within(dialog).getByRole("button", { name: "Change email" }));
    const email = within(dialog).getByLabelText("New email");
    await waitFor(() => expect(email).toHaveAccessibleDescription("Another account has this email."));
    await waitFor(() => expect(email).toHaveFocus());

    await user.clear(email);
    await user.type(email, " Bob@Example.com ");
    await user.click(within(dialog).getByRole("button", { name: "Change email" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const patches = sentTo(seen, "PATCH", `${USERS}/u-bob`);
    expect(await patches[1]?.request.json()).toEqual({ email: "Bob@Example.com" });
    expect(rowOf("bob@example.com")).toBeInTheDocument();
    expect(screen.getByTestId("done-notice")).toHaveTextContent("bob@exmaple.com now signs in as bob@example.com.");
    await waitFor(async () => expect(await invite()).toHaveTextContent("Used by bob@example.com"));
  });
});

describe("AdminUsersPage: sign-in facts (last sign-in, two-factor authentication)", () => {
  it("says when each user last signed in, or that they never have", async () => {
    const threeDaysAgo = new Date(Date.now() - (3 * 24 + 1) * 3600 * 1000).toISOString();
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com", last_signed_in_at: threeDaysAgo };
    const carol: UserView = { ...VIEWER, id: "u-carol", email: "carol@example.com", last_signed_in_at: null };
    adminAmong(bob, carol);
    renderApp("/admin/users");

    await screen.findByRole("table", { name: "Users" });
    const joined = (email: string) => within(rowOf(email)).getAllByRole("cell")[2];
    expect(joined("bob@example.com")).toHaveTextContent("Last signed in 3 d ago");
    expect(joined("carol@example.com")).toHaveTextContent("Never signed in");
    expect(joined("carol@example.com")).not.toHaveTextContent("Last signed in");
  });

  it("says whose two-factor is on, and turns it off after a confirm, only for them", async () => {
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com", two_factor: true };
    const carol: UserView = { ...VIEWER, id: "u-carol", email: "carol@example.com" };
    adminAmong(bob, carol);
    server.use(
      http.delete(`${API}/auth/users/u-bob/two-factor`, () => noContent()),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    const turnOff = await screen.findByRole("button", { name: "Turn off two-factor authentication of bob@example.com" });
    expect(rowOf("bob@example.com")).toHaveTextContent("Two-factor on");
    expect(rowOf("carol@example.com")).not.toHaveTextContent("Two-factor on");
    expect(within(rowOf("carol@example.com")).queryByRole("button", { name: /two-factor/ })).not.toBeInTheDocument();

    await user.click(turnOff);
    let asked = screen.getByRole("alertdialog", { name: "Turn off two-factor authentication?" });
    expect(asked).toHaveTextContent("bob@example.com will sign in with their password alone");
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "DELETE", `${API}/auth/users/u-bob/two-factor`)).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Turn off two-factor authentication of bob@example.com" }));
    asked = screen.getByRole("alertdialog", { name: "Turn off two-factor authentication?" });
    await user.click(within(asked).getByRole("button", { name: "Turn off" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent(
      "Two-factor authentication of bob@example.com is off: they sign in with their password alone until they set it up again.",
    );
    expect(sentTo(seen, "DELETE", `${API}/auth/users/u-bob/two-factor`)).toHaveLength(1);
    expect(rowOf("bob@example.com")).not.toHaveTextContent("Two-factor on");
    expect(screen.queryByRole("button", { name: /Turn off two-factor/ })).not.toBeInTheDocument();
  });

  it("says why turning it off failed, naming the user", async () => {
    hadSession();
    const bob: UserView = { ...VIEWER, id: "u-bob", email: "bob@example.com", two_factor: true };
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, () => ok({ items: [ADMIN, bob], total: 2, limit: 50, offset: 0 })),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
      http.delete(`${API}/auth/users/u-bob/two-factor`, () => apiError(404, "user_not_found", "no such user")),
    );
    const user = setupUser();
    renderApp("/admin/users");
    await user.click(await screen.findByRole("button", { name: "Turn off two-factor authentication of bob@example.com" }));
    await user.click(
      within(screen.getByRole("alertdialog", { name: "Turn off two-factor authentication?" })).getByRole("button", { name: "Turn off" }),
    );
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Could not turn off two-factor authentication of bob@example.com: no such user",
    );
    expect(rowOf("bob@example.com")).toHaveTextContent("Two-factor on");
  });
});

describe("AdminUsersPage while the next page or search loads", () => {
  /**
   * Signed in as ADMIN, the users found by `?q=` as `answer` gives them (awaited: it may hold
   * or refuse); 60 users for no search, 50 a page.
   */
  function usersServed(answer: (q: string, offset: number) => Promise<Response>) {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, ({ request }) => {
        const params = new URL(request.url).searchParams;
        return answer(params.get("q") ?? "", Number(params.get("offset")));
      }),
      http.get(`${API}/auth/invites`, () => ok({ items: [] })),
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })),
    );
  }
  const pageOf = (users: UserView[], offset: number) => ok({ items: users.slice(offset, offset + 50), total: users.length, limit: 50, offset });
  /** The element that tells the rows are being read again (KeptRows). */
  const rowsRegion = () => screen.getByRole("table").closest("[aria-busy]")!;

  it("keeps the last rows, dimmed and busy, until the next page's replace them", async () => {
    const next = holdAnswer();
    usersServed(async (_q, offset) => {
      if (offset > 0) await next.held;
      return pageOf(people(60), offset);
    });
    const user = setupUser();
    renderPage(<AdminUsersPage />, { path: "/admin/users", withAuth: true });
    expect(await screen.findByText("user0@example.com")).toBeInTheDocument();
    expect(rowsRegion()).toHaveAttribute("aria-busy", "false");

    await user.click(screen.getByRole("button", { name: "Next →" }));
    // The page does not empty: the rows stay, said to be busy, and the pagination with them.
    expect(await screen.findByRole("status")).toHaveTextContent("Loading…");
    expect(screen.getByText("user0@example.com")).toBeInTheDocument();
    expect(rowsRegion()).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("navigation", { name: "Pagination" })).toBeInTheDocument();

    next.release();
    expect(await screen.findByText("user50@example.com")).toBeInTheDocument();
    expect(screen.queryByText("user0@example.com")).not.toBeInTheDocument();
    expect(rowsRegion()).toHaveAttribute("aria-busy", "false");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("never shows the answer to a search a later one replaced", async () => {
    const first = holdAnswer();
    const second = holdAnswer();
    let firstAnswered = false;
    const found = (name: string) => [{ ...VIEWER, id: `u-${name}`, email: `${name}@example.com` }];
    usersServed(async (q, offset) => {
      if (q === "anna") {
        await first.held;
        firstAnswered = true;
      }
      if (q === "bob") await second.held;
      return q ? pageOf(found(q), 0) : pageOf(people(60), offset);
    });
    const user = setupUser();
    renderPage(<AdminUsersPage />, { path: "/admin/users", withAuth: true });
    const search = await screen.findByRole("searchbox");
    await screen.findByText("user0@example.com");
    const annaShown = everShown("anna@example.com");
    await user.type(search, "anna{Enter}");
    await user.clear(search);
    await user.type(search, "bob{Enter}");

    // The first search's answer comes first, the second's after it: only the second's shows.
    first.release();
    await waitFor(() => expect(firstAnswered).toBe(true));
    second.release();
    expect(await screen.findByText("bob@example.com")).toBeInTheDocument();
    expect(rowsRegion()).toHaveAttribute("aria-busy", "false");
    expect(annaShown()).toBe(false);
  });

  it("shows why the next page failed, not the last page's rows", async () => {
    usersServed((_q, offset) => Promise.resolve(offset > 0 ? apiError(500, "internal", "Internal error") : pageOf(people(60), offset)));
    const user = setupUser();
    renderPage(<AdminUsersPage />, { path: "/admin/users", withAuth: true });
    await user.click(await screen.findByRole("button", { name: "Next →" }));

    expect(await screen.findByRole("alert")).toBeInTheDocument();
    expect(screen.queryByText("user0@example.com")).not.toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});
