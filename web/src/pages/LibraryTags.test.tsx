import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { LIMITS } from "../api/limits";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { openLibraryEditing } from "../test/library";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";

const CATALOGUE = `${API}/catalogue`;
const TAGS = [
  { tag: "nature", count: 12 },
  { tag: "draft only", count: 1 },
];

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
});

const bar = () => screen.getByRole("group", { name: "Selected videos" });
const tagField = () => within(bar()).getByRole("combobox", { name: "Tag to add or remove" });
const patches = (seen: ReturnType<typeof recordRequests>) => seen.filter((r) => r.method === "PATCH");

/**
 * The library lists `items`; each PATCH answers with the item as changed and a new etag
 * (`"<id>-2"`), and `changed` holds what it was sent.
 */
function library(items: CatalogueItem[]) {
  server.use(
    tagList(TAGS),
    http.get(CATALOGUE, () => ok(mediaPage(items))),
    http.patch(`${CATALOGUE}/:id`, async ({ params, request }) => {
      const item = items.find((it) => it.id === params.id);
      return ok({ ...item, ...((await request.json()) as object), etag: `"${String(params.id)}-2"` });
    }),
  );
}

describe("the library's tag filter", () => {
  it("offers the library's tags, drafts' too, kept in the URL with the other filters and cleared with them", async () => {
    const user = setupUser();
    server.use(
      tagList(TAGS),
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("tag") === "draft only" ? ok(mediaPage([])) : ok(mediaPage([mediaItem()])),
      ),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?status=draft&q=walk" });

    const filter = await screen.findByRole("combobox", { name: "Tag" });
    await waitFor(() =>
      expect(within(filter).getAllByRole("option").map((o) => o.textContent)).toEqual([
        "Any",
        "nature (12)",
        "draft only (1)",
      ]),
    );
    expect(sentTo(seen, "GET", `${CATALOGUE}/tags`)[0]?.headers.get("Authorization")).toBe("Bearer tok-admin");
    await user.selectOptions(filter, "draft only");

    await waitFor(() => expect(sentTo(seen, "GET", CATALOGUE).at(-1)?.url.searchParams.get("tag")).toBe("draft only"));
    const asked = sentTo(seen, "GET", CATALOGUE).at(-1)!.url.searchParams;
    expect([asked.get("status"), asked.get("q")]).toEqual(["draft", "walk"]);
    expect(screen.getByTestId("location")).toHaveTextContent("tag=draft+only");
    await user.click(await screen.findByRole("button", { name: "clear the filters" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/library$/));
    expect(sentTo(seen, "GET", CATALOGUE).at(-1)?.url.searchParams.get("tag")).toBeNull();
    expect(screen.getByRole("combobox", { name: "Tag" })).toHaveValue("");
  });

  it("counts a row's tags again once its edit is saved", async () => {
    let counts = TAGS;
    const item = mediaItem({ id: "v", title: "Walk", tags: ["nature"] });
    server.use(
      http.get(`${CATALOGUE}/tags`, () => ok({ tags: counts })),
      http.patch(`${CATALOGUE}/v`, async ({ request }) => {
        counts = [...TAGS, { tag: "sea", count: 1 }];
        return ok({ ...item, ...((await request.json()) as object), etag: '"v-2"' });
      }),
    );
    const user = await openLibraryEditing(item);
    const form = await screen.findByRole("form", { name: "Edit Walk" });

    await user.clear(within(form).getByLabelText("Tags"));
    await user.type(within(form).getByLabelText("Tags"), "nature, sea");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    const filter = screen.getByRole("combobox", { name: "Tag" });
    await waitFor(() => expect(within(filter).getByRole("option", { name: "sea (1)" })).toBeInTheDocument());
  });

  it("shows a tag the URL names that no video has as chosen", async () => {
    server.use(
      tagList(TAGS),
      http.get(CATALOGUE, () => ok(mediaPage([]))),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library?tag=gone" });

    expect(await screen.findByText("No videos found")).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Tag" })).toHaveValue("gone");
  });

  it("reads a tag in the URL as the server matches it", async () => {
    server.use(
      tagList(TAGS),
      http.get(CATALOGUE, () => ok(mediaPage([mediaItem()]))),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?tag=%20Nature" });

    await screen.findAllByTestId("library-item");
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Tag" })).toHaveDisplayValue("nature (12)"));
    expect(sentTo(seen, "GET", CATALOGUE)[0]?.url.searchParams.get("tag")).toBe("nature");
  });
});

describe("adding and removing a tag in bulk", () => {
  it("adds a tag to the selected videos lacking it, under If-Match, tells one past the limit, and undoes it", async () => {
    const user = setupUser();
    const full = Array.from({ length: LIMITS.tags }, (_, i) => `t${i}`);
    const items = [
      mediaItem({ id: "a", title: "Alpha", tags: ["sea"], etag: '"a-1"' }),
      mediaItem({ id: "b", title: "Bravo", tags: ["travel"], etag: '"b-1"' }),
      mediaItem({ id: "c", title: "Charlie", tags: full, etag: '"c-1"' }),
      mediaItem({ id: "d", title: "Delta", tags: [], status: "draft", etag: '"d-1"' }),
    ];
    library(items);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.type(tagField(), "  Travel ");
    await user.click(within(bar()).getByRole("button", { name: "Add tag" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Added “travel” to 2 videos.");
    // Bravo has it already: nothing sent; Charlie would pass the limit: nothing sent, told why.
    expect(patches(seen).map((r) => r.url.pathname)).toEqual([`${CATALOGUE}/a`, `${CATALOGUE}/d`]);
    expect(await patches(seen)[0]!.request.json()).toEqual({ tags: ["sea", "travel"] });
    expect(patches(seen)[0]!.headers.get("If-Match")).toBe('"a-1"');
    expect(screen.getByRole("alert")).toHaveTextContent(
      `Could not add the tag to 1 video (still selected):“Charlie”: it has ${LIMITS.tags} tags already, and a video can have at most ${LIMITS.tags}`,
    );
    expect(screen.getByRole("checkbox", { name: "Select Charlie" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Select Alpha" })).not.toBeChecked();

    await user.click(screen.getByRole("button", { name: "Undo: Added “travel” to 2 videos." }));

    expect(await screen.findByText("Undone: “travel” is off 2 videos again.")).toBeInTheDocument();
    const undone = patches(seen).slice(2);
    expect(undone.map((r) => r.headers.get("If-Match"))).toEqual(['"a-2"', '"d-2"']);
    expect(await undone[0]!.request.json()).toEqual({ tags: ["sea"] });
  });

  it("removes a tag from every matching video, asked first, someone's tag edit meanwhile kept", async () => {
    const user = setupUser();
    const onPage = mediaItem({ id: "a", title: "Alpha", tags: ["sea", "travel"], etag: '"a-1"' });
    const offPage = mediaItem({ id: "z", title: "Zulu", tags: ["travel"], etag: '"z-1"' });
    const bare = mediaItem({ id: "b", title: "Bravo", tags: ["sea"] });
    server.use(
      tagList(TAGS),
      http.get(CATALOGUE, ({ request }) =>
        new URL(request.url).searchParams.get("page_size") === "100"
          ? ok(mediaPage([onPage, bare, offPage]))
          : ok(mediaPage([onPage, bare], { total: 3 })),
      ),
      // Someone gave Zulu another tag since the list was read: its etag no longer holds.
      http.patch(`${CATALOGUE}/z`, ({ request }) =>
        request.headers.get("If-Match") === '"z-1"'
          ? apiError(412, "changed_elsewhere", "changed since read")
          : ok({ ...offPage, tags: ["news"] }),
      ),
      http.get(`${CATALOGUE}/z`, () => ok({ ...offPage, tags: ["news", "travel"], etag: '"z-9"' })),
      http.patch(`${CATALOGUE}/a`, () => ok({ ...onPage, tags: ["sea"] })),
    );
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library?q=trip" });

    await user.click(await screen.findByRole("checkbox", { name: "Select all on this page" }));
    await user.click(within(bar()).getByRole("button", { name: "Select all 3 matching" }));
    await user.type(tagField(), "travel");
    await user.click(within(bar()).getByRole("button", { name: "Remove tag" }));
    const asked = await screen.findByRole("alertdialog", { name: "Remove “travel” from 2 videos?" });
    expect(patches(seen)).toHaveLength(0);
    await user.click(within(asked).getByRole("button", { name: "Remove tag" }));

    expect(await screen.findByTestId("done-notice")).toHaveTextContent("Removed “travel” from 2 videos.");
    const sent = patches(seen);
    expect(sent.map((r) => [r.url.pathname, r.headers.get("If-Match")])).toEqual([
      [`${CATALOGUE}/a`, '"a-1"'],
      [`${CATALOGUE}/z`, '"z-1"'],
      [`${CATALOGUE}/z`, '"z-9"'],
    ]);
    expect(await sent[2]!.request.json()).toEqual({ tags: ["news"] });
  });

  it("says what cannot be a tag, and when no selected video would change, sending nothing", async () => {
    const user = setupUser();
    library([mediaItem({ id: "a", title: "Alpha", tags: ["sea"] })]);
    const seen = recordRequests();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    await user.click(await screen.findByRole("checkbox", { name: "Select Alpha" }));
    await user.click(within(bar()).getByRole("button", { name: "Add tag" }));
    expect(await screen.findByText("Type the tag first.")).toBeInTheDocument();
    await user.type(tagField(), "a,b");
    await user.click(within(bar()).getByRole("button", { name: "Add tag" }));
    expect(await screen.findByText("A tag cannot hold a comma: add one tag at a time.")).toBeInTheDocument();
    await user.clear(tagField());
    await user.type(tagField(), "SEA");
    await user.click(within(bar()).getByRole("button", { name: "Add tag" }));
    expect(await screen.findByText("Each of them has “sea” already.")).toBeInTheDocument();
    await user.clear(tagField());
    await user.type(tagField(), "nope");
    await user.click(within(bar()).getByRole("button", { name: "Remove tag" }));
    expect(await screen.findByText("None of them has “nope”.")).toBeInTheDocument();
    expect(patches(seen)).toHaveLength(0);
  });
});
