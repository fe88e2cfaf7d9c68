import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as AdminUsers from "../pages/AdminUsers";
import { hadSession, mediaPage } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, holdAnswer, http, HttpResponse, nothingWatched, ok, refreshGives, server } from "../test/server";

/** Why the Users page's chunk does not load now (null: it loads), and how often the app asked for it. */
const chunk = { failure: null as Error | null, asked: 0, held: null as Promise<void> | null };

const CHUNK = "http://localhost:3000/assets/AdminUsers-abc123.js";
/** Chromium's words for a chunk that did not load; Safari names no address. */
const CHROMIUM_FAILURE = new TypeError(`Failed to fetch dynamically imported module: ${CHUNK}`);
const SAFARI_FAILURE = new TypeError("Importing a module script failed.");

beforeEach(() => {
  chunk.failure = null;
  chunk.asked = 0;
  chunk.held = null;
  // The app's import of the page answers as its chunk would: failing, held, or the page.
  vi.doMock("../pages/AdminUsers", async () => {
    chunk.asked += 1;
    if (chunk.failure) throw chunk.failure;
    await chunk.held;
    return AdminUsers;
  });
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(ADMIN)),
    http.get(`${API}/auth/users`, () => ok({ items: [ADMIN], total: 1, limit: 50, offset: 0 })),
    http.get(`${API}/auth/invites`, () => ok({ items: [] })),
  );
});

/** The page's chunk is still on the server (`status` 200) or gone with a newer build (404). */
function chunkAnswers(status: number): void {
  server.use(http.head(CHUNK, () => new HttpResponse(null, { status })));
}

describe("an admin page whose chunk does not load", () => {
  it("says Loading… under the page's title while its chunk loads", async () => {
    const { held, release } = holdAnswer();
    chunk.held = held;
    renderApp("/admin/users");
    const loading = await screen.findByRole("status");
    expect(loading).toHaveTextContent("Loading…");
    expect(screen.queryByRole("heading", { name: "Users" })).not.toBeInTheDocument();
    expect(document.title).toMatch(/^Users · /);

    release();
    expect(await screen.findByRole("heading", { name: "Users" })).toBeInTheDocument();
    expect(loading).not.toBeInTheDocument();
  });

  it("offers to try again, with the header still there, and shows the page once it loads", async () => {
    chunk.failure = SAFARI_FAILURE;
    const user = setupUser();
    renderApp("/admin/users");
    const failure = await screen.findByTestId("page-unloaded");
    expect(failure).toHaveTextContent("Could not load this page");
    expect(failure).toHaveTextContent("Check your connection, then try again.");
    expect(screen.queryByTestId("page-crashed")).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Library" })).toBeInTheDocument();

    chunk.failure = null;
    await user.click(within(failure).getByRole("button", { name: "Try again" }));
    const heading = await screen.findByRole("heading", { name: "Users" });
    expect(chunk.asked).toBe(2);
    // Try again went with the failure: the page's heading has the focus, as on any new page.
    await waitFor(() => expect(heading).toHaveFocus());
  });

  it("asks for the chunk under an address of its own once a failure named it", async () => {
    chunk.failure = CHROMIUM_FAILURE;
    chunkAnswers(200);
    const user = setupUser();
    renderApp("/admin/users");
    const failure = await screen.findByTestId("page-unloaded");

    // A browser keeps a failed import failed: the same address would fail again.
    vi.doMock(`${CHUNK}?attempt=1`, () => AdminUsers);
    await user.click(within(failure).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("heading", { name: "Users" })).toBeInTheDocument();
    expect(chunk.asked).toBe(1);
  });

  it("tries again when the admin comes back to the page", async () => {
    chunk.failure = SAFARI_FAILURE;
    const user = setupUser();
    renderApp("/admin/users");
    await screen.findByTestId("page-unloaded");
    server.use(http.get(`${API}/catalogue`, () => ok(mediaPage([]))), ...nothingWatched());
    await user.click(screen.getByRole("link", { name: "Browse" }));
    await waitFor(() => expect(screen.queryByTestId("page-unloaded")).not.toBeInTheDocument());

    chunk.failure = null;
    await user.click(await screen.findByRole("link", { name: "Users" }));
    expect(await screen.findByRole("heading", { name: "Users" })).toBeInTheDocument();
  });

  it("says a newer version of the site is out, and offers a reload alone, when the chunk is gone (404)", async () => {
    chunk.failure = CHROMIUM_FAILURE;
    chunkAnswers(404);
    renderApp("/admin/users");
    const outdated = await screen.findByTestId("page-outdated");
    expect(outdated).toHaveTextContent("A newer version of the site is out");
    expect(within(outdated).getByRole("button", { name: "Reload the page" })).toBeInTheDocument();
    expect(within(outdated).queryByRole("button", { name: "Try again" })).not.toBeInTheDocument();
    expect(chunk.asked).toBe(1);
  });
});
