import type * as HlsJs from "hls.js";

/** hls.js, as its own chunk answers it. */
export type HlsModule = typeof HlsJs;

/** The load under way or done; null after a failure, so the next asks again. */
let loading: Promise<HlsModule> | null = null;
/** The chunk's address, once a failure named it (Chromium's and Firefox's messages do). */
let chunkUrl: string | null = null;
let attempts = 0;

/**
 * hls.js's chunk, loaded once (a second call answers the same); after a failure (offline, a
 * flaky link), the next call loads it again. A browser keeps a failed import of an address
 * failed for the page's life (Chromium, the HTML standard until whatwg/html#10327), so once a
 * failure named the chunk's address, it is asked for under that address with a query of its own.
 */
export function loadHls(): Promise<HlsModule> {
  loading ??= importHls().catch((err: unknown) => {
    loading = null;
    chunkUrl = namedChunk(err) ?? chunkUrl;
    throw err;
  });
  return loading;
}

/** The chunk by its name in the build, or under the address a failure named, asked anew. */
function importHls(): Promise<HlsModule> {
  if (chunkUrl === null) return import("hls.js");
  attempts += 1;
  return import(/* @vite-ignore */ `${chunkUrl}?attempt=${attempts}`) as Promise<HlsModule>;
}

/**
 * The address a failed import names ("Failed to fetch dynamically imported module: URL"), or
 * the error it wraps (a module loader's own, as the tests').
 */
function namedChunk(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const named = /(https?:\/\/\S+\.m?js)\b/.exec(err.message);
  return named?.[1] ?? namedChunk(err.cause);
}

/**
 * Whether the chunk that failed is gone from the server (404: a new build replaced the page's,
 * whose chunk names are no more): only a reload plays then. False while it cannot be told
 * (offline, no address known): loading again may work.
 */
export async function hlsChunkGone(): Promise<boolean> {
  if (chunkUrl === null) return false;
  try {
    const answer = await fetch(chunkUrl, { method: "HEAD", cache: "no-store" });
    return answer.status === 404;
  } catch {
    return false;
  }
}

/** Forgets the chunk's load and address (a test's are not the next one's). */
export function forgetHlsChunk(): void {
  loading = null;
  chunkUrl = null;
  attempts = 0;
}
