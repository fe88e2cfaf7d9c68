import { afterEach, describe, expect, it, vi } from "vitest";
import type { StreamTokenGrant } from "../api/schema";
import { renewDelayMs, StreamGrants, tokenOf, withCurrentToken } from "./streamToken";

afterEach(() => {
  vi.useRealTimers();
});

function grant(token: string, expiresIn = 3600): StreamTokenGrant {
  const streamUrl = `/api/v1/stream/${token}`;
  return {
    stream_url: streamUrl,
    expires_in: expiresIn,
    hls_url: `${streamUrl}/hls/master.m3u8`,
    storyboard_url: `${streamUrl}/storyboard/storyboard.vtt`,
  };
}

describe("withCurrentToken", () => {
  it("moves every file of the item onto the new token, keeping its path", () => {
    const next = "/api/v1/stream/NEW";
    expect(withCurrentToken("http://h:8000/api/v1/stream/OLD/hls/240p/seg_00042.m4s", next)).toBe(
      "http://h:8000/api/v1/stream/NEW/hls/240p/seg_00042.m4s",
    );
    expect(withCurrentToken("/api/v1/stream/OLD/hls/master.m3u8", next)).toBe("/api/v1/stream/NEW/hls/master.m3u8");
    expect(withCurrentToken("/api/v1/stream/OLD", next)).toBe("/api/v1/stream/NEW");
    expect(withCurrentToken("/api/v1/stream/OLD?x=1", next)).toBe("/api/v1/stream/NEW?x=1");
    expect(withCurrentToken("/api/v1/stream/OLD/storyboard/sheet_001.jpg#xywh=0,0,160,90", next)).toBe(
      "/api/v1/stream/NEW/storyboard/sheet_001.jpg#xywh=0,0,160,90",
    );
  });

  it("leaves other URLs alone, and never rewrites a path segment that merely looks like a token", () => {
    const next = "/api/v1/stream/NEW";
    expect(withCurrentToken("/api/v1/catalogue/abc", next)).toBe("/api/v1/catalogue/abc");
    expect(withCurrentToken("https://cdn.example/x.m4s", next)).toBe("https://cdn.example/x.m4s");
    // Only the token segment changes, even when the same text recurs later.
    expect(withCurrentToken("/api/v1/stream/OLD/hls/OLD/seg.m4s", next)).toBe("/api/v1/stream/NEW/hls/OLD/seg.m4s");
    // A grant whose URL carries no token changes nothing.
    expect(withCurrentToken("/api/v1/stream/OLD/x", "/elsewhere")).toBe("/api/v1/stream/OLD/x");
  });

  it("reads the token of a stream URL", () => {
    expect(tokenOf("/api/v1/stream/abc.def-_/hls/master.m3u8")).toBe("abc.def-_");
    expect(tokenOf("/api/v1/stream/abc")).toBe("abc");
    expect(tokenOf("/api/v1/catalogue/abc")).toBeNull();
  });
});

describe("renewDelayMs", () => {
  it("renews a minute before expiry, or at half the life of a short token", () => {
    expect(renewDelayMs(3600)).toBe(3_540_000);
    expect(renewDelayMs(300)).toBe(240_000);
    expect(renewDelayMs(120)).toBe(60_000);
    expect(renewDelayMs(100)).toBe(50_000);
    // Absurdly short lifetimes are treated as 10 s, never as a busy loop.
    expect(renewDelayMs(0)).toBe(5_000);
  });
});

describe("StreamGrants", () => {
  it("renews ahead of expiry, rewrites onto the newest token, and shares one renewal", async () => {
    vi.useFakeTimers();
    const answers = [grant("T1", 100), grant("T2", 100), grant("T3", 100)];
    const fetchGrant = vi.fn(() => Promise.resolve(answers.shift()!));
    const seen: [string, boolean][] = [];
    const grants = new StreamGrants(fetchGrant, (g, first) => seen.push([g.stream_url, first]), () => undefined);

    const old = "/api/v1/stream/T1/hls/360p/seg_00003.m4s";
    expect(grants.rewrite(old)).toBe(old); // nothing in force yet
    await grants.renew();
    expect(seen).toEqual([["/api/v1/stream/T1", true]]);

    await vi.advanceTimersByTimeAsync(49_999);
    expect(fetchGrant).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchGrant).toHaveBeenCalledTimes(2);
    expect(seen.at(-1)).toEqual(["/api/v1/stream/T2", false]);
    // A URL hls.js resolved against the first token now goes out on the second.
    expect(grants.rewrite(old)).toBe("/api/v1/stream/T2/hls/360p/seg_00003.m4s");

    // Two 404s at once (say a playlist and a segment) cost one request.
    await Promise.all([grants.renew(), grants.renew()]);
    expect(fetchGrant).toHaveBeenCalledTimes(3);
    expect(grants.current?.stream_url).toBe("/api/v1/stream/T3");

    // The on-demand renewal restarted the clock: the next is 50 s from now.
    await vi.advanceTimersByTimeAsync(49_000);
    expect(fetchGrant).toHaveBeenCalledTimes(3);
    grants.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchGrant).toHaveBeenCalledTimes(3);
  });

  it("reports a failed renewal and keeps the grant in force", async () => {
    vi.useFakeTimers();
    const fetchGrant = vi
      .fn<() => Promise<StreamTokenGrant>>()
      .mockResolvedValueOnce(grant("T1", 100))
      .mockRejectedValueOnce(new Error("offline"))
      .mockResolvedValueOnce(grant("T2", 100));
    const failures: unknown[] = [];
    const grants = new StreamGrants(fetchGrant, () => undefined, (e) => failures.push(e));
    await grants.renew();
    await vi.advanceTimersByTimeAsync(50_000);
    expect(failures).toHaveLength(1);
    expect(grants.current?.stream_url).toBe("/api/v1/stream/T1");

    grants.retryIn(15_000);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(grants.current?.stream_url).toBe("/api/v1/stream/T2");
    grants.stop();
  });

  it("gives the grant in force again where told to keep it, and still renews it when due", async () => {
    vi.useFakeTimers();
    const fetchGrant = vi.fn(() => Promise.resolve(grant(`T${fetchGrant.mock.calls.length}`, 100)));
    const seen: string[] = [];
    const grants = new StreamGrants(fetchGrant, (g) => seen.push(g.stream_url), () => undefined);
    await grants.renew();

    grants.retryIn(5_000, true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen).toEqual(["/api/v1/stream/T1", "/api/v1/stream/T1"]);
    expect(fetchGrant).toHaveBeenCalledTimes(1);
    // Due 50 s after it came, as if it had not been given again.
    await vi.advanceTimersByTimeAsync(44_999);
    expect(fetchGrant).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchGrant).toHaveBeenCalledTimes(2);

    // A renewal due before the wait is over comes at the end of the wait, not a stale grant.
    await vi.advanceTimersByTimeAsync(45_000);
    grants.retryIn(10_000, true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchGrant).toHaveBeenCalledTimes(3);
    expect(seen.at(-1)).toBe("/api/v1/stream/T3");
    grants.stop();
  });

  it("resumes on the grant in force, renewing it only when due or a renewal was asked for and has not come", async () => {
    vi.useFakeTimers();
    let away = false;
    const fetchGrant = vi.fn(() =>
      away ? Promise.reject(new Error("offline")) : Promise.resolve(grant(`T${fetchGrant.mock.calls.length}`, 100)),
    );
    const seen: string[] = [];
    const grants = new StreamGrants(fetchGrant, (g) => seen.push(g.stream_url), () => undefined);
    await grants.renew();

    grants.resume();
    grants.resume();
    expect(seen).toEqual(["/api/v1/stream/T1", "/api/v1/stream/T1", "/api/v1/stream/T1"]);
    expect(fetchGrant).toHaveBeenCalledTimes(1);
    // Still due 50 s after it came.
    await vi.advanceTimersByTimeAsync(49_999);
    expect(fetchGrant).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchGrant).toHaveBeenCalledTimes(2);

    // Its files refused (a renewal asked for), the renewal failing: the ended grant is not given again.
    away = true;
    await grants.renew().catch(() => undefined);
    const given = seen.length;
    away = false;
    grants.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetchGrant).toHaveBeenCalledTimes(4);
    expect(seen.slice(given)).toEqual(["/api/v1/stream/T4"]);
    grants.stop();
  });
});
