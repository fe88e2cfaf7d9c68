import { Route, Routes } from "react-router";
import { expect, it, vi } from "vitest";
import { renderPage } from "../test/render";
import { API, http, server } from "../test/server";
import { WatchPage } from "./Watch";

// Its own file: hls.js is imported once a file, so only here is the first import this page's.
const hlsAsked = vi.hoisted(() => vi.fn());
vi.mock("hls.js", () => {
  hlsAsked();
  return import("../test/fakeHls");
});

it("starts loading hls.js as the page opens, beside the item rather than after it and its token", async () => {
  vi.stubGlobal("MediaSource", class {});
  // The item (and what comes next) still on its way.
  const never = () => new Promise<never>(() => undefined);
  server.use(http.get(`${API}/catalogue/m-1`, never), http.get(`${API}/catalogue/m-1/related`, never));
  renderPage(
    <Routes>
      <Route path="/watch/:id" element={<WatchPage />} />
    </Routes>,
    { path: "/watch/m-1", withAuth: true },
  );
  await vi.waitFor(() => expect(hlsAsked).toHaveBeenCalled());
});
