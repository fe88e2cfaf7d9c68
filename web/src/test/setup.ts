import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { resetRefreshState } from "../api/client";
import { clearAccessToken } from "../api/tokenStore";

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  clearAccessToken();
  resetRefreshState();
  localStorage.clear();
  sessionStorage.clear();
});
