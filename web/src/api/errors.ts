/** Every 4xx/5xx from the API, parsed from `{status, code, detail, request_id}`. */
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

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeDetail(detail: unknown): string | null {
  if (typeof detail === "string" && detail.trim() !== "") return detail;
  // Tolerate validation errors shaped as a list of {msg} objects.
  if (Array.isArray(detail)) {
    const parts = detail
      .map((d) => (isRecord(d) && typeof d.msg === "string" ? d.msg : typeof d === "string" ? d : null))
      .filter((d): d is string => d !== null);
    if (parts.length > 0) return parts.join("; ");
  }
  return null;
}

/** Builds an ApiError from a failed response; never throws. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await res.text();
    body = text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): fall back to the status line.
  }
  const record = isRecord(body) ? body : {};
  const code =
    typeof record.code === "string" && record.code !== "" ? record.code : `http_${res.status}`;
  const detail =
    describeDetail(record.detail) ??
    (res.statusText !== "" ? res.statusText : `Request failed with status ${res.status}`);
  const requestId =
    typeof record.request_id === "string" ? record.request_id : res.headers.get("X-Request-Id");
  return new ApiError({
    status: res.status,
    code,
    detail,
    retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
    requestId,
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

/** A human message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
