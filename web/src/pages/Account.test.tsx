import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";

function signedInViewer() {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(VIEWER)),
    http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
  );
}

describe("AccountPage", () => {
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
    expect(screen.getByRole("link", { name: "Vera" })).toHaveAttribute("href", "/account");
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

    await user.clear(screen.getByLabelText("Current password"));
    await user.type(screen.getByLabelText("Current password"), "old secret words");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    expect(await screen.findByTestId("password-changed")).toHaveTextContent("Every other session was signed out.");
    expect(screen.getByLabelText("New password")).toHaveValue("");
  });
});

describe("ResetPasswordPage", () => {
  it("takes the code from the link's fragment and sets the password once", async () => {
    server.use(
      http.post(`${API}/auth/password-reset/check`, () => noContent()),
      http.post(`${API}/auth/password-reset`, () => noContent(), { once: true }),
      http.post(`${API}/auth/password-reset`, () => apiError(400, "invalid_reset_code", "used")),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/reset-password#code=RESET-1");

    expect(await screen.findByLabelText("Reset code")).toHaveValue("RESET-1");
    await user.type(screen.getByLabelText("New password"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set password" }));

    expect(await screen.findByTestId("reset-done")).toHaveTextContent("Your password is set.");
    const [sent] = sentTo(seen, "POST", `${API}/auth/password-reset`);
    expect(await sent?.request.json()).toEqual({ code: "RESET-1", new_password: "a fresh long password" });
    expect(sent?.headers.get("Authorization")).toBeNull();
  });

  it("explains a used or expired link", async () => {
    server.use(
      http.post(`${API}/auth/password-reset/check`, () => noContent()), // used after the page opened
      http.post(`${API}/auth/password-reset`, () => apiError(400, "invalid_reset_code", "used")),
    );
    const user = setupUser();
    renderApp("/reset-password#code=OLD");
    await user.type(await screen.findByLabelText("New password"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByTestId("reset-error")).toHaveTextContent("This reset link is not valid");
  });
});
