import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server } from "../test/server";

describe("ConfirmEmailPage", () => {
  it("confirms the new email with the link's code, signed in or not, and says what it is now", async () => {
    server.use(http.post(`${API}/auth/email-confirmations`, () => ok({ email: "vera@example.com" }), { once: true }));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    await user.click(await screen.findByRole("button", { name: "Confirm my new email" }));
    expect(await screen.findByTestId("email-confirmed")).toHaveTextContent("Your sign-in email is now vera@example.com.");
    const [sent] = sentTo(seen, "POST", `${API}/auth/email-confirmations`);
    expect(await sent?.request.json()).toEqual({ code: "CODE-1" });
    expect(within(screen.getByTestId("email-confirmed")).getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin");
  });

  it("says why a used, replaced or expired link, or a taken address, changed nothing", async () => {
    server.use(
      http.post(`${API}/auth/email-confirmations`, () => apiError(403, "invalid_email_code", "no"), { once: true }),
      http.post(`${API}/auth/email-confirmations`, () => apiError(409, "email_taken", "taken"), { once: true }),
    );
    const user = setupUser();
    renderApp("/confirm-email#code=CODE-1");

    const button = await screen.findByRole("button", { name: "Confirm my new email" });
    await user.click(button);
    expect(await screen.findByTestId("confirm-email-error")).toHaveTextContent(
      "This link does not work: it was used already, a newer one replaced it, or it expired. Ask for the change again on your Account page.",
    );
    await user.click(button);
    expect(await screen.findByTestId("confirm-email-error")).toHaveTextContent(
      "Another account signs in with this email now, so yours stays as it was.",
    );
    expect(screen.queryByTestId("email-confirmed")).not.toBeInTheDocument();
  });
});
