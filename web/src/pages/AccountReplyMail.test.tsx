import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, ok, recordRequests, refreshGives, sentTo, server, twoFactorOff, VIEWER } from "../test/server";

const LABEL = "Email me when someone replies to my comments";

function signedInViewer(replyMail?: boolean, mail = true) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/config`, () => ok({ registration_mode: "open", mail })),
    http.get(`${API}/auth/me`, () => ok(replyMail === undefined ? VIEWER : { ...VIEWER, reply_mail: replyMail })),
    http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
    twoFactorOff(),
  );
}

describe("Account page: email about replies", () => {
  it("is ticked by default and saves at once when unticked, saying so", async () => {
    signedInViewer();
    server.use(http.patch(`${API}/auth/me`, () => ok({ ...VIEWER, reply_mail: false })));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    expect(box).toBeChecked();
    expect(box).not.toHaveAccessibleDescription();
    await user.click(box);

    expect(await screen.findByTestId("reply-mail-saved")).toHaveTextContent("You will get no email about replies.");
    expect(await sentTo(seen, "PATCH", `${API}/auth/me`)[0]?.request.json()).toEqual({ reply_mail: false });
    expect(box).not.toBeChecked();
    expect(box).toBeEnabled();
  });

  it("keeps the focus on the box while Space saves it, so Space again unticks it", async () => {
    signedInViewer();
    const { held, release } = holdAnswer();
    server.use(
      http.patch(`${API}/auth/me`, async ({ request }) => {
        const { reply_mail } = (await request.json()) as { reply_mail: boolean };
        await held;
        return ok({ ...VIEWER, reply_mail });
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");
    const box = await screen.findByRole("checkbox", { name: LABEL });
    box.focus();

    await user.keyboard(" ");
    // Saving: held, not disabled (a disabled box loses the focus), and a second press waits.
    await waitFor(() => expect(box).toHaveAttribute("aria-disabled", "true"));
    expect(box).toBeEnabled();
    expect(box).toHaveFocus();
    await user.keyboard(" ");
    release();
    expect(await screen.findByTestId("reply-mail-saved")).toHaveTextContent("You will get no email about replies.");
    expect(box).not.toBeChecked();
    expect(box).toHaveFocus();
    expect(sentTo(seen, "PATCH", `${API}/auth/me`)).toHaveLength(1);

    await user.keyboard(" ");
    expect(await screen.findByTestId("reply-mail-saved")).toHaveTextContent("You will get an email when someone replies");
    expect(box).toBeChecked();
    expect(box).toHaveFocus();
  });

  it("turns it back on for one who turned it off", async () => {
    signedInViewer(false);
    server.use(http.patch(`${API}/auth/me`, () => ok({ ...VIEWER, reply_mail: true })));
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    expect(box).not.toBeChecked();
    await user.click(box);
    expect(await screen.findByTestId("reply-mail-saved")).toHaveTextContent(
      "You will get an email when someone replies to your comments.",
    );
    expect(box).toBeChecked();
  });

  it("says why when the change was refused, and shows what the server keeps", async () => {
    signedInViewer(true);
    server.use(http.patch(`${API}/auth/me`, () => apiError(400, "invalid_input", "reply_mail: expected a boolean")));
    const user = setupUser();
    renderApp("/account");

    const box = await screen.findByRole("checkbox", { name: LABEL });
    await user.click(box);
    expect(await screen.findByTestId("reply-mail-error")).toHaveTextContent("Reply_mail: expected a boolean");
    await waitFor(() => expect(box).toBeEnabled());
    expect(box).toBeChecked();
    expect(screen.queryByTestId("reply-mail-saved")).toBeNull();
  });

  it("says so beside it when the server sends no email", async () => {
    signedInViewer(true, false);
    renderApp("/account");
    const box = await screen.findByRole("checkbox", { name: LABEL });
    await waitFor(() =>
      expect(box).toHaveAccessibleDescription("This server sends no email at the moment, so none goes out either way."),
    );
  });
});
