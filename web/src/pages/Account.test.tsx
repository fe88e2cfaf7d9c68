import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { SessionView } from "../api/schema";
import { LIMITS } from "../api/limits";
import { passwordRule } from "../components/AccountFields";
import { formatDate } from "../lib/format";
import { hadSession } from "../test/fixtures";
import { hasSessionMarker } from "../api/session";
import { renderApp, setupUser } from "../test/render";
import {
  API,
  apiError,
  holdAnswer,
  http,
  noContent,
  nothingWatched,
  ok,
  recordRequests,
  refreshGives,
  sentTo,
  server,
  twoFactorOff,
  VIEWER,
} from "../test/server";

function signedInViewer(sessions: SessionView[] = []) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(VIEWER)),
    http.get(`${API}/auth/sessions`, () => ok({ items: sessions })),
    twoFactorOff(),
  );
}

/** An email change waiting for its link. */
const WAITING = { pending_email: "vera@example.com", expires_at: "2030-01-01T13:00:00Z", taken: false };

const CHROME_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

function session(id: string, createdAt: string, current = false): SessionView {
  return {
    id,
    current,
    user_agent: CHROME_ON_LINUX,
    created_at: createdAt,
    last_used_at: "2026-02-03T09:00:00Z",
    expires_at: "2026-03-03T09:00:00Z",
  };
}

describe("AccountPage", () => {
  it("asks the owner of a generated password to set their own, on every page but this, until they do", async () => {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok({ ...VIEWER, password_generated: true })),
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      http.get(`${API}/catalogue`, () => ok({ items: [], total: 0, page: 1, page_size: 24 })),
      ...nothingWatched(),
      http.post(`${API}/auth/password`, () => noContent()),
      twoFactorOff(),
    );
    const user = setupUser();
    renderApp("/");
    const notice = await screen.findByTestId("generated-password");
    expect(notice).toHaveTextContent("You are signed in with the password StreamStack generated for you.");
    await user.click(within(notice).getByRole("link", { name: "Account page" }));

    await user.type(await screen.findByLabelText("Current password"), "printed at start-up");
    expect(screen.queryByTestId("generated-password")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("New password"), "brand new secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByTestId("password-changed")).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "StreamStack home" }));
    await screen.findByRole("heading", { level: 1 });
    expect(screen.queryByTestId("generated-password")).not.toBeInTheDocument();
  });

  it("changes the display name, shown in the header too", async () => {
    signedInViewer();
    server.use(http.patch(`${API}/auth/me`, () => ok({ ...VIEWER, display_name: "Vera" })));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    await user.type(await screen.findByLabelText("Display name"), "  Vera ");
    await user.click(screen.getByRole("button", { name: "Save name" }));

    expect(await screen.findByTestId("profile-saved")).toHaveTextContent("Display name saved.");
    expect(await sentTo(seen, "PATCH", `${API}/auth/me`)[0]?.request.json()).toEqual({ display_name: "Vera" });
    expect(screen.getByRole("link", { name: "Account (Vera)" })).toHaveAttribute("href", "/account");
  });

  it("tells a name that passes for an email address at the name's field, nothing saved", async () => {
    signedInViewer();
    server.use(http.patch(`${API}/auth/me`, () => apiError(400, "display_name_email", "a display name cannot be an email address; choose another")));
    const user = setupUser();
    renderApp("/account");

    const name = await screen.findByLabelText("Display name");
    await user.type(name, "admin@localhost");
    await user.click(screen.getByRole("button", { name: "Save name" }));

    await waitFor(() => expect(name).toHaveAccessibleDescription("A display name cannot be an email address; choose another"));
    expect(name).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(name).toHaveFocus());
    expect(screen.queryByTestId("profile-saved")).not.toBeInTheDocument();
  });

  it("asks for a new email with the password: a link goes there, and the email stays until it is opened", async () => {
    signedInViewer();
    server.use(
      http.post(`${API}/auth/me/email`, () => ok(WAITING)),
      http.delete(`${API}/auth/me/email`, () => noContent()),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const form = await screen.findByRole("form", { name: "Change email" });
    expect(within(form).getByLabelText("New email")).toHaveAttribute("maxlength", String(LIMITS.email));
    await user.type(within(form).getByLabelText("New email"), " Vera@Example.com ");
    await user.type(within(form).getByLabelText("Password"), "my secret words");
    await user.click(within(form).getByRole("button", { name: "Change email" }));

    expect(await screen.findByTestId("email-pending")).toHaveTextContent(
      "We sent a link to vera@example.com. Your sign-in email changes when you open it.",
    );
    const [sent] = sentTo(seen, "POST", `${API}/auth/me/email`);
    expect(await sent?.request.json()).toEqual({ email: "Vera@Example.com", current_password: "my secret words" });
    // Not changed yet: the summary and the header keep the email the account signs in with.
    expect(screen.getByTestId("account-email")).toHaveTextContent(VIEWER.email);
    expect(document.querySelector(".nav-account")).toHaveAttribute("title", VIEWER.email);
    expect(within(form).getByLabelText("New email")).toHaveValue("");
    expect(within(form).getByLabelText("Password")).toHaveValue("");

    await user.click(within(form).getByRole("button", { name: "Cancel the change" }));
    await waitFor(() =>
      expect(screen.getByTestId("email-pending")).toHaveTextContent(`Cancelled: your sign-in email stays ${VIEWER.email}.`),
    );
    expect(within(form).queryByRole("button", { name: "Cancel the change" })).not.toBeInTheDocument();
    expect(sentTo(seen, "DELETE", `${API}/auth/me/email`)).toHaveLength(1);
  });

  it("shows the email waiting for its link when the page opens", async () => {
    signedInViewer();
    server.use(http.get(`${API}/auth/me/email`, () => ok(WAITING)));
    renderApp("/account");
    expect(await screen.findByTestId("email-pending")).toHaveTextContent("We sent a link to vera@example.com.");
  });

  it("says an address another account took meanwhile is to be replaced, with a way to cancel", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/auth/me/email`, () => ok({ ...WAITING, taken: true })),
      http.delete(`${API}/auth/me/email`, () => noContent()),
    );
    const user = setupUser();
    renderApp("/account");

    const said = await screen.findByTestId("email-pending");
    expect(said).toHaveTextContent("vera@example.com is now used by another account: choose another address.");
    expect(said).not.toHaveTextContent("We sent a link");
    expect(within(said).queryByRole("button", { name: "Send it again" })).not.toBeInTheDocument();
    await user.click(within(said).getByRole("button", { name: "Cancel the change" }));
    await waitFor(() => expect(said).toHaveTextContent(`Cancelled: your sign-in email stays ${VIEWER.email}.`));
  });

  it("sends the link again: the address filled in, the password asked for at its field", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/auth/me/email`, () => ok(WAITING)),
      http.post(`${API}/auth/me/email`, () => ok(WAITING)),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const form = await screen.findByRole("form", { name: "Change email" });
    const said = await screen.findByTestId("email-pending");
    await user.click(within(said).getByRole("button", { name: "Send it again" }));
    expect(within(form).getByLabelText("New email")).toHaveValue("vera@example.com");
    const password = within(form).getByLabelText("Password");
    expect(password).toHaveFocus();
    expect(password).toHaveAccessibleDescription("Type your password, then press Change email to send the link again.");
    await user.type(password, "my secret words");
    await user.click(within(form).getByRole("button", { name: "Change email" }));
    await waitFor(() => expect(sentTo(seen, "POST", `${API}/auth/me/email`)).toHaveLength(1));
    const [sent] = sentTo(seen, "POST", `${API}/auth/me/email`);
    expect(await sent?.request.json()).toEqual({ email: "vera@example.com", current_password: "my secret words" });
    await waitFor(() => expect(password).not.toHaveAccessibleDescription());
  });

  it("reads the email change again after a password change, which withdrew it, and says so", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/auth/me/email`, () => ok(WAITING), { once: true }),
      http.get(`${API}/auth/me/email`, () => ok({ pending_email: null, expires_at: null, taken: false })),
      http.post(`${API}/auth/password`, () => noContent()),
    );
    const user = setupUser();
    renderApp("/account");

    const said = await screen.findByTestId("email-pending");
    expect(said).toHaveTextContent("We sent a link to vera@example.com.");
    await user.type(screen.getByLabelText("Current password"), "my secret words");
    await user.type(screen.getByLabelText("New password"), "brand new secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByTestId("password-changed")).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByTestId("email-pending")).toHaveTextContent(
        "Your password change withdrew the email change; ask again if you still want it.",
      ),
    );
    expect(screen.getByTestId("email-pending")).not.toHaveTextContent("We sent a link");
  });

  it("tells a wrong password at its field, and a taken email at the email", async () => {
    signedInViewer();
    server.use(
      http.post(`${API}/auth/me/email`, async ({ request }) => {
        const body = (await request.json()) as { current_password: string };
        return body.current_password === "my secret words"
          ? apiError(409, "email_taken", "an account with this email already exists")
          : apiError(403, "wrong_password", "the current password is wrong");
      }),
    );
    const user = setupUser();
    renderApp("/account");

    const form = await screen.findByRole("form", { name: "Change email" });
    const email = within(form).getByLabelText("New email");
    const password = within(form).getByLabelText("Password");
    await user.type(email, "admin@example.com");
    await user.type(password, "a wrong guess");
    await user.click(within(form).getByRole("button", { name: "Change email" }));
    await waitFor(() => expect(password).toHaveAccessibleDescription("The password is not correct."));
    await waitFor(() => expect(password).toHaveFocus());

    await user.clear(password);
    await user.type(password, "my secret words");
    await user.click(within(form).getByRole("button", { name: "Change email" }));
    await waitFor(() => expect(email).toHaveAccessibleDescription("Another account has this email."));
    await waitFor(() => expect(email).toHaveFocus());
    expect(password).not.toHaveAccessibleDescription();
    // Nothing changed: the summary still shows the email the account has.
    expect(screen.getByTestId("account-email")).toHaveTextContent(VIEWER.email);
    expect(screen.queryByTestId("email-pending")).not.toBeInTheDocument();
  });

  it("changes the password with the current one, and says a wrong one is wrong", async () => {
    signedInViewer();
    server.use(
      http.post(`${API}/auth/password`, async ({ request }) => {
        const body = (await request.json()) as { current_password: string };
        return body.current_password === "old secret words"
          ? noContent()
          : apiError(403, "wrong_password", "the current password is wrong");
      }),
    );
    const user = setupUser();
    renderApp("/account");

    await user.type(await screen.findByLabelText("Current password"), "not it");
    await user.type(screen.getByLabelText("New password"), "brand new secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Current password")).toHaveAccessibleDescription("The current password is not correct."),
    );
    // Back in the wrong field, to type it again, not on the page's body.
    expect(screen.getByLabelText("Current password")).toHaveFocus();

    await user.clear(screen.getByLabelText("Current password"));
    await user.type(screen.getByLabelText("Current password"), "old secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    expect(await screen.findByTestId("password-changed")).toHaveTextContent("Every other session was signed out.");
    expect(screen.getByLabelText("New password")).toHaveValue("");
  });

  it("says a wrong current password aloud when Enter in that field sent the form, once", async () => {
    signedInViewer();
    server.use(http.post(`${API}/auth/password`, () => apiError(403, "wrong_password", "the current password is wrong")));
    const user = setupUser();
    renderApp("/account");

    await user.type(await screen.findByLabelText("New password"), "brand new secret words");
    await user.type(screen.getByLabelText("Current password"), "not it{Enter}");

    const field = screen.getByLabelText("Current password");
    await waitFor(() => expect(field).toHaveAccessibleDescription("The current password is not correct."));
    await waitFor(() => expect(field).toHaveFocus());
    // The focus had nowhere to move, so nothing said the error: an alert does.
    const said = () => screen.queryAllByRole("alert").map((alert) => alert.textContent).filter(Boolean);
    expect(said()).toEqual(["The current password is not correct."]);

    // Sent from the button, the focus moves to the field, which says it: no alert a second time.
    await user.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(field).toHaveFocus());
    await waitFor(() => expect(field).toHaveAccessibleDescription("The current password is not correct."));
    expect(said()).toEqual([]);
  });

  it("says how long to wait when changing the password is throttled, in plain words", async () => {
    signedInViewer();
    server.use(
      http.post(`${API}/auth/password`, () =>
        apiError(429, "login_throttled", "too many sign-in attempts; try again later", { "Retry-After": "464" }),
      ),
    );
    const user = setupUser();
    renderApp("/account");

    await user.type(await screen.findByLabelText("New password"), "brand new secret words");
    await user.type(screen.getByLabelText("Current password"), "my secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    await waitFor(() =>
      expect(screen.getByText(/^Too many attempts, try again in about 8 minutes\.$/)).toBeInTheDocument(),
    );
    expect(screen.queryByText(/try again later/i)).not.toBeInTheDocument();
  });

  it("tells a new password too easy to guess at its field, which takes the focus", async () => {
    signedInViewer();
    const detail = "password: too easy to guess. This is a top-10 common password.";
    server.use(http.post(`${API}/auth/password`, () => apiError(400, "weak_password", detail)));
    const user = setupUser();
    renderApp("/account");

    await user.type(await screen.findByLabelText("Current password"), "old secret words");
    await user.type(screen.getByLabelText("New password"), "password");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    const field = screen.getByLabelText("New password");
    await waitFor(() =>
      expect(field).toHaveAccessibleDescription(/This password is too easy to guess\. This is a top-10 common password\.$/),
    );
    await waitFor(() => expect(field).toHaveFocus());
    expect(screen.getByLabelText("Current password")).not.toHaveAccessibleDescription(/too easy/);
  });
});

describe("AccountPage sessions", () => {
  it("lists this device first, and names each Revoke button after its session", async () => {
    signedInViewer([
      session("s-old", "2026-01-10T08:00:00Z"),
      session("s-here", "2026-02-01T12:00:00Z", true),
      session("s-new", "2026-01-20T18:30:00Z"),
    ]);
    server.use(http.delete(`${API}/auth/sessions/s-new`, () => noContent()));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    await waitFor(() => expect(screen.getAllByTestId("session")).toHaveLength(3));
    const [first] = screen.getAllByTestId("session");
    expect(first).toHaveTextContent("This device");
    const revokes = screen.getAllByRole("button", { name: /^Revoke / }).map((b) => b.getAttribute("aria-label"));
    expect(revokes).toEqual([
      `Revoke Chrome on Linux, signed in ${formatDate("2026-01-10T08:00:00Z")}`,
      `Revoke Chrome on Linux, signed in ${formatDate("2026-01-20T18:30:00Z")}`,
    ]);

    await user.click(screen.getByRole("button", { name: revokes[1]! }));
    await waitFor(() => expect(screen.getAllByTestId("session")).toHaveLength(2));
    expect(sentTo(seen, "DELETE", `${API}/auth/sessions/s-new`)).toHaveLength(1);
    // Its row and the pressed button are gone: the focus is on what happened, not on the page's body.
    const notice = screen.getByTestId("done-notice");
    expect(notice).toHaveTextContent(`Signed out Chrome on Linux, signed in ${formatDate("2026-01-20T18:30:00Z")}.`);
    expect(notice).toHaveFocus();
  });

  it("holds a session's Revoke while it runs, focused (a keyboard user stays on it)", async () => {
    signedInViewer([session("s-here", "2026-02-01T12:00:00Z", true), session("s-new", "2026-01-20T18:30:00Z")]);
    const { held, release } = holdAnswer();
    server.use(
      http.delete(`${API}/auth/sessions/s-new`, async () => {
        await held;
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const revoke = await screen.findByRole("button", { name: /^Revoke / });
    revoke.focus();
    await user.keyboard("{Enter}");
    expect(revoke).toHaveTextContent("Revoking…");
    expect(revoke).toHaveAttribute("aria-disabled", "true");
    expect(revoke).toHaveFocus();
    await user.keyboard("{Enter}"); // held: not sent twice
    release();
    const notice = await screen.findByTestId("done-notice");
    await waitFor(() => expect(notice).toHaveFocus()); // focused by an effect after it shows
    expect(sentTo(seen, "DELETE", `${API}/auth/sessions/s-new`)).toHaveLength(1);
  });

  it("asks before signing out everywhere: Cancel sends nothing, confirming signs every session out", async () => {
    signedInViewer();
    server.use(http.post(`${API}/auth/logout-all`, () => noContent()));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    await user.click(await screen.findByRole("button", { name: "Sign out everywhere" }));
    let dialog = screen.getByRole("alertdialog", { name: "Sign out everywhere?" });
    expect(dialog).toHaveAccessibleDescription(/this one included/);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", `${API}/auth/logout-all`)).toHaveLength(0);
    expect(screen.getByTestId("location")).toHaveTextContent("/account");

    await user.click(screen.getByRole("button", { name: "Sign out everywhere" }));
    dialog = screen.getByRole("alertdialog", { name: "Sign out everywhere?" });
    const confirm = within(dialog).getByRole("button", { name: "Sign out everywhere" });
    expect(confirm).toHaveClass("danger"); // this device is signed out too
    await user.click(confirm);

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin/));
    expect(sentTo(seen, "POST", `${API}/auth/logout-all`)).toHaveLength(1);
  });

  /** A viewer on Account confirms signing out everywhere, the server answering `answer`. */
  async function signOutEverywhereAnswered(answer: () => Response) {
    signedInViewer();
    server.use(http.post(`${API}/auth/logout-all`, answer));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");
    await user.click(await screen.findByRole("button", { name: "Sign out everywhere" }));
    const dialog = screen.getByRole("alertdialog", { name: "Sign out everywhere?" });
    await user.click(within(dialog).getByRole("button", { name: "Sign out everywhere" }));
    return seen;
  }

  it("says on the sign-in page when the server signed every session out in part", async () => {
    const seen = await signOutEverywhereAnswered(() =>
      apiError(503, "sign_out_incomplete", "signed out: every session of this account can no longer be renewed"),
    );
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin/));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent(
      "You are signed out on every device. Part of the server was not answering, so it takes full effect within a few minutes.",
    );
    // The refresh cookie goes along: by it the server signs out while it cannot check tokens.
    expect(sentTo(seen, "POST", `${API}/auth/logout-all`)[0]?.headers.get("X-Refresh-Cookie")).toBe("1");
    expect(hasSessionMarker()).toBe(false);
  });

  it("stays signed in, saying so, when the server signed nothing out", async () => {
    await signOutEverywhereAnswered(() => apiError(503, "kv_unavailable", "the revocation list is unavailable"));
    expect(await screen.findByText(/Could not sign out everywhere/)).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(hasSessionMarker()).toBe(true);
    expect(screen.getByRole("button", { name: "Sign out everywhere" })).toBeEnabled();
  });
});

describe("deleting one's account", () => {
  const DELETE = `${API}/auth/me/delete`;

  it("asks for the password and a confirmation, then signs out and says so", async () => {
    signedInViewer();
    server.use(http.post(DELETE, () => noContent()));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const form = await screen.findByRole("form", { name: "Delete account" });
    await user.type(within(form).getByLabelText("Password"), "my secret words");
    await user.click(within(form).getByRole("button", { name: "Delete account" }));
    expect(form).toHaveTextContent("Your account, its sessions, your watch history, your playlists and your comments are deleted; replies others wrote to your comments stay.");
    const dialog = screen.getByRole("alertdialog", { name: "Delete your account?" });
    expect(dialog).toHaveTextContent("your playlists and your comments are deleted for good; replies others wrote to your comments stay.");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "POST", DELETE)).toHaveLength(0);

    await user.click(within(form).getByRole("button", { name: "Delete account" }));
    const confirm = within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete account" });
    expect(confirm).toHaveClass("danger");
    await user.click(confirm);

    expect(await screen.findByTestId("signin-reason")).toHaveTextContent("Your account was deleted.");
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/);
    expect(await sentTo(seen, "POST", DELETE)[0]?.request.json()).toEqual({ password: "my secret words" });
  });

  it("tells a wrong password at its field and stays signed in", async () => {
    signedInViewer();
    server.use(http.post(DELETE, () => apiError(403, "wrong_password", "the current password is wrong")));
    const user = setupUser();
    renderApp("/account");

    const form = await screen.findByRole("form", { name: "Delete account" });
    await user.type(within(form).getByLabelText("Password"), "a wrong guess");
    await user.click(within(form).getByRole("button", { name: "Delete account" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete account" }));

    expect(await within(form).findByText("The password is not correct.")).toBeInTheDocument();
    await waitFor(() => expect(within(form).getByLabelText("Password")).toHaveFocus());
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(within(form).getByRole("button", { name: "Delete account" })).not.toHaveAttribute("aria-disabled");
  });
});

describe("new password fields", () => {
  it("tell the generated length limits and to pick one not easy to guess, before anything is sent", async () => {
    signedInViewer();
    server.use(http.post(`${API}/auth/password-reset/check`, () => ok({ masked_email: "v***@example.com" })));
    const rule = passwordRule();
    const expectRule = (field: HTMLElement) => {
      expect(field).toHaveAccessibleDescription(rule);
      expect(field).toHaveAttribute("minlength", String(LIMITS.passwordMin));
      expect(field).toHaveAttribute("maxlength", String(LIMITS.passwordMax));
    };
    const { unmount } = renderApp("/account");
    expectRule(await screen.findByLabelText("New password")); // changing it
    unmount();
    renderApp("/reset-password#code=RESET-1");
    expectRule(await screen.findByLabelText("New password")); // a reset link
    // The server's own minimum; and it refuses a password too easy to guess.
    expect(rule).toBe(`8 to ${LIMITS.passwordMax} characters, not easy to guess.`);
  });
});

describe("ResetPasswordPage", () => {
  it("takes the code from the link's fragment and sets the password once", async () => {
    server.use(
      http.post(`${API}/auth/password-reset/check`, () => ok({ masked_email: "v***@example.com" })),
      http.post(`${API}/auth/password-reset`, () => noContent(), { once: true }),
      http.post(`${API}/auth/password-reset`, () => apiError(400, "invalid_reset_code", "used")),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/reset-password#code=RESET-1");

    // The link's code is sent as it came, not shown to edit.
    await user.type(await screen.findByLabelText("New password"), "a fresh long password");
    expect(screen.queryByLabelText("Reset code")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Set password" }));

    expect(await screen.findByTestId("reset-done")).toHaveTextContent("Your password is set.");
    const [sent] = sentTo(seen, "POST", `${API}/auth/password-reset`);
    expect(await sent?.request.json()).toEqual({ code: "RESET-1", new_password: "a fresh long password" });
    expect(sent?.headers.get("Authorization")).toBeNull();
  });

  it("explains a used or expired link", async () => {
    server.use(
      http.post(`${API}/auth/password-reset/check`, () => ok({ masked_email: "v***@example.com" })), // used after the page opened
      http.post(`${API}/auth/password-reset`, () => apiError(400, "invalid_reset_code", "used")),
    );
    const user = setupUser();
    renderApp("/reset-password#code=OLD");
    await user.type(await screen.findByLabelText("New password"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByTestId("reset-error")).toHaveTextContent("This reset code is not valid: it may be mistyped");
  });
});
