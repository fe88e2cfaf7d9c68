import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem } from "../test/fixtures";
import { FakeServer, json } from "../test/http";
import { renderPage, setupUser } from "../test/render";
import { BrowsePage } from "./Browse";

const CATALOGUE = "/api/v1/catalogue/";

function page(items: ReturnType<typeof mediaItem>[], total = items.length, pageNo = 1) {
  return json({ items, total, page: pageNo, page_size: 24 });
}

function browse(path = "/") {
  return renderPage(<BrowsePage />, { path });
}

describe("BrowsePage", () => {
  it("renders a card per item with title, thumbnail and duration", async () => {
    const server = new FakeServer()
      .on(
        "GET",
        CATALOGUE,
        page([
          mediaItem({ id: "a", title: "Sunset over the bay", duration_seconds: 65 }),
          mediaItem({ id: "b", title: "Mountain timelapse", duration_seconds: 3725, thumbnail_url: null }),
          mediaItem({ id: "c", title: "Still processing", duration_seconds: null }),
        ]),
      );
    setAccessToken("tok", 1800);
    browse();

    const cards = await screen.findAllByTestId("media-card");
    expect(cards).toHaveLength(3);

    const [first, second, third] = cards;
    expect(within(first!).getByText("Sunset over the bay")).toBeInTheDocument();
    expect(within(first!).getByText("1:05")).toBeInTheDocument();
    expect(within(first!).getByRole("link")).toHaveAttribute("href", "/watch/a");
    expect(first!.querySelector("img")).toHaveAttribute("src", "/api/v1/stream/thumbnails/a.jpg");

    expect(within(second!).getByText("1:02:05")).toBeInTheDocument();
    expect(second!.querySelector("img")).toBeNull();
    expect(within(third!).queryByTestId("media-duration")).toBeNull();

    expect(screen.getByText("3 videos")).toBeInTheDocument();
    expect(screen.queryByTestId("loading")).not.toBeInTheDocument();

    const [req] = server.requestsTo("GET", CATALOGUE);
    expect(req?.url.searchParams.get("sort")).toBe("newest");
    expect(req?.url.searchParams.get("page")).toBe("1");
    expect(req?.url.searchParams.get("page_size")).toBe("24");
    expect(req?.headers.get("Authorization")).toBe("Bearer tok");
  });

  it("shows a loading state, then an empty state", async () => {
    let release: (res: Response) => void = () => undefined;
    new FakeServer()
      .on("GET", CATALOGUE, () => new Promise<Response>((resolve) => (release = resolve)));
    browse();

    expect(await screen.findByTestId("loading")).toHaveTextContent("Loading…");
    release(page([]));

    expect(await screen.findByTestId("empty-state")).toHaveTextContent("No videos found");
    expect(screen.queryByTestId("media-card")).not.toBeInTheDocument();
    expect(screen.queryByTestId("loading")).not.toBeInTheDocument();
  });

  it("takes its filters from the URL query", async () => {
    const server = new FakeServer()
      .on("GET", CATALOGUE, page([mediaItem()], 30, 2));
    browse("/?q=sunset&tag=sea&sort=title&page=2");

    await screen.findAllByTestId("media-card");
    const params = server.requestsTo("GET", CATALOGUE)[0]!.url.searchParams;
    expect(Object.fromEntries(params)).toEqual({
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
    const server = new FakeServer()
      .on("GET", CATALOGUE, (req) =>
        page(req.url.searchParams.get("q") === "bay" ? [mediaItem({ title: "Bay" })] : [mediaItem(), mediaItem({ id: "m-2" })]),
      );
    browse("/?page=3");
    await screen.findAllByTestId("media-card");

    await user.type(screen.getByLabelText("Search"), "bay");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/?q=bay"));
    await waitFor(() => expect(screen.getAllByTestId("media-card")).toHaveLength(1));
    const queries = server.requestsTo("GET", CATALOGUE).map((r) => r.url.searchParams.get("q"));
    // One request on load, one for the finished word: not one per keystroke.
    expect(queries).toEqual([null, "bay"]);
    // A new search starts again at page 1.
    expect(server.requestsTo("GET", CATALOGUE)[1]!.url.searchParams.get("page")).toBe("1");
  });

  it("changes the sort order through the select", async () => {
    const user = setupUser();
    const server = new FakeServer()
      .on("GET", CATALOGUE, page([mediaItem()]));
    browse();
    await screen.findAllByTestId("media-card");

    await user.selectOptions(screen.getByLabelText("Sort"), "duration");

    await waitFor(() => expect(server.requestsTo("GET", CATALOGUE)).toHaveLength(2));
    expect(server.requestsTo("GET", CATALOGUE)[1]!.url.searchParams.get("sort")).toBe("duration");
    expect(screen.getByTestId("location")).toHaveTextContent("/?sort=duration");
  });
});
