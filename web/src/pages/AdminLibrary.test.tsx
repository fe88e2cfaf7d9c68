import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mediaItem } from "../test/fixtures";
import { FakeServer, json } from "../test/http";
import { renderPage, setupUser } from "../test/render";
import { AdminLibraryPage } from "./AdminLibrary";

const CATALOGUE = "/api/v1/catalogue/";

function listing(items: ReturnType<typeof mediaItem>[]) {
  return json({ items, total: items.length, page: 1, page_size: 24 });
}

describe("AdminLibraryPage", () => {
  it("lists drafts and published items and filters by status", async () => {
    const user = setupUser();
    const server = new FakeServer().on("GET", CATALOGUE, (req) =>
      req.url.searchParams.get("status") === "draft"
        ? listing([mediaItem({ id: "d", title: "Rough cut", status: "draft" })])
        : listing([mediaItem({ id: "p", title: "Final" }), mediaItem({ id: "d", title: "Rough cut", status: "draft" })]),
    );
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    expect(await screen.findAllByTestId("library-item")).toHaveLength(2);
    expect(server.requests[0]?.url.searchParams.get("status")).toBe("all");

    await user.selectOptions(screen.getByLabelText("Status"), "draft");

    await waitFor(() => expect(screen.getAllByTestId("library-item")).toHaveLength(1));
    expect(screen.getByRole("link", { name: "Rough cut" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("status=draft");
  });

  it("edits title, description and tags inline", async () => {
    const user = setupUser();
    const item = mediaItem({ id: "p", title: "Final", tags: ["a"] });
    const server = new FakeServer()
      .on("GET", CATALOGUE, listing([item]))
      .on("PATCH", "/api/v1/catalogue/p", (req) => json({ ...item, ...(req.body as object) }));
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("button", { name: "Edit Final" }));
    const title = screen.getByLabelText("Title");
    await user.clear(title);
    await user.type(title, "Final cut");
    await user.clear(screen.getByLabelText("Tags"));
    await user.type(screen.getByLabelText("Tags"), "b, c");
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("link", { name: "Final cut" })).toBeInTheDocument();
    expect(server.requestsTo("PATCH", "/api/v1/catalogue/p")[0]?.body).toEqual({
      title: "Final cut",
      description: "A calm evening.",
      tags: ["b", "c"],
    });
  });

  it("publishes a draft", async () => {
    const user = setupUser();
    const draft = mediaItem({ id: "d", title: "Rough cut", status: "draft" });
    const server = new FakeServer()
      .on("GET", CATALOGUE, listing([draft]))
      .on("PATCH", "/api/v1/catalogue/d", json({ ...draft, status: "published" }));
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("button", { name: "Publish Rough cut" }));

    expect(await screen.findByRole("button", { name: "Unpublish Rough cut" })).toBeInTheDocument();
    expect(server.requestsTo("PATCH", "/api/v1/catalogue/d")[0]?.body).toEqual({ status: "published" });
  });

  it("deletes only after confirmation", async () => {
    const user = setupUser();
    const server = new FakeServer()
      .once("GET", CATALOGUE, listing([mediaItem({ id: "p", title: "Final" })]))
      .on("GET", CATALOGUE, listing([]))
      .on("DELETE", "/api/v1/catalogue/p", new Response(null, { status: 204 }));
    renderPage(<AdminLibraryPage />);

    await user.click(await screen.findByRole("button", { name: "Delete Final" }));
    let dialog = screen.getByRole("alertdialog", { name: "Delete this video?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(server.requestsTo("DELETE", "/api/v1/catalogue/p")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete Final" }));
    dialog = screen.getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));

    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
    expect(server.requestsTo("DELETE", "/api/v1/catalogue/p")).toHaveLength(1);
  });
});
