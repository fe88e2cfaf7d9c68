import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { UnfinishedUpload } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { renderPage, setupUser } from "../test/render";
import { hadSession } from "../test/fixtures";
import { ADMIN, API, apiError, holdAnswer, http, noContent, ok, recordRequests, refreshGives, sentTo, server } from "../test/server";
import { UnfinishedUploads } from "./UnfinishedUploads";

const LISTED = `${API}/ingest/uploads`;
const MiB = 1024 * 1024;
const HOUR = 3600 * 1000;

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

function unfinished(id: string, title: string, offset: number, length: number): UnfinishedUpload {
  return {
    id,
    file_name: `${title.toLowerCase()}.mp4`,
    title,
    offset,
    length,
    created_at: ago(3 * HOUR),
    last_activity_at: ago(2 * HOUR),
    expires_at: new Date(Date.now() + 22 * HOUR).toISOString(),
    uploader_id: "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10",
  };
}

/** The accounts auth knows, by id: the uploaders it can name. */
const OTHER_ADMIN = { id: "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10", email: "robin@example.test" };

/**
 * The list answers `uploads` (paged by the query's limit and offset), as the server has them now;
 * auth's user list answers the `known` users among the ids asked for.
 */
function serve(uploads: UnfinishedUpload[], known: { id: string; email: string }[] = []) {
  server.use(
    http.get(`${API}/auth/users`, ({ request }) => {
      const ids = new URL(request.url).searchParams.getAll("id");
      const items = known
        .filter((user) => ids.includes(user.id))
        .map((user) => ({ ...user, role: "admin", created_at: ago(HOUR), display_name: null }));
      return ok({ items, total: items.length, limit: ids.length, offset: 0 });
    }),
    http.get(LISTED, ({ request }) => {
      const url = new URL(request.url);
      const limit = Number(url.searchParams.get("limit"));
      const offset = Number(url.searchParams.get("offset"));
      return ok({ items: uploads.slice(offset, offset + limit), total: uploads.length, limit, offset });
    }),
  );
}

function rowOf(title: string): HTMLElement {
  return screen.getByText(title, { selector: "strong" }).closest("tr")!;
}

beforeEach(() => setAccessToken("tok-admin", 1800));

describe("UnfinishedUploads", () => {
  it("names the signed-in admin's own uploads You, and says how to resume one", async () => {
    serve([{ ...unfinished("up-mine", "Mine", MiB, 4 * MiB), uploader_id: ADMIN.id }, unfinished("up-other", "Other", 0, MiB)]);
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(ADMIN)));
    renderPage(<UnfinishedUploads />, { withAuth: true });

    await waitFor(() => expect(within(rowOf("Mine")).getByText("You")).toBeInTheDocument());
    expect(within(rowOf("Other")).getByText("5b7c6a34")).toHaveAttribute("title", "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10");
    expect(screen.getByText(/To resume one, choose its file again above/)).toBeInTheDocument();
    expect(screen.getByRole("table", { name: "Unfinished uploads" })).toBeInTheDocument();
  });

  it("says an upload past its expiry is expired, with a Cancel only while it still holds bytes", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    serve([
      { ...unfinished("up-gone", "Cancelled", 0, 4 * MiB), expires_at: past },
      { ...unfinished("up-kept", "Kept", MiB, 4 * MiB), expires_at: past },
      unfinished("up-live", "Live", 0, MiB),
    ]);
    renderPage(<UnfinishedUploads />);

    await waitFor(() => expect(rowOf("Cancelled")).toHaveTextContent(/· expired /));
    expect(within(rowOf("Cancelled")).queryByRole("button")).not.toBeInTheDocument();
    expect(within(rowOf("Kept")).getByRole("button", { name: "Cancel “Kept”" })).toBeInTheDocument();
    expect(rowOf("Live")).toHaveTextContent(/· expires /);
    expect(within(rowOf("Live")).getByRole("button", { name: "Cancel “Live”" })).toBeInTheDocument();
  });

  it("says which upload is an item's new video file", async () => {
    serve([{ ...unfinished("up-new", "Recut", MiB, 4 * MiB), replaces: "item-1" }, unfinished("up-other", "Other", 0, MiB)]);
    renderPage(<UnfinishedUploads />);

    await waitFor(() => expect(rowOf("Recut")).toHaveTextContent("Recut · its new video file"));
    expect(rowOf("Other")).not.toHaveTextContent("new video file");
  });

  it("names another admin's uploads by their email, once auth has said it", async () => {
    serve([unfinished("up-other", "Other", 0, MiB)], [OTHER_ADMIN]);
    const seen = recordRequests();
    renderPage(<UnfinishedUploads />);

    const named = await within(await screen.findByTestId("unfinished-upload")).findByText("robin@example.test");
    expect(named).toHaveAttribute("title", OTHER_ADMIN.id);
    expect(sentTo(seen, "GET", `${API}/auth/users`)[0]?.url.searchParams.getAll("id")).toEqual([OTHER_ADMIN.id]);
  });

  it("keeps the id's first characters when auth cannot name the uploader", async () => {
    serve([unfinished("up-other", "Other", 0, MiB)]);
    server.use(http.get(`${API}/auth/users`, () => apiError(503, "unavailable", "auth is down")));
    renderPage(<UnfinishedUploads />);

    expect(await screen.findByText("5b7c6a34")).toHaveAttribute("title", OTHER_ADMIN.id);
    expect(screen.queryByText(/unavailable|auth is down/)).not.toBeInTheDocument();
  });

  it("lists each upload's progress and age, and cancels one after confirming", async () => {
    const uploads = [unfinished("up-lake", "Lake", 3 * MiB, 12 * MiB), unfinished("up-sea", "Sea", 0, 5 * MiB)];
    serve(uploads);
    const { held, release } = holdAnswer();
    server.use(
      http.delete(`${LISTED}/up-lake`, async () => {
        await held;
        return noContent();
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<UnfinishedUploads />);

    expect(await screen.findByRole("heading", { name: "Unfinished uploads" })).toBeInTheDocument();
    const lake = rowOf("Lake");
    expect(within(lake).getByText("lake.mp4")).toBeInTheDocument();
    expect(within(lake).getByRole("progressbar", { name: "Received of “Lake”" })).toHaveAttribute("aria-valuenow", "25");
    expect(lake).toHaveTextContent("3.0 MiB of 12.0 MiB · 25 %");
    expect(lake).toHaveTextContent("Started 3 h ago · last bytes 2 h ago");
    expect(within(lake).getByTitle(uploads[0]!.uploader_id)).toHaveTextContent("5b7c6a34");
    expect(rowOf("Sea")).toHaveTextContent("0 B of 5.0 MiB · 0 %");
    expect(sentTo(seen, "GET", LISTED)[0]?.url.search).toBe("?limit=20&offset=0");

    // Thinking better of it sends nothing.
    await user.click(within(lake).getByRole("button", { name: "Cancel “Lake”" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(sentTo(seen, "DELETE", `${LISTED}/up-lake`)).toHaveLength(0);

    await user.click(within(lake).getByRole("button", { name: "Cancel “Lake”" }));
    const dialog = screen.getByRole("alertdialog", { name: "Cancel this upload?" });
    expect(dialog).toHaveTextContent("the 3.0 MiB received so far are deleted");
    serve([uploads[1]!]);
    await user.click(within(dialog).getByRole("button", { name: "Cancel upload" }));
    // While it runs, the other rows' Cancel is held, not disabled (a disabled button drops the focus).
    const other = within(rowOf("Sea")).getByRole("button", { name: "Cancel “Sea”" });
    await waitFor(() => expect(other).toHaveAttribute("aria-disabled", "true"));
    expect(other).not.toBeDisabled();
    release();

    await waitFor(() => expect(screen.queryByText("Lake", { selector: "strong" })).not.toBeInTheDocument());
    const [cancel] = sentTo(seen, "DELETE", `${LISTED}/up-lake`);
    expect(cancel?.headers.get("Tus-Resumable")).toBe("1.0.0");
    expect(cancel?.headers.get("Authorization")).toBe("Bearer tok-admin");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(rowOf("Sea")).toBeInTheDocument();
  });

  it("shows nothing when no upload is unfinished", async () => {
    serve([]);
    const seen = recordRequests();
    const { container } = renderPage(<UnfinishedUploads />);

    await waitFor(() => expect(sentTo(seen, "GET", LISTED)).toHaveLength(1));
    await new Promise((settle) => setTimeout(settle, 50));
    expect(screen.queryByRole("heading", { name: "Unfinished uploads" })).not.toBeInTheDocument();
    expect(container.querySelector("section")).toBeNull();
  });

  it("says why a cancel failed, and shows the list as it is now", async () => {
    const gone = unfinished("up-gone", "Gone", MiB, 2 * MiB);
    serve([gone, unfinished("up-kept", "Kept", MiB, 4 * MiB)]);
    server.use(http.delete(`${LISTED}/up-gone`, () => apiError(404, "upload_not_found", "no such upload")));
    const user = setupUser();
    renderPage(<UnfinishedUploads />);

    await user.click(await screen.findByRole("button", { name: "Cancel “Gone”" }));
    serve([unfinished("up-kept", "Kept", MiB, 4 * MiB)]); // another admin cancelled it first
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Cancel upload" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Could not cancel “Gone”: no such upload");
    await waitFor(() => expect(screen.queryByText("Gone", { selector: "strong" })).not.toBeInTheDocument());
    expect(rowOf("Kept")).toBeInTheDocument();
  });

  it("pages through more uploads than a page holds", async () => {
    serve(Array.from({ length: 25 }, (_, i) => unfinished(`up-${i}`, `Clip ${i}`, MiB, 2 * MiB)));
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<UnfinishedUploads />);

    expect(await screen.findAllByTestId("unfinished-upload")).toHaveLength(20);
    const pages = screen.getByRole("navigation", { name: "Unfinished uploads pages" });
    await user.click(within(pages).getByRole("button", { name: "Next →" }));

    await waitFor(() => expect(screen.getAllByTestId("unfinished-upload")).toHaveLength(5));
    expect(rowOf("Clip 24")).toBeInTheDocument();
    expect(sentTo(seen, "GET", LISTED).map((r) => r.url.search)).toEqual(["?limit=20&offset=0", "?limit=20&offset=20"]);
  });
});
