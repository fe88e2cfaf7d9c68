import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogueItem, Playlist, UserView } from "../api/schema";
import { hadSession, mediaItem, mediaPage, playlistOf } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, http, noContent, ok, recordRequests, sentTo, server, sessionEndingElsewhere } from "../test/server";

const ITEM = `${API}/catalogue/p`;
const PLAYLIST = `${API}/catalogue/me/playlists/p-1`;
/** Where the playlist page reads it (its link opens it). */
const PLAYLIST_OPEN = `${API}/catalogue/playlists/p-1`;
const LIBRARY = "/admin/library?q=sunset";
const PASSWORD = "a long enough passphrase";
const OTHER_ADMIN: UserView = { ...ADMIN, id: "u-other", email: "other@example.com", display_name: "Otto" };

/** The server as these tests change it: who signs in, the item and playlist as they are now. */
interface Rig {
  who: UserView;
  item: CatalogueItem;
  playlist: Playlist;
}

/**
 * A signed-in admin (the session restored on load as "tok-old") whose session ends elsewhere:
 * after that, "tok-old" is refused and so is the refresh cookie; signing in again gives "tok-new".
 */
function serve(rig: Rig): { endSession: () => void } {
  hadSession();
  const { unlessEnded: unless, end } = sessionEndingElsewhere(() => rig.who);
  server.use(
    http.get(`${API}/catalogue`, unless(() => ok(mediaPage([rig.item])))),
    http.get(ITEM, unless(() => ok(rig.item))),
    http.patch(ITEM, async (info) => {
      const changes = (await info.request.clone().json()) as Partial<CatalogueItem>;
      return unless(() => ok((rig.item = { ...rig.item, ...changes })))(info);
    }),
    http.get(PLAYLIST_OPEN, unless(() => ok(rig.playlist))),
    http.patch(PLAYLIST, async (info) => {
      const changes = (await info.request.clone().json()) as Partial<Playlist>;
      return unless(() => ok((rig.playlist = { ...rig.playlist, ...changes })))(info);
    }),
    http.post(`${API}/auth/logout`, () => noContent()),
  );
  return { endSession: end };
}

function newRig(): Rig {
  return {
    who: ADMIN,
    item: mediaItem({ id: "p", title: "Sunset", description: "Calm.", tags: ["sea"] }),
    playlist: playlistOf([], { title: "Cooking", description: "Weeknights." }),
  };
}

type User = ReturnType<typeof setupUser>;

/** The admin edits the video's title and description; the session ends; Save leads to sign-in. */
async function editUntilTheSessionEnds(user: User, endSession: () => void) {
  renderApp(LIBRARY);
  await user.click(await screen.findByRole("button", { name: "Edit Sunset" }));
  await user.clear(screen.getByLabelText("Title"));
  await user.type(screen.getByLabelText("Title"), "Sunrise");
  await user.type(screen.getByLabelText("Description"), " Then dawn.");
  endSession();
  await user.click(screen.getByRole("button", { name: "Save" }));
  await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));
  expect(screen.getByTestId("signin-reason")).toHaveTextContent("Your session ended. Sign in again to continue.");
}

async function signInAs(user: User, who: UserView) {
  await user.type(screen.getByLabelText("Email"), who.email);
  await user.type(screen.getByLabelText("Password"), PASSWORD);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

/** What this tab keeps in sessionStorage, as text. */
function keptText(): string {
  return Object.keys(sessionStorage)
    .map((key) => `${key}=${sessionStorage.getItem(key)}`)
    .join("\n");
}

describe("an edit the session ended under", () => {
  let rig: Rig;
  beforeEach(() => {
    rig = newRig();
  });

  it("is kept, restored on the same page after signing in again, and forgotten once saved", async () => {
    const { endSession } = serve(rig);
    const seen = recordRequests();
    const user = setupUser();
    await editUntilTheSessionEnds(user, endSession);
    // What was typed, for this user and this video; never a token or a password.
    expect(Object.keys(sessionStorage).sort()).toEqual([
      "streamstack.draft.u-admin.item.p",
      "streamstack.draft.u-admin.lost-change",
    ]);
    expect(keptText()).toContain("Sunrise");
    expect(keptText()).not.toMatch(/tok-|passphrase/);

    await signInAs(user, ADMIN);

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(LIBRARY));
    const form = await screen.findByRole("form", { name: "Edit Sunset" });
    expect(within(form).getByTestId("draft-restored")).toHaveTextContent(
      "Your unsaved changes from before you were signed out were restored — Save to keep them, or Discard.",
    );
    expect(within(form).queryByTestId("draft-conflict")).not.toBeInTheDocument();
    expect(screen.getByTestId("lost-change")).toHaveTextContent(
      "Your last change was not saved: saving changes to “Sunrise” (your session had ended).",
    );
    expect(within(form).getByLabelText("Title")).toHaveValue("Sunrise");
    expect(within(form).getByLabelText("Description")).toHaveValue("Calm. Then dawn.");
    expect(within(form).getByLabelText("Tags")).toHaveValue("sea");

    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("link", { name: "Sunrise" })).toBeInTheDocument();
    const saves = sentTo(seen, "PATCH", ITEM);
    expect(saves.map((r) => r.headers.get("Authorization"))).toEqual(["Bearer tok-old", "Bearer tok-new"]);
    expect(await saves[1]?.request.json()).toEqual({ title: "Sunrise", description: "Calm. Then dawn." });
    expect(sessionStorage.length).toBe(0);
    // Edit again: the server's values, no notice.
    await user.click(screen.getByRole("button", { name: "Edit Sunrise" }));
    expect(screen.queryByTestId("draft-restored")).not.toBeInTheDocument();
  });

  it("Discard puts the server's values back and forgets the draft", async () => {
    const { endSession } = serve(rig);
    const user = setupUser();
    await editUntilTheSessionEnds(user, endSession);
    await signInAs(user, ADMIN);
    const form = await screen.findByRole("form", { name: "Edit Sunset" });

    await user.click(within(form).getByRole("button", { name: "Discard" }));

    expect(within(form).queryByTestId("draft-restored")).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Title")).toHaveValue("Sunset");
    expect(within(form).getByLabelText("Description")).toHaveValue("Calm.");
    // The button went with the notice: the focus is in the form, not on the page's body.
    expect(within(form).getByLabelText("Title")).toHaveFocus();
    expect(sessionStorage.length).toBe(0);
  });

  it("says so when the video changed on the server meanwhile, naming what both changed", async () => {
    const { endSession } = serve(rig);
    const user = setupUser();
    await editUntilTheSessionEnds(user, endSession);
    rig.item = { ...rig.item, description: "Edited by another admin.", tags: ["sea", "dusk"] };

    await signInAs(user, ADMIN);

    const form = await screen.findByRole("form", { name: "Edit Sunset" });
    expect(within(form).getByTestId("draft-conflict")).toHaveTextContent(
      "This video was changed since you began editing (its description): saving replaces that change with yours.",
    );
    // The draft is shown as typed, not mixed with the server's change.
    expect(within(form).getByLabelText("Description")).toHaveValue("Calm. Then dawn.");
    expect(within(form).getByLabelText("Tags")).toHaveValue("sea");

    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("link", { name: "Sunrise" })).toBeInTheDocument();
    // Only what this admin changed was sent: the other's new tag stays.
    expect(rig.item.tags).toEqual(["sea", "dusk"]);
  });

  it("is not shown to someone else signing in on the tab, and is dropped", async () => {
    const { endSession } = serve(rig);
    const user = setupUser();
    await editUntilTheSessionEnds(user, endSession);
    rig.who = OTHER_ADMIN;

    await signInAs(user, OTHER_ADMIN);

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(LIBRARY));
    expect(await screen.findByRole("button", { name: "Edit Sunset" })).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Edit Sunset" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("draft-restored")).not.toBeInTheDocument();
    await waitFor(() => expect(sessionStorage.length).toBe(0));
  });

  it("is not kept when the admin signs out here, nor when they cancel", async () => {
    serve(rig);
    const user = setupUser();
    renderApp(LIBRARY);
    await user.click(await screen.findByRole("button", { name: "Edit Sunset" }));
    await user.type(screen.getByLabelText("Title"), " at sea");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByRole("button", { name: "Edit Sunset" }));
    expect(screen.getByLabelText("Title")).toHaveValue("Sunset");
    await user.type(screen.getByLabelText("Title"), " at sea");

    await user.click(screen.getByRole("button", { name: "Sign out" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));
    expect(sessionStorage.length).toBe(0);
  });

  it("on a playlist's rename is kept and restored too", async () => {
    const { endSession } = serve(rig);
    const user = setupUser();
    renderApp("/playlists/p-1");
    await user.click(await screen.findByRole("button", { name: "Rename" }));
    await user.type(screen.getByLabelText("Description"), " And Sundays.");
    endSession();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/signin$/));

    await signInAs(user, ADMIN);

    const form = await screen.findByRole("form", { name: "Rename the playlist" });
    expect(screen.getByTestId("location")).toHaveTextContent("/playlists/p-1");
    expect(within(form).getByTestId("draft-restored")).toBeInTheDocument();
    expect(within(form).getByLabelText("Description")).toHaveValue("Weeknights. And Sundays.");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Rename the playlist" })).not.toBeInTheDocument());
    expect(rig.playlist.description).toBe("Weeknights. And Sundays.");
    expect(sessionStorage.length).toBe(0);
  });
});
