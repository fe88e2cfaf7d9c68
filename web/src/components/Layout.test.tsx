import { act, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { dismissReports } from "../api/moderation";
import { setAccessToken } from "../api/tokenStore";
import { hadSession, mediaPage } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { ADMIN, API, http, libraryCounts, noContent, nothingWatched, ok, refreshGives, server, VIEWER } from "../test/server";
import { ErrorBoundary } from "./ErrorBoundary";
import { Field } from "./Field";
import { FOLD_QUERIES } from "./Layout";

function prefersDark(dark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
  };
  vi.stubGlobal("matchMedia", (q: string) => (q === "(prefers-color-scheme: dark)" ? query : { matches: false }));
  return {
    change(next: boolean) {
      dark = next;
      listeners.forEach((fn) => fn());
    },
  };
}

function browseEmpty() {
  server.use(http.get(`${API}/catalogue`, () => ok(mediaPage([]))));
}

describe("theme", () => {
  it("follows the system preference until the toggle picks one, which sticks", async () => {
    const system = prefersDark(true);
    browseEmpty();
    const user = setupUser();
    const { unmount } = renderApp("/");

    const toggle = screen.getByTestId("theme-toggle");
    expect(toggle).toHaveAccessibleName("Switch to light theme");
    expect(document.documentElement.dataset.theme).toBeUndefined();

    await user.click(toggle);
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(toggle).toHaveAccessibleName("Switch to dark theme");
    expect(localStorage.getItem("streamstack.theme")).toBe("light");

    // A picked theme no longer follows the system.
    system.change(false);
    system.change(true);
    expect(toggle).toHaveAccessibleName("Switch to dark theme");

    // It sticks across loads.
    unmount();
    renderApp("/");
    expect(screen.getByTestId("theme-toggle")).toHaveAccessibleName("Switch to dark theme");
    vi.unstubAllGlobals();
  });

  it("tracks a system change while nothing is picked", async () => {
    const system = prefersDark(false);
    browseEmpty();
    renderApp("/");
    expect(screen.getByTestId("theme-toggle")).toHaveAccessibleName("Switch to dark theme");
    system.change(true);
    expect(await screen.findByRole("button", { name: "Switch to light theme" })).toBeInTheDocument();
    vi.unstubAllGlobals();
  });
});

describe("header order", () => {
  it("is the order the header is drawn in, which Tab follows: brand, Menu, navigation, theme", () => {
    browseEmpty();
    renderApp("/");
    const header = screen.getByRole("banner");
    const order = [...header.querySelectorAll("a, button")].map(
      (control) => control.getAttribute("aria-label") ?? control.textContent,
    );
    // The theme toggle is drawn last (unfolded, after the links): it was second, after the brand.
    expect(order).toEqual(["StreamStack home", "Menu", "Browse", "Sign in", "Create account", "Switch to dark theme"]);
  });
});

describe("phone menu", () => {
  it("folds the navigation behind a Menu button that closes on navigation", async () => {
    browseEmpty();
    const user = setupUser();
    renderApp("/");
    const menu = screen.getByRole("button", { name: "Menu" });
    const header = screen.getByRole("banner");
    expect(menu).toHaveAttribute("aria-expanded", "false");
    expect(menu).toHaveAttribute("aria-controls", "main-nav");
    expect(screen.getByRole("navigation", { name: "Main" })).toHaveAttribute("id", "main-nav");
    expect(header).not.toHaveClass("menu-open");

    await user.click(menu);
    expect(menu).toHaveAttribute("aria-expanded", "true");
    expect(header).toHaveClass("menu-open");

    await user.click(screen.getByRole("link", { name: "Sign in" }));
    expect(screen.getByTestId("location")).toHaveTextContent("/signin");
    expect(menu).toHaveAttribute("aria-expanded", "false");
    expect(header).not.toHaveClass("menu-open");

    // Escape, from anywhere in it, closes it and gives the focus back to its button.
    await user.click(menu);
    await user.tab();
    expect(screen.getByRole("link", { name: "Browse" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(menu).toHaveAttribute("aria-expanded", "false");
    expect(menu).toHaveFocus();
  });
});

describe("folded navigation", () => {
  // A window 844 px wide (a phone held sideways): only the admin's query matches.
  function windowOf844px() {
    vi.stubGlobal("matchMedia", (q: string) => ({
      matches: q === FOLD_QUERIES.admin,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    }));
  }

  it.each([
    [ADMIN, true],
    [VIEWER, false],
  ])("folds at 844 px for an admin's longer navigation, not a viewer's (%#)", async (who, folded) => {
    windowOf844px();
    hadSession();
    browseEmpty();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(who)),
      ...nothingWatched(),
    );
    renderApp("/");
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(screen.getByRole("banner").classList.contains("folded")).toBe(folded);
    vi.unstubAllGlobals();
  });
});

describe("Field", () => {
  it("names the control by its label and describes it by hint and error", () => {
    render(
      <Field label="Title" hint="Shown on the card." error="The title cannot be empty.">
        {(control) => <input {...control} />}
      </Field>,
    );
    const input = screen.getByLabelText("Title");
    expect(input).toHaveAccessibleDescription("Shown on the card. The title cannot be empty.");
    expect(input).toBeInvalid();
  });

  it("is valid and undescribed without hint or error", () => {
    render(<Field label="Title">{(control) => <input {...control} />}</Field>);
    const input = screen.getByLabelText("Title");
    expect(input).not.toHaveAttribute("aria-describedby");
    expect(input).toBeValid();
  });
});

describe("ErrorBoundary", () => {
  it("replaces a crashed page with a message and keeps the rest", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    function Broken(): never {
      throw new Error("boom");
    }
    render(
      <>
        <p>header</p>
        <ErrorBoundary>
          <Broken />
        </ErrorBoundary>
      </>,
    );
    expect(screen.getByTestId("page-crashed")).toHaveTextContent("Something went wrong");
    expect(screen.getByRole("button", { name: "Reload the page" })).toBeInTheDocument();
    expect(screen.getByText("header")).toBeInTheDocument();
    quiet.mockRestore();
  });

  it("forgets the error when the page changes", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    function Page({ broken }: { broken: boolean }) {
      if (broken) throw new Error("boom");
      return <p>fine</p>;
    }
    const { rerender } = render(
      <ErrorBoundary resetKey="/a">
        <Page broken />
      </ErrorBoundary>,
    );
    expect(screen.getByTestId("page-crashed")).toBeInTheDocument();
    rerender(
      <ErrorBoundary resetKey="/b">
        <Page broken={false} />
      </ErrorBoundary>,
    );
    expect(screen.getByText("fine")).toBeInTheDocument();
    quiet.mockRestore();
  });
});

describe("a role changed while signed in", () => {
  /** An access token whose payload grants `role` (the SPA reads the claim, the server checks it). */
  const tokenFor = (role: string) =>
    `h.${btoa(JSON.stringify({ sub: ADMIN.id, role })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.s`;

  it("shows an admin made a viewer the viewer's navigation at the next renewed token", async () => {
    hadSession();
    browseEmpty();
    server.use(refreshGives(tokenFor("admin")), http.get(`${API}/auth/me`, () => ok(ADMIN)), ...nothingWatched());
    renderApp("/");
    expect(await screen.findByRole("link", { name: "Library" })).toBeInTheDocument();

    act(() => setAccessToken(tokenFor("viewer"), 1800));

    expect(screen.queryByRole("link", { name: "Library" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Browse" })).toBeInTheDocument();
    act(() => setAccessToken(tokenFor("admin"), 1800));
    expect(screen.getByRole("link", { name: "Library" })).toBeInTheDocument();
    act(() => setAccessToken("not-a-jwt", 1800));
    expect(screen.getByRole("link", { name: "Library" })).toBeInTheDocument();
  });
});

describe("the header's link to the Account page", () => {
  it("is named Account, with the display name where it shows one", async () => {
    hadSession();
    browseEmpty();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(ADMIN)), ...nothingWatched());
    renderApp("/");
    const link = await screen.findByRole("link", { name: "Account (Ada Admin)" });
    expect(link).toHaveTextContent(/^Ada Admin$/);
    expect(link).toHaveAttribute("href", "/account");
  });
});

describe("the admins' Comments link", () => {
  const adminToken = `h.${btoa(JSON.stringify({ sub: ADMIN.id, role: "admin" })).replace(/=+$/, "")}.s`;

  /** An admin's session on an empty Browse whose counts say `reported()` comments wait. */
  function signedInAdmin(reported: () => number, ...handlers: Parameters<typeof server.use>) {
    hadSession();
    browseEmpty();
    server.use(
      refreshGives(adminToken),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(`${API}/catalogue/counts`, () => ok(libraryCounts({ reported_comments: reported() }))),
      ...handlers,
      ...nothingWatched(),
    );
  }

  it("counts the reported comments waiting and leads to them, read again at each move", async () => {
    let reported = 19;
    signedInAdmin(() => reported);
    const user = setupUser();
    renderApp("/");

    const link = await screen.findByRole("link", { name: "Comments, 19 reported" });
    expect(link).toHaveTextContent("Comments (19)");
    expect(link).toHaveAttribute("href", "/admin/comments?reported=1");

    // Dismissed meanwhile: the next page's nav says no more.
    reported = 0;
    await user.click(screen.getByRole("link", { name: "History" }));
    const plain = await screen.findByRole("link", { name: "Comments" });
    expect(plain).toHaveAttribute("href", "/admin/comments");
  });

  it("is read again a moment after a change this tab makes, on the same page", async () => {
    let reported = 19;
    signedInAdmin(
      () => reported,
      http.delete(`${API}/catalogue/comments/:id/reports`, () => {
        reported = 18;
        return noContent();
      }),
    );
    renderApp("/");
    await screen.findByRole("link", { name: "Comments, 19 reported" });

    await act(() => dismissReports("c-1"));
    expect(await screen.findByRole("link", { name: "Comments, 18 reported" }, { timeout: 3000 })).toHaveTextContent("Comments (18)");
  });
});
