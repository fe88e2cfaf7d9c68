/** A chunk of the build, loaded when first needed rather than with the page (hls.js, an admin page). */
export interface Chunk<T> {
  /**
   * The chunk's module, loaded once (a second call answers the same); after a failure (offline,
   * a flaky link), the next call loads it again.
   */
  load: () => Promise<T>;
  /**
   * Whether the chunk that failed is gone from the server (404: a new build replaced the page's,
   * whose chunk names are no more): only a reload helps then. False while it cannot be told
   * (offline, no address known): loading again may work.
   */
  gone: () => Promise<boolean>;
}

/** A chunk that did not load; `gone` when a newer build took it away (see Chunk.gone). */
export class ChunkUnloaded extends Error {
  constructor(
    readonly gone: boolean,
    cause: unknown,
  ) {
    super(gone ? "A newer version of the site replaced this part of it." : "Part of the site did not load.", { cause });
    this.name = "ChunkUnloaded";
  }
}

/** How each chunk made forgets its load and address (see forgetChunks). */
const forgetters: (() => void)[] = [];

/**
 * The chunk `importer` loads (`() => import("hls.js")`: a literal import, so the build names
 * it). A browser keeps a failed import of an address failed for the page's life (Chromium, the
 * HTML standard until whatwg/html#10327), so once a failure named the chunk's address, it is
 * asked for under that address with a query of its own.
 */
export function chunk<T>(importer: () => Promise<T>): Chunk<T> {
  /** The load under way or done; null after a failure, so the next asks again. */
  let loading: Promise<T> | null = null;
  /** The chunk's address, once a failure named it (Chromium's and Firefox's messages do). */
  let chunkUrl: string | null = null;
  let attempts = 0;

  function importAgain(): Promise<T> {
    if (chunkUrl === null) return importer();
    attempts += 1;
    return import(/* @vite-ignore */ `${chunkUrl}?attempt=${attempts}`) as Promise<T>;
  }

  forgetters.push(() => {
    loading = null;
    chunkUrl = null;
    attempts = 0;
  });
  return {
    load() {
      loading ??= importAgain().catch((err: unknown) => {
        loading = null;
        chunkUrl = namedChunk(err) ?? chunkUrl;
        throw err;
      });
      return loading;
    },
    async gone() {
      if (chunkUrl === null) return false;
      try {
        const answer = await fetch(chunkUrl, { method: "HEAD", cache: "no-store" });
        return answer.status === 404;
      } catch {
        return false;
      }
    },
  };
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

/** Forgets every chunk's load and address (a test's are not the next one's). */
export function forgetChunks(): void {
  for (const forget of forgetters) forget();
}
