import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, noContent, ok, recordRequests, sentTo, server } from "../test/server";

const CHECK = `${API}/auth/password-reset/check`;
const RESET = `${API}/auth/password-reset`;

describe("ResetPasswordPage opening a link", () => {
  it("checks the code while it says so, then shows the form of a live link", async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    server.use(
      http.post(CHECK, async () => {
        await answered;
        return ok({ masked_email: "a***@example.test" });
      }),
      http.post(RESET, () => noContent()),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/reset-password#code=LIVE-1");

    expect(await screen.findByTestId("reset-checking")).toHaveTextContent("Checking the reset link");
    expect(screen.queryByLabelText("New password")).not.toBeInTheDocument();
    answer();

    // The link's code goes as it came: not shown in a field to edit.
    expect(await screen.findByLabelText("New password")).toBeInTheDocument();
    expect(screen.queryByLabelText("Reset code")).not.toBeInTheDocument();
    // The page names the account masked, as the server gave it (a link that strayed must not
    // hand over the address), and files no password under that masked name.
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(/^Set a new password for a\*\*\*@example\.test$/);
    expect(document.querySelector('input[autocomplete="username"]')).toBeNull();
    const [check] = sentTo(seen, "POST", CHECK);
    // The code travels in the body, never in the URL (URLs end up in logs), and anonymously.
    expect(await check?.request.json()).toEqual({ code: "LIVE-1" });
    expect(check?.url.search).toBe("");
    expect(check?.headers.get("Authorization")).toBeNull();
    expect(screen.queryByTestId("reset-error")).not.toBeInTheDocument();

    await user.type(screen.getByLabelText("New password"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByTestId("reset-done")).toHaveTextContent("Your password is set.");
    expect(await sentTo(seen, "POST", RESET)[0]?.request.json()).toEqual({
      code: "LIVE-1",
      new_password: "a fresh long password",
    });
  });

  it("tells at once that a used or expired link is dead, with no form to fill", async () => {
    server.use(http.post(CHECK, () => apiError(403, "invalid_reset_code", "this password-reset code is not valid")));
    const seen = recordRequests();
    renderApp("/reset-password#code=USED-1");

    const dead = await screen.findByTestId("reset-link-dead");
    expect(dead).toHaveTextContent(
      "This reset code is not valid: it may be mistyped, used already or expired. Ask an administrator for a new link.",
    );
    expect(within(dead).getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin");
    expect(screen.queryByLabelText("New password")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Set password" })).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", CHECK)).toHaveLength(1);
    expect(sentTo(seen, "POST", RESET)).toHaveLength(0);
  });

  it("sends the owner to ask for a new link when the server mails them", async () => {
    server.use(
      http.get(`${API}/auth/config`, () => ok({ registration_mode: "open", mail: true })),
      http.post(CHECK, () => apiError(403, "invalid_reset_code", "this password-reset code is not valid")),
    );
    renderApp("/reset-password#code=USED-1");

    const dead = await screen.findByTestId("reset-link-dead");
    const ask = await within(dead).findByRole("link", { name: "Ask for a new link" });
    expect(ask).toHaveAttribute("href", "/forgot-password");
    expect(dead).not.toHaveTextContent("administrator");
    expect(within(dead).getByRole("link", { name: "sign in" })).toHaveAttribute("href", "/signin");
  });

  it("still offers the form when the check is refused for another reason, and says why", async () => {
    server.use(
      http.post(CHECK, () =>
        apiError(429, "reset_throttled", "too many password resets from this address; try again later", {
          "Retry-After": "30",
        }),
      ),
    );
    renderApp("/reset-password#code=LIVE-2");

    expect(await screen.findByTestId("reset-error")).toHaveTextContent(/^Too many attempts, try again in 30 seconds\.$/);
    expect(screen.getByLabelText("New password")).toBeInTheDocument();
    expect(screen.queryByLabelText("Reset code")).not.toBeInTheDocument();
    // No account was named: none is claimed.
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(/^Set a new password$/);
    expect(document.querySelector('input[autocomplete="username"]')).toBeNull();
  });

  it("tells a password too easy to guess at its field, which takes the focus to type another", async () => {
    const detail = "password: too easy to guess. This is a top-10 common password.";
    server.use(
      http.post(CHECK, () => ok({ masked_email: "b***@example.test" })),
      http.post(RESET, () => apiError(400, "weak_password", detail)),
    );
    const user = setupUser();
    renderApp("/reset-password#code=LIVE-3");

    await user.type(await screen.findByLabelText("New password"), "password");
    await user.click(screen.getByRole("button", { name: "Set password" }));

    const field = screen.getByLabelText("New password");
    await waitFor(() =>
      expect(field).toHaveAccessibleDescription(
        /This password is too easy to guess\. This is a top-10 common password\.$/,
      ),
    );
    expect(field).toHaveFocus();
    expect(screen.queryByTestId("reset-error")).not.toBeInTheDocument();
  });

  it("asks nothing when the link carries no code, and takes a code typed by hand", async () => {
    server.use(http.post(RESET, () => noContent()));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/reset-password");

    const field = await screen.findByLabelText("Reset code");
    expect(field).toHaveValue("");
    expect(sentTo(seen, "POST", CHECK)).toHaveLength(0);
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(/^Set a new password$/);
    expect(document.querySelector('input[autocomplete="username"]')).toBeNull();

    await user.type(field, " TYPED-1 ");
    await user.type(screen.getByLabelText("New password"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByTestId("reset-done")).toBeInTheDocument();
    expect(await sentTo(seen, "POST", RESET)[0]?.request.json()).toEqual({
      code: "TYPED-1",
      new_password: "a fresh long password",
    });
  });
});
