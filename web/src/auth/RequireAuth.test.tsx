import { act, screen, waitFor } from "@testing-library/react";
import { HttpResponse } from "msw";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { hasSessionMarker } from "../api/session";
import { hadSession, mediaItem, mediaPage } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import {
  ADMIN,
  API,
  apiError,
  http,
  nothingWatched,
  noContent,
  ok,
  recordRequests,
  refreshGives,
  refreshRefused,
  sentTo,
  server,
  tokens,
  twoFactorOff,
  VIEWER,
} from "../test/server";

const CATALOGUE = `${API}/catalogue`;
const REFRESH = `${API}/auth/refresh`;

describe("sessions in the app", () => {
  // Browse, signed in, asks for the viewer's unfinished and watched items.
  beforeEach(() => server.use(...nothingWatched()));

  it("an anonymous first visit makes no failing request: no refresh at all", async () => {
    server.use(http.get(CATALOGUE, () => ok(mediaPage([mediaItem({ title: "Public clip" })]))));
    const seen = recordRequests();
    renderApp("/");

    expect(await screen.findByRole("link", { name: /Public clip/ })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
    // Whether guests may browse, then the catalogue and the tags its tag field suggests.
    expect(seen.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      `GET ${API}/auth/config`,
      `GET ${CATALOGUE}`,
      `GET ${CATALOGUE}/tags`,
    ]);
  });

  it("waits for the session restore, then says the session ended when the cookie is refused", async () => {
    hadSession();
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    server.use(
      http.post(REFRESH, async () => {
        await answered;
        return apiError(401, "invalid_refresh_token", "No session");
      }),
    );
    renderApp("/account");

    // While the refresh is pending, nothing redirects yet.
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(screen.getByRole("status")).toHaveTextContent("Loading…");
    answer();

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Your session ended. Sign in again to continue.");
    expect(hasSessionMarker()).toBe(false);
  });

  it("keeps the session when the server cannot check it, says so, and signs in on Try again", async () => {
    hadSession();
    let away = true;
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () =>
        away ? apiError(503, "nats_unavailable", "NATS connection lost; reconnecting", { "Retry-After": "5" }) : ok(VIEWER),
      ),
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      twoFactorOff(),
    );
    const user = setupUser();
    renderApp("/account");

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "You are still signed in. Part of the server is not answering right now; try again in a moment",
    );
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(screen.queryByTestId("session-ended")).not.toBeInTheDocument();
    expect(hasSessionMarker()).toBe(true);

    away = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));

    expect(await screen.findByRole("heading", { name: "Account" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  /** A session this browser had, checked on /account while `me` answers /me; the /me requests seen. */
  function checkedWhile(me: () => Response) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, me),
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      twoFactorOff(),
    );
    const seen = recordRequests();
    renderApp("/account");
    return () => sentTo(seen, "GET", `${API}/auth/me`).length;
  }

  /** Until the next check is set to come (the one timer: its wait is what the tests time). */
  const rechecking = () => vi.waitFor(() => expect(vi.getTimerCount()).toBe(1));

  it("checks the session again by itself after the server's Retry-After, until it answers", async () => {
    let away = true;
    const checks = checkedWhile(() =>
      away ? apiError(503, "nats_unavailable", "NATS connection lost; reconnecting", { "Retry-After": "7" }) : ok(VIEWER),
    );
    await vi.waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("You are still signed in."));
    expect(checks()).toBe(1);
    await rechecking();
    await act(() => vi.advanceTimersByTimeAsync(6_500));
    expect(checks()).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    await vi.waitFor(() => expect(checks()).toBe(2));
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();

    away = false;
    await rechecking();
    await act(() => vi.advanceTimersByTimeAsync(7_000));
    await vi.waitFor(() => expect(screen.getByRole("heading", { name: "Account" })).toBeInTheDocument());
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(vi.getTimerCount()).toBe(0);
    const answered = checks();
    await act(() => vi.advanceTimersByTimeAsync(10 * 60_000));
    expect(checks()).toBe(answered);
  });

  it("without a Retry-After, waits longer after each unanswered check, a minute at most", async () => {
    const checks = checkedWhile(() => HttpResponse.error());
    await vi.waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("You are still signed in."));
    // 2, 4, 8, 16, 32 seconds, then a minute each time.
    for (const wait of [2, 4, 8, 16, 32, 60, 60]) {
      await rechecking();
      const before = checks();
      await act(() => vi.advanceTimersByTimeAsync(wait * 1000 - 500));
      expect(checks(), `checked before ${wait} s`).toBe(before);
      await act(() => vi.advanceTimersByTimeAsync(500));
      await vi.waitFor(() => expect(checks()).toBe(before + 1));
    }
  });

  it("ends the session when the server says the token is not valid", async () => {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => apiError(401, "token_revoked", "token revoked")));
    renderApp("/account");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Your session ended. Sign in again to continue.");
  });

  it.each(["/watch/abc", "/admin/upload", "/admin/library", "/admin/users"])(
    "redirects %s to sign in when signed out, asking the server nothing of the page",
    async (path) => {
      server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: "open" })));
      const seen = recordRequests();
      renderApp(path);
      await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
      // Nothing of the page: the sign-in page's public config alone (can a reset link be mailed?).
      await waitFor(() => expect(seen.map((r) => r.url.pathname)).toEqual([`${API}/auth/config`]));
    },
  );

  it("sends anonymous visitors to sign in to watch, saying so", async () => {
    server.use(http.get(CATALOGUE, () => ok(mediaPage([mediaItem({ id: "m-7", title: "Public clip" })]))));
    const user = setupUser();
    renderApp("/");

    await user.click(await screen.findByRole("link", { name: /Public clip/ }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Sign in to watch.");
  });

  it("restores the session from the refresh cookie on load", async () => {
    hadSession();
    server.use(
      refreshGives("tok-restored"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
      twoFactorOff(),
    );
    const seen = recordRequests();
    renderApp("/account");

    expect(await screen.findByRole("heading", { name: "Account" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/account");
    expect(sentTo(seen, "GET", `${API}/auth/me`)[0]?.headers.get("Authorization")).toBe("Bearer tok-restored");
  });

  it("a revoked session on Browse falls back to browsing anonymously", async () => {
    hadSession();
    server.use(
      http.post(REFRESH, () => ok(tokens("tok-soon-revoked")), { once: true }),
      refreshRefused(),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      // Revoked once Browse is shown (which waits for the server's config): its search finds out.
      http.get(CATALOGUE, ({ request }) =>
        request.headers.has("Authorization") && new URL(request.url).searchParams.has("q")
          ? apiError(401, "token_revoked", "invalid or expired token")
          : ok(mediaPage([mediaItem({ title: "Public clip" })])),
      ),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/");
    await screen.findByRole("button", { name: "Sign out" });

    // The session is revoked elsewhere; the next search carries the dead token.
    await user.type(screen.getByLabelText("Search"), "clip");

    const searches = () => sentTo(seen, "GET", CATALOGUE).filter((r) => r.url.searchParams.get("q") === "clip");
    await waitFor(() => expect(searches()).toHaveLength(2));
    expect(searches().map((r) => r.headers.get("Authorization"))).toEqual(["Bearer tok-soon-revoked", null]);
    expect(await screen.findByRole("link", { name: /Public clip/ })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.queryByText(/invalid or expired token/)).not.toBeInTheDocument();
    expect(await screen.findByTestId("session-ended")).toHaveTextContent("Your session ended");
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Sign out" })).not.toBeInTheDocument();
  });

  it("a session revoked while on a protected page redirects to sign in, saying it ended", async () => {
    hadSession();
    server.use(
      http.post(REFRESH, () => ok(tokens("tok")), { once: true }),
      refreshRefused(),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(`${API}/auth/sessions`, () => apiError(401, "token_revoked", "Token revoked")),
      http.get(`${API}/auth/me/two-factor`, () => apiError(401, "token_revoked", "Token revoked")),
    );
    renderApp("/account");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("signin-reason")).toHaveTextContent("Your session ended");
  });

  it("shows a 403 message to viewers on admin pages and hides admin links", async () => {
    hadSession();
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
    renderApp("/admin/upload");

    expect(await screen.findByTestId("forbidden")).toHaveTextContent("403");
    expect(screen.queryByLabelText("Video or sound file")).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Upload" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Library" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Account" })).toBeInTheDocument();
  });

  it("shows admin links to admins", async () => {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(ADMIN)),
      http.get(CATALOGUE, () => ok(mediaPage([]))),
    );
    renderApp("/");

    expect(await screen.findByRole("link", { name: "Upload" })).toHaveAttribute("href", "/admin/upload");
    expect(screen.getByRole("link", { name: "Library" })).toHaveAttribute("href", "/admin/library");
  });

  /** A viewer signed in on Browse signs out, the server answering the logout with `answer`: on the sign-in page then. */
  async function signOutAnswered(answer: () => Response): Promise<ReturnType<typeof recordRequests>> {
    hadSession();
    const user = setupUser();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(CATALOGUE, () => ok(mediaPage([]))),
      http.post(`${API}/auth/logout`, answer),
    );
    const seen = recordRequests();
    renderApp("/");

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
    return seen;
  }

  it("signing out clears the session: no notice, no refresh on the next load", async () => {
    const seen = await signOutAnswered(() => noContent());
    expect(sentTo(seen, "POST", `${API}/auth/logout`)[0]?.headers.get("Authorization")).toBe("Bearer tok");
    expect(screen.queryByRole("button", { name: "Sign out" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("signin-reason")).not.toBeInTheDocument();
    expect(hasSessionMarker()).toBe(false);
  });

  it.each([
    [
      apiError(503, "sign_out_incomplete", "signed out: this session can no longer be renewed"),
      "You are signed out. Part of the server was not answering, so it takes full effect within a few minutes.",
    ],
    [
      apiError(503, "kv_unavailable", "the revocation list is unavailable"),
      "You are signed out on this device, but the server could not confirm it. If this is a shared computer, sign in and sign out again in a moment.",
    ],
  ])("a sign-out the server did not confirm in full says so on the sign-in page", async (answer, said) => {
    const seen = await signOutAnswered(() => answer);
    expect(screen.getByTestId("signin-reason")).toHaveTextContent(said);
    // The refresh cookie goes along: by it the server signs the session out while it cannot check tokens.
    expect(sentTo(seen, "POST", `${API}/auth/logout`)[0]?.headers.get("X-Refresh-Cookie")).toBe("1");
    expect(hasSessionMarker()).toBe(false);
  });
});

describe("a members-only server", () => {
  const membersOnly = (mode = "invite") =>
    http.get(`${API}/auth/config`, () => ok({ registration_mode: mode, guest_access: "none", mail: false }));

  it.each(["/", "/?q=club", "/watch/abc", "/playlists/p-1"])(
    "sends a signed-out visitor of %s to sign in, asking nothing of the catalogue, and back there once signed in",
    async (path) => {
      server.use(
        membersOnly(),
        http.post(`${API}/auth/login`, () => ok(tokens("tok-member"))),
        http.get(`${API}/auth/me`, () => ok(VIEWER)),
        // The page gone back to, once signed in (what it shows is its own tests').
        ...nothingWatched(),
        http.get(CATALOGUE, () => ok(mediaPage([]))),
        http.get(`${CATALOGUE}/*`, () => apiError(404, "not_found", "No such item.")),
      );
      const seen = recordRequests();
      const user = setupUser();
      renderApp(path);

      await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/signin"));
      expect(await screen.findByTestId("members-only")).toHaveTextContent(
        "This is a members-only site: its videos are shown to members only. To join, ask an administrator for an invite.",
      );
      expect(seen.filter((r) => r.url.pathname.startsWith(CATALOGUE))).toEqual([]);
      await user.type(screen.getByLabelText("Email"), "viewer@example.com");
      await user.type(screen.getByLabelText("Password"), "password1");
      await user.click(screen.getByRole("button", { name: "Sign in" }));
      const [pathname, search = ""] = path.split("?");
      await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(`${pathname}${search && `?${search}`}`));
    },
  );

  it("offers a signed-out visitor no Browse, which only led back to sign in", async () => {
    server.use(membersOnly());
    renderApp("/signin");
    expect(await screen.findByTestId("members-only")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Browse" })).not.toBeInTheDocument();
  });

  it("shows Browse to a member", async () => {
    hadSession();
    server.use(
      membersOnly(),
      ...nothingWatched(),
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(CATALOGUE, () => ok(mediaPage([mediaItem({ title: "Club night" })]))),
    );
    renderApp("/");

    expect(await screen.findByRole("link", { name: /Club night/ })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/");
    expect(screen.getByRole("link", { name: "Browse" })).toBeInTheDocument();
  });

  it.each([
    ["open", "New here? Create an account below."],
    ["closed", "Accounts are made by its administrators: ask one for an account."],
  ])("says on the sign-in page how to get in when registration is %s", async (mode, words) => {
    server.use(membersOnly(mode));
    renderApp("/signin");
    expect(await screen.findByTestId("members-only")).toHaveTextContent(words);
  });

  it("says nothing of members on a server open to guests", async () => {
    server.use(http.get(`${API}/auth/config`, () => ok({ registration_mode: "invite", guest_access: "browse" })));
    renderApp("/signin");
    expect(await screen.findByTestId("forgot-password")).toBeInTheDocument();
    expect(screen.queryByTestId("members-only")).not.toBeInTheDocument();
  });
});
