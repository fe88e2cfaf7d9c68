import { screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { ItemStatistics, StatisticsDay } from "../api/statistics";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";
import { formatWatchTime } from "./LibraryStatistics";

const STATISTICS = `${API}/catalogue/p/statistics`;

/** `count` days ending 2031-05-04, each with `views(i)` views and a minute watched per view. */
function days(count: number, views: (index: number) => number = () => 0): StatisticsDay[] {
  const last = Date.UTC(2031, 4, 4);
  return Array.from({ length: count }, (_, index) => ({
    date: new Date(last - (count - 1 - index) * 86_400_000).toISOString().slice(0, 10),
    views: views(index),
    watch_seconds: views(index) * 60,
  }));
}

function statistics(period: number, overrides: Partial<ItemStatistics> = {}): ItemStatistics {
  return {
    item_id: "p",
    period_days: period,
    view_count: 152,
    views_in_period: 31,
    watch_seconds_in_period: 12_000,
    days: days(period, (i) => (i === period - 1 ? 4 : i % 2)),
    like_count: 1,
    comment_count: 2,
    share_opens: 9,
    share_plays: 4,
    viewers: 12,
    finished: 7,
    average_reached: 0.6372,
    average_watched: 0.431,
    ...overrides,
  };
}

/** The library holding one video whose statistics are `answer(days)`. */
function serveVideo(answer: (days: number) => ItemStatistics = (d) => statistics(d)) {
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([mediaItem({ id: "p", title: "Lecture 3" })]))),
    http.get(STATISTICS, ({ request }) => ok(answer(Number(new URL(request.url).searchParams.get("days"))))),
  );
}

async function openStatistics() {
  const user = setupUser();
  renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  const opener = await screen.findByRole("button", { name: "Statistics for Lecture 3" });
  await user.click(opener);
  expect(opener).toHaveAttribute("aria-expanded", "true");
  return { user, panel: screen.getByRole("region", { name: "Statistics" }) };
}

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
});

describe("a video's statistics in the library", () => {
  it("says the last 30 days' numbers in words and draws a bar per day", async () => {
    serveVideo();
    const seen = recordRequests();
    const { panel } = await openStatistics();

    expect(await within(panel).findByTestId("stats-views")).toHaveTextContent(
      "31 views · 3 h 20 min watched in the last 30 days · 43 % of its length watched per view, on average",
    );
    // Where viewers stopped is not how much they watched: each is said as what it is.
    expect(within(panel).getByTestId("stats-viewers")).toHaveTextContent(
      "12 viewers · 7 finished · they stopped at 64 % of it, on average",
    );
    // How a view is counted, where the creator reads the views (walk 53, F8).
    expect(within(panel).getByTestId("stats-rule")).toHaveTextContent(
      "A view is a signed-in viewer playing it; playing again within an hour of their last play is the same view.",
    );
    expect(within(panel).getByTestId("stats-totals")).toHaveTextContent(
      "152 views in all · 4 plays by share links · 1 like · 2 comments · 9 share link opens (page loads, embeds included)",
    );
    const bars = within(panel).getAllByTestId("stats-bar");
    expect(bars).toHaveLength(30);
    // The busiest day (today, 4 views) is the whole height; a day of none has no height.
    expect(bars[29]).toHaveAttribute("height", "80");
    expect(bars[0]).toHaveAttribute("height", "0");
    // The bars' scale and ends are read on the chart, not guessed.
    expect(within(panel).getByTestId("stats-caption")).toHaveTextContent("Views per day (UTC) · the tallest bar is 4 views");
    expect(within(panel).getByTestId("stats-days")).toHaveTextContent(/^Apr 5May 4$/);
    expect(sentTo(seen, "GET", STATISTICS).map((r) => r.url.searchParams.get("days"))).toEqual(["30"]);
  });

  it("says no day had views when none had, not that the tallest bar is 1 view", async () => {
    serveVideo((period) => statistics(period, { views_in_period: 0, watch_seconds_in_period: 0, days: days(period) }));
    const { panel } = await openStatistics();
    expect(await within(panel).findByTestId("stats-caption")).toHaveTextContent(/^Views per day \(UTC\) · no views on any day$/);
    expect(within(panel).getAllByTestId("stats-bar")[29]).toHaveAttribute("height", "0");
  });

  it("offers the same numbers by day as a table to screen readers", async () => {
    serveVideo();
    const { panel } = await openStatistics();
    const table = await within(panel).findByRole("table", { name: "Views and time watched per day (UTC)" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(31);
    expect(rows[30]).toHaveTextContent(/May 4\s*4\s*4 min/);
  });

  it("looks back 7 or 90 days when chosen", async () => {
    serveVideo();
    const seen = recordRequests();
    const { user, panel } = await openStatistics();
    const period = within(panel).getByLabelText("Period");
    expect(within(period).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Last 7 days",
      "Last 30 days",
      "Last 90 days",
    ]);
    await within(panel).findByTestId("stats-views");

    await user.selectOptions(period, "7");
    expect(await within(panel).findByText(/watched in the last 7 days/)).toBeInTheDocument();
    expect(within(panel).getAllByTestId("stats-bar")).toHaveLength(7);
    await user.selectOptions(period, "90");
    expect(await within(panel).findByText(/watched in the last 90 days/)).toBeInTheDocument();
    expect(within(panel).getAllByTestId("stats-bar")).toHaveLength(90);
    expect(sentTo(seen, "GET", STATISTICS).map((r) => r.url.searchParams.get("days"))).toEqual(["30", "7", "90"]);
  });

  it("says nothing of how much was watched when nobody has a place in the video", async () => {
    serveVideo((d) =>
      statistics(d, { viewers: 0, finished: 0, average_reached: null, average_watched: null, views_in_period: 0, watch_seconds_in_period: 0 }),
    );
    const { panel } = await openStatistics();
    expect(await within(panel).findByTestId("stats-viewers")).toHaveTextContent(/^0 viewers · 0 finished$/);
    expect(within(panel).getByTestId("stats-views")).toHaveTextContent("0 views · 0 s watched in the last 30 days");
  });

  it("says why the statistics could not be read", async () => {
    server.use(
      http.get(`${API}/catalogue`, () => ok(mediaPage([mediaItem({ id: "p", title: "Lecture 3" })]))),
      http.get(STATISTICS, () => apiError(404, "item_not_found", "no such media item")),
    );
    const { panel } = await openStatistics();
    expect(await within(panel).findByRole("alert")).toBeInTheDocument();
    expect(within(panel).queryByTestId("stats-views")).not.toBeInTheDocument();
  });
});

describe("formatWatchTime", () => {
  it("says a time as a person says it", () => {
    expect([0, 44.6, 60, 754, 3600, 12_000, 360_000].map(formatWatchTime)).toEqual([
      "0 s",
      "45 s",
      "1 min",
      "12 min",
      "1 h",
      "3 h 20 min",
      "100 h",
    ]);
  });
});
