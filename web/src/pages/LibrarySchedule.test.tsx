import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setAccessToken } from "../api/tokenStore";
import type { CatalogueItem } from "../api/schema";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";
import { openLibraryEditing, rowBadges } from "../test/library";
import { formatDate } from "../lib/format";
import { AFTER_PUBLISH_TIME_MS, DUE_POLL_MS } from "../lib/useItemPolling";
import { instantOf, localInputValue } from "../components/PublishTimeField";

const ITEM = `${API}/catalogue/d`;
const DRAFT = mediaItem({ id: "d", title: "Monday lecture", status: "draft", published_at: null, publish_at: null });
/** Tomorrow at 09:00 in the browser's zone, and the instant it names. */
const TOMORROW_NINE = (() => {
  const day = new Date(Date.now() + 24 * 3600_000);
  day.setHours(9, 0, 0, 0);
  return day;
})();
const LOCAL_VALUE = localInputValue(TOMORROW_NINE.toISOString());

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** The library listing `item`, each read of it answered in turn by `answers` (the last one kept); the requests seen. */
function openWith(item: CatalogueItem, ...answers: CatalogueItem[]) {
  let reads = 0;
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([item]))),
    http.get(ITEM, () => ok(answers[Math.min(reads++, answers.length - 1)])),
  );
  const seen = recordRequests();
  const page = renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  return { seen, page };
}

/** The library with `item`, its edit form open; the schedule section. */
async function edit(item: CatalogueItem = DRAFT) {
  const user = await openLibraryEditing(item);
  return { user, section: await screen.findByTestId("library-schedule") };
}

describe("LibrarySchedule", () => {
  it("reads a local date-time as the instant it names in the browser's zone, and back", () => {
    expect(LOCAL_VALUE).toMatch(/^\d{4}-\d\d-\d\dT09:00$/);
    expect(instantOf(LOCAL_VALUE)).toBe(TOMORROW_NINE.toISOString());
    expect(instantOf("")).toBeNull();
    expect(instantOf("not a time")).toBeNull();
  });

  it("sends the local time picked as an instant and shows the row scheduled", async () => {
    const { user, section } = await edit();
    const seen = recordRequests();
    server.use(
      http.patch(ITEM, async ({ request }) => {
        const body = (await request.json()) as { publish_at: string };
        return ok({ ...DRAFT, publish_at: body.publish_at });
      }),
    );

    await user.type(within(section).getByLabelText("Publish at"), LOCAL_VALUE);
    await user.click(within(section).getByRole("button", { name: "Schedule" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(/^Goes public .+\.$/);
    // The button pressed is there still, as Change schedule: it keeps the focus.
    expect(within(section).getByRole("button", { name: "Change schedule" })).toHaveFocus();
    const [patch] = sentTo(seen, "PATCH", ITEM);
    expect(await patch!.request.json()).toEqual({ publish_at: TOMORROW_NINE.toISOString() });
    // Only the schedule: the edit form's fields are not sent with it.
    expect(within(section).getByLabelText("Publish at")).toHaveValue(LOCAL_VALUE);
    expect(within(section).getByRole("button", { name: "Cancel schedule" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByTestId("library-scheduled")).toHaveTextContent(/^Scheduled for /);
    // Its badge says so too, not "Draft" like the drafts that stay drafts.
    expect(within(await rowBadges("Monday lecture")).getByText("Scheduled")).toHaveClass("badge");
  });

  it("cancels a schedule: it stays a draft", async () => {
    const scheduled = { ...DRAFT, publish_at: TOMORROW_NINE.toISOString() };
    const { user, section } = await edit(scheduled);
    const seen = recordRequests();
    server.use(http.patch(ITEM, () => ok({ ...DRAFT, publish_at: null })));
    expect(within(section).getByLabelText("Publish at")).toHaveValue(LOCAL_VALUE);

    await user.click(within(section).getByRole("button", { name: "Cancel schedule" }));

    const said = await within(section).findByRole("status");
    expect(said).toHaveTextContent("Not scheduled any more: it stays a draft.");
    // Cancel schedule went with the schedule: the focus is on what it did, not the page's body.
    expect(within(section).queryByRole("button", { name: "Cancel schedule" })).not.toBeInTheDocument();
    expect(said).toHaveFocus();
    const [patch] = sentTo(seen, "PATCH", ITEM);
    expect(await patch!.request.json()).toEqual({ publish_at: null });
    expect(within(section).getByLabelText("Publish at")).toHaveValue("");
  });

  it("refuses a past or missing time without sending it, and tells the server's refusal", async () => {
    const { user, section } = await edit();
    const seen = recordRequests();
    const input = within(section).getByLabelText("Publish at");

    await user.click(within(section).getByRole("button", { name: "Schedule" }));
    expect(await within(section).findByText("Pick the day and time it goes public.")).toBeInTheDocument();
    await user.type(input, "2001-03-02T09:00");
    await user.click(within(section).getByRole("button", { name: "Schedule" }));
    expect(await within(section).findByText("Pick a time in the future.")).toBeInTheDocument();
    expect(sentTo(seen, "PATCH", ITEM)).toHaveLength(0);

    server.use(http.patch(ITEM, () => apiError(400, "publish_at_too_far", "publish_at is more than 10 years ahead")));
    await user.clear(input);
    await user.type(input, LOCAL_VALUE);
    await user.click(within(section).getByRole("button", { name: "Schedule" }));
    expect(
      await within(section).findByText(/Could not change the schedule: publish_at is more than 10 years ahead/),
    ).toBeInTheDocument();
  });

  it("tells that a video went public before its schedule was cancelled, and its row says published", async () => {
    const scheduled = { ...DRAFT, publish_at: TOMORROW_NINE.toISOString() };
    const wentPublic = mediaItem({ ...DRAFT, status: "published", published_at: TOMORROW_NINE.toISOString() });
    const { user, section } = await edit(scheduled);
    server.use(
      http.patch(ITEM, () => apiError(409, "already_published", "the item went public at … already")),
      http.get(ITEM, () => ok(wentPublic)),
    );

    await user.click(within(section).getByRole("button", { name: "Cancel schedule" }));

    expect(
      await within(section).findByText(`Could not change the schedule: it went public at ${formatDate(wentPublic.published_at)} already.`),
    ).toBeInTheDocument();
    // Nothing left to schedule: the form is gone, and the row says what it is now.
    expect(within(section).queryByLabelText("Publish at")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByRole("button", { name: "Unpublish Monday lecture" })).toBeInTheDocument();
    expect(screen.queryByTestId("library-scheduled")).toBeNull();
  });

  it("is not offered for a published video", async () => {
    await openLibraryEditing(mediaItem({ id: "p", title: "Live one" }));
    expect(await screen.findByRole("form", { name: "Edit Live one" })).toBeInTheDocument();
    expect(screen.queryByTestId("library-schedule")).toBeNull();
  });

  it("says in the row why a due video is not public yet", async () => {
    const past = new Date(Date.now() - 3600_000).toISOString();
    const failed = mediaItem({
      ...DRAFT,
      publish_at: past,
      playable: false,
      processing_state: "failed",
      processing_detail: "decoder gave up",
    });
    server.use(http.get(`${API}/catalogue`, () => ok(mediaPage([failed]))));
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    expect(await screen.findByTestId("library-scheduled")).toHaveTextContent(
      /^Not published at .+: it does not play\. It goes public once it is transcoded again\.$/,
    );
  });

  it("turns a row published by itself once the server publishes it, looking again while it waits to play", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const publishAt = new Date(Date.now() + 60_000).toISOString();
    const scheduled = { ...DRAFT, publish_at: publishAt };
    const waiting = { ...scheduled, playable: false };
    const published = { ...DRAFT, status: "published" as const, published_at: publishAt };
    const { seen } = openWith(scheduled, waiting, published);
    expect(await screen.findByTestId("library-scheduled")).toHaveTextContent(/^Scheduled for /);

    // Not before its time and the server's interval after it.
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(sentTo(seen, "GET", ITEM)).toHaveLength(0);
    await act(() => vi.advanceTimersByTimeAsync(AFTER_PUBLISH_TIME_MS));
    expect(sentTo(seen, "GET", ITEM)).toHaveLength(1);
    expect(await screen.findByText(/it goes public once it can play\.$/)).toBeInTheDocument();

    // Still a due draft: it is read again a while later, and then it is public.
    await act(() => vi.advanceTimersByTimeAsync(DUE_POLL_MS));
    await waitFor(() => expect(screen.queryByTestId("library-scheduled")).toBeNull());
    expect(screen.getByRole("button", { name: "Unpublish Monday lecture" })).toBeInTheDocument();
    expect(sentTo(seen, "GET", ITEM)).toHaveLength(2);
    await act(() => vi.advanceTimersByTimeAsync(3 * DUE_POLL_MS));
    expect(sentTo(seen, "GET", ITEM)).toHaveLength(2); // public: no more reading
  });

  it("stops looking at a scheduled row once the page lets it go", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const scheduled = { ...DRAFT, publish_at: new Date(Date.now() + 60_000).toISOString() };
    const { seen, page } = openWith(scheduled, scheduled);
    expect(await screen.findByTestId("library-scheduled")).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(60_000 + AFTER_PUBLISH_TIME_MS));
    expect(sentTo(seen, "GET", ITEM)).toHaveLength(1); // due, still a draft: looked at on and on

    page.unmount();
    await act(() => vi.advanceTimersByTimeAsync(3 * DUE_POLL_MS));

    expect(sentTo(seen, "GET", ITEM)).toHaveLength(1);
  });

  it("filters the library to the scheduled drafts", async () => {
    const seen = recordRequests();
    server.use(http.get(`${API}/catalogue`, () => ok(mediaPage([]))));
    renderPage(<AdminLibraryPage />, { path: "/admin/library?status=scheduled" });
    expect(await screen.findByText("No draft is scheduled to go public.")).toBeInTheDocument();
    expect(sentTo(seen, "GET", `${API}/catalogue`)[0]!.url.searchParams.get("status")).toBe("scheduled");
  });
});
