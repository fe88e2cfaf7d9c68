import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
}

/** Waits until the header shows the viewer signed in (as a person would see before pressing). */
async function viewerShown() {
  await waitFor(() => expect(document.querySelector(".nav-account")).toHaveAttribute("title", VIEWER.email));
}

describe("ConfirmEmailPage", () => {
  it("confirms the new email with the link's code, signed in or not, and says what it is now", async () => {
    server.use(http.post(`${API}/auth/email-confirmations`, () => ok({ email: "vera@example.com", user_id: "u-someone" }), { once: true }));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    expect(await screen.findByTestId("email-confirmed")).toHaveTextContent("Your sign-in email is now vera@example.com.");
    const [sent] = sentTo(seen, "POST", `${API}/auth/email-confirmations`);
    expect(await sent?.request.json()).toEqual({ code: "CODE-1" });
    expect(within(screen.getByTestId("email-confirmed")).getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin");
  });

  it("signed in as the account that asked, says its email is now the new one", async () => {
    signedInViewer();
    server.use(http.post(`${API}/auth/email-confirmations`, () => ok({ email: "vera@example.com", user_id: VIEWER.id })));
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");
    await viewerShown();

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    const said = await screen.findByTestId("email-confirmed");
    expect(said).toHaveTextContent("Your sign-in email is now vera@example.com.");
    expect(within(said).getByRole("link", { name: "Back to your account" })).toHaveAttribute("href", "/account");
    expect(document.querySelector(".nav-account")).toHaveAttribute("title", "vera@example.com");
  });

  it("signed in as another account, says whose email changed and leaves this one's alone", async () => {
    signedInViewer();
    server.use(http.post(`${API}/auth/email-confirmations`, () => ok({ email: "vera@example.com", user_id: "u-someone-else" })));
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");
    await viewerShown();

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    const said = await screen.findByTestId("email-confirmed");
    expect(said).toHaveTextContent(
      `The sign-in email of the account that asked is now vera@example.com. You are signed in as ${VIEWER.email}.`,
    );
    expect(within(said).queryByRole("link")).not.toBeInTheDocument();
    expect(document.querySelector(".nav-account")).toHaveAttribute("title", VIEWER.email);
  });

  it("after a used, replaced or expired link, says the change may have gone through, and offers no second press", async () => {
    server.use(http.post(`${API}/auth/email-confirmations`, () => apiError(403, "invalid_email_code", "no")));
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    const said = await screen.findByTestId("confirm-email-error");
    expect(said).toHaveTextContent(
      "This link was used already, replaced by a newer one, or expired. If you opened it before, your sign-in email may already have changed: see your Account page.",
    );
    expect(within(said).getByRole("link", { name: "Account page" })).toHaveAttribute("href", "/account");
    expect(screen.queryByRole("button", { name: "Confirm my new email" })).not.toBeInTheDocument();
  });

  it("after an address taken meanwhile, says to choose another on the Account page, and offers no second press", async () => {
    server.use(http.post(`${API}/auth/email-confirmations`, () => apiError(409, "email_taken", "taken")));
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    const said = await screen.findByTestId("confirm-email-error");
    expect(said).toHaveTextContent(
      "Another account signs in with this email now, so yours stays as it was. Choose another address on your Account page.",
    );
    expect(within(said).getByRole("link", { name: "Account page" })).toHaveAttribute("href", "/account");
    expect(screen.queryByRole("button", { name: "Confirm my new email" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("email-confirmed")).not.toBeInTheDocument();
  });

  it("keeps the button after a failure another press may get past", async () => {
    server.use(
      http.post(`${API}/auth/email-confirmations`, () => apiError(429, "too_many_requests", "slow down"), { once: true }),
      http.post(`${API}/auth/email-confirmations`, () => ok({ email: "vera@example.com", user_id: "u-someone" }), { once: true }),
    );
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    expect(await screen.findByTestId("confirm-email-error")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Confirm my new email" }));
    expect(await screen.findByTestId("email-confirmed")).toHaveTextContent("Your sign-in email is now vera@example.com.");
  });
});
