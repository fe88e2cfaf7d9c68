import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { hadSession, playlistOf } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, nothingWatched, ok, recordRequests, refreshGives, sentTo, server, sessionEndingElsewhere, VIEWER } from "../test/server";

const PLAYLISTS = `${API}/catalogue/me/playlists`;

/** A signed-in viewer with no playlists whose session is revoked elsewhere (`revoke`). */
function serveUntilRevoked(): { revoke: () => void } {
  hadSession();
  const { unlessEnded, end } = sessionEndingElsewhere(() => VIEWER);
  server.use(
    http.get(PLAYLISTS, unlessEnded(() => ok({ playlists: [], total: 0, page: 1, page_size: 24 }))),
    http.post(PLAYLISTS, unlessEnded(() => apiError(500, "unexpected", "not asked for in this test"))),
    ...nothingWatched(),
  );
  return { revoke: end };
}

describe("the viewer's playlists", () => {
  it("keep the playlists shown, busy, while the next page loads", async () => {
    hadSession();
    const second = holdAnswer();
    const first = Array.from({ length: 24 }, (_, i) => playlistOf([], { id: `p${i}`, title: `List ${i}` }));
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(PLAYLISTS, async ({ request }) => {
        if (new URL(request.url).searchParams.get("page") !== "2") return ok({ playlists: first, total: 25, page: 1, page_size: 24 });
        await second.held;
        return ok({ playlists: [playlistOf([], { id: "z", title: "Last list" })], total: 25, page: 2, page_size: 24 });
      }),
      ...nothingWatched(),
    );
    renderApp("/playlists");
    const user = setupUser();
    const list = await screen.findByRole("list", { name: "Your playlists" });

    await user.click(screen.getByRole("button", { name: "Next →" }));
    expect(await screen.findByText("Loading…")).toHaveAttribute("role", "status");
    expect(within(list).getAllByTestId("playlist-entry")).toHaveLength(24);
    expect(list.closest(".kept-rows")).toHaveAttribute("aria-busy", "true");

    second.release();
    await waitFor(() => expect(screen.getAllByTestId("playlist-entry").map((e) => e.textContent)).toEqual([expect.stringContaining("Last list")]));
    expect(screen.getByRole("list", { name: "Your playlists" }).closest(".kept-rows")).toHaveAttribute("aria-busy", "false");
  });
});

describe("a playlist created after the session was revoked elsewhere", () => {
  it("is said not to have been saved once signed in again, its title still typed", async () => {
    const { revoke } = serveUntilRevoked();
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists");
    const form = await screen.findByRole("form", { name: "New playlist" });
    await user.type(within(form).getByRole("textbox", { name: "New playlist" }), "My phone list");
    revoke();
    await user.click(within(form).getByRole("button", { name: "Create" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Your session ended.");
    // Nothing said on the way: it is said where the user goes back to.
    expect(screen.queryByTestId("lost-change")).not.toBeInTheDocument();
    expect(sessionStorage.getItem("streamstack.draft.u-viewer.lost-change")).toBe("creating the playlist “My phone list”");

    await user.type(screen.getByLabelText("Email"), VIEWER.email);
    await user.type(screen.getByLabelText("Password"), "a long enough passphrase");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists$/));
    expect(await screen.findByTestId("lost-change")).toHaveTextContent(
      "Your last change was not saved: creating the playlist “My phone list” (your session had ended).",
    );
    expect(screen.getByRole("textbox", { name: "New playlist" })).toHaveValue("My phone list");
    expect(sentTo(seen, "POST", PLAYLISTS)).toHaveLength(1);

    // Said once: not on the next page, nor back here.
    await user.click(screen.getByRole("link", { name: "History" }));
    expect(screen.queryByTestId("lost-change")).not.toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Playlists" }));
    await screen.findByRole("form", { name: "New playlist" });
    expect(screen.queryByTestId("lost-change")).not.toBeInTheDocument();
  });
});
