import { act, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mediaItem } from "../test/fixtures";
import { ADMIN, apiError, FakeServer, json, tokens, VIEWER } from "../test/http";
import { renderApp, setupUser } from "../test/render";

const EMPTY_PAGE = { items: [], total: 0, page: 1, page_size: 24 };

describe("protected routes", () => {
  it("waits for the silent refresh, then redirects an anonymous visitor to /signin", async () => {
    let answerRefresh: (res: Response) => void = () => undefined;
    const server = new FakeServer().on(
      "POST",
      "/api/v1/auth/refresh",
      () => new Promise<Response>((resolve) => (answerRefresh = resolve)),
    );
    renderApp("/account");

    // While the refresh is pending, nothing redirects yet.
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(screen.getByRole("status")).toHaveTextContent("Loading…");
    expect(server.requestsTo("POST", "/api/v1/auth/refresh")).toHaveLength(1);

    await act(() => {
      answerRefresh(apiError(401, "invalid_refresh_token", "No session"));
      return Promise.resolve();
    });

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toBeInTheDocument();
  });

  it.each(["/watch/abc", "/admin/upload", "/admin/library", "/admin/users"])("redirects %s when signed out", async (path) => {
    new FakeServer().on("POST", "/api/v1/auth/refresh", apiError(401, "invalid_refresh_token", "No session"));
    renderApp(path);
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
  });

  it("lets anonymous visitors browse, and sends them to sign in to watch", async () => {
    new FakeServer()
      .on("POST", "/api/v1/auth/refresh", apiError(401, "invalid_refresh_token", "No session"))
      .on(
        "GET",
        "/api/v1/catalogue/",
        json({ ...EMPTY_PAGE, items: [mediaItem({ id: "m-7", title: "Public clip" })], total: 1 }),
      );
    const user = setupUser();
    renderApp("/");

    await user.click(await screen.findByRole("link", { name: /Public clip/ }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
  });

  it("restores the session from the refresh cookie on load", async () => {
    const server = new FakeServer()
      .on("POST", "/api/v1/auth/refresh", json(tokens("tok-restored")))
      .on("GET", "/api/v1/auth/me", json(VIEWER))
      .on("GET", "/api/v1/auth/sessions", json([]));
    renderApp("/account");

    expect(await screen.findByRole("heading", { name: "Account" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(server.requestsTo("GET", "/api/v1/auth/me")[0]?.headers.get("Authorization")).toBe("Bearer tok-restored");
  });

  it("shows a 403 message to viewers on admin pages and hides admin links", async () => {
    new FakeServer()
      .on("POST", "/api/v1/auth/refresh", json(tokens("tok")))
      .on("GET", "/api/v1/auth/me", json(VIEWER));
    renderApp("/admin/upload");

    expect(await screen.findByTestId("forbidden")).toHaveTextContent("403");
    expect(screen.queryByLabelText("Video file")).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Upload" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Library" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Account" })).toBeInTheDocument();
  });

  it("shows admin links to admins", async () => {
    new FakeServer()
      .on("POST", "/api/v1/auth/refresh", json(tokens("tok")))
      .on("GET", "/api/v1/auth/me", json(ADMIN))
      .on("GET", "/api/v1/catalogue/", json(EMPTY_PAGE));
    renderApp("/");

    expect(await screen.findByRole("link", { name: "Upload" })).toHaveAttribute("href", "/admin/upload");
    expect(screen.getByRole("link", { name: "Library" })).toHaveAttribute("href", "/admin/library");
  });

  it("signing out from the header clears the session and protected pages redirect again", async () => {
    const user = setupUser();
    const server = new FakeServer()
      .once("POST", "/api/v1/auth/refresh", json(tokens("tok")))
      .on("POST", "/api/v1/auth/refresh", apiError(401, "invalid_refresh_token", "No session"))
      .on("GET", "/api/v1/auth/me", json(VIEWER))
      .on("GET", "/api/v1/catalogue/", json(EMPTY_PAGE))
      .on("POST", "/api/v1/auth/logout", new Response(null, { status: 204 }));
    renderApp("/");

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(server.requestsTo("POST", "/api/v1/auth/logout")[0]?.headers.get("Authorization")).toBe("Bearer tok");
    expect(screen.queryByRole("button", { name: "Sign out" })).not.toBeInTheDocument();
  });
});
