import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { hadSession, mediaItem, mediaPage, playlistOf } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import {
  API,
  holdAnswer,
  http,
  noContent,
  nothingWatched,
  ok,
  refreshGives,
  server,
  tokens,
  twoFactorOff,
  VIEWER,
} from "../test/server";
import { FOLD_QUERIES } from "./Layout";

function browse(items = [mediaItem({ id: "a", title: "Alpha" })]) {
  server.use(http.get(`${API}/catalogue`, () => ok(mediaPage(items))));
}

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)), ...nothingWatched());
}

const heading = (name: string) => screen.findByRole("heading", { level: 1, name });

describe("the focus on a new page", () => {
  it("goes to the new page's heading after a link of the navigation, pressed with Enter", async () => {
    browse();
    const user = setupUser();
    renderApp("/");
    // The first load leaves the focus where the browser puts it.
    await screen.findByText("Alpha");
    expect(document.body).toHaveFocus();

    screen.getByRole("link", { name: "Sign in" }).focus();
    await user.keyboard("{Enter}");

    const h1 = await heading("Sign in");
    expect(h1).toHaveFocus();
    expect(h1).toHaveAttribute("tabindex", "-1");
  });

  it("goes to the heading after a link of the folded menu, on a phone", async () => {
    vi.stubGlobal("matchMedia", (q: string) => ({
      matches: q === FOLD_QUERIES.viewer,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    }));
    browse();
    server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })));
    const user = setupUser();
    renderApp("/");
    await user.click(screen.getByRole("button", { name: "Menu" }));
    await user.click(screen.getByRole("link", { name: "Create account" }));
    const focused = await heading("Create an account");
    await waitFor(() => expect(focused).toHaveFocus());
    vi.unstubAllGlobals();
  });

  it("stays on the search box when only the query string changes", async () => {
    browse([]);
    const user = setupUser();
    renderApp("/");
    const search = await screen.findByRole("searchbox", { name: "Search" });
    await user.type(search, "boats{Enter}");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/?q=boats"));
    await waitFor(() => expect(search).toHaveFocus());
  });

  it("waits on the page for a heading that shows once loaded (a video card opened)", async () => {
    signedInViewer();
    browse();
    const { held, release } = holdAnswer();
    server.use(
      http.get(`${API}/catalogue/playlists/p-1`, async () => {
        await held;
        return ok(playlistOf([mediaItem({ id: "a", title: "Alpha" })], { title: "Evenings" }));
      }),
      http.get(`${API}/catalogue/me/playlists`, () =>
        ok({ playlists: [{ ...playlistOf([]), title: "Evenings" }], total: 1, page: 1, page_size: 24 }),
      ),
    );
    const user = setupUser();
    renderApp("/playlists");
    await user.click(await screen.findByRole("link", { name: "Evenings" }));

    await waitFor(() => expect(screen.getByRole("main")).toHaveFocus());
    release();
    expect(await heading("Evenings")).toHaveFocus();
  });

  it("goes to the heading of the page signing in leads to", async () => {
    browse();
    server.use(
      http.post(`${API}/auth/login`, () => ok(tokens("tok"))),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      ...nothingWatched(),
    );
    const user = setupUser();
    renderApp("/signin");
    await user.type(await screen.findByLabelText("Email"), "viewer@example.com");
    await user.type(screen.getByLabelText("Password"), "a long passphrase{Enter}");
    const focused = await heading("Browse videos");
    await waitFor(() => expect(focused).toHaveFocus());
  });

  it("goes to Sign in's heading after signing out on Account, which gives no reason", async () => {
    signedInViewer();
    server.use(
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      twoFactorOff(),
      http.post(`${API}/auth/logout`, () => noContent()),
    );
    const user = setupUser();
    renderApp("/account");
    await heading("Account");
    await user.click(within(screen.getByRole("main")).getByRole("button", { name: "Sign out" }));

    const focused = await heading("Sign in");
    await waitFor(() => expect(focused).toHaveFocus());
    expect(screen.getByTestId("location")).toHaveTextContent("/signin");
    // A deliberate sign-out is not a session that ended: "Sign in to continue." was said.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("signin-reason")).not.toBeInTheDocument();
  });
});
