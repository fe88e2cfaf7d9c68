import userEvent from "@testing-library/user-event";
import { render } from "@testing-library/react";
import { expect } from "vitest";
import type { ReactElement } from "react";
import { createMemoryRouter, parsePath, RouterProvider, useLocation, useNavigate } from "react-router";
import { AppRoutes } from "../App";
import { AuthProvider } from "../auth/AuthContext";
import { ServerConfigProvider } from "../auth/serverConfig";
import { rememberScrollPositions } from "../lib/scrollMemory";

export function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location">{`${location.pathname}${location.search}`}</div>;
}

/** The browser's Back, for a page rendered in a memory router. */
export function BackButton() {
  const navigate = useNavigate();
  return (
    <button type="button" onClick={() => void navigate(-1)}>
      Back
    </button>
  );
}

/** `ui` at `path` (with history `state`, if any) under a data router, as App has it (a page may ask before it is left). */
function routed(ui: ReactElement, path: string, state?: unknown) {
  const element = (
    <>
      {ui}
      <LocationProbe />
    </>
  );
  const router = createMemoryRouter([{ path: "*", element }], { initialEntries: [state === undefined ? path : { ...parsePath(path), state }] });
  // As App has it: the server's config read once, for every page.
  return (
    <ServerConfigProvider>
      <RouterProvider router={router} />
    </ServerConfigProvider>
  );
}

/** The whole app (auth + routes) at `path`, as the browser would load it; `state` as a link or redirect leaves it. */
export function renderApp(path: string, state?: unknown) {
  return render(<AuthProvider>{routed(<AppRoutes />, path, state)}</AuthProvider>);
}

/**
 * The app as App has it, the router noting scroll positions, at `path`; the router is
 * returned for the test's Back (`router.navigate(-1)`).
 */
export function renderRememberingApp(path: string) {
  const element = (
    <>
      <AppRoutes />
      <LocationProbe />
    </>
  );
  const router = createMemoryRouter([{ path: "*", element }], { initialEntries: [path] });
  rememberScrollPositions(router);
  render(
    <AuthProvider>
      <ServerConfigProvider>
        <RouterProvider router={router} />
      </ServerConfigProvider>
    </AuthProvider>,
  );
  return router;
}

/** One page inside a router, without the app shell; `withAuth` adds the provider. */
export function renderPage(ui: ReactElement, { path = "/", withAuth = false } = {}) {
  return render(withAuth ? <AuthProvider>{routed(ui, path)}</AuthProvider> : routed(ui, path));
}

/** userEvent without the per-keystroke pause: tests stay fast. */
export function setupUser(options: Parameters<typeof userEvent.setup>[0] = {}) {
  return userEvent.setup({ delay: null, ...options });
}

/**
 * `button` is held while its request runs: focused still, said to be unavailable, and not
 * `disabled` (jsdom leaves the focus on a disabled button, which Chromium does not: a disabled
 * button sent the focus to the page's body, so not.toBeDisabled is the check).
 */
export function expectHeldWithFocus(button: HTMLElement) {
  expect(button).toHaveFocus();
  expect(button).not.toBeDisabled();
  expect(button).toHaveAttribute("aria-disabled", "true");
}

/** Whether the page asks before it is reloaded or closed (a `beforeunload` it prevents). */
export function unloadPrevented(): boolean {
  const event = new Event("beforeunload", { cancelable: true });
  window.dispatchEvent(event);
  return event.defaultPrevented;
}
