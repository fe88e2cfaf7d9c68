import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Playlist } from "../api/schema";
import { hadSession, mediaItem, playlistOf } from "../test/fixtures";
import { expectHeldWithFocus, renderApp, setupUser, unloadPrevented } from "../test/render";
import { API, apiError, http, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";
import { holdAnswer } from "../test/server";

const A = mediaItem({ id: "a", title: "Alpha" });
const B = mediaItem({ id: "b", title: "Bravo" });
const C = mediaItem({ id: "c", title: "Charlie" });
const URL_P1 = `${API}/catalogue/me/playlists/p-1`;
/** Where the page reads the playlist: its link opens it, the owner's or one shared with them. */
const OPEN_P1 = `${API}/catalogue/playlists/p-1`;

function signedInViewer() {
  hadSession();
  server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
}

/** The server's playlist p-1, moves applied as the API applies them. */
function servePlaylist(start: Playlist) {
  let playlist = start;
  server.use(
    http.get(OPEN_P1, () => ok(playlist)),
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
  it("says entries that cannot be watched now are kept, rather than that the playlist is empty", async () => {
    signedInViewer();
    servePlaylist(playlistOf([], { item_count: 0, unavailable_count: 2 }));
    renderApp("/playlists/p-1");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent(
      "2 videos in this playlist are not available now (unpublished or being processed): they show here again when they are back.",
    );
    expect(empty).not.toHaveTextContent("Nothing here yet");
  });

  it("notes one hidden entry under the ones that play", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A], { unavailable_count: 1 }));
    renderApp("/playlists/p-1");

    expect(await screen.findByTestId("unavailable-note")).toHaveTextContent(
      "1 video in this playlist is not available now (unpublished or being processed): it shows here again when it is back.",
    );
    expect(titles()).toEqual(["Alpha"]);
  });

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
    // Only what changed, on the condition that no other tab renamed it since the page read it.
    const [sent] = sentTo(seen, "PATCH", URL_P1);
    expect(await sent!.request.json()).toEqual({ title: "Baking" });
    expect(sent!.headers.get("If-Match")).toBe('"e-1"');
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
    server.use(http.get(OPEN_P1, () => apiError(404, "not_found", "no such playlist")));
    renderApp("/playlists/p-1");
    expect(await screen.findByRole("heading", { name: "Playlist not found" })).toBeInTheDocument();
  });
});

/**
 * The viewer's playlist p-1 as the server keeps it: its `etag` changes with each rename, and a
 * PATCH is refused (412) when its If-Match names an older one. `elsewhere` is another tab's rename.
 */
function serveRenamed(start: Partial<Playlist> = {}) {
  let version = 1;
  const rig = { playlist: playlistOf([A], { description: "Sunday", etag: '"v1"', ...start }) };
  const renamed = (changes: Partial<Playlist>) => (rig.playlist = { ...rig.playlist, ...changes, etag: `"v${++version}"` });
  server.use(
    http.get(OPEN_P1, () => ok(rig.playlist)),
    http.patch(URL_P1, async ({ request }) => {
      const ifMatch = request.headers.get("If-Match");
      if (ifMatch !== null && ifMatch !== rig.playlist.etag) {
        return apiError(412, "changed_elsewhere", "the playlist's title or description were changed since you read them");
      }
      const changes = (await request.json()) as Partial<Playlist>;
      if (changes.visibility) return ok((rig.playlist = { ...rig.playlist, ...changes }));
      return ok(renamed(changes));
    }),
  );
  return { rig, elsewhere: renamed };
}

async function openRename(user: ReturnType<typeof setupUser>) {
  await user.click(await screen.findByRole("button", { name: "Rename" }));
  return screen.getByRole("form", { name: "Rename the playlist" });
}

/** The rename form open in this tab, then the other tab saves the title "Grilling". */
async function renamedInAnotherTab() {
  signedInViewer();
  const { rig, elsewhere } = serveRenamed();
  const seen = recordRequests();
  const user = setupUser();
  renderApp("/playlists/p-1");
  const form = await openRename(user);
  elsewhere({ title: "Grilling" });
  return { rig, seen, user, form };
}

/** The rename form open, with the navigation's Playlists (empty) one click away. */
async function renameWithPlaylistsLink() {
  signedInViewer();
  serveRenamed();
  server.use(http.get(`${API}/catalogue/me/playlists`, () => ok({ playlists: [], total: 0, page: 1, page_size: 24 })));
  const user = setupUser();
  renderApp("/playlists/p-1");
  return { user, form: await openRename(user) };
}

describe("renaming a playlist in two tabs", () => {
  it("keeps this tab's title when both renamed it, shows theirs, and Save replaces it", async () => {
    const { rig, seen, user, form } = await renamedInAnotherTab();

    await user.clear(within(form).getByLabelText("Title"));
    await user.type(within(form).getByLabelText("Title"), "Baking");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    const notice = await within(form).findByRole("alert");
    expect(notice).toHaveTextContent("Not saved: someone else changed this playlist’s title while you were editing it.");
    expect(within(notice).getByTestId("draft-server-values")).toHaveTextContent("Its title nowGrilling");
    expect(within(form).getByLabelText("Title")).toHaveValue("Baking");
    expect(rig.playlist.title).toBe("Grilling"); // nothing of this tab's was saved
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Grilling"); // the page shows what is so

    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { name: "Baking" })).toBeInTheDocument();
    const saves = sentTo(seen, "PATCH", URL_P1);
    expect(saves.map((r) => r.headers.get("If-Match"))).toEqual(['"v1"', '"v2"']);
    expect(await saves[1]?.request.json()).toEqual({ title: "Baking" });
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
  });

  it("saves a description on top of the other tab's new title at once: they did not clash", async () => {
    const { rig, seen, user, form } = await renamedInAnotherTab();

    await user.type(within(form).getByLabelText("Description"), " lunch");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("heading", { name: "Grilling" })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    expect(rig.playlist).toMatchObject({ title: "Grilling", description: "Sunday lunch" });
    const saves = sentTo(seen, "PATCH", URL_P1);
    expect(saves.map((r) => r.headers.get("If-Match"))).toEqual(['"v1"', '"v2"']);
    expect(await saves[1]?.request.json()).toEqual({ description: "Sunday lunch" });
  });

  it("asks before leaving with the rename unsaved: Cancel stays with the text, Leave goes", async () => {
    const { user, form } = await renameWithPlaylistsLink();
    expect(unloadPrevented()).toBe(false);
    await user.type(within(form).getByLabelText("Title"), " club");
    expect(unloadPrevented()).toBe(true); // reload, close: the browser asks

    await user.click(screen.getByRole("link", { name: "Playlists" }));
    let asked = await screen.findByRole("alertdialog", { name: "Leave without saving?" });
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists\/p-1$/);
    expect(within(form).getByLabelText("Title")).toHaveValue("Cooking club");

    await user.click(screen.getByRole("link", { name: "Playlists" }));
    asked = await screen.findByRole("alertdialog", { name: "Leave without saving?" });
    await user.click(within(asked).getByRole("button", { name: "Leave" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists$/));
    expect(unloadPrevented()).toBe(false);
  });

  it("does not ask once the rename is saved", async () => {
    const { user, form } = await renameWithPlaylistsLink();
    await user.type(within(form).getByLabelText("Title"), " club");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByRole("heading", { name: "Cooking club" });
    expect(unloadPrevented()).toBe(false);

    await user.click(screen.getByRole("link", { name: "Playlists" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists$/));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });
});

describe("sharing a playlist by link", () => {
  it("lets its owner share it, copy its link, and make it private again", async () => {
    signedInViewer();
    const { rig } = serveRenamed();
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists/p-1");

    const share = await screen.findByRole("region", { name: "Share" });
    expect(within(share).getByTestId("playlist-visibility")).toHaveTextContent("Private: only you can see this playlist.");
    expect(within(share).queryByRole("button", { name: "Copy link" })).not.toBeInTheDocument();
    await user.click(within(share).getByRole("button", { name: "Share by link" }));

    await within(share).findByRole("button", { name: "Make private" });
    expect(rig.playlist.visibility).toBe("unlisted");
    expect(await sentTo(seen, "PATCH", URL_P1)[0]!.request.json()).toEqual({ visibility: "unlisted" });
    expect(within(share).getByTestId("playlist-visibility")).toHaveTextContent(
      "Anyone signed in who has the link can watch this playlist. It is not listed anywhere",
    );
    const link = `${window.location.origin}/playlists/p-1`;
    expect(within(share).getByRole("textbox", { name: "Link" })).toHaveValue(link);
    await user.click(within(share).getByRole("button", { name: "Copy link" }));
    expect(await navigator.clipboard.readText()).toBe(link);
    expect(within(share).getByTestId("link-copied")).toHaveTextContent("Link copied.");

    await user.click(within(share).getByRole("button", { name: "Make private" }));
    await within(share).findByRole("button", { name: "Share by link" });
    expect(rig.playlist.visibility).toBe("private");
    expect(within(share).queryByRole("textbox", { name: "Link" })).not.toBeInTheDocument();
  });

  it("shows another's shared playlist to play, without changing it, and saves a copy", async () => {
    signedInViewer();
    servePlaylist(playlistOf([A, B], { mine: false, visibility: "unlisted", etag: undefined }));
    const copy = { ...playlistOf([A, B]), id: "p-2" };
    server.use(
      http.post(`${OPEN_P1}/copies`, () => ok(copy)),
      http.get(`${API}/catalogue/playlists/p-2`, () => ok(copy)),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/playlists/p-1");

    expect(await screen.findByRole("heading", { name: "Cooking" })).toBeInTheDocument();
    expect(titles()).toEqual(["Alpha", "Bravo"]);
    expect(screen.getByRole("link", { name: "Play all" })).toHaveAttribute("href", "/watch/a?list=p-1");
    expect(screen.getByTestId("playlist-shared")).toHaveTextContent("Shared with you by its link: only its owner can change it.");
    for (const name of ["Rename", "Delete", "Move Alpha down", "Remove Alpha from the playlist", "Share by link"]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }
    expect(screen.queryByRole("region", { name: "Share" })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Save to my playlists" }));
    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Saved “Cooking” to your playlists.");
    expect(sentTo(seen, "POST", `${OPEN_P1}/copies`)).toHaveLength(1);
    await user.click(screen.getByRole("link", { name: "Open your copy" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/playlists\/p-2$/));
    expect(await screen.findByRole("button", { name: "Rename" })).toBeInTheDocument();
  });
});

describe("PlaylistsPage", () => {
  it("is in the navigation, lists my playlists with their count and still, and makes a new one", async () => {
    signedInViewer();
    const { items: _items, ...cooking } = playlistOf([A, B]);
    let playlists = [cooking, { ...cooking, id: "p-3", title: "Shared", visibility: "unlisted" as const }];
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
    const [entry, shared] = await screen.findAllByTestId("playlist-entry");
    expect(entry).toHaveTextContent("Cooking");
    expect(entry).toHaveTextContent("2 videos");
    expect(entry).not.toHaveTextContent("Shared by link");
    expect(shared).toHaveTextContent("2 videos · Shared by link");
    expect(within(entry!).getByRole("link", { name: "Cooking" })).toHaveAttribute("href", "/playlists/p-1");

    await user.type(screen.getByRole("textbox", { name: "New playlist" }), "Later");
    await user.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(screen.getAllByTestId("playlist-entry")).toHaveLength(3));
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
    await waitFor(() => expect(create).toHaveFocus());

    await user.keyboard(" ");
    await waitFor(() => expect(create).toHaveAttribute("aria-disabled", "true"));
    // Held, not disabled (which in Chromium drops the focus to the body): the focus stays.
    expect(create).not.toBeDisabled();
    await waitFor(() => expect(create).toHaveFocus());
    await user.keyboard(" ");
    release();

    expect(await screen.findByText("Could not create the playlist: Too many playlists")).toBeInTheDocument();
    await waitFor(() => expect(create).toHaveFocus());
    expect(create).not.toHaveAttribute("aria-disabled");
    expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(1);
  });
});
