import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Playlist } from "../api/schema";
import { hadSession, mediaItem, playlistOf } from "../test/fixtures";
import { expectHeldWithFocus, renderApp, setupUser } from "../test/render";
import { API, apiError, http, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";
import { holdAnswer } from "../test/server";

const A = mediaItem({ id: "a", title: "Alpha" });
const B = mediaItem({ id: "b", title: "Bravo" });
const C = mediaItem({ id: "c", title: "Charlie" });
const URL_P1 = `${API}/catalogue/me/playlists/p-1`;

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
}

/** The server's playlist p-1, moves applied as the API applies them. */
function servePlaylist(start: Playlist) {
  let playlist = start;
  server.use(
    http.get(URL_P1, () => ok(playlist)),
    http.patch(`${URL_P1}/items/:itemId`, async ({ request, params }) => {
      const { position } = (await request.json()) as { position: number };
      const moving = playlist.items.find((item) => item.id === params.itemId)!;
      const rest = playlist.items.filter((item) => item !== moving);
      rest.splice(position, 0, moving);
      playlist = { ...playlist, items: rest };
      return ok(playlist);
    }),
    http.delete(`${URL_P1}/items/:itemId`, ({ params }) => {
      playlist = { ...playlist, items: playlist.items.filter((item) => item.id !== params.itemId) };
      return noContent();
    }),
  );
}

const titles = () => screen.getAllByTestId("playlist-item").map((row) => within(row).getByRole("link").textContent);

describe("PlaylistPage", () => {
  it("shows the items in order, plays all from the first, and reorders with the keyboard", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A, B, C]));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists/p-1");

    expect(await screen.findByRole("heading", { name: "Cooking" })).toBeInTheDocument();
    expect(titles()).toEqual(["Alpha", "Bravo", "Charlie"]);
    expect(screen.getByRole("link", { name: "Play all" })).toHaveAttribute("href", "/watch/a?list=p-1");
    expect(screen.getByRole("button", { name: "Move Alpha up" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Move Charlie down" })).toBeDisabled();

    // Keyboard only: focus the button, press Enter; focus stays with the moved item.
    screen.getByRole("button", { name: "Move Alpha down" }).focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(titles()).toEqual(["Bravo", "Alpha", "Charlie"]));
    expect(await sentTo(seen, "PATCH", `${URL_P1}/items/a`)[0]!.request.json()).toEqual({ position: 1 });
    await waitFor(() => expect(screen.getByRole("button", { name: "Move Alpha down" })).toHaveFocus());
    // The focus stays on the button: the item's new place is said instead.
    expect(screen.getByTestId("playlist-moved")).toHaveAttribute("role", "status");
    expect(screen.getByTestId("playlist-moved")).toHaveTextContent("Alpha moved to position 2 of 3.");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(titles()).toEqual(["Bravo", "Charlie", "Alpha"]));
    // At the bottom its down button is disabled: focus goes to its up button.
    await waitFor(() => expect(screen.getByRole("button", { name: "Move Alpha up" })).toHaveFocus());
    await user.keyboard("{Enter}");
    await waitFor(() => expect(titles()).toEqual(["Bravo", "Alpha", "Charlie"]));

    await user.click(screen.getByRole("button", { name: "Remove Bravo from the playlist" }));
    await waitFor(() => expect(titles()).toEqual(["Alpha", "Charlie"]));
    expect(sentTo(seen, "DELETE", `${URL_P1}/items/b`)).toHaveLength(1);
    // Its row went with the pressed Remove: the focus is on what happened, not on the page's body.
    expect(screen.getByTestId("done-notice")).toHaveTextContent("Removed “Bravo” from the playlist.");
    expect(screen.getByTestId("done-notice")).toHaveFocus();
  });

  it("holds the moved item's button, with the focus, while the move is sent", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A, B]));
    const { held, release } = holdAnswer();
    server.use(
      http.patch(`${URL_P1}/items/:itemId`, async () => {
        await held;
        return ok(playlistOf([B, A]));
      }),
    );
    const user = setupUser();
    renderApp("/playlists/p-1");

    const down = await screen.findByRole("button", { name: "Move Alpha down" });
    down.focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expectHeldWithFocus(down));
    expect(screen.getByRole("button", { name: "Rename" })).toHaveAttribute("aria-disabled", "true");
    expect(screen.getByRole("button", { name: "Remove Bravo from the playlist" })).toHaveAttribute("aria-disabled", "true");
    release();
    await waitFor(() => expect(titles()).toEqual(["Bravo", "Alpha"]));
    await waitFor(() => expect(screen.getByRole("button", { name: "Move Alpha up" })).toHaveFocus());
    expect(screen.getByTestId("playlist-moved")).toHaveTextContent("Alpha moved to position 2 of 2.");
  });

  it("tells each item's length once, on its still, and in its link's name", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A, mediaItem({ id: "n", title: "No length yet", duration_seconds: null })]));
    renderApp("/playlists/p-1");

    const [timed, untimed] = await screen.findAllByTestId("playlist-item");
    // The badge on the still, as on Browse's cards; the row's text said it again.
    expect(within(timed!).getAllByText("1:05")).toEqual([within(timed!).getByTestId("media-duration")]);
    expect(within(timed!).getByRole("link")).toHaveAccessibleName("Alpha, 1:05");
    expect(within(untimed!).getByRole("link")).toHaveAccessibleName("No length yet");
  });

  it("renames the playlist", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A], { description: "Sunday" }));
    server.use(
      http.patch(URL_P1, async ({ request }) => {
        const body = (await request.json()) as { title: string; description: string };
        return ok({ ...playlistOf([A]), ...body });
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists/p-1");

    await user.click(await screen.findByRole("button", { name: "Rename" }));
    const title = screen.getByRole("textbox", { name: "Title" });
    await user.clear(title);
    await user.type(title, "Baking");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { name: "Baking" })).toBeInTheDocument();
    expect(await sentTo(seen, "PATCH", URL_P1)[0]!.request.json()).toEqual({
      title: "Baking",
      description: "Sunday",
    });
    expect(screen.queryByRole("textbox", { name: "Title" })).not.toBeInTheDocument();
  });

  it("deletes the playlist only once confirmed, then goes to the playlists", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A]));
    server.use(
      http.delete(URL_P1, () => noContent()),
      http.get(`${API}/catalogue/me/playlists`, () => ok({ playlists: [], total: 0, page: 1, page_size: 24 })),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists/p-1");

    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this playlist?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "DELETE", URL_P1)).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Delete playlist" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists$/));
    expect(sentTo(seen, "DELETE", URL_P1)).toHaveLength(1);
    expect(await screen.findByText("No playlists yet")).toBeInTheDocument();
  });

  it("says a playlist is not found (someone else's answers so too)", async () => {
    signedInViewer();
    server.use(http.get(URL_P1, () => apiError(404, "not_found", "no such playlist")));
    renderApp("/playlists/p-1");
    expect(await screen.findByRole("heading", { name: "Playlist not found" })).toBeInTheDocument();
  });
});

describe("PlaylistsPage", () => {
  it("is in the navigation, lists my playlists with their count and still, and makes a new one", async () => {
    signedInViewer();
    const { items: _items, ...cooking } = playlistOf([A, B]);
    let playlists = [cooking];
    server.use(
      http.get(`${API}/catalogue/me/playlists`, () =>
        ok({ playlists, total: playlists.length, page: 1, page_size: 24 }),
      ),
      http.post(`${API}/catalogue/me/playlists`, async ({ request }) => {
        const { title } = (await request.json()) as { title: string };
        const made = { ...cooking, id: "p-2", title, item_count: 0, thumbnail_url: null };
        playlists = [made, ...playlists];
        return ok(made);
      }),
    );
    const user = setupUser();
    renderApp("/history");
    server.use(http.get(`${API}/catalogue/me/history`, () => ok({ items: [], total: 0, page: 1, page_size: 20 })));

    await user.click(await screen.findByRole("link", { name: "Playlists" }));
    const entry = await screen.findByTestId("playlist-entry");
    expect(entry).toHaveTextContent("Cooking");
    expect(entry).toHaveTextContent("2 videos");
    expect(within(entry).getByRole("link", { name: "Cooking" })).toHaveAttribute("href", "/playlists/p-1");

    await user.type(screen.getByRole("textbox", { name: "New playlist" }), "Later");
    await user.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(screen.getAllByTestId("playlist-entry")).toHaveLength(2));
    expect(screen.getAllByTestId("playlist-entry")[0]).toHaveTextContent("0 videos");
    // The focus stays on Create: that it was made is said.
    expect(screen.getByTestId("playlist-created")).toHaveAttribute("role", "status");
    expect(screen.getByTestId("playlist-created")).toHaveTextContent("Playlist “Later” created.");
  });

  it("keeps the focus on Create, pressed with Space, while it runs and once refused, and creates once", async () => {
    signedInViewer();
    const { held, release } = holdAnswer();
    server.use(
      http.get(`${API}/catalogue/me/playlists`, () => ok({ playlists: [], total: 0, page: 1, page_size: 24 })),
      http.post(`${API}/catalogue/me/playlists`, async () => {
        await held;
        return apiError(409, "conflict", "Too many playlists");
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists");
    await user.type(await screen.findByRole("textbox", { name: "New playlist" }), "Later");
    await user.tab();
    const create = screen.getByRole("button", { name: "Create" });
    expect(create).toHaveFocus();

    await user.keyboard(" ");
    await waitFor(() => expect(create).toHaveAttribute("aria-disabled", "true"));
    // Held, not disabled (which in Chromium drops the focus to the body): the focus stays.
    expect(create).not.toBeDisabled();
    expect(create).toHaveFocus();
    await user.keyboard(" ");
    release();

    expect(await screen.findByText("Could not create the playlist: Too many playlists")).toBeInTheDocument();
    expect(create).toHaveFocus();
    expect(create).not.toHaveAttribute("aria-disabled");
    expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(1);
  });
});
