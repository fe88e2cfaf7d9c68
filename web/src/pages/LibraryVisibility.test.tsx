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

describe("a video's visibility in the library", () => {
  it("is chosen in the edit form, sent alone, and the row then says Unlisted", async () => {
    const rig = serveOneVideo();
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    expect(await rowBadges("Lecture 3")).toHaveTextContent(/^Published$/);
    await user.click(screen.getByRole("button", { name: "Edit Lecture 3" }));
    const form = screen.getByRole("form", { name: "Edit Lecture 3" });
    const visibility = within(form).getByLabelText("Visibility");
    expect(visibility).toHaveValue("listed");
    expect(within(visibility).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "Listed: in Browse and search",
      "Unlisted: only people with the link",
    ]);

    await user.selectOptions(visibility, "unlisted");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    const badges = await rowBadges("Lecture 3");
    expect(within(badges).getByText("Unlisted")).toHaveClass("badge");
    expect(badges).toHaveTextContent("Published Unlisted");
    const [save] = sentTo(seen, "PATCH", ITEM);
    expect(await save?.request.json()).toEqual({ visibility: "unlisted" });
    expect(rig.item.visibility).toBe("unlisted");
  });

  it("opens on an unlisted video's visibility, and sends nothing when it is left so", async () => {
    serveOneVideo({ visibility: "unlisted" });
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    await user.click(await screen.findByRole("button", { name: "Edit Lecture 3" }));
    const form = screen.getByRole("form", { name: "Edit Lecture 3" });
    expect(within(form).getByLabelText("Visibility")).toHaveValue("unlisted");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
    expect(sentTo(seen, "PATCH", ITEM)).toEqual([]);
  });

  it("filters the library by visibility, kept in the address", async () => {
    serveOneVideo({ visibility: "unlisted" });
    const seen = recordRequests();
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    await screen.findByRole("button", { name: "Edit Lecture 3" });
    const filter = screen.getByRole("combobox", { name: "Visibility" });
    expect(within(filter).getAllByRole("option").map((option) => option.textContent)).toEqual(["Any", "Listed", "Unlisted"]);

    await user.selectOptions(filter, "unlisted");

    const lists = sentTo(seen, "GET", `${API}/catalogue`);
    await screen.findByRole("button", { name: "Edit Lecture 3" });
    expect(new URL(lists[lists.length - 1]!.request.url).searchParams.get("visibility")).toBe("unlisted");
    expect(new URL(lists[0]!.request.url).searchParams.get("visibility")).toBeNull();
  });
});
