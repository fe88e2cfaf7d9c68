import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../api/limits";
import { renderApp, setupUser } from "../test/render";
import { hadSession } from "../test/fixtures";
import { API, apiError, http, noContent, nothingWatched, ok, recordRequests, refreshGives, sentTo, server, tokens, twoFactorOff, VIEWER } from "../test/server";

const REGISTER = `${API}/auth/register`;

function registration(mode: "open" | "invite" | "closed") {
  server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: mode })));
}

/** The server takes the registration and signs the new viewer in. */
function registered() {
  return [
    http.post(REGISTER, () => ok(VIEWER)),
    http.post(`${API}/auth/login`, () => ok(tokens("tok-new"))),
    http.get(`${API}/auth/me`, () => ok(VIEWER)),
  ];
}

/** The Browse page the new viewer lands on: nothing published, nothing watched. */
function emptyBrowse() {
  return [http.get(`${API}/catalogue`, () => ok({ items: [], total: 0, page: 1, page_size: 24 })), ...nothingWatched()];
}

async function fillAndSubmit(email = "new@example.com", password = "correct horse battery") {
  const user = setupUser();
  await user.type(await screen.findByLabelText("Email"), email);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Create account" }));
  return user;
}

describe("RegisterPage", () => {
  it("takes the invite code from an invite link (its fragment) and sends it", async () => {
    registration("invite");
    server.use(
      ...registered(),
      ...emptyBrowse(),
    );
    const seen = recordRequests();
    renderApp("/register#invite=CODE-42");

    expect(await screen.findByLabelText("Invite code")).toHaveValue("CODE-42");
    expect(screen.getByLabelText("Invite code")).toBeRequired();
    await fillAndSubmit();

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
    expect(await sentTo(seen, "POST", REGISTER)[0]?.request.json()).toEqual({
      email: "new@example.com",
      password: "correct horse battery",
      invite_code: "CODE-42",
    });
  });

  it("fills in the address a mailed invite's link names, to edit before it is sent", async () => {
    registration("invite");
    server.use(
      ...registered(),
      ...emptyBrowse(),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/register#invite=CODE-43&email=guest%2Bfilms%40example.org");

    // Encoded as the mail carries it: a "+" stays a "+".
    const email = await screen.findByLabelText("Email");
    expect(email).toHaveValue("guest+films@example.org");
    expect(screen.getByLabelText("Invite code")).toHaveValue("CODE-43");
    await user.clear(email);
    await user.type(email, "guest@example.org");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
    expect(await sentTo(seen, "POST", REGISTER)[0]?.request.json()).toEqual({
      email: "guest@example.org",
      password: "correct horse battery",
      invite_code: "CODE-43",
    });
  });

  it("says whose session it is when an invite link (one made before, its code in the query) is opened signed in, and offers the form once signed out", async () => {
    registration("invite");
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.post(`${API}/auth/logout`, () => noContent()),
      ...nothingWatched(),
    );
    const user = setupUser();
    renderApp("/register?invite=CODE-42");

    expect(await screen.findByTestId("invite-signed-in")).toHaveTextContent(`You are signed in as ${VIEWER.email}`);
    expect(screen.getByTestId("location")).toHaveTextContent("/register");
    await user.click(screen.getByRole("button", { name: "Sign out and use the invite" }));

    expect(await screen.findByLabelText("Invite code")).toHaveValue("CODE-42");
  });

  it("goes on to the page that sent the visitor to sign in, when they create an account from there", async () => {
    registration("open");
    server.use(...registered(), http.get(`${API}/auth/sessions`, () => ok({ items: [] })), twoFactorOff());
    renderApp("/account");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    await setupUser().click(screen.getByRole("link", { name: "Create one" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/register"));

    await fillAndSubmit();

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/account$/));
    expect(await screen.findByTestId("account-email")).toBeInTheDocument();
  });

  it("passes the page to go back to on to the sign-in link", async () => {
    registration("open");
    server.use(...registered(), http.get(`${API}/auth/sessions`, () => ok({ items: [] })), twoFactorOff());
    renderApp("/account");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    const user = setupUser();
    await user.click(screen.getByRole("link", { name: "Create one" }));
    const haveOne = await screen.findByText(/Already have an account/);
    await user.click(within(haveOne).getByRole("link", { name: "Sign in" }));
    await user.type(await screen.findByLabelText("Email"), "viewer@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/account$/));
  });

  it.each([
    ["invite_required", "This server is invite-only"],
    ["invalid_invite", "This invite code is not valid"],
    ["registration_disabled", "Registration is closed on this server"],
  ])("explains a %s refusal", async (code, message) => {
    registration("open");
    server.use(http.post(REGISTER, () => apiError(403, code, "refused")));
    const seen = recordRequests();
    renderApp("/register");

    await fillAndSubmit();

    expect(await screen.findByTestId("register-error")).toHaveTextContent(message);
    // Without a code in the form, none is sent.
    expect(await sentTo(seen, "POST", REGISTER)[0]?.request.json()).not.toHaveProperty("invite_code");
  });

  it("tells an email an account has already at its field, which takes the focus, until the next try", async () => {
    registration("open");
    server.use(http.post(REGISTER, () => apiError(409, "email_taken", "taken")));
    renderApp("/register");

    const user = await fillAndSubmit();

    const email = screen.getByLabelText("Email");
    // Tied to the field (it was a separate alert, the field invalid with nothing describing it).
    await waitFor(() => expect(email).toHaveAccessibleDescription(/^An account with this email already exists/));
    expect(email).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(email).toHaveFocus());
    expect(screen.queryByTestId("register-error")).not.toBeInTheDocument();
    server.use(http.post(REGISTER, () => apiError(403, "registration_disabled", "closed")));
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByTestId("register-error")).toHaveTextContent("Registration is closed"));
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
  });

  it("tells a name that could pass for an admin's at the name's field, which takes the focus", async () => {
    registration("open");
    server.use(http.post(REGISTER, () => apiError(409, "display_name_reserved", "this name could be taken for an admin's; choose another")));
    const user = setupUser();
    renderApp("/register");

    await user.type(await screen.findByLabelText("Display name (optional)"), "\u0410dmin");
    await fillAndSubmit();

    const name = screen.getByLabelText("Display name (optional)");
    await waitFor(() => expect(name).toHaveAccessibleDescription("This name could be taken for an admin's; choose another"));
    expect(name).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(name).toHaveFocus());
    expect(screen.queryByTestId("register-error")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
  });

  it("says a password is too easy to guess in words, not as the API's 'password: …' detail", async () => {
    registration("open");
    const detail = "password: too easy to guess. This is a top-10 common password. Add another word or two.";
    server.use(http.post(REGISTER, () => apiError(400, "weak_password", detail)));
    renderApp("/register");

    await fillAndSubmit("new@example.com", "password");

    // Told at the password field, which takes the focus back to type another.
    const field = screen.getByLabelText("Password");
    await waitFor(() =>
      expect(field).toHaveAccessibleDescription(
        /This password is too easy to guess\. This is a top-10 common password\. Add another word or two\.$/,
      ),
    );
    expect(field).toHaveFocus();
    expect(screen.queryByTestId("register-error")).not.toBeInTheDocument();
    // The focus moved to the field, which says its error: no alert says it a second time.
    expect(screen.queryAllByRole("alert").filter((alert) => alert.textContent !== "")).toEqual([]);
  });

  it("says how long to wait when registering is throttled, in plain words", async () => {
    registration("open");
    server.use(
      http.post(REGISTER, () =>
        apiError(429, "throttled_address", "too many registrations from this address; try again later", {
          "Retry-After": "600",
        }),
      ),
    );
    renderApp("/register");

    await fillAndSubmit();

    expect(await screen.findByTestId("register-error")).toHaveTextContent(
      /^Too many attempts, try again in about 10 minutes\.$/,
    );
  });

  it("says a refused password aloud when Enter in its field sent the form (the focus had nowhere to move)", async () => {
    registration("open");
    const detail = "password: too easy to guess. This is a top-10 common password.";
    server.use(http.post(REGISTER, () => apiError(400, "weak_password", detail)));
    const user = setupUser();
    renderApp("/register");

    await user.type(await screen.findByLabelText("Email"), "new@example.com");
    await user.type(screen.getByLabelText("Password"), "password1234{Enter}");

    const field = screen.getByLabelText("Password");
    await waitFor(() => expect(field).toHaveAccessibleDescription(/top-10 common password\.$/));
    await waitFor(() => expect(field).toHaveFocus());
    const said = screen.queryAllByRole("alert").map((alert) => alert.textContent).filter(Boolean);
    expect(said).toEqual(["This password is too easy to guess. This is a top-10 common password."]);
  });

  it("asks no invite code when registration is open, and says when it is closed", async () => {
    registration("open");
    const { unmount } = renderApp("/register");
    expect(await screen.findByLabelText("Email")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByLabelText(/Invite code/)).not.toBeInTheDocument());
    unmount();

    registration("closed");
    renderApp("/register");
    expect(await screen.findByTestId("registration-closed")).toHaveTextContent("Registration is closed");
    expect(screen.queryByRole("button", { name: "Create account" })).not.toBeInTheDocument();
  });

  it("tells the password's rule under the field before anything is sent, and sends no too-short one", async () => {
    registration("open");
    const seen = recordRequests();
    renderApp("/register");

    const password = await screen.findByLabelText("Password");
    expect(password).toHaveAccessibleDescription(`8 to ${LIMITS.passwordMax} characters, not easy to guess.`);
    expect(password).toHaveAttribute("minlength", "8");
    expect(password).toHaveAttribute("maxlength", String(LIMITS.passwordMax));

    await fillAndSubmit("new@example.com", "short");
    expect(await screen.findByTestId("register-error")).toHaveTextContent(
      `The password is too short: 8 to ${LIMITS.passwordMax} characters.`,
    );
    expect(sentTo(seen, "POST", REGISTER)).toHaveLength(0);
  });
});
