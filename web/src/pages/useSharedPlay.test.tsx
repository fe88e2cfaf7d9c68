import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { mediaItem } from "../test/fixtures";
import { renderApp } from "../test/render";
import { API, http, noContent, ok, recordRequests, sentTo, server } from "../test/server";

const SECRET = "UGxheXMgY291bnRlZCBieSBhIHNoYXJlIGxpbmssIG9uY2U";
const SHARED = `${API}/catalogue/shared/${SECRET}`;
const PLAYS = `${SHARED}/plays`;
const TICKET = "6f1c2a36-3f53-4d8c-9a59-0d4a3c1d2e10";

/** The link shares one video, its open answering `TICKET`, and takes play reports. */
function serveShared() {
  server.use(
    http.get(SHARED, () => ok({ item: mediaItem({ id: "m-1" }), expires_at: null, play_ticket: TICKET })),
    http.post(`${SHARED}/stream-token`, () => ok({ stream_url: "/api/v1/stream/shared-1", expires_in: 3600 })),
    http.post(PLAYS, () => noContent()),
  );
}

describe.each([
  ["the share page", `/s/${SECRET}`],
  ["the embed page", `/embed/s/${SECRET}`],
])("plays by a share link, on %s", (_, path) => {
  it("reports the page's first play once, with its ticket, and nothing before it plays", async () => {
    serveShared();
    const seen = recordRequests();
    renderApp(path);
    const video = await screen.findByTestId<HTMLVideoElement>("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/shared-1"), { timeout: 4000 });
    fireEvent.play(video);
    fireEvent.loadedData(video);
    expect(sentTo(seen, "POST", PLAYS)).toHaveLength(0); // asked to play is not playing yet

    fireEvent.playing(video);
    await vi.waitFor(() => expect(sentTo(seen, "POST", PLAYS)).toHaveLength(1));
    expect(await sentTo(seen, "POST", PLAYS)[0]!.request.json()).toEqual({ ticket: TICKET });
    expect(sentTo(seen, "POST", PLAYS)[0]!.headers.get("Authorization")).toBeNull();

    // Paused and played again, or a seek's stall: the same page load, not counted again.
    fireEvent.pause(video);
    fireEvent.playing(video);
    fireEvent.playing(video);
    await screen.findByTestId("player");
    expect(sentTo(seen, "POST", PLAYS)).toHaveLength(1);
  });
});
