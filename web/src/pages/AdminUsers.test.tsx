import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { UserView } from "../api/schema";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, http, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";

const USERS = `${API}/auth/users`;

function people(count: number): UserView[] {
  return Array.from({ length: count }, (_, i) => ({ ...VIEWER, id: `u-${i}`, email: `user${i}@example.com` }));
}

describe("AdminUsersPage", () => {
  it("pages with limit and offset, labels each cell for the phone layout, and changes roles", async () => {
    hadSession();
    const everyone = [ADMIN, ...people(59)];
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(USERS, ({ request }) => {
        const url = new URL(request.url);
        const limit = Number(url.searchParams.get("limit"));
        const offset = Number(url.searchParams.get("offset"));
        return ok({ items: everyone.slice(offset, offset + limit), total: everyone.length, limit, offset });
      }),
      http.patch(`${API}/auth/users/u-1`, () => ok({ ...VIEWER, id: "u-1", email: "user1@example.com", role: "admin" })),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/admin/users");

    const table = await screen.findByRole("table");
    expect(table).toHaveClass("stack-on-phone");
    const firstRow = within(table).getAllByRole("row")[1]!;
    expect(within(firstRow).getAllByRole("cell").map((c) => c.dataset.label)).toEqual(["Email", "Name", "Joined", "Role"]);
    // Admins cannot demote themselves here.
    expect(screen.getByLabelText("Role of admin@example.com")).toBeDisabled();

    await user.selectOptions(screen.getByLabelText("Role of user1@example.com"), "admin");
    await waitFor(() => expect(screen.getByLabelText("Role of user1@example.com")).toHaveValue("admin"));
    expect(await sentTo(seen, "PATCH", `${API}/auth/users/u-1`)[0]?.request.json()).toEqual({ role: "admin" });

    await user.click(screen.getByRole("button", { name: "Next →" }));
    expect(await screen.findByText("user50@example.com")).toBeInTheDocument();
    const pages = sentTo(seen, "GET", USERS).map((r) => Object.fromEntries(r.url.searchParams));
    expect(pages).toEqual([
      { limit: "50", offset: "0" },
      { limit: "50", offset: "50" },
    ]);
    expect(screen.getByText("Page 2 of 2")).toBeInTheDocument();
  });
});
