import { LIMITS } from "../api/limits";
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { formatDay } from "../lib/format";
import { hadSession, mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { ADMIN, API, apiError, http, nothingWatched, ok, recordRequests, refreshGives, sentTo, server, VIEWER, type SeenRequest } from "../test/server";
import { GuestPage } from "../auth/RequireAuth";
import { BrowsePage, SEARCH_DEBOUNCE_MS } from "./Browse";

const CATALOGUE = `${API}/catalogue`;

function serve(items: (url: URL) => CatalogueItem[], pageInfo: { total?: number; page?: number } = {}) {
  server.use(http.get(CATALOGUE, ({ request }) => ok(mediaPage(items(new URL(request.url)), pageInfo))));
}

/** The requests of `seen` for a page of the catalogue (not its tags, nor the server's config). */
function catalogueReads(seen: SeenRequest[]): SeenRequest[] {
  return seen.filter((r) => r.url.pathname === `${API}/catalogue`);
}

function browse(path = "/") {
  return renderPage(<BrowsePage />, { path });
}

describe("BrowsePage", () => {
  it("renders a card per item with title, thumbnail and duration", async () => {
    serve(() => [
      mediaItem({ id: "a", title: "Sunset over the bay", duration_seconds: 65, view_count: 12_345 }),
      mediaItem({
        id: "b",
        title: "Mountain timelapse",
        duration_seconds: 3725,
        thumbnail_url: null,
        processing_state: "ready",
        processing_detail: "2 damaged parts of the original skipped: it may freeze or break up there, as the original does",
      }),
      mediaItem({
        id: "c",
        title: "Still processing",
        duration_seconds: null,
        processing_state: "processing",
        processing_percent: 40,
        processing_detail: "360p", // the library's field: an admin's answer
      }),
    ]);
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    browse();

    const cards = await screen.findAllByTestId("media-card");
    expect(cards).toHaveLength(3);

    const [first, second, third] = cards;
    expect(within(first!).getByText("Sunset over the bay")).toBeInTheDocument();
    expect(within(first!).getByText("1:05")).toBeInTheDocument();
    expect(within(first!).getByRole("link", { name: /Sunset over the bay/ })).toHaveAttribute("href", "/watch/a");
    const still = first!.querySelector("img");
    expect(still).toHaveAttribute("src", "/api/v1/stream/thumbnails/a.jpg");
    // A card shown wider than the thumbnail on a dense screen takes the poster.
    expect(still).toHaveAttribute(
      "srcset",
      "/api/v1/stream/thumbnails/a.jpg 640w, /api/v1/stream/thumbnails/a-poster.jpg 1280w",
    );
    expect(still).toHaveAttribute("sizes", "(max-width: 40rem) 100vw, 20rem");

    // The date it was published and its tags, each a filter link.
    expect(within(first!).getByText(formatDay("2026-02-01T10:05:00Z"))).toHaveAttribute("datetime", "2026-02-01T10:05:00Z");
    expect(first!.querySelector(".card-meta")).toHaveTextContent(/^12\.3K views ·/);
    expect(within(second!).getByText(/^No views ·/)).toBeInTheDocument();
    const tags = within(first!).getByRole("list", { name: "Tags of Sunset over the bay" });
    expect(within(tags).getByRole("link", { name: "sea" })).toHaveAttribute("href", "/?tag=sea");

    expect(within(second!).getByText("1:02:05")).toBeInTheDocument();
    expect(second!.querySelector("img")).toBeNull();
    expect(within(third!).queryByTestId("media-duration")).toBeNull();
    expect(within(third!).getByTestId("processing-badge")).toHaveTextContent("40 %");
    expect(within(first!).queryByTestId("processing-badge")).toBeNull();
    expect(within(second!).queryByTestId("processing-badge")).toBeNull(); // ready, with a word for admins

    expect(screen.getByText("3 videos")).toBeInTheDocument();
    expect(screen.queryByTestId("loading")).not.toBeInTheDocument();

    const [req] = sentTo(seen, "GET", CATALOGUE);
    expect(Object.fromEntries(req!.url.searchParams)).toEqual({ sort: "newest", page: "1", page_size: "24" });
    expect(req?.headers.get("Authorization")).toBe("Bearer tok");
  });

  it("shows a loading state, then an empty state", async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    server.use(
      http.get(CATALOGUE, async () => {
        await answered;
        return ok(mediaPage([]));
      }),
    );
    browse();

    expect(await screen.findByTestId("loading")).toHaveTextContent("Loading…");
    release();

    expect(await screen.findByTestId("empty-state")).toHaveTextContent("No videos found");
    expect(screen.queryByTestId("media-card")).not.toBeInTheDocument();
    expect(screen.queryByTestId("loading")).not.toBeInTheDocument();
  });

  it.each([
    [ADMIN, true],
    [VIEWER, false],
  ])("on an empty catalogue shows an admin, not a viewer, where videos come from (%#)", async (who, shown) => {
    hadSession();
    serve(() => []);
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(who)), ...nothingWatched());
    renderPage(<BrowsePage />, { withAuth: true });

    const empty = await screen.findByTestId("empty-state");
    await waitFor(() => expect(within(empty).queryAllByRole("link", { name: "Upload a video" })).toHaveLength(shown ? 1 : 0));
    if (shown) expect(within(empty).getByRole("link", { name: "Upload a video" })).toHaveAttribute("href", "/admin/upload");
  });

  it("says when a search and a tag match nothing, and clears them", async () => {
    const user = setupUser();
    serve((url) => (url.searchParams.has("q") ? [] : [mediaItem()]));
    browse("/?q=zzzznomatch&tag=sea&sort=title");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("No videos foundTry another search or clear the filters.");
    // Said by the live count, which was empty at 0 (the empty state is outside it).
    expect(screen.getByTestId("catalogue-status")).toHaveAttribute("aria-live", "polite");
    expect(screen.getByTestId("catalogue-status")).toHaveTextContent("No videos found");
    await user.click(within(empty).getByRole("button", { name: "clear the filters" }));

    expect(await screen.findAllByTestId("media-card")).toHaveLength(1);
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/\?sort=title$/);
    expect(screen.getByLabelText("Search")).toHaveValue("");
    expect(screen.getByLabelText("Tag")).toHaveValue("");
  });

  it("says a search of several words needs every word, and that OR and -word are words", async () => {
    serve((url) => (url.searchParams.has("q") ? [] : [mediaItem()]));
    browse("/?q=heron%20OR%20cat");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent(
      "Only videos with every word you typed (in the title, description or tags) are shown: try fewer words. " +
        "OR and -word are searched as words too.",
    );
    expect(screen.getByLabelText("Search")).toHaveAttribute("placeholder", "Search titles, descriptions and tags");
    expect(screen.getByLabelText("Search")).toHaveAttribute("maxLength", String(LIMITS.search));
  });

  it("says nothing of words when one word found nothing", async () => {
    serve((url) => (url.searchParams.has("q") ? [] : [mediaItem()]));
    browse("/?q=zzzznomatch");

    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent(/^No videos foundTry another search or clear the filters\.$/);
  });

  it("on a page after the last one says where the videos are and goes there", async () => {
    // Page 3 of 3 videos, 2 a page: the last page's video unpublished since, or an old link.
    server.use(
      http.get(CATALOGUE, ({ request }) => {
        const page = Number(new URL(request.url).searchParams.get("page"));
        return ok(mediaPage(page === 3 ? [] : [mediaItem()], { total: 3, page, page_size: 2 }));
      }),
    );
    const user = setupUser();
    browse("/?page=3");

    const past = await screen.findByTestId("past-the-end");
    expect(past).toHaveTextContent("Nothing on page 3There are only 2 pages.");
    expect(screen.queryByTestId("empty-state")).not.toBeInTheDocument();
    await user.click(within(past).getByRole("button", { name: "Go to page 2" }));

    expect(await screen.findAllByTestId("media-card")).toHaveLength(1);
    expect(screen.getByTestId("location")).toHaveTextContent("/?page=2");
  });

  it("takes its filters from the URL query", async () => {
    serve(() => [mediaItem()], { total: 30, page: 2 });
    const seen = recordRequests();
    browse("/?q=sunset&tag=sea&sort=title&page=2");

    await screen.findAllByTestId("media-card");
    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({
      q: "sunset",
      tag: "sea",
      sort: "title",
      page: "2",
      page_size: "24",
    });
    expect(screen.getByLabelText("Search")).toHaveValue("sunset");
    expect(screen.getByLabelText("Sort")).toHaveValue("title");
    expect(screen.getByText("Page 2 of 2")).toBeInTheDocument();
  });

  it("debounces the search box into the URL and refetches once", async () => {
    const user = setupUser();
    serve((url) => (url.searchParams.get("q") === "bay" ? [mediaItem({ title: "Bay" })] : [mediaItem(), mediaItem({ id: "m-2" })]));
    const seen = recordRequests();
    browse("/?page=3");
    await screen.findAllByTestId("media-card");

    await user.type(screen.getByLabelText("Search"), "bay");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/?q=bay"));
    await waitFor(() => expect(screen.getAllByTestId("media-card")).toHaveLength(1));
    // One request on load, one for the finished word: not one per keystroke.
    expect(catalogueReads(seen).map((r) => r.url.searchParams.get("q"))).toEqual([null, "bay"]);
    // A new search starts again at page 1.
    expect(catalogueReads(seen)[1]!.url.searchParams.get("page")).toBe("1");
  });

  it("keeps a sort chosen while the search still waits for its pause", async () => {
    const user = setupUser();
    serve(() => [mediaItem()]);
    const seen = recordRequests();
    browse();
    await screen.findAllByTestId("media-card");

    // Typed, then the sort changed before the search's pause was over.
    await user.type(screen.getByLabelText("Search"), "episode");
    await user.selectOptions(screen.getByLabelText("Sort"), "title");

    await waitFor(() => expect(catalogueReads(seen).at(-1)!.url.searchParams.get("q")).toBe("episode"));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/\?sort=title&q=episode$/);
    expect(catalogueReads(seen).at(-1)!.url.searchParams.get("sort")).toBe("title");
    expect(screen.getByLabelText("Sort")).toHaveValue("title");
  });

  it("keeps a tag entered while a cleared search still waits for its pause", async () => {
    const user = setupUser();
    serve(() => [mediaItem()]);
    browse("/?q=x");
    await screen.findAllByTestId("media-card");

    await user.clear(screen.getByLabelText("Search"));
    await user.type(screen.getByLabelText("Tag"), "sea");
    await user.tab();

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/\?tag=sea$/));
    // Still so once the search's pause is over.
    await new Promise((resolve) => setTimeout(resolve, SEARCH_DEBOUNCE_MS + 50));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/\?tag=sea$/);
    expect(screen.getByLabelText("Tag")).toHaveValue("sea");
  });

  it("waits out a throttled search for as long as the server says, then shows its results", async () => {
    let asked = 0;
    server.use(
      http.get(CATALOGUE, () => {
        asked += 1;
        if (asked > 1) return ok(mediaPage([mediaItem({ title: "Bay" })]));
        const detail = "too many searches from this address; try again shortly";
        return apiError(429, "searches_throttled", detail, { "Retry-After": "1" });
      }),
    );
    browse("/?q=bay");

    const waiting = "Many searches in a short while: the results come in a moment.";
    expect(await screen.findByText(waiting)).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(asked).toBe(1);
    await vi.waitFor(() => expect(screen.getAllByTestId("media-card")).toHaveLength(1), { timeout: 4000 });
    expect(asked).toBe(2);
    expect(screen.queryByText(waiting)).not.toBeInTheDocument();
  });

  it("sorts by duration both ways through the select", async () => {
    const user = setupUser();
    serve(() => [mediaItem()]);
    const seen = recordRequests();
    browse();
    await screen.findAllByTestId("media-card");

    const sort = screen.getByLabelText("Sort");
    expect(within(sort).getByRole("option", { name: "Shortest first" })).toHaveValue("shortest");
    expect(within(sort).getByRole("option", { name: "Longest first" })).toHaveValue("longest");

    await user.selectOptions(sort, "longest");
    await waitFor(() => expect(catalogueReads(seen)).toHaveLength(2));
    expect(catalogueReads(seen)[1]!.url.searchParams.get("sort")).toBe("longest");
    expect(screen.getByTestId("location")).toHaveTextContent("/?sort=longest");

    await user.selectOptions(sort, "Shortest first");
    await waitFor(() => expect(catalogueReads(seen)).toHaveLength(3));
    expect(catalogueReads(seen)[2]!.url.searchParams.get("sort")).toBe("shortest");
    expect(sort).toHaveValue("shortest");

    await user.selectOptions(sort, "Most viewed");
    await waitFor(() => expect(catalogueReads(seen)).toHaveLength(4));
    expect(catalogueReads(seen)[3]!.url.searchParams.get("sort")).toBe("popular");
  });

  it("reads an older ?sort=duration link as shortest first", async () => {
    serve(() => [mediaItem()]);
    const seen = recordRequests();
    browse("/?sort=duration");
    await screen.findAllByTestId("media-card");

    expect(screen.getByLabelText("Sort")).toHaveValue("shortest");
    expect(seen[0]!.url.searchParams.get("sort")).toBe("shortest");
  });

  describe("its feed", () => {
    // As the app shows Browse: inside GuestPage, which reads the server's config.
    const browseAsGuestsDo = (path = "/", withAuth = false) =>
      renderPage(
        <GuestPage>
          <BrowsePage />
        </GuestPage>,
        { path, withAuth },
      );

    it("links to the feed of new videos for a feed reader", async () => {
      serve(() => [mediaItem()]);
      browseAsGuestsDo();
      const feed = await screen.findByRole("link", { name: "Feed of new videos" });
      expect(feed).toHaveAttribute("href", "/api/v1/catalogue/feeds/videos.atom");
      expect(feed).toHaveAttribute("type", "application/atom+xml");
    });

    it("links a tag's page to that tag's feed", async () => {
      serve(() => [mediaItem()]);
      browseAsGuestsDo("/?tag=jazz%20%26%20blues");
      const feed = await screen.findByRole("link", { name: "Feed of new videos tagged jazz & blues" });
      expect(feed).toHaveAttribute("href", "/api/v1/catalogue/feeds/videos.atom?tag=jazz+%26+blues");
    });

    it("shows no feed on a members-only server, whose feed no reader can open", async () => {
      server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: "invite", guest_access: "none" })));
      hadSession();
      serve(() => [mediaItem()]);
      server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)), ...nothingWatched());
      browseAsGuestsDo("/", true);
      await screen.findAllByTestId("media-card");
      expect(screen.queryByRole("link", { name: /Feed/ })).not.toBeInTheDocument();
    });
  });
});

describe("BrowsePage's tag field", () => {
  const TAGS = [
    { tag: "football", count: 54 },
    { tag: "goals", count: 31 },
    { tag: "coaching", count: 44 },
  ];

  it("suggests the tags viewers may see, with how many videos have each", async () => {
    serve(() => [mediaItem({ id: "a", title: "Sunset over the bay" })]);
    server.use(http.get(`${API}/catalogue/tags`, () => ok({ tags: TAGS })));
    browse();
    const field = screen.getByLabelText("Tag");
    expect(field).toHaveAttribute("list", "browse-tags");
    await waitFor(() => expect(document.querySelectorAll("#browse-tags option")).toHaveLength(3));
    const options = [...document.querySelectorAll<HTMLOptionElement>("#browse-tags option")];
    expect(options.map((it) => [it.value, it.label])).toEqual([
      ["football", "football (54)"],
      ["goals", "goals (31)"],
      ["coaching", "coaching (44)"],
    ]);
  });

  it("says no video has a tag typed wrong and offers the closest, which filter when chosen", async () => {
    serve((url) => (url.searchParams.get("tag") === "goals" ? [mediaItem({ id: "g", title: "Top goals" })] : []));
    server.use(http.get(`${API}/catalogue/tags`, () => ok({ tags: TAGS })));
    const user = setupUser();
    browse("/?tag=goal");

    expect(await screen.findByRole("heading", { name: "No videos are tagged “goal”" })).toBeInTheDocument();
    expect(screen.getByTestId("empty-state")).toHaveTextContent("Closest tags: goals (31)");
    await user.click(screen.getByRole("button", { name: "goals" }));
    expect(await screen.findByText("Top goals")).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("tag=goals");
  });

  it("says only that nothing matched when the tag exists (the search left nothing)", async () => {
    serve(() => []);
    server.use(http.get(`${API}/catalogue/tags`, () => ok({ tags: TAGS })));
    browse("/?tag=goals&q=zebra");
    expect(await screen.findByRole("heading", { name: "No videos found" })).toBeInTheDocument();
  });
});
