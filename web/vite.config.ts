import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The backend (streamstack dev) listens on 127.0.0.1:8000; in development the
// SPA is served by Vite and every /api call is proxied there, so the refresh
// cookie (SameSite=Strict, path /api/v1/auth) stays same-origin.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": {
        target: "http://127.0.0.1:8000",
        changeOrigin: false,
      },
    },
  },
  preview: {
    proxy: {
      "/api": {
        target: "http://127.0.0.1:8000",
        changeOrigin: false,
      },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // hls.js (~580 kB) is its own chunk, loaded only when a watch page plays HLS.
    chunkSizeWarningLimit: 650,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // Generous on a busy 2-core machine; a hung test still fails.
    testTimeout: 20_000,
    unstubGlobals: true,
    // One jsdom per worker instead of one per file: several times faster on
    // a 2-core machine. src/test/setup.ts resets the shared state after each
    // test (DOM, token, pending refresh, storage, timers).
    pool: "threads",
    isolate: false,
  },
});
