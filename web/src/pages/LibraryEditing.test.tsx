import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { Link } from "react-router";
import type { CatalogueItem } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser, unloadPrevented } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";

const ITEM = `${API}/catalogue/p`;

/**
 * The catalogue as the server keeps it for these tests: one video whose `etag` changes with
 * each edit, and a PATCH refused (412) when its If-Match names an older one. `elsewhere`
 * is another admin's (or tab's) save.
 */
function serveOneVideo(start: Partial<CatalogueItem> = {}) {
  let version = 1;
  const rig = { item: mediaItem({ id: "p", title: "Weekly team meeting", description: "Agenda.", tags: ["team"], etag: '"v1"', ...start }) };
  const edited = (changes: Partial<CatalogueItem>) => (rig.item = { ...rig.item, ...changes, etag: `"v${++version}"` });
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([rig.item], { total: 30 }))),
    http.get(ITEM, () => ok(rig.item)),
    http.patch(ITEM, async ({ request }) => {
      const ifMatch = request.headers.get("If-Match");
      if (ifMatch !== null && ifMatch !== rig.item.etag) {
        return apiError(412, "changed_elsewhere", "the item's title, description or tags were changed since you read them");
      }
      return ok(edited((await request.json()) as Partial<CatalogueItem>));
    }),
  );
  return { rig, elsewhere: edited };
}

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  // The tag filter reads the library's tags: none, unless a test says.
  server.use(tagList());
});

type User = ReturnType<typeof setupUser>;

async function openEdit(user: User) {
  await user.click(await screen.findByRole("button", { name: "Edit Weekly team meeting" }));
  return screen.getByRole("form", { name: "Edit Weekly team meeting" });
}

async function retype(user: User, field: HTMLElement, text: string) {
  await user.clear(field);
  await user.type(field, text);
}

describe("two admins editing one video", () => {
  it("saves only what this one changed, under If-Match, and keeps the other's title", async () => {
    const { rig, elsewhere } = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const form = await openEdit(user);
    elsewhere({ title: "Kick-off" }); // tab A saved a new title meanwhile

    await retype(user, within(form).getByLabelText("Description"), "Notes.");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    // Refused once (tab B read v1), read again, and saved on top of A's title: no clash.
    expect(await screen.findByRole("link", { name: "Kick-off" })).toBeInTheDocument();
    expect(rig.item).toMatchObject({ title: "Kick-off", description: "Notes.", tags: ["team"] });
    const saves = sentTo(seen, "PATCH", ITEM);
    expect(saves.map((r) => r.headers.get("If-Match"))).toEqual(['"v1"', '"v2"']);
    expect(await saves[1]?.request.json()).toEqual({ description: "Notes." });
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
  });

  it("keeps this admin's text when both changed the title, shows theirs, and Save replaces it", async () => {
    const { rig, elsewhere } = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const form = await openEdit(user);
    elsewhere({ title: "Kick-off" });

    await retype(user, within(form).getByLabelText("Title"), "Weekly sync");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    const notice = await within(form).findByRole("alert");
    expect(notice).toHaveTextContent("Not saved: someone else changed this video’s title while you were editing it.");
    expect(within(notice).getByTestId("draft-conflict")).toHaveTextContent("(its title): saving replaces that change with yours.");
    expect(within(notice).getByTestId("draft-server-values")).toHaveTextContent("Its title nowKick-off");
    expect(within(form).getByLabelText("Title")).toHaveValue("Weekly sync");
    expect(rig.item.title).toBe("Kick-off"); // nothing of B's was saved

    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("link", { name: "Weekly sync" })).toBeInTheDocument();
    const saves = sentTo(seen, "PATCH", ITEM);
    expect(saves.map((r) => r.headers.get("If-Match"))).toEqual(['"v1"', '"v2"']);
    expect(await saves[1]?.request.json()).toEqual({ title: "Weekly sync" });
  });

  it("saves a change to another field on top of theirs and holds back only the clashing one", async () => {
    // Walk 53 (F6): tab B changed the title and the tags after tab A changed the title.
    const { rig, elsewhere } = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const form = await openEdit(user);
    elsewhere({ title: "Kick-off" });

    await retype(user, within(form).getByLabelText("Title"), "Weekly sync");
    await retype(user, within(form).getByLabelText("Tags"), "team, planning");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    const notice = await within(form).findByRole("alert");
    expect(notice).toHaveTextContent(
      "Not saved: someone else changed this video’s title while you were editing it. Your text is still here. Your change to its tags was saved.",
    );
    expect(rig.item).toMatchObject({ title: "Kick-off", tags: ["team", "planning"] });
    const saves = sentTo(seen, "PATCH", ITEM);
    expect(saves.map((r) => r.headers.get("If-Match"))).toEqual(['"v1"', '"v2"']);
    expect(await saves[1]?.request.json()).toEqual({ tags: ["team", "planning"] });
    expect(within(form).getByLabelText("Title")).toHaveValue("Weekly sync");
    expect(within(notice).getByTestId("draft-server-values")).toHaveTextContent("Its title nowKick-off");

    // Use theirs: nothing left to save, the tags as saved.
    await user.click(within(form).getByRole("button", { name: "Use theirs" }));
    expect(within(form).getByLabelText("Title")).toHaveValue("Kick-off");
    expect(within(form).getByLabelText("Tags")).toHaveValue("team, planning");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    expect(sentTo(seen, "PATCH", ITEM)).toHaveLength(2);
  });

  it("Use theirs puts the server's text in the form, and saves nothing", async () => {
    const { rig, elsewhere } = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const form = await openEdit(user);
    elsewhere({ title: "Kick-off", description: "Their notes." });
    await retype(user, within(form).getByLabelText("Title"), "Weekly sync");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await within(form).findByRole("alert");

    await user.click(within(form).getByRole("button", { name: "Use theirs" }));

    expect(within(form).queryByRole("alert")).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Title")).toHaveValue("Kick-off");
    expect(within(form).getByLabelText("Description")).toHaveValue("Their notes.");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    expect(sentTo(seen, "PATCH", ITEM)).toHaveLength(1);
    expect(rig.item.title).toBe("Kick-off");
  });

  it("sends nothing when nothing was changed, and no If-Match without an etag", async () => {
    const { rig } = serveOneVideo({ etag: undefined });
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    let form = await openEdit(user);
    // Retyped alike: no change.
    await retype(user, within(form).getByLabelText("Tags"), "team ");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(sentTo(seen, "PATCH", ITEM)).toHaveLength(0);

    form = await openEdit(user);
    await user.type(within(form).getByLabelText("Title"), "!");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("link", { name: "Weekly team meeting!" })).toBeInTheDocument();
    expect(sentTo(seen, "PATCH", ITEM)[0]?.headers.get("If-Match")).toBeNull();
    expect(rig.item.title).toBe("Weekly team meeting!");
  });
});

/** The library with a way elsewhere, as the app's header gives it. */
function LibraryWithNav() {
  return (
    <>
      <Link to="/">Browse</Link>
      <AdminLibraryPage />
    </>
  );
}

describe("a description's times that make no chapters", () => {
  it("are said to under the field, as the server reads them for this video's length, and it saves", async () => {
    const { rig } = serveOneVideo({ duration_seconds: 25 });
    const walk = "0:00 Warm-up\n0:05 Drills\n0:20 Cool-down";
    server.use(
      http.post(`${API}/catalogue/description-chapters`, () =>
        ok({ chapters: [], unused_because: "each chapter must last at least 10 seconds" }),
      ),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const form = await openEdit(user);
    const description = within(form).getByLabelText("Description");
    await user.clear(description);
    await user.click(description);
    await user.paste(walk);

    const why = "These times are not shown as chapters: each chapter must last at least 10 seconds.";
    expect(await within(form).findByText(why)).toHaveAttribute("role", "status");
    const asked = sentTo(seen, "POST", `${API}/catalogue/description-chapters`);
    expect(await asked[0]?.request.json()).toEqual({ description: walk, duration_seconds: 25 });
    // A hint, not an error: the description saves as typed.
    expect(description).not.toHaveAttribute("aria-invalid");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(rig.item.description).toBe(walk));
  });
});

describe("leaving the library with an edit unsaved", () => {
  it("asks first: Cancel stays with the text, Leave goes", async () => {
    serveOneVideo();
    const user = setupUser();
    renderPage(<LibraryWithNav />, { path: "/admin/library" });
    const form = await openEdit(user);
    await user.type(within(form).getByLabelText("Description"), " And notes.");
    expect(unloadPrevented()).toBe(true); // reload, close: the browser asks

    await user.click(screen.getByRole("link", { name: "Browse" }));
    let asked = await screen.findByRole("alertdialog", { name: "Leave without saving?" });
    expect(asked).toHaveTextContent("An edit is not saved: leaving this page loses it.");
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/library$/);
    expect(within(form).getByLabelText("Description")).toHaveValue("Agenda. And notes.");

    // The next page of the library is leaving this one too.
    await user.click(screen.getByRole("button", { name: /Next/ }));
    asked = await screen.findByRole("alertdialog", { name: "Leave without saving?" });
    await user.click(within(asked).getByRole("button", { name: "Leave" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/admin/library?page=2"));
    expect(unloadPrevented()).toBe(false);
  });

  it("does not ask without a change, nor once it is saved or cancelled", async () => {
    serveOneVideo();
    const user = setupUser();
    renderPage(<LibraryWithNav />, { path: "/admin/library" });
    let form = await openEdit(user);
    expect(unloadPrevented()).toBe(false);
    await user.type(within(form).getByLabelText("Title"), " 2");
    await user.click(within(form).getByRole("button", { name: "Cancel" }));
    expect(unloadPrevented()).toBe(false);
    form = await openEdit(user);
    await user.type(within(form).getByLabelText("Title"), " 2");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByRole("link", { name: "Weekly team meeting 2" });

    await user.click(screen.getByRole("link", { name: "Browse" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });
});

describe("the library opened for one video (the watch page's Edit in library)", () => {
  it("shows that video's row, its form open, among many of the same title", async () => {
    const id = "0b7f6c1e-4a3d-4e55-9a51-6f1d2b8c9e01";
    const meetings = Array.from({ length: 24 }, (_, i) =>
      mediaItem({ id: i === 7 ? id : `m-${i}`, title: "Weekly team meeting", description: `Week ${i}.` }),
    );
    server.use(
      http.get(`${API}/catalogue`, ({ request }) => {
        const q = new URL(request.url).searchParams.get("q");
        return ok(mediaPage(q === id ? meetings.filter((m) => m.id === id) : meetings));
      }),
      http.get(`${API}/catalogue/${id}`, () => ok(meetings[7] as CatalogueItem)), // the form's captions
    );
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: `/admin/library?item=${id}` });

    const form = await screen.findByRole("form", { name: "Edit Weekly team meeting" });
    expect(within(form).getByLabelText("Description")).toHaveValue("Week 7.");
    expect(screen.getAllByTestId("library-item")).toHaveLength(1);
    const asked = sentTo(seen, "GET", `${API}/catalogue`)[0]?.url.searchParams;
    expect(asked?.get("q")).toBe(id);
    expect(asked?.get("status")).toBe("all");
    expect(screen.getByTestId("library-one-video")).toHaveTextContent("Showing the video you came to edit.");
    expect(screen.getByRole("searchbox")).toHaveValue(""); // the id is not put in the search box

    await user.click(within(form).getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByRole("button", { name: "Show every video" }));

    await waitFor(() => expect(screen.getAllByTestId("library-item")).toHaveLength(24));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/library$/);
    expect(screen.queryByTestId("library-one-video")).not.toBeInTheDocument();
  });
});
