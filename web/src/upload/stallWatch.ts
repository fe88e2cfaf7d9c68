import type { HttpRequest, HttpResponse, HttpStack } from "tus-js-client";

/**
 * How long a tus request may go without a sign of life (bytes of its body going out, its
 * answer) before it is given up and tried again. A connection gone half-open (Wi-Fi switched,
 * a NAT's state dropped) never fails by itself, and tus-js-client has no timeout: the bar
 * stood still for many minutes. 30 s is past what the server needs to let the upload go: it
 * commits what arrived after 5 s of silence and its lease lapses at most 25 s after the bytes
 * stop, so the retry's resume is not refused 423. It is longer than a chunk's answer takes;
 * the last one's, which waits for the probe, is given up too, and the retry's HEAD finds every
 * byte in and goes on to Processing.
 */
export const STALL_TIMEOUT_MS = 30_000;

/** A request given up after `silentMs` without a sign of life: tus retries it as a lost connection. */
export class StalledRequest extends Error {
  constructor(readonly silentMs: number) {
    super(`tus: no sign of life from the server for ${silentMs / 1000} s`);
    this.name = "StalledRequest";
  }
}

/** Whether `err` (tus's error, which names what caused it) is a request given up for its silence. */
export function stalledRequestOf(err: unknown): StalledRequest | null {
  const cause = (err as { causingError?: unknown } | null)?.causingError;
  return cause instanceof StalledRequest ? cause : null;
}

/**
 * tus-js-client's requests over XMLHttpRequest, as its own browser stack sends them, each
 * watched by an idle timer: started as the request is sent, started again by every upload
 * progress event, and stopped by its answer, its failure or an abort (a pause). A request
 * silent for `silentMs` is aborted and fails with `StalledRequest`, so tus goes through its
 * retries (`retryDelays`, `onShouldRetry`). Between requests (a retry's wait, a pause, the
 * processing after the last byte) nothing is watched. Ours rather than a wrapper of tus's
 * stack: its abort leaves the send pending for ever, so a wrapper could not fail it.
 */
export class StallWatchingStack implements HttpStack {
  constructor(private readonly silentMs = STALL_TIMEOUT_MS) {}

  createRequest(method: string, url: string): HttpRequest {
    return new WatchedRequest(method, url, this.silentMs);
  }

  getName(): string {
    return "StallWatchingStack";
  }
}

class WatchedRequest implements HttpRequest {
  private readonly xhr = new XMLHttpRequest();
  private readonly headers: Record<string, string> = {};
  private timer: number | undefined;
  private giveUp: (() => void) | null = null;

  constructor(
    private readonly method: string,
    private readonly url: string,
    private readonly silentMs: number,
  ) {
    this.xhr.open(method, url, true);
  }

  getMethod(): string {
    return this.method;
  }

  getURL(): string {
    return this.url;
  }

  setHeader(header: string, value: string): void {
    this.xhr.setRequestHeader(header, value);
    this.headers[header] = value;
  }

  getHeader(header: string): string | undefined {
    return this.headers[header];
  }

  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.xhr.upload.onprogress = (event) => {
      this.stillAlive();
      if (event.lengthComputable) handler(event.loaded);
    };
  }

  send(body: unknown): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      this.xhr.onload = () => {
        this.disarm();
        resolve(new XhrResponse(this.xhr));
      };
      this.xhr.onerror = (event) => {
        this.disarm();
        reject(new Error("tus: the request failed (network error)", { cause: event }));
      };
      this.giveUp = () => {
        this.disarm();
        this.xhr.abort();
        reject(new StalledRequest(this.silentMs));
      };
      this.stillAlive();
      this.xhr.send((body ?? null) as XMLHttpRequestBodyInit | null);
    });
  }

  /** tus's abort (a pause, a cancel): the request ends unanswered, and is not retried. */
  abort(): Promise<void> {
    this.disarm();
    this.xhr.abort();
    return Promise.resolve();
  }

  getUnderlyingObject(): XMLHttpRequest {
    return this.xhr;
  }

  /** The idle timer starts again, while the request is out. */
  private stillAlive(): void {
    if (!this.giveUp) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(this.giveUp, this.silentMs);
  }

  private disarm(): void {
    window.clearTimeout(this.timer);
    this.giveUp = null;
  }
}

class XhrResponse implements HttpResponse {
  constructor(private readonly xhr: XMLHttpRequest) {}

  getStatus(): number {
    return this.xhr.status;
  }

  getHeader(header: string): string | undefined {
    return this.xhr.getResponseHeader(header) ?? undefined;
  }

  getBody(): string {
    return this.xhr.responseText;
  }

  getUnderlyingObject(): XMLHttpRequest {
    return this.xhr;
  }
}
