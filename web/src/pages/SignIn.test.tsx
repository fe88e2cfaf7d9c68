import { act, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getAccessToken } from "../api/tokenStore";
import { ADMIN, apiError, FakeServer, json, tokens } from "../test/http";
import { renderApp, setupUser } from "../test/render";

afterEach(() => {
  vi.useRealTimers();
});

function serverWithoutSession() {
  return new FakeServer().on("POST", "/api/v1/auth/refresh", apiError(401, "invalid_refresh_token", "No session"));
}

async function fillAndSubmit(email: string, password: string) {
  const user = setupUser();
  await user.type(await screen.findByLabelText("Email"), email);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("SignInPage", () => {
  it("shows a wrong-credentials message on 401", async () => {
    const server = serverWithoutSession().on(
      "POST",
      "/api/v1/auth/login",
      apiError(401, "invalid_credentials", "Invalid email or password"),
    );
    renderApp("/signin");

    await fillAndSubmit("someone@example.com", "not-the-password");

    const alert = await screen.findByTestId("signin-error");
    expect(alert).toHaveTextContent(/wrong credentials/i);
    expect(alert).toHaveAttribute("role", "alert");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(getAccessToken()).toBeNull();
    const [login] = server.requestsTo("POST", "/api/v1/auth/login");
    expect(login?.body).toEqual({ email: "someone@example.com", password: "not-the-password" });
    expect(login?.headers.get("X-Refresh-Cookie")).toBe("1");
  });

  it("shows 'too many attempts, try again in N s' from Retry-After and counts down", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serverWithoutSession().on(
      "POST",
      "/api/v1/auth/login",
      apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "30" }),
    );
    renderApp("/signin");

    await fillAndSubmit("someone@example.com", "password1");

    const alert = await screen.findByTestId("signin-throttled");
    expect(alert).toHaveTextContent("Too many attempts, try again in 30 s.");
    expect(screen.getByRole("button", { name: "Sign in" })).toBeDisabled();

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId("signin-throttled")).toHaveTextContent("Too many attempts, try again in 29 s.");
  });

  it("re-enables sign in once the wait is over", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serverWithoutSession().on(
      "POST",
      "/api/v1/auth/login",
      apiError(429, "too_many_attempts", "Too many attempts", { "Retry-After": "2" }),
    );
    renderApp("/signin");
    await fillAndSubmit("someone@example.com", "password1");
    expect(await screen.findByTestId("signin-throttled")).toHaveTextContent("try again in 2 s.");

    await act(() => vi.advanceTimersByTimeAsync(3000));

    expect(screen.queryByTestId("signin-throttled")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("signs in, keeps the token in memory and goes back where the user came from", async () => {
    serverWithoutSession()
      .on("POST", "/api/v1/auth/login", json(tokens("tok-1")))
      .on("GET", "/api/v1/auth/me", json(ADMIN))
      .on("GET", "/api/v1/auth/sessions", json([]));
    renderApp("/account");

    // Redirected to sign in first, then back to /account.
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    await fillAndSubmit("admin@example.com", "password1");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/account"));
    expect(await screen.findByTestId("account-email")).toHaveTextContent("admin@example.com");
    expect(getAccessToken()).toBe("tok-1");
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });
});
