import type * as HlsJs from "hls.js";
import { chunk } from "../lib/chunk";

/** hls.js, as its own chunk answers it. */
export type HlsModule = typeof HlsJs;

const hls = chunk<HlsModule>(() => import("hls.js"));

/** hls.js's chunk, loaded once; after a failure, the next call loads it again (see chunk). */
export const loadHls = hls.load;

/** Whether hls.js's chunk that failed is gone from the server (see Chunk.gone). */
export const hlsChunkGone = hls.gone;
