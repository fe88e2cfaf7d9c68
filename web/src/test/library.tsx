import { screen, within } from "@testing-library/react";
import { expect } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { AdminLibraryPage } from "../pages/AdminLibrary";
import { mediaItem, mediaPage } from "./fixtures";
import { renderPage, setupUser } from "./render";
import { API, http, ok, server } from "./server";

/** The library holding `item` alone, its edit form open (no captions); the user who opened it. */
export async function openLibraryEditing(item: CatalogueItem) {
  const user = setupUser();
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([item]))),
    http.get(`${API}/catalogue/${item.id}`, () => ok({ ...item, captions: [] })),
    http.get(`${API}/ingest/items/${item.id}/captions`, () => ok({ media_id: item.id, captions: [] })),
  );
  renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  await user.click(await screen.findByRole("button", { name: `Edit ${item.title}` }));
  return user;
}

/**
 * The badges of the library's row titled `title` ("Published", "Unlisted"…): beside its heading,
 * which holds the title alone, the name of the row and of its heading.
 */
export async function rowBadges(title: string): Promise<HTMLElement> {
  const row = await screen.findByRole("listitem", { name: title });
  expect(within(row).getByRole("heading", { level: 2 })).toHaveAccessibleName(title);
  return within(row).getByTestId("library-badges");
}

/** The one published video ("Lecture 3", id "p") the library lists, as `start` says; a PATCH changes it as the server would. */
export function serveOneVideo(start: Partial<CatalogueItem> = {}) {
  const rig = { item: mediaItem({ id: "p", title: "Lecture 3", etag: '"v1"', ...start }) };
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([rig.item]))),
    http.get(`${API}/catalogue/p`, () => ok(rig.item)),
    http.patch(`${API}/catalogue/p`, async ({ request }) => {
      rig.item = { ...rig.item, ...((await request.json()) as Partial<CatalogueItem>), etag: '"v2"' };
      return ok(rig.item);
    }),
  );
  return rig;
}
