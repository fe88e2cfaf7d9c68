import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../api/limits";
import type { InviteCreated, InviteRequest, InviteView } from "../api/schema";
import { formatDate } from "../lib/format";
import { hadSession, inviteView } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, apiError, holdAnswer, http, ok, recordRequests, refreshGives, sentTo, server } from "../test/server";

const INVITES = `${API}/auth/invites`;
const USED_AT = "2026-03-02T09:30:00Z";

/** The invite made by `POST /invites` from what was sent, as the server answers it. */
function made(body: InviteRequest, id: string): InviteCreated {
  const { created_at, expires_at } = inviteView();
  const code = `CODE-${id}`;
  return { id, code, created_at, expires_at, note: body.note ?? null, link_path: `/register#invite=${code}` };
}

/**
 * A signed-in admin's Users page, whose Invites panel lists `listed()` at each
 * load; `handlers` answer the rest (a POST, say). The requests it sent, in order.
 */
function openInvites(listed: () => InviteView[], ...handlers: Parameters<typeof server.use>) {
  return openInvitesWith({ registration_mode: "invite" }, listed, ...handlers);
}

/** As `openInvites`, the server's auth config being `config` (mail on, say). */
function openInvitesWith(config: object, listed: () => InviteView[], ...handlers: Parameters<typeof server.use>) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(ADMIN)),
    http.get(`${API}/auth/users`, () => ok({ items: [ADMIN], total: 1, limit: 50, offset: 0 })),
    http.get(`${API}/auth/config`, () => ok(config)),
    http.get(INVITES, () => ok({ items: listed() })),
    ...handlers,
  );
  const seen = recordRequests();
  renderApp("/admin/users");
  return seen;
}

/** What the page sent to create invites, in order. */
async function createBodies(seen: ReturnType<typeof recordRequests>): Promise<unknown[]> {
  return Promise.all(sentTo(seen, "POST", INVITES).map((r) => r.request.clone().json()));
}

describe("InvitesPanel", () => {
  it("creates an invite with a trimmed note, shows it with the code and names the row by it", async () => {
    let listed: InviteView[] = [];
    const seen = openInvites(
      () => listed,
      http.post(INVITES, async ({ request }) => {
        const body = (await request.json()) as InviteRequest;
        const created = made(body, `i-${listed.length + 1}`);
        listed = [inviteView({ id: created.id, note: created.note }), ...listed];
        return ok(created);
      }),
    );
    const user = setupUser();

    const note = await screen.findByLabelText("Note (optional)");
    expect(note).toHaveAttribute("maxlength", String(LIMITS.inviteNote));
    // Enter in the note creates the invite, as Create does.
    await user.type(note, "  for Alice, video club  {Enter}");
    const created = await screen.findByTestId("invite-created");
    expect(created).toHaveTextContent("Invite code CODE-i-1 (for Alice, video club), valid until");
    // Named for what it copies: a password-reset link's Copy may be on the page too.
    expect(within(created).getByRole("button", { name: "Copy invite link" })).toBeInTheDocument();
    expect(await createBodies(seen)).toEqual([{ expires_in_hours: 168, note: "for Alice, video club" }]);
    expect(note).toHaveValue("");
    const row = await within(await screen.findByRole("list", { name: "Invites" })).findByTestId("invite");
    expect(row).toHaveTextContent("for Alice, video club");
    expect(row).toHaveTextContent("Active");
    expect(within(row).getByRole("button", { name: "Revoke the invite “for Alice, video club”" })).toBeEnabled();

    // A blank note is no note: none is sent, and the row says so.
    await user.type(note, "   ");
    await user.click(screen.getByRole("button", { name: "Create invite" }));
    await waitFor(() => expect(screen.getAllByTestId("invite")).toHaveLength(2));
    expect((await createBodies(seen))[1]).toEqual({ expires_in_hours: 168 });
    expect(screen.getByTestId("invite-created")).toHaveTextContent("Invite code CODE-i-2, valid until");
    expect(screen.getAllByTestId("invite")[0]).toHaveTextContent("Invite without a note");
  });

  it("mails an invite when the server sends mail, and the list says to whom", async () => {
    let listed: InviteView[] = [];
    const seen = openInvitesWith(
      { registration_mode: "invite", mail: true },
      () => listed,
      http.post(INVITES, async ({ request }) => {
        const body = (await request.json()) as InviteRequest;
        if (body.email === "bob@example.invalid") return apiError(400, "invalid_input", "Expected `str` matching regex (email)");
        const created = { ...made(body, "i-1"), mailed_to: body.email ?? null };
        listed = [inviteView({ id: created.id, mailed_to: created.mailed_to })];
        return ok(created);
      }),
    );
    const user = setupUser();

    const email = await screen.findByLabelText("Email it to (optional)");
    await user.type(email, "bob@example.invalid");
    await user.click(screen.getByRole("button", { name: "Create invite" }));
    expect(await screen.findByText("This is not an email address the invite can be sent to: check it for typos.")).toBeInTheDocument();
    expect(screen.queryByTestId("invite-created")).not.toBeInTheDocument();

    await user.clear(email);
    await user.type(email, "alice@example.org{Enter}");
    const created = await screen.findByTestId("invite-created");
    expect(created).toHaveTextContent("Its link is on its way to alice@example.org.");
    expect((await createBodies(seen))[1]).toEqual({ expires_in_hours: 168, email: "alice@example.org" });
    expect(email).toHaveValue("");
    const row = await within(await screen.findByRole("list", { name: "Invites" })).findByTestId("invite");
    expect(row).toHaveTextContent("Mailed to alice@example.org");
  });

  it("offers no email field when the server sends no mail", async () => {
    openInvites(() => [inviteView()]);
    await screen.findByTestId("invite");
    expect(screen.getByLabelText("Note (optional)")).toBeInTheDocument();
    expect(screen.queryByLabelText("Email it to (optional)")).not.toBeInTheDocument();
    expect(screen.getByTestId("invite")).not.toHaveTextContent("Mailed to");
  });

  it("keeps the focus on Create invite while the invite is made (a keyboard user goes on from there)", async () => {
    const { held, release } = holdAnswer();
    const seen = openInvites(
      () => [],
      http.post(INVITES, async ({ request }) => {
        await held;
        return ok(made((await request.json()) as InviteRequest, "i-1"));
      }),
    );
    const user = setupUser();
    const create = await screen.findByRole("button", { name: "Create invite" });
    create.focus();

    await user.keyboard("{Enter}");
    expect(create).toHaveAttribute("aria-disabled", "true");
    expect(create).toHaveFocus();
    await user.keyboard("{Enter}"); // busy: not sent twice
    release();

    expect(await screen.findByTestId("invite-created")).toBeInTheDocument();
    expect(sentTo(seen, "POST", INVITES)).toHaveLength(1);
    expect(create).not.toHaveAttribute("aria-disabled");
  });

  it("names who used each invite, or says the account was since deleted", async () => {
    const used = { status: "used" as const, used_at: USED_AT };
    openInvites(() => [
      inviteView({
        id: "i-alice",
        ...used,
        note: "for Alice, video club",
        used_by: "u-alice",
        used_by_account: { email: "alice@example.com", display_name: "Alice A." },
      }),
      inviteView({
        id: "i-bob",
        ...used,
        used_by: "u-bob",
        used_by_account: { email: "bob@example.com", display_name: null },
      }),
      inviteView({ id: "i-gone", ...used, note: "for Carol", used_by_deleted: true }),
      inviteView({ id: "i-open" }),
    ]);

    // The usable invite first; the used ones folded away below it.
    const list = await screen.findByRole("list", { name: "Invites" });
    const [open] = within(list).getAllByTestId("invite");
    const over = screen.getByTestId("invites-over");
    expect(over).not.toHaveAttribute("open");
    expect(within(over).getByText("Used, revoked and expired (3)")).toBeInTheDocument();
    const [alice, bob, gone] = within(over).getAllByTestId("invite");
    const on = formatDate(USED_AT);
    expect(alice).toHaveTextContent("for Alice, video club");
    expect(alice).toHaveTextContent(`Used by alice@example.com (Alice A.) on ${on}`);
    expect(bob).toHaveTextContent(`Used by bob@example.com on ${on}`);
    expect(gone).toHaveTextContent("for Carol");
    expect(gone).toHaveTextContent(`Used on ${on} by an account since deleted`);
    expect(open).toHaveTextContent("Invite without a note");
    expect(open).not.toHaveTextContent("Used");
    // Only an active invite can be revoked.
    expect(within(list).getAllByRole("button", { name: /^Revoke/ })).toEqual([
      within(open!).getByRole("button", { name: /^Revoke the invite created/ }),
    ]);
    expect(within(over).queryAllByRole("button", { name: /^Revoke/, hidden: true })).toEqual([]);
  });

  it("names each invite's maker, and when and why a revoked one stopped", async () => {
    const revokedAt = "2026-03-03T12:43:00Z";
    const revoked = { status: "revoked" as const, revoked_at: revokedAt };
    openInvites(() => [
      inviteView({ id: "i-live", note: "for Dan" }),
      inviteView({ id: "i-erin", ...revoked, note: "for Erin", revoked_by: "u-ada", revoked_by_name: "Ada", revoked_reason: "revoked_by_admin" }),
      inviteView({ id: "i-george", ...revoked, note: "for George", created_by_name: "Frank", revoked_reason: "maker_no_longer_admin" }),
      inviteView({ id: "i-bob", ...revoked, note: "for Bob", mailed_to: "bob@example.org", revoked_reason: "invitee_joined" }),
      inviteView({ id: "i-gone", status: "expired", note: "for Gil", created_by: null, created_by_name: null }),
    ]);

    const live = within(await screen.findByRole("list", { name: "Invites" })).getByTestId("invite");
    expect(live).toHaveTextContent("Made by Ada · Created");
    expect(within(live).queryByTestId("invite-why")).not.toBeInTheDocument();
    const [erin, george, bob, gone] = within(screen.getByTestId("invites-over")).getAllByTestId("invite");
    const on = formatDate(revokedAt);
    expect(within(erin!).getByTestId("invite-why")).toHaveTextContent(`Revoked ${on} by Ada.`);
    expect(george).toHaveTextContent("Made by Frank");
    expect(within(george!).getByTestId("invite-why")).toHaveTextContent(
      `Withdrawn ${on}: Frank is no longer an admin. If this person should still join, invite them again.`,
    );
    expect(within(bob!).getByTestId("invite-why")).toHaveTextContent(
      `Withdrawn ${on}: bob@example.org has joined, so this spare invite no longer works.`,
    );
    expect(gone).toHaveTextContent("Made by an account since deleted");
  });

  it("tells at the address field that it is a member's or has an invite still active", async () => {
    const pending = "bob@example.org already has an active invite (“Bob”, made 7 December 2026, valid until 14 December 2026): to send a new one, revoke that one first";
    openInvitesWith(
      { registration_mode: "invite", mail: true },
      () => [],
      http.post(INVITES, async ({ request }) => {
        const body = (await request.json()) as InviteRequest;
        if (body.email === "bob@example.org") return apiError(409, "invite_pending", pending);
        return apiError(409, "invitee_is_member", "dora@example.org (Dora) is already a member, since 1 March 2026: they sign in with this address, and need no invite");
      }),
    );
    const user = setupUser();

    const email = await screen.findByLabelText("Email it to (optional)");
    await user.type(email, "bob@example.org{Enter}");
    await waitFor(() => expect(email).toHaveAccessibleDescription(`No invite sent: ${pending}.`));
    expect(email).toHaveValue("bob@example.org");
    await user.clear(email);
    await user.type(email, "dora@example.org{Enter}");
    await waitFor(() => expect(email).toHaveAccessibleDescription(/^No invite sent: dora@example\.org \(Dora\) is already a member/));
    expect(screen.queryByTestId("invite-created")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("tells a refused note at its field and keeps it to be mended", async () => {
    const detail = "Expected one line of text, without control characters (note)";
    openInvites(
      () => [],
      http.post(INVITES, () => apiError(400, "validation_error", detail)),
    );
    const user = setupUser();

    const note = await screen.findByLabelText("Note (optional)");
    await user.type(note, "for Alice");
    await user.click(screen.getByRole("button", { name: "Create invite" }));
    await waitFor(() => expect(note).toHaveAttribute("aria-invalid", "true"));
    expect(note).toHaveAccessibleDescription(
      `A note is one line of at most ${LIMITS.inviteNote} characters, without tabs or other control characters.`,
    );
    expect(note).toHaveValue("for Alice");
    expect(screen.queryByTestId("invite-created")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    // Mending it takes the error away.
    await user.type(note, "!");
    expect(note).not.toHaveAttribute("aria-invalid");
  });

  it("says how long to wait when too many invites were mailed in a minute", async () => {
    openInvitesWith(
      { registration_mode: "invite", mail: true },
      () => [],
      http.post(INVITES, () =>
        apiError(429, "invite_mail_throttled", "too many invites mailed in a minute; try again in a minute", {
          "Retry-After": "40",
        }),
      ),
    );
    const user = setupUser();

    await user.type(await screen.findByLabelText("Email it to (optional)"), "alice@example.org");
    await user.click(screen.getByRole("button", { name: "Create invite" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      /^Could not create an invite: too many were mailed in a minute\. Try again in 40 seconds\.$/,
    );
  });

  it("tells any other refusal beside the form", async () => {
    openInvites(
      () => [],
      http.post(INVITES, () => apiError(403, "forbidden", "admins only")),
    );
    const user = setupUser();

    await user.click(await screen.findByRole("button", { name: "Create invite" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not create an invite: admins only");
    expect(screen.getByLabelText("Note (optional)")).not.toHaveAttribute("aria-invalid");
  });
});
