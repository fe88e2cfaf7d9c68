import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { resetRefreshState } from "../api/client";
import { clearAccessToken } from "../api/tokenStore";
import { server } from "./server";

// A request that no handler answers fails the test that made it.
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  server.resetHandlers();
  server.events.removeAllListeners();
  clearAccessToken();
  resetRefreshState();
  localStorage.clear();
  sessionStorage.clear();
  delete document.documentElement.dataset.theme;
});

afterAll(() => server.close());
