import { vi } from "vitest";

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
  credentials: RequestCredentials | undefined;
  keepalive: boolean | undefined;
}

type Reply = Response | ((req: RecordedRequest) => Response | Promise<Response>);

interface Route {
  method: string;
  path: string;
  reply: Reply;
  once: boolean;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function apiError(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): Response {
  return json({ status, code, detail, request_id: "req-test" }, status, headers);
}

/**
 * A stand-in for the backend behind `fetch`: routes match on method and
 * pathname; `once` routes are used up first; every request is recorded.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private routes: Route[] = [];
  readonly fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const raw = input instanceof Request ? input.url : String(input);
    const url = new URL(raw, "http://localhost");
    const method = (init.method ?? "GET").toUpperCase();
    const bodyText = typeof init.body === "string" ? init.body : null;
    const req: RecordedRequest = {
      method,
      url,
      headers: new Headers(init.headers),
      body: bodyText === null ? undefined : (JSON.parse(bodyText) as unknown),
      credentials: init.credentials,
      keepalive: init.keepalive,
    };
    this.requests.push(req);
    const index = this.findRoute(method, url.pathname);
    if (index === -1) throw new Error(`FakeServer: no route for ${method} ${url.pathname}`);
    const route = this.routes[index]!;
    if (route.once) this.routes.splice(index, 1);
    const reply = typeof route.reply === "function" ? await route.reply(req) : route.reply;
    return reply.clone();
  });

  constructor() {
    vi.stubGlobal("fetch", this.fetch);
  }

  on(method: string, path: string, reply: Reply): this {
    this.routes.push({ method, path, reply, once: false });
    return this;
  }

  once(method: string, path: string, reply: Reply): this {
    this.routes.push({ method, path, reply, once: true });
    return this;
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.pathname === path);
  }

  private findRoute(method: string, path: string): number {
    const matches = (r: Route) => r.method === method && r.path === path;
    const once = this.routes.findIndex((r) => r.once && matches(r));
    return once !== -1 ? once : this.routes.findIndex((r) => matches(r));
  }
}

export const ADMIN = {
  id: "u-admin",
  email: "admin@example.com",
  display_name: "Ada Admin",
  role: "admin" as const,
  created_at: "2026-01-01T00:00:00Z",
};

export const VIEWER = {
  id: "u-viewer",
  email: "viewer@example.com",
  display_name: null,
  role: "viewer" as const,
  created_at: "2026-01-02T00:00:00Z",
};

export function tokens(access: string, expiresIn = 1800) {
  return { access_token: access, refresh_token: null, token_type: "bearer", expires_in: expiresIn };
}
