import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { resetRefreshState } from "../api/client";
import { clearAccessToken } from "../api/tokenStore";
import { forgetEntryMemory } from "../lib/scrollMemory";
import { forgetChunks } from "../lib/chunk";
import { forgetLibraryCounts } from "../lib/useLibraryCounts";
import { server } from "./server";

// The machine running the suite may be busy (2 cores shared with the Python
// suites): give findBy/waitFor more than their 1 s default before failing.
configure({ asyncUtilTimeout: 5000 });

// jsdom does not scroll (it says "Not implemented" to every page that does): nothing to do.
window.scrollTo = () => undefined;

// A request that no handler answers fails the test that made it.
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  server.resetHandlers();
  server.events.removeAllListeners();
  clearAccessToken();
  resetRefreshState();
  // The memory router names every test's first entry "default": what one kept is not the next one's.
  forgetEntryMemory();
  // The admins' counts are one copy for the page: one test's are not the next one's.
  forgetLibraryCounts();
  // A chunk (hls.js, an admin page) as one test loaded it (or failed to) is not the next one's.
  forgetChunks();
  localStorage.clear();
  sessionStorage.clear();
  delete document.documentElement.dataset.theme;
});

afterAll(() => server.close());
