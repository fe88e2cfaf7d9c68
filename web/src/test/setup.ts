import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetRefreshState } from "../api/client";
import { clearAccessToken } from "../api/tokenStore";

afterEach(() => {
  cleanup();
  clearAccessToken();
  resetRefreshState();
  localStorage.clear();
  sessionStorage.clear();
});
