import { tooManyAttempts } from "../lib/format";
import type { ErrorBody } from "./schema";

/** Every 4xx/5xx from the API, parsed from its one error shape `{status, code, detail, request_id}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** Seconds to wait, from the `Retry-After` header (429/503), else null. */
  readonly retryAfter: number | null;
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    code: string;
    detail: string;
    retryAfter?: number | null;
    requestId?: string | null;
  }) {
    super(init.detail);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.retryAfter = init.retryAfter ?? null;
    this.requestId = init.requestId ?? null;
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header == null) return null;
  const trimmed = header.trim();
  if (trimmed === "") return null;
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * How long to wait before asking again (ms): the server's Retry-After (s) when it gave one,
 * else `otherwise` (s); a second at least, and at most `cap` (s), so a far Retry-After does
 * not leave the page waiting long after the server is back.
 */
export function waitMs(retryAfter: number | null, otherwise: number, cap = Number.POSITIVE_INFINITY): number {
  return Math.min(Math.max(retryAfter ?? otherwise, 1), cap) * 1000;
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null) return false;
  const record = body as Record<string, unknown>;
  return typeof record.code === "string" && typeof record.detail === "string";
}

/**
 * An ApiError from a failed answer and its parsed body. Bodies that are not
 * our error shape come from something in front of the app (a proxy's HTML
 * page): the status line stands in for them.
 */
export function errorFromAnswer(body: unknown, res: Response): ApiError {
  const parsed = isErrorBody(body) ? body : null;
  return new ApiError({
    status: res.status,
    code: parsed?.code ?? `http_${res.status}`,
    detail: parsed?.detail ?? (res.statusText !== "" ? res.statusText : `Request failed with status ${res.status}`),
    retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
    requestId: parsed?.request_id ?? res.headers.get("X-Request-Id"),
  });
}

export function networkError(cause: unknown): ApiError {
  const err = new ApiError({
    status: 0,
    code: "network_error",
    detail: "Could not reach the server. Check your connection and try again.",
  });
  err.cause = cause;
  return err;
}

/**
 * Refusals whose detail is written for the server's operator ("check STREAMSTACK_INTERNAL_SECRET
 * …", "its proxy answered 502"), said to whoever is using the app in its own words.
 */
const PART_AWAY = "part of the server is not answering right now; try again in a moment";
const SAID_PLAINLY: Record<string, string> = {
  invalid_service_secret: "the server is not set up right, so this cannot be done now; its administrator can see why in the server's log",
  module_unavailable: PART_AWAY,
  // The revoked-tokens list (NATS) away: "NATS connection lost; reconnecting" is the operator's.
  kv_unavailable: PART_AWAY,
  nats_unavailable: PART_AWAY,
  // The production edge's answer when no replica of a service answered ("no replica of …").
  service_unavailable: PART_AWAY,
  // A proxy's bare page, its status line standing in for a detail ("Bad Gateway").
  http_502: PART_AWAY,
  http_503: PART_AWAY,
  http_504: PART_AWAY,
  http_429: "the server is busy right now; try again in a moment",
};

/** What a video's viewer is told when the server is down in part or busy, whatever it answered. */
export const VIDEO_UNAVAILABLE = "This video can't be played right now. Try again in a moment.";

/**
 * `errorSentence` for a video's viewer (the watch, share and embed pages, often on another
 * site's page): the server's own trouble (5xx, 429) in one plain sentence, not its operator's
 * words; no answer at all still says to check the connection, a refusal its own words.
 */
export function videoErrorSentence(error: unknown): string {
  return serverTrouble(error) ? VIDEO_UNAVAILABLE : errorSentence(error);
}

/** Whether a request got no answer at all (the server or the network down), not a refusal. */
export function unanswered(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 0;
}

/** Whether the server could not answer (5xx, 429): a refusal of what was asked is another thing. */
export function serverTrouble(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status >= 500 || error.status === 429);
}

/** A human message for any thrown value. */
export function errorMessage(error: unknown): string {
  // "password: too easy to guess. …", the API's field-first detail, under a form's one password field.
  if (error instanceof ApiError && error.code === "weak_password") {
    return `This password is ${error.detail.replace(/^password: /, "")}`;
  }
  if (error instanceof ApiError) return SAID_PLAINLY[error.code] ?? error.detail;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

/**
 * `errorMessage` said on its own, as a sentence: the API's details start in lower case
 * ("no such media item"), to follow a context ("Could not save: …").
 */
export function errorSentence(error: unknown): string {
  const message = errorMessage(error);
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/**
 * `errorSentence` of a form's refusal, where a throttled request (429) says how long to wait
 * in plain words ("Too many attempts, try again in about 8 minutes."), not the server's "later".
 */
export function refusalSentence(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) return tooManyAttempts(error.retryAfter);
  return errorSentence(error);
}
