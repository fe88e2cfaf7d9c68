import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { setAccessToken } from "../api/tokenStore";
import { renderPage, setupUser } from "../test/render";
import { API, recordRequests, sentTo, server, tagList } from "../test/server";
import { rowBadges, serveOneVideo } from "../test/library";
import { AdminLibraryPage } from "./AdminLibrary";

const ITEM = `${API}/catalogue/p`;

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
});

describe("a video's comments in the library", () => {
  it("are turned off in the edit form by 'Allow comments', sent alone", async () => {
    const rig = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    expect(await rowBadges("Lecture 3")).not.toHaveTextContent("Comments off");
    await user.click(screen.getByRole("button", { name: "Edit Lecture 3" }));
    const form = screen.getByRole("form", { name: "Edit Lecture 3" });
    const allow = within(form).getByRole("checkbox", { name: "Allow comments" });
    expect(allow).toBeChecked();

    await user.click(allow);
    await user.click(within(form).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    const [save] = sentTo(seen, "PATCH", ITEM);
    expect(await save?.request.json()).toEqual({ comments_enabled: false });
    expect(rig.item.comments_enabled).toBe(false);

    // The row says so, closed: an admin need not open each edit to find which videos are quiet.
    expect(await rowBadges("Lecture 3")).toHaveTextContent("Comments off");

    await user.click(screen.getByRole("button", { name: "Edit Lecture 3" }));
    expect(within(screen.getByRole("form", { name: "Edit Lecture 3" })).getByRole("checkbox", { name: "Allow comments" })).not.toBeChecked();
  });

  it("opens unticked on a video whose comments are off, turns them on, and sends nothing when left so", async () => {
    serveOneVideo({ comments_enabled: false });
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    await user.click(await screen.findByRole("button", { name: "Edit Lecture 3" }));
    const allow = within(screen.getByRole("form", { name: "Edit Lecture 3" })).getByRole("checkbox", { name: "Allow comments" });
    expect(allow).not.toBeChecked();
    await user.click(within(screen.getByRole("form", { name: "Edit Lecture 3" })).getByRole("button", { name: "Save" }));
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
    expect(sentTo(seen, "PATCH", ITEM)).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Edit Lecture 3" }));
    await user.click(within(screen.getByRole("form", { name: "Edit Lecture 3" })).getByRole("checkbox", { name: "Allow comments" }));
    await user.click(within(screen.getByRole("form", { name: "Edit Lecture 3" })).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(sentTo(seen, "PATCH", ITEM)).toHaveLength(1));
    expect(await sentTo(seen, "PATCH", ITEM)[0]!.request.json()).toEqual({ comments_enabled: true });
  });
});
