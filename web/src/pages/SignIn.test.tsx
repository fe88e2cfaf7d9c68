import { act, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getAccessToken } from "../api/tokenStore";
import { mediaPage } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import {
  ADMIN,
  API,
  apiError,
  holdAnswer,
  http,
  nothingWatched,
  ok,
  recordRequests,
  sentTo,
  server,
  tokens,
  twoFactorOff,
} from "../test/server";

afterEach(() => {
  vi.useRealTimers();
});

async function fillAndSubmit(email: string, password: string) {
  const user = setupUser();
  await user.type(await screen.findByLabelText("Email"), email);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("SignInPage", () => {
  it("shows a wrong-credentials message on 401", async () => {
    server.use(http.post(`${API}/auth/login`, () => apiError(401, "invalid_credentials", "Invalid email or password")));
    const seen = recordRequests();
    renderApp("/signin");

    await fillAndSubmit("someone@example.com", "not-the-password");

    const alert = await screen.findByTestId("signin-error");
    expect(alert).toHaveTextContent(/wrong credentials/i);
    expect(alert).toHaveAttribute("role", "alert");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(getAccessToken()).toBeNull();
    const [login] = sentTo(seen, "POST", `${API}/auth/login`);
    expect(await login?.request.json()).toEqual({ email: "someone@example.com", password: "not-the-password" });
    expect(login?.headers.get("X-Refresh-Cookie")).toBe("1");
    // Resets are made by an administrator: the page says whom to ask.
    expect(screen.getByTestId("forgot-password")).toHaveTextContent("Ask an administrator for a reset link.");
  });

  it("has no empty alerts before anything goes wrong (a screen reader lists them, saying nothing)", async () => {
    renderApp("/signin");
    await screen.findByLabelText("Email");
    expect(screen.queryAllByRole("alert")).toEqual([]);
  });

  it("keeps the focus on Sign in, pressed with Enter, while it runs and once refused, and signs in once", async () => {
    const { held, release } = holdAnswer();
    server.use(
      http.post(`${API}/auth/login`, async () => {
        await held;
        return apiError(401, "invalid_credentials", "Invalid email or password");
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/signin");
    await user.type(await screen.findByLabelText("Email"), "someone@example.com");
    await user.type(screen.getByLabelText("Password"), "not-the-password");
    await user.tab();
    const button = screen.getByRole("button", { name: "Sign in" });
    expect(button).toHaveFocus();

    await user.keyboard("{Enter}");
    const signingIn = await screen.findByRole("button", { name: "Signing in…" });
    // The same button, held: not disabled, which in Chromium would drop the focus to the body.
    expect(signingIn).toBe(button);
    expect(button).toHaveAttribute("aria-disabled", "true");
    expect(button).not.toBeDisabled();
    expect(button).toHaveFocus();
    await user.keyboard("{Enter}");
    release();

    expect(await screen.findByTestId("signin-error")).toHaveTextContent(/wrong credentials/i);
    await waitFor(() => expect(button).toHaveFocus());
    expect(button).not.toHaveAttribute("aria-disabled");
    expect(sentTo(seen, "POST", `${API}/auth/login`)).toHaveLength(1);
  });

  it("shows 'too many attempts, try again in N seconds' from Retry-After and counts down", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.post(`${API}/auth/login`, () =>
        apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "30" }),
      ),
    );
    renderApp("/signin");

    await fillAndSubmit("someone@example.com", "password1");

    const alert = await screen.findByTestId("signin-throttled");
    expect(alert).toHaveTextContent("Too many attempts, try again in 30 seconds.");
    // Held while throttled, yet focusable (aria-disabled): a disabled button would drop the focus.
    expect(screen.getByRole("button", { name: "Sign in" })).toHaveAttribute("aria-disabled", "true");
    expect(screen.getByRole("button", { name: "Sign in" })).not.toBeDisabled();

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId("signin-throttled")).toHaveTextContent("Too many attempts, try again in 29 seconds.");
    // Said once: the countdown is not live (an alert read it out every second); the alert stays as it came.
    expect(alert).not.toHaveAttribute("role");
    expect(alert.closest("[aria-live], [role=alert], [role=status]")).toBeNull();
    expect(screen.getByText("Too many attempts, try again in 30 seconds.")).toHaveAttribute("role", "alert");
  });

  it("says a wait of one second in the singular", async () => {
    server.use(
      http.post(`${API}/auth/login`, () => apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "1" })),
    );
    renderApp("/signin");
    await fillAndSubmit("someone@example.com", "password1");

    // Shown and said alike.
    expect(await screen.findByTestId("signin-throttled")).toHaveTextContent(/^Too many attempts, try again in a second\.$/);
    expect(screen.getByTestId("signin-throttled").nextElementSibling).toHaveTextContent(
      /^Too many attempts, try again in a second\.$/,
    );
  });

  it("tells a long wait in minutes, shown and said in the same words", async () => {
    server.use(
      http.post(`${API}/auth/login`, () => apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "464" })),
    );
    renderApp("/signin");
    await fillAndSubmit("someone@example.com", "password1");

    const said = "Too many attempts, try again in about 8 minutes.";
    expect(await screen.findByTestId("signin-throttled")).toHaveTextContent(said);
    const alert = screen.getByTestId("signin-throttled").nextElementSibling;
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent(said);
  });

  it("re-enables sign in once the wait is over", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.post(`${API}/auth/login`, () => apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "2" })),
    );
    renderApp("/signin");
    await fillAndSubmit("someone@example.com", "password1");
    expect(await screen.findByTestId("signin-throttled")).toHaveTextContent("try again in 2 seconds.");

    await act(() => vi.advanceTimersByTimeAsync(3000));

    expect(screen.queryByTestId("signin-throttled")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in" })).not.toHaveAttribute("aria-disabled");
  });

  it("says why the visitor was sent here until an attempt is refused, then only the refusal", async () => {
    server.use(
      http.post(`${API}/auth/login`, () =>
        apiError(403, "account_disabled", "This account is disabled. Ask an administrator to enable it again."),
      ),
    );
    renderApp("/account");
    await waitFor(() => expect(screen.getByTestId("signin-reason")).toHaveTextContent("Sign in to continue."));

    await fillAndSubmit("bob@example.com", "password1");

    expect(await screen.findByTestId("signin-error")).toHaveTextContent("This account is disabled.");
    expect(screen.queryByTestId("signin-reason")).not.toBeInTheDocument();
  });

  it("signs in, keeps the token in memory and goes back where the user came from", async () => {
    server.use(
      http.post(`${API}/auth/login`, () => ok(tokens("tok-1"))),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      twoFactorOff(),
    );
    renderApp("/account");

    // Redirected to sign in first (saying why), then back to /account.
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Sign in to continue.");
    await fillAndSubmit("admin@example.com", "password1");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/account"));
    expect(await screen.findByTestId("account-email")).toHaveTextContent("admin@example.com");
    expect(getAccessToken()).toBe("tok-1");
    expect(sessionStorage.length).toBe(0);
  });

  it("says when the account is disabled", async () => {
    server.use(http.post(`${API}/auth/login`, () => apiError(403, "account_disabled", "this account is disabled")));
    renderApp("/signin");
    await fillAndSubmit("bob@example.com", "the right password");
    expect(await screen.findByTestId("signin-error")).toHaveTextContent("This account is disabled.");
  });
});

describe("SignInPage with two-factor authentication", () => {
  /** A login that wants `right` as the code after the password "the right password". */
  function twoFactorLogin(right: string) {
    return http.post(`${API}/auth/login`, async ({ request }) => {
      const body = (await request.json()) as { password: string; code?: string };
      if (body.password !== "the right password") return apiError(401, "invalid_credentials", "Invalid email or password");
      if (body.code === undefined) return apiError(401, "two_factor_required", "enter the code from your authenticator app");
      // As the server does, spaces and dashes are ignored.
      const strip = (code: string) => code.replace(/[\s-]/g, "");
      return strip(body.code) === strip(right) ? ok(tokens("tok-2fa")) : apiError(401, "invalid_code", "the code is wrong or was used");
    });
  }

  it("asks for the app's code after the password and sends it with the email and password kept in memory", async () => {
    server.use(twoFactorLogin("123456"), http.get(`${API}/auth/me`, () => ok({ ...ADMIN, two_factor: true })));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");

    const field = await screen.findByLabelText("Code from your authenticator app");
    await waitFor(() => expect(field).toHaveFocus());
    expect(field).toHaveAttribute("inputmode", "numeric");
    expect(field).toHaveAttribute("autocomplete", "one-time-code");
    expect(screen.getByTestId("signin-code-asked")).toHaveTextContent("authenticator app for admin@example.com");
    expect(screen.queryByTestId("signin-error")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Password")).not.toBeInTheDocument();

    await user.type(field, "123 456");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(getAccessToken()).toBe("tok-2fa"));
    const [, second] = sentTo(seen, "POST", `${API}/auth/login`);
    expect(await second?.request.json()).toEqual({
      email: "admin@example.com",
      password: "the right password",
      code: "123 456",
    });
    // Neither the password nor the code is kept anywhere but in memory.
    expect(sessionStorage.length).toBe(0);
    expect(JSON.stringify({ ...localStorage })).not.toContain("123 456");
  });

  it("says a wrong or used code in plain words, keeps the form and lets the code be typed again", async () => {
    server.use(twoFactorLogin("123456"), http.get(`${API}/auth/me`, () => ok(ADMIN)));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    const field = await screen.findByLabelText("Code from your authenticator app");
    await user.type(field, "999999");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByTestId("signin-error")).toHaveTextContent(
      "That code is not right, or was used already. Codes change every 30 seconds.",
    );
    expect(field).toHaveValue("");
    expect(getAccessToken()).toBeNull();

    await user.type(field, "123456");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(getAccessToken()).toBe("tok-2fa"));
    const third = sentTo(seen, "POST", `${API}/auth/login`)[2];
    expect(await third?.request.json()).toMatchObject({ password: "the right password", code: "123456" });
  });

  it("says a wrong or used recovery code without the app codes' 30 seconds, and a switch forgets the last refusal", async () => {
    server.use(twoFactorLogin("123456"));
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    await user.type(await screen.findByLabelText("Code from your authenticator app"), "999999");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("signin-error")).toHaveTextContent("Codes change every 30 seconds.");

    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    expect(screen.queryByTestId("signin-error")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Recovery code"), "abcde-zzzzz");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const error = await screen.findByTestId("signin-error");
    expect(error).toHaveTextContent(/^That recovery code is not right, or was used already\.$/);

    await user.click(screen.getByRole("button", { name: "Use the code from your app instead" }));
    expect(screen.queryByTestId("signin-error")).not.toBeInTheDocument();
  });

  it("says once, on the page signed in to, how many recovery codes are left after using one", async () => {
    server.use(
      twoFactorLogin("abcde-fghjk"),
      http.get(`${API}/auth/me`, () => ok({ ...ADMIN, two_factor: true })),
      http.get(`${API}/auth/me/two-factor`, () =>
        ok({ enabled: true, enabled_at: "2026-01-01T00:00:00Z", recovery_codes_left: 3 }),
      ),
      http.get(`${API}/catalogue`, () => ok(mediaPage([]))),
      ...nothingWatched(),
    );
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    await user.click(await screen.findByRole("button", { name: "Use a recovery code instead" }));
    await user.type(screen.getByLabelText("Recovery code"), "abcde-fghjk");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const notice = await screen.findByTestId("recovery-code-used");
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/);
    expect(notice).toHaveTextContent(
      "You used a recovery code: 3 left. Make new ones on your Account page if you are running out.",
    );
    expect(notice.querySelector("a")).toHaveAttribute("href", "/account");

    // Once: the next page does not say it again.
    await user.click(screen.getByRole("link", { name: "History" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/history$/));
    expect(screen.queryByTestId("recovery-code-used")).not.toBeInTheDocument();
  });

  it("says nothing of recovery codes after signing in with the app's code", async () => {
    server.use(
      twoFactorLogin("123456"),
      http.get(`${API}/auth/me`, () => ok({ ...ADMIN, two_factor: true })),
      http.get(`${API}/catalogue`, () => ok(mediaPage([]))),
      ...nothingWatched(),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    await user.type(await screen.findByLabelText("Code from your authenticator app"), "123456");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
    await screen.findByRole("heading", { level: 1 });
    expect(screen.queryByTestId("recovery-code-used")).not.toBeInTheDocument();
    expect(sentTo(seen, "GET", `${API}/auth/me/two-factor`)).toEqual([]);
  });

  it("takes a recovery code instead, in a field of letters", async () => {
    server.use(
      twoFactorLogin("abcde-fghjk"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(`${API}/auth/me/two-factor`, () => ok({ enabled: true, enabled_at: null, recovery_codes_left: 9 })),
    );
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    await screen.findByLabelText("Code from your authenticator app");

    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    const field = screen.getByLabelText("Recovery code");
    expect(field).toHaveAttribute("inputmode", "text");
    expect(field).toHaveFocus();
    expect(screen.getByRole("button", { name: "Use the code from your app instead" })).toBeInTheDocument();
    await user.type(field, "abcde-fghjk");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(getAccessToken()).toBe("tok-2fa"));
  });

  it("starts over from the email and password, forgetting the password", async () => {
    server.use(twoFactorLogin("123456"));
    const user = setupUser();
    renderApp("/signin");
    await fillAndSubmit("admin@example.com", "the right password");
    await user.type(await screen.findByLabelText("Code from your authenticator app"), "12");

    await user.click(screen.getByRole("button", { name: "Start over with another email or password" }));

    expect(screen.getByLabelText("Email")).toHaveValue("admin@example.com");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(screen.queryByLabelText("Code from your authenticator app")).not.toBeInTheDocument();
  });
});

describe("the addresses people type for the sign-in page", () => {
  it.each(["/login", "/sign-in"])("%s goes to /signin, keeping its query and where to go on to", async (path) => {
    server.use(
      http.post(`${API}/auth/login`, () => ok(tokens("tok-typed"))),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      ...nothingWatched(),
    );
    renderApp(`${path}?next=%2Fhistory`, { from: "/history", reason: "watch" });

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin\?next=%2Fhistory$/);
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Sign in to watch.");

    await fillAndSubmit("admin@example.com", "the right password");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/history$/));
  });
});
