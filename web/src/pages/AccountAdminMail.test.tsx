import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { UserView } from "../api/schema";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, apiError, http, ok, recordRequests, refreshGives, sentTo, server, twoFactorOff, VIEWER } from "../test/server";

const LABEL = "Email me when a video fails to transcode or a comment is reported";

function signedIn(user: UserView) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/config`, () => ok({ registration_mode: "open", mail: true })),
    http.get(`${API}/auth/me`, () => ok(user)),
    http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
    twoFactorOff(),
  );
}

describe("Account page: admins' email about failed videos and reported comments", () => {
  it("is ticked by default for an admin and saves at once when unticked, saying so", async () => {
    signedIn(ADMIN);
    server.use(http.patch(`${API}/auth/me`, () => ok({ ...ADMIN, admin_mail: false })));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    expect(box).toBeChecked();
    await user.click(box);

    expect(await screen.findByTestId("admin-mail-saved")).toHaveTextContent(
      "You will get no email about failed videos or reported comments.",
    );
    expect(await sentTo(seen, "PATCH", `${API}/auth/me`)[0]?.request.json()).toEqual({ admin_mail: false });
    expect(box).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Email me when someone replies to my comments" })).toBeChecked();
  });

  it("turns it back on for an admin who turned it off", async () => {
    signedIn({ ...ADMIN, admin_mail: false });
    server.use(http.patch(`${API}/auth/me`, () => ok({ ...ADMIN, admin_mail: true })));
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    expect(box).not.toBeChecked();
    await user.click(box);
    expect(await screen.findByTestId("admin-mail-saved")).toHaveTextContent(
      "You will get an email when a video fails to transcode or a comment is reported.",
    );
    expect(box).toBeChecked();
  });

  it("says why when the change was refused, and shows what the server keeps", async () => {
    signedIn(ADMIN);
    server.use(http.patch(`${API}/auth/me`, () => apiError(403, "admins_only", "admin_mail is for administrators")));
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    await user.click(box);
    expect(await screen.findByTestId("admin-mail-error")).toHaveTextContent("Admin_mail is for administrators");
    await waitFor(() => expect(box).toBeEnabled());
    expect(box).toBeChecked();
  });

  it("is not shown to a viewer", async () => {
    signedIn(VIEWER);
    renderApp("/account");
    await screen.findByRole("checkbox", { name: "Email me when someone replies to my comments" });
    expect(screen.queryByRole("checkbox", { name: LABEL })).toBeNull();
  });
});
