import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, HttpResponse, ok, recordRequests, sentTo, server } from "../test/server";

const REQUEST = `${API}/auth/password-reset/request`;

function mailOn(on: boolean) {
  server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: "open", mail: on })));
}

async function askForLink(email: string) {
  const user = setupUser();
  await user.type(await screen.findByLabelText("Email"), email);
  await user.click(screen.getByRole("button", { name: "Send me a link" }));
}

describe("ForgotPasswordPage", () => {
  it("sends the email and says a link is on its way, whether or not an account has it", async () => {
    server.use(http.post(REQUEST, () => new HttpResponse(null, { status: 202 })));
    const seen = recordRequests();
    renderApp("/forgot-password");

    await askForLink("  someone@example.com ");

    expect(await screen.findByTestId("forgot-sent")).toHaveTextContent(
      "If an account has this email, a link to set a new password is on its way. It works for an hour; check your spam folder if it does not arrive.",
    );
    const [sent] = sentTo(seen, "POST", REQUEST);
    expect(await sent?.request.json()).toEqual({ email: "someone@example.com" });
    expect(screen.queryByRole("button", { name: "Send me a link" })).toBeNull();
  });

  it("says when to try again, in words, when asked too often", async () => {
    server.use(
      http.post(REQUEST, () =>
        apiError(429, "reset_throttled", "a reset link was sent to this email a moment ago", { "Retry-After": "170" }),
      ),
    );
    renderApp("/forgot-password");

    await askForLink("someone@example.com");

    expect(await screen.findByTestId("forgot-error")).toHaveTextContent(
      "A link was asked for a moment ago. Please try again in about 3 minutes.",
    );
    expect(screen.getByRole("button", { name: "Send me a link" })).toBeInTheDocument();
  });

  it("says whom to ask when the server sends no mail", async () => {
    server.use(http.post(REQUEST, () => apiError(403, "reset_by_email_disabled", "not set up")));
    renderApp("/forgot-password");

    await askForLink("someone@example.com");

    expect(await screen.findByTestId("forgot-error")).toHaveTextContent("Ask an administrator for a reset link.");
  });

});

describe("SignInPage's Forgot your password?", () => {
  it("links to the forgot-password page when the server mails reset links", async () => {
    mailOn(true);
    const user = setupUser();
    renderApp("/signin");

    await user.click(await screen.findByRole("link", { name: "Forgot your password?" }));

    expect(await screen.findByRole("heading", { name: "Forgot your password?" })).toBeInTheDocument();
  });

  it("says to ask an administrator when it does not", async () => {
    mailOn(false);
    renderApp("/signin");

    expect(await screen.findByTestId("forgot-password")).toHaveTextContent(
      "Forgot your password? Ask an administrator for a reset link.",
    );
    expect(screen.queryByRole("link", { name: "Forgot your password?" })).toBeNull();
  });
});
