import { fireEvent, screen } from "@testing-library/react";
import { API, http, ok, server } from "./server";

/** Opens the player's settings menu (quality, audio, captions, speed) from its gear. */
export async function openPlayerSettings(): Promise<void> {
  const gear = await screen.findByRole("button", { name: "Settings" });
  if (gear.getAttribute("aria-expanded") !== "true") fireEvent.click(gear);
}

/** Grants every stream-token request (one token, an hour long); answers how many came. */
export function countStreamGrants(): () => number {
  let granted = 0;
  server.use(
    http.post(`${API}/catalogue/:id/stream-token`, () => {
      granted += 1;
      return ok({ stream_url: "/api/v1/stream/t1", expires_in: 3600, hls_url: "/api/v1/stream/t1/hls/master.m3u8" });
    }),
  );
  return () => granted;
}
